//! Server-rendered pages, from the shared registry in `crate::templates`,
//! in the visitor's language.

use axum::response::{Html, IntoResponse, Response};
use std::sync::Arc;

use fluent_bundle::FluentArgs;
use handlebars::Handlebars;
use serde::Serialize;
use serde_json::{json, Value};

use crate::config::Settings;
use crate::error::AppResult;
use crate::http::head::Head;
use crate::http::page_cache::ProductPages;
use crate::http::visitor::Visitor;
use crate::i18n::{I18n, Locale};

/// How much rendered product pages may take (about 3,000 pages).
const PRODUCT_PAGES_BYTES: u64 = 32 * 1024 * 1024;

/// Renders the server-side pages with the shop's name and currency.
pub struct Pages {
    registry: Arc<Handlebars<'static>>,
    i18n: Arc<I18n>,
    shop_name: String,
    currency: String,
    public_url: String,
    logo: String,
    locales: Vec<Locale>,
    /// Product pages as visitors without a session or cart see them.
    pub product_pages: ProductPages,
}

impl Pages {
    /// Pages from `registry`, for the shop `settings` describes.
    pub fn new(settings: &Settings, registry: Arc<Handlebars<'static>>, i18n: Arc<I18n>) -> Self {
        Self {
            registry,
            i18n,
            shop_name: settings.shop.name.clone(),
            currency: settings.shop.currency.clone(),
            public_url: settings.server.public_url.trim_end_matches('/').to_owned(),
            logo: settings.shop.logo.clone(),
            locales: settings.shop.locales.clone(),
            product_pages: ProductPages::new(PRODUCT_PAGES_BYTES),
        }
    }

    /// The shop's public base URL, without a trailing slash (canonical links).
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The message `id` in `locale` (titles and descriptions made in code).
    pub fn text(&self, locale: Locale, id: &str) -> String {
        self.i18n.translations.message(locale, id, None)
    }

    /// The messages and formats of every language (error answers and chat
    /// frames word their messages from it, see `crate::http::problem`).
    pub fn i18n(&self) -> &Arc<I18n> {
        &self.i18n
    }

    /// The message `id` in `locale` with named arguments.
    pub fn text_with(&self, locale: Locale, id: &str, args: &[(&str, &str)]) -> String {
        let mut fluent = FluentArgs::new();
        for &(name, value) in args {
            fluent.set(name, value.to_owned());
        }
        self.i18n.translations.message(locale, id, Some(&fluent))
    }

    /// What every page's context starts with: the shop, its language and
    /// the languages it offers (the switcher), and the head's tags, rendered
    /// on their own (templates/head.hbs): Handlebars copies a page's whole
    /// context into every partial, so the context stays small.
    fn base(
        &self,
        locale: Locale,
        head: &Head,
        visitor: &Visitor,
    ) -> Result<Value, handlebars::RenderError> {
        let tags = self
            .registry
            .render(&crate::templates::localized(locale, "head"), head)?;
        let languages: Vec<Value> = self
            .locales
            .iter()
            .map(|&l| json!({ "tag": l.tag(), "name": l.endonym(), "current": l == locale }))
            .collect();
        Ok(json!({
            "shop": self.shop_name,
            "logo": self.logo,
            "cart_items": visitor.cart_items,
            "currency": self.currency,
            "locale": locale.tag(),
            "languages": languages,
            "title": head.title,
            "head": tags,
            // The header's search box; the results page fills it in.
            "search_text": "",
            "user": visitor.who().map(|i| json!({
                "name": i.user.name,
                "email": i.user.email,
                "role": i.user.role.as_str(),
                "is_admin": i.user.role == crate::domain::accounts::Role::Admin,
                "is_staff": i.user.role == crate::domain::accounts::Role::Staff,
                // The links and forms the header and pages show: `may.read_orders`, ….
                "may": <crate::domain::accounts::Permission as strum::VariantArray>::VARIANTS
                    .iter()
                    .map(|&p| (p.as_str().to_owned(), Value::Bool(i.may(p))))
                    .collect::<serde_json::Map<_, _>>(),
            })),
        }))
    }

    /// Renders `template` with `data` plus what every page needs: the shop,
    /// the visitor (the header's user and cart badge) and the page's head (a
    /// title is enough; see [`Head`]), in `locale`.
    pub fn render(
        &self,
        locale: Locale,
        template: &str,
        head: impl Into<Head>,
        visitor: &Visitor,
        data: impl Serialize,
    ) -> AppResult<Response> {
        let html = self.render_html(locale, template, head, visitor, data)?;
        Ok(Html(html).into_response())
    }

    /// [`Pages::render`]'s page as text.
    pub fn render_html(
        &self,
        locale: Locale,
        template: &str,
        head: impl Into<Head>,
        visitor: &Visitor,
        data: impl Serialize,
    ) -> AppResult<String> {
        let mut head: Head = head.into();
        if head.description.is_empty() {
            let description = self.text_with(
                locale,
                "describe-page",
                &[("title", &head.title), ("shop", &self.shop_name)],
            );
            head = head.described(&description);
        }
        let mut context = self.base(locale, &head, visitor)?;
        if let (Value::Object(base), Value::Object(extra)) = (
            &mut context,
            serde_json::to_value(data).map_err(anyhow::Error::from)?,
        ) {
            base.extend(extra);
        }
        Ok(self
            .registry
            .render(&crate::templates::localized(locale, template), &context)?)
    }

    /// The error page for `problem` (no user in the header: the error may be
    /// about the session itself).
    pub fn render_error(
        &self,
        locale: Locale,
        problem: &crate::error::Problem,
    ) -> Result<String, handlebars::RenderError> {
        let head = Head::titled(format!("{} {}", problem.status, problem.title))
            .described(&problem.detail);
        let mut context = self.base(locale, &head, &Visitor::anonymous())?;
        if let Value::Object(base) = &mut context {
            base.insert("problem".into(), json!(problem));
        }
        self.registry
            .render(&crate::templates::localized(locale, "error"), &context)
    }
}
