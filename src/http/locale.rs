//! The visitor's language: the one they picked (a cookie, set by the
//! switcher every page has), else their browser's `Accept-Language`, else
//! the shop's default, among the languages the shop offers.

use axum::extract::FromRequestParts;
use axum::http::header::ACCEPT_LANGUAGE;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use crate::config::Settings;
use crate::http::AppState;
use crate::i18n::{choose, Locale};

/// The cookie that remembers the language a visitor picked.
pub const LANGUAGE_COOKIE: &str = "tienda_lang";

/// The language for a request with `headers`.
pub fn request_locale(headers: &HeaderMap, settings: &Settings) -> Locale {
    let jar = CookieJar::from_headers(headers);
    let chosen = jar.get(LANGUAGE_COOKIE).map(|c| c.value().to_owned());
    let accept = headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    choose(
        chosen.as_deref(),
        accept,
        &settings.shop.locales,
        settings.shop.default_locale,
    )
}

/// The cookie remembering `locale` for a year.
pub fn language_cookie(locale: Locale, secure: bool) -> Cookie<'static> {
    Cookie::build((LANGUAGE_COOKIE, locale.tag()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(time::Duration::days(365))
        .secure(secure)
        .build()
}

/// The request's language, for handlers that render.
#[derive(Debug, Clone, Copy)]
pub struct Lang(pub Locale);

impl FromRequestParts<AppState> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(request_locale(&parts.headers, &state.settings)))
    }
}
