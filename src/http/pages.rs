//! Server-rendered pages, from the shared registry in `crate::templates`.

use axum::response::{Html, IntoResponse, Response};
use std::sync::Arc;

use handlebars::Handlebars;
use serde::Serialize;
use serde_json::{json, Value};

use crate::config::Settings;
use crate::error::AppResult;
use crate::http::head::Head;
use crate::http::session::Identity;

/// Renders the server-side pages with the shop's name and currency.
pub struct Pages {
    registry: Arc<Handlebars<'static>>,
    shop_name: String,
    currency: String,
    public_url: String,
}

impl Pages {
    /// Pages from `registry`, for the shop `settings` describes.
    pub fn new(settings: &Settings, registry: Arc<Handlebars<'static>>) -> Self {
        Self {
            registry,
            shop_name: settings.shop.name.clone(),
            currency: settings.shop.currency.clone(),
            public_url: settings.server.public_url.trim_end_matches('/').to_owned(),
        }
    }

    /// The shop's public base URL, without a trailing slash (canonical links).
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Renders `template` with `data` plus what every page needs: the shop,
    /// the logged-in user (for the header) and the page's head (a title is
    /// enough; see [`Head`]).
    pub fn render(
        &self,
        template: &str,
        head: impl Into<Head>,
        who: Option<&Identity>,
        data: impl Serialize,
    ) -> AppResult<Response> {
        let mut head: Head = head.into();
        if head.description.is_empty() {
            let description = format!("{} · {}", head.title, self.shop_name);
            head = head.described(&description);
        }
        let mut context = json!({
            "shop": self.shop_name,
            "currency": self.currency,
            "title": head.title,
            "head": head,
            // The header's search box; the results page fills it in.
            "search_text": "",
            "user": who.map(|i| json!({
                "name": i.user.name,
                "email": i.user.email,
                "is_admin": i.is_admin(),
            })),
        });
        if let (Value::Object(base), Value::Object(extra)) = (
            &mut context,
            serde_json::to_value(data).map_err(anyhow::Error::from)?,
        ) {
            base.extend(extra);
        }
        let html = self.registry.render(template, &context)?;
        Ok(Html(html).into_response())
    }

    /// The error page for `problem` (no user in the header: the error may be
    /// about the session itself).
    pub fn render_error(
        &self,
        problem: &crate::error::Problem,
    ) -> Result<String, handlebars::RenderError> {
        let context = json!({
            "shop": self.shop_name,
            "currency": self.currency,
            "title": format!("{} {}", problem.status, problem.title),
            "head": Head::titled(problem.title.clone()).described(&problem.detail),
            "user": null,
            "search_text": "",
            "problem": problem,
        });
        self.registry.render("error", &context)
    }
}
