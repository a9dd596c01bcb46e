//! Who is calling: the session token from `Authorization: Bearer` or the
//! session cookie, resolved by [`crate::domain::accounts::Accounts`].

use std::marker::PhantomData;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

pub use crate::domain::accounts::Identity;
use crate::domain::accounts::Permission;
use crate::error::AppError;
use crate::http::text::HttpText;
use crate::http::AppState;

/// The cookie a browser carries its session token in.
pub const SESSION_COOKIE: &str = "tienda_session";

/// A caller whose role may do `P`'s permission (see
/// [`crate::domain::accounts::Role::may`]): 401 without a session, 403 in the
/// error model for a role that may not. Handlers take
/// `Allowed(who, _): Allowed<may::ReadOrders>`.
#[derive(Debug, Clone)]
pub struct Allowed<P>(pub Identity, pub PhantomData<P>);

/// A [`Permission`] named as a type, for [`Allowed`].
pub trait Needs {
    /// The permission the extractor checks.
    const PERMISSION: Permission;
}

/// One type per [`Permission`], for [`Allowed`].
pub mod may {
    use super::{Needs, Permission};

    macro_rules! permissions {
        ($($name:ident),* $(,)?) => {$(
            #[doc = concat!("Needs [`Permission::", stringify!($name), "`].")]
            #[derive(Debug, Clone, Copy)]
            pub struct $name;
            impl Needs for $name {
                const PERMISSION: Permission = Permission::$name;
            }
        )*};
    }

    permissions!(
        ManageCatalog,
        ManageShipping,
        ReadOrders,
        ChangeOrderStatus,
        RefundOrders,
        ReadCustomers,
        ManageAccounts,
        ReadMailOutbox,
        ViewConfig,
        AnswerChat,
        ReadAuditLog,
        ViewStats,
        ExportData,
    );
}

/// The raw token a request carries, bearer first.
pub fn token_from_headers(headers: &HeaderMap) -> Option<String> {
    if let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let (scheme, token) = value.split_once(' ')?;
        if scheme.eq_ignore_ascii_case("bearer") {
            return Some(token.trim().to_owned());
        }
        return None;
    }
    CookieJar::from_headers(headers)
        .get(SESSION_COOKIE)
        .map(|c| c.value().to_owned())
}

/// The session cookie carrying `token` for `max_age` (HttpOnly, SameSite=Lax,
/// `Secure` where configured); an empty token with no age ends it.
pub fn session_cookie(
    token: String,
    max_age: std::time::Duration,
    secure: bool,
) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(time::Duration::try_from(max_age).unwrap_or(time::Duration::MAX))
        .secure(secure)
        .build()
}

impl FromRequestParts<AppState> for Identity {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(identity) = parts.extensions.get::<Identity>() {
            return Ok(identity.clone());
        }
        let token = token_from_headers(&parts.headers)
            .ok_or_else(|| AppError::unauthorized(HttpText::NoToken))?;
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

impl<P: Needs + Send + Sync> FromRequestParts<AppState> for Allowed<P> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let identity =
            <Identity as FromRequestParts<AppState>>::from_request_parts(parts, state).await?;
        let allowed = state.accounts.require(identity, P::PERMISSION).await?;
        parts.extensions.insert(allowed.clone());
        Ok(Allowed(allowed, PhantomData))
    }
}
