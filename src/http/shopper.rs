//! Whose cart a request means: the logged-in customer's, or else a guest's,
//! named by a random id in a signed cookie. A visitor without either gets an
//! id with their first cart change; logging in or registering moves the
//! guest cart into the account's.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum_extra::extract::cookie::{Cookie, Key, SameSite, SignedCookieJar};
use sha2::{Digest, Sha512};

use crate::domain::cart::CartOwner;
use crate::error::AppError;
use crate::http::session::Identity;
use crate::http::AppState;

/// The cookie a guest's cart id travels in (signed, so it cannot be forged
/// or swapped for another guest's).
pub const GUEST_COOKIE: &str = "tienda_guest";
/// How long a guest's cookie lasts.
const GUEST_COOKIE_DAYS: i64 = 30;

/// The key guest cookies are signed with, derived from the JWT secret (a
/// separate purpose string, so neither signature can stand in for the other).
pub fn guest_key(jwt_secret: &str) -> Key {
    let mut hash = Sha512::new();
    hash.update(b"tienda guest cart cookie\0");
    hash.update(jwt_secret.as_bytes());
    // SHA-512 gives the 64 bytes `Key::from` requires.
    let digest: [u8; 64] = hash.finalize().into();
    Key::from(&digest)
}

/// The caller, as far as carts go.
pub struct Shopper {
    /// Whose cart.
    pub owner: CartOwner,
    /// The logged-in customer, if any.
    pub who: Option<Identity>,
    /// True when the guest id was made for this request: the answer must
    /// hand it out.
    minted: bool,
}

impl Shopper {
    /// The cookies the answer carries: a fresh guest's id, else none.
    pub fn cookies(&self, state: &AppState) -> SignedCookieJar {
        let jar = SignedCookieJar::new(state.guest_key.clone());
        match &self.owner {
            CartOwner::Guest(id) if self.minted => jar.add(guest_cookie(
                id.clone(),
                state.settings.server.secure_cookies,
            )),
            _ => jar,
        }
    }
}

/// The guest cookie carrying `id`; an empty id with no age ends it.
pub fn guest_cookie(id: String, secure: bool) -> Cookie<'static> {
    let age = if id.is_empty() {
        time::Duration::ZERO
    } else {
        time::Duration::days(GUEST_COOKIE_DAYS)
    };
    Cookie::build((GUEST_COOKIE, id))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(age)
        .secure(secure)
        .build()
}

/// The guest id a request's signed cookie carries; a forged or tampered one
/// counts as none.
pub fn guest_id(headers: &HeaderMap, key: &Key) -> Option<String> {
    let jar = SignedCookieJar::from_headers(headers, key.clone());
    let id = jar.get(GUEST_COOKIE)?.value().to_owned();
    uuid::Uuid::parse_str(&id).ok().map(|_| id)
}

impl FromRequestParts<AppState> for Shopper {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        // An API client that sends a token means its account: a bad token
        // is refused as before, never quietly turned into a guest.
        let who = if parts.headers.contains_key(AUTHORIZATION) {
            Some(<Identity as FromRequestParts<AppState>>::from_request_parts(parts, state).await?)
        } else {
            <Identity as OptionalFromRequestParts<AppState>>::from_request_parts(parts, state)
                .await?
        };
        if let Some(identity) = who {
            return Ok(Self {
                owner: CartOwner::Customer(identity.user.email.clone()),
                who: Some(identity),
                minted: false,
            });
        }
        let (id, minted) = match guest_id(&parts.headers, &state.guest_key) {
            Some(id) => (id, false),
            None => (uuid::Uuid::now_v7().to_string(), true),
        };
        Ok(Self {
            owner: CartOwner::Guest(id),
            who: None,
            minted,
        })
    }
}
