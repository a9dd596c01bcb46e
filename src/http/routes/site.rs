//! The entry page, health checks, static files and the config view.

use std::borrow::Cow;

use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use axum_extra::extract::cookie::CookieJar;
use bytes::Bytes;
use futures_util::StreamExt;
use rust_embed::RustEmbed;
use serde::Deserialize;
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::domain::message::MessageId;
use crate::error::{AppError, AppResult, ErrorCode, Problem};
use crate::http::extract::WantsHtml;
use crate::http::extract::{ApiQuery, JsonOrForm};
use crate::http::locale::{language_cookie, Lang};
use crate::http::session::{may, Allowed, Identity};
use crate::http::text::HttpText;
use crate::http::visitor::Visitor;
use crate::http::AppState;
use crate::i18n::Locale;
use crate::theme::{etag_of, is_static_path, Theme};

#[derive(RustEmbed)]
#[folder = "static/"]
struct StaticFiles;

/// What the entry pages' links and redirects may say.
#[derive(Debug, Default, Deserialize)]
pub struct NoticeQuery {
    /// `changed` after a password reset: log in with the new one.
    pub password: Option<String>,
    /// After asking for a reset link: it is on its way.
    pub sent: Option<bool>,
    /// The reset link's token.
    pub token: Option<String>,
    /// `deleted` once the visitor's account was erased.
    pub account: Option<String>,
}

/// The entry page: log in or register. Logged-in browsers go to the catalog.
pub async fn home(
    State(state): State<AppState>,
    Lang(locale): Lang,
    visitor: Visitor,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> AppResult<Response> {
    if visitor.who.is_some() {
        return Ok(Redirect::to("/products").into_response());
    }
    let changed = q.password.as_deref() == Some("changed");
    let erased = q.account.as_deref() == Some("deleted");
    home_page(
        &state,
        locale,
        &visitor,
        json!({ "password_changed": changed, "account_deleted": erased }),
    )
}

/// The entry page with `data` (a refused login or registration).
pub fn home_page(
    state: &AppState,
    locale: Locale,
    visitor: &Visitor,
    data: Value,
) -> AppResult<Response> {
    let title = state.pages.text(locale, "title-welcome");
    state.pages.render(locale, "home", title, visitor, data)
}

/// The page to ask for a password reset link.
pub async fn forgot_page(
    State(state): State<AppState>,
    Lang(locale): Lang,
    visitor: Visitor,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> AppResult<Response> {
    let data = json!({ "sent": q.sent.unwrap_or(false) });
    forgot_page_with(&state, locale, &visitor, data)
}

/// The reset link page with `data` (a refused request).
pub fn forgot_page_with(
    state: &AppState,
    locale: Locale,
    visitor: &Visitor,
    data: Value,
) -> AppResult<Response> {
    let title = state.pages.text(locale, "title-forgot");
    state.pages.render(locale, "forgot", title, visitor, data)
}

/// The form that sets a new password with the token from a reset link.
pub async fn reset_page(
    State(state): State<AppState>,
    Lang(locale): Lang,
    visitor: Visitor,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> AppResult<Response> {
    let token = q.token.unwrap_or_default();
    reset_page_with(&state, locale, &visitor, &token, json!({}))
}

/// The new-password form for `token` with `data` (a refused reset).
pub fn reset_page_with(
    state: &AppState,
    locale: Locale,
    visitor: &Visitor,
    token: &str,
    mut data: Value,
) -> AppResult<Response> {
    if let Value::Object(fields) = &mut data {
        fields.insert("token".into(), Value::String(token.to_owned()));
    }
    let title = state.pages.text(locale, "title-reset");
    state.pages.render(locale, "reset", title, visitor, data)
}

/// Answer of the health checks.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` from `/healthz`, `ready` from `/readyz`.
    pub status: String,
}

/// Liveness: the process serves.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
    })
}

/// Readiness: the store answers.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = Problem)))]
pub async fn readyz(State(state): State<AppState>) -> AppResult<Json<Health>> {
    state.store.ping().await?;
    Ok(Json(Health {
        status: "ready".into(),
    }))
}

/// Files shipped in the binary (styles, scripts, product photos) or added by
/// the theme, cached by browsers and revalidated by ETag.
pub async fn static_file(
    State(state): State<AppState>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    embedded(&state.theme, &path, &headers)
}

/// The shop's colours as CSS variables (see [`crate::http::theme`]).
pub async fn theme_css(State(state): State<AppState>) -> Response {
    let css = crate::http::theme::css(&state.settings.shop.primary_color);
    let headers = [
        (
            CONTENT_TYPE,
            HeaderValue::from_static("text/css; charset=utf-8"),
        ),
        (
            CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        ),
    ];
    (headers, css).into_response()
}

/// The shop's icon, where browsers look for it first.
pub async fn favicon(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    embedded(&state.theme, "favicon.svg", &headers)
}

/// What crawlers may visit: the catalog, not carts, orders, accounts or admin pages.
pub async fn robots(State(state): State<AppState>) -> Response {
    let base = state.settings.server.public_url.trim_end_matches('/');
    let text = format!(
        "User-agent: *\nAllow: /\nDisallow: /admin\nDisallow: /cart\nDisallow: /orders\n\
         Disallow: /auth\nDisallow: /chat\nDisallow: /config\nDisallow: /password\n\n\
         Sitemap: {base}/sitemap.xml\n"
    );
    (
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        text,
    )
        .into_response()
}

/// Products read per store call while the sitemap is written.
const SITEMAP_BATCH: u64 = 1000;

/// Every catalog, category and product page, for search engines. Written as
/// the products are read, a batch at a time, so memory stays flat whatever
/// the catalog's size. A store error mid-way cuts the answer short (the
/// status is already sent), which crawlers treat as a failed fetch.
pub async fn sitemap(State(state): State<AppState>) -> AppResult<Response> {
    let base = xml_text(state.settings.server.public_url.trim_end_matches('/'));
    let mut head = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    head.push_str(&format!("<url><loc>{base}/products</loc></url>\n"));
    for category in state.store.categories().await? {
        head.push_str(&format!(
            "<url><loc>{base}/products/{}</loc></url>\n",
            xml_text(&category)
        ));
    }
    let store = state.store.clone();
    // `Some(after)` while products may remain; `after` is the last id read.
    let products = futures_util::stream::unfold(Some(None::<String>), move |cursor| {
        let (store, base) = (store.clone(), base.clone());
        async move {
            let after = cursor?;
            match store.scan_products(after.as_deref(), SITEMAP_BATCH).await {
                Ok(batch) => {
                    let more = batch.len() as u64 == SITEMAP_BATCH;
                    let next = batch.last().map(|p| p.id.clone()).filter(|_| more);
                    let chunk: String = batch
                        .iter()
                        .map(|p| {
                            format!(
                                "<url><loc>{base}/products/{}</loc><lastmod>{}</lastmod></url>\n",
                                xml_text(&p.id),
                                p.updated_at.date()
                            )
                        })
                        .collect();
                    Some((Ok(chunk), next.map(Some)))
                }
                Err(e) => {
                    tracing::error!("sitemap cut short: {e}");
                    Some((Err(std::io::Error::other(e.to_string())), None))
                }
            }
        }
    });
    let body = futures_util::stream::once(async move { Ok(head) })
        .chain(products)
        .chain(futures_util::stream::once(async {
            Ok("</urlset>\n".to_owned())
        }));
    Ok((
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("application/xml; charset=utf-8"),
        )],
        axum::body::Body::from_stream(body),
    )
        .into_response())
}

/// `text` with XML's special characters escaped.
fn xml_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The static file at `path`, the theme's if it has one, else the one
/// embedded in the binary; `If-None-Match` answered with 304. The one place
/// static files are answered from.
fn embedded(theme: &Theme, path: &str, headers: &HeaderMap) -> AppResult<Response> {
    let not_found = || AppError::new(ErrorCode::NotFound, HttpText::NoStaticFile);
    if !is_static_path(path) {
        return Err(not_found());
    }
    let (data, etag, mime) = match theme.file(path) {
        // `Bytes` clones share the theme's copy.
        Some(own) => (own.data.clone(), own.etag.clone(), own.mime.clone()),
        None => {
            let file = StaticFiles::get(path).ok_or_else(not_found)?;
            let data = match file.data {
                Cow::Borrowed(bytes) => Bytes::from_static(bytes),
                Cow::Owned(bytes) => Bytes::from(bytes),
            };
            let etag = etag_of(&file.metadata.sha256_hash());
            (data, etag, file.metadata.mimetype().to_owned())
        }
    };
    let cache = HeaderValue::from_static("public, max-age=3600");
    let etag_value =
        HeaderValue::from_str(&etag).map_err(|e| AppError::internal(anyhow::Error::new(e)))?;
    if headers
        .get(IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(ETAG, etag_value), (CACHE_CONTROL, cache)],
        )
            .into_response());
    }
    let mime = HeaderValue::from_str(&mime)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Ok((
        [
            (CONTENT_TYPE, mime),
            (ETAG, etag_value),
            (CACHE_CONTROL, cache),
        ],
        data,
    )
        .into_response())
}

/// The effective configuration, secrets masked (admin).
#[utoipa::path(get, path = "/config", tag = "operations",
    responses((status = 200, description = "The effective configuration, secrets masked"), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn config_view(
    State(state): State<AppState>,
    Lang(locale): Lang,
    WantsHtml(html): WantsHtml,
    Allowed(admin, _): Allowed<may::ViewConfig>,
) -> AppResult<Response> {
    let mut masked = state.settings.masked();
    masked["profile"] = state.settings.profile.clone().into();
    if !html {
        return Ok(Json(masked).into_response());
    }
    let sections: Vec<_> = masked
        .as_object()
        .map(|o| {
            o.iter()
                .filter(|(_, v)| v.is_object())
                .map(|(name, v)| json!({ "name": name, "entries": flatten(name, v) }))
                .collect()
        })
        .unwrap_or_default();
    state.pages.render(
        locale,
        "config",
        state.pages.text(locale, "title-config"),
        &Visitor::signed_in(&state, &admin).await,
        json!({ "profile": state.settings.profile, "sections": sections, "backend": state.store.backend() }),
    )
}

/// `("a", {"b": 1})` → `[{"key": "a.b", "value": "1"}]`.
fn flatten(prefix: &str, value: &serde_json::Value) -> Vec<serde_json::Value> {
    fn walk(prefix: &str, value: &serde_json::Value, out: &mut Vec<serde_json::Value>) {
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, v, out);
                }
            }
            serde_json::Value::String(s) => out.push(json!({ "key": prefix, "value": s })),
            other => out.push(json!({ "key": prefix, "value": other.to_string() })),
        }
    }
    let mut out = Vec::new();
    walk(prefix, value, &mut out);
    out
}

/// The body of `POST /locale`.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LanguageChoice {
    /// One of the shop's languages (`shop.locales`), e.g. `es`.
    pub lang: String,
}

/// Switch the language of every page (remembered in a cookie, and on the
/// account of a logged-in caller, whose emails then speak it), then go back
/// to the page the switch was made on.
#[utoipa::path(post, path = "/locale", tag = "operations", request_body = LanguageChoice,
    responses((status = 204, description = "Switched (JSON)"), (status = 303, description = "Form post: back to the page"),
        (status = 400, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn set_locale(
    State(state): State<AppState>,
    who: Option<Identity>,
    headers: HeaderMap,
    body: JsonOrForm<LanguageChoice>,
) -> AppResult<Response> {
    let offered = &state.settings.shop.locales;
    let from_form = body.from_form();
    let locale = body
        .value?
        .lang
        .parse::<crate::i18n::Locale>()
        .ok()
        .filter(|l| offered.contains(l))
        .ok_or_else(|| {
            let names: Vec<&str> = offered.iter().map(|l| l.tag()).collect();
            crate::domain::validation::FieldErrors::single(
                "lang",
                HttpText::LanguageNotOffered.arg("languages", names.join(", ")),
            )
        })?;
    if let Some(who) = &who {
        state.accounts.set_locale(who, locale).await?;
    }
    let cookie = language_cookie(locale, state.settings.server.secure_cookies);
    let jar = CookieJar::new().add(cookie);
    if !from_form {
        return Ok((jar, StatusCode::NO_CONTENT).into_response());
    }
    Ok((jar, Redirect::to(&back_to(&headers))).into_response())
}

/// The page a form was sent from, if it is on this shop; the catalog else.
fn back_to(headers: &HeaderMap) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok());
    headers
        .get(axum::http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok())
        .filter(|u| {
            let origin = match u.port() {
                Some(p) => format!("{}:{p}", u.host_str().unwrap_or_default()),
                None => u.host_str().unwrap_or_default().to_owned(),
            };
            host == Some(origin.as_str())
        })
        .map(|u| match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        })
        .unwrap_or_else(|| "/products".into())
}
