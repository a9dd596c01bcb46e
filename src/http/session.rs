//! Who is calling: the session token from `Authorization: Bearer` or the
//! session cookie, resolved by [`crate::domain::accounts::Accounts`].

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::http::HeaderMap;

pub use crate::domain::accounts::Identity;
use crate::error::AppError;
use crate::http::AppState;

/// The cookie a browser carries its session token in.
pub const SESSION_COOKIE: &str = "tienda_session";

/// An admin caller: 401 without a session, 403 for customers.
#[derive(Debug, Clone)]
pub struct Admin(pub Identity);

/// The raw token a request carries, bearer first.
pub fn token_from_headers(headers: &HeaderMap) -> Option<String> {
    if let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let (scheme, token) = value.split_once(' ')?;
        if scheme.eq_ignore_ascii_case("bearer") {
            return Some(token.trim().to_owned());
        }
        return None;
    }
    cookie_value(headers, SESSION_COOKIE)
}

/// The value of cookie `name`, if the request carries it.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

impl FromRequestParts<AppState> for Identity {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(identity) = parts.extensions.get::<Identity>() {
            return Ok(identity.clone());
        }
        let token = token_from_headers(&parts.headers)
            .ok_or_else(|| AppError::unauthorized("log in first: no session token was sent"))?;
        let identity = state.accounts.identify(&token).await?;
        parts.extensions.insert(identity.clone());
        Ok(identity)
    }
}

impl OptionalFromRequestParts<AppState> for Identity {
    type Rejection = AppError;

    /// No token → `None`; a bad token also → `None` (pages then show the
    /// logged-out view); store failures still fail.
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, AppError> {
        match <Identity as FromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(identity) => Ok(Some(identity)),
            Err(e) if e.code == crate::error::ErrorCode::Unauthorized => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let identity =
            <Identity as FromRequestParts<AppState>>::from_request_parts(parts, state).await?;
        let admin = state.accounts.require_admin(identity).await?;
        parts.extensions.insert(admin.clone());
        Ok(Admin(admin))
    }
}
