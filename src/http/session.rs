//! Who is calling: the session token from `Authorization: Bearer` or the
//! session cookie, checked against the store on every request.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::http::HeaderMap;

use crate::domain::accounts::{Role, Session, User};
use crate::error::AppError;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "tienda_session";

/// A caller with a live session.
#[derive(Debug, Clone)]
pub struct Identity {
    pub user: User,
    pub session: Session,
}

impl Identity {
    pub fn is_admin(&self) -> bool {
        self.user.is_admin()
    }
}

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

/// Resolves a token to a live identity, or explains why not.
pub async fn identify(state: &AppState, token: &str) -> Result<Identity, AppError> {
    identify_from(state, token, true).await
}

/// As [`identify`]; `cached` allows an answer from the session cache.
async fn identify_from(state: &AppState, token: &str, cached: bool) -> Result<Identity, AppError> {
    let version = state.store.accounts_version();
    let now = crate::domain::now();
    let hit = match version {
        Some(v) if cached => state.sessions.get(token, v, now.unix_timestamp()),
        _ => None,
    };
    let (session, mut user) = match hit {
        Some(found) => found,
        None => {
            let claims = state
                .tokens
                .verify(token)
                .ok_or_else(|| AppError::unauthorized("the session token is invalid or expired"))?;
            let found = state
                .store
                .get_session_user(&claims.sid)
                .await?
                .filter(|(s, _)| s.user_id == claims.sub);
            if let Some(v) = version {
                state.sessions.put(token, claims.exp, v, found.as_ref());
            }
            found.ok_or_else(|| AppError::unauthorized("the session does not exist"))?
        }
    };
    if !session.is_live(now) {
        return Err(AppError::unauthorized(
            "the session has ended; log in again",
        ));
    }
    if state
        .settings
        .admin
        .emails
        .iter()
        .any(|e| e.eq_ignore_ascii_case(&user.email))
    {
        user.role = Role::Admin;
    }
    Ok(Identity { user, session })
}

impl FromRequestParts<AppState> for Identity {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(identity) = parts.extensions.get::<Identity>() {
            return Ok(identity.clone());
        }
        let token = token_from_headers(&parts.headers)
            .ok_or_else(|| AppError::unauthorized("log in first: no session token was sent"))?;
        let identity = identify(state, &token).await?;
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
        let mut identity =
            <Identity as FromRequestParts<AppState>>::from_request_parts(parts, state).await?;
        if !identity.is_admin() && state.store.accounts_version().is_some() {
            // The identity may come from the session cache, from before a
            // `tienda admin grant`: the store has the last word on a refusal.
            if let Some(token) = token_from_headers(&parts.headers) {
                identity = identify_from(state, &token, false).await?;
                parts.extensions.insert(identity.clone());
            }
        }
        if !identity.is_admin() {
            return Err(AppError::forbidden("this needs an admin account"));
        }
        Ok(Admin(identity))
    }
}

/// Whether a session is still live; a store hiccup counts as live so open
/// sockets are not dropped for it.
pub async fn session_is_live(state: &AppState, session_id: &str) -> bool {
    match state.store.get_session(session_id).await {
        Ok(Some(s)) => s.is_live(crate::domain::now()),
        Ok(None) => false,
        Err(e) => {
            tracing::warn!("session check failed: {e:#}");
            true
        }
    }
}
