//! Who is looking at a page, as its header shows them: the logged-in user
//! and how many items their cart holds.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;

use crate::domain::cart::CartOwner;
use crate::error::AppError;
use crate::http::extract::wants_html;
use crate::http::session::Identity;
use crate::http::shopper::{guest_id, Shopper};
use crate::http::AppState;

/// The page's visitor.
pub struct Visitor {
    /// The logged-in user, if any.
    pub who: Option<Identity>,
    /// Units in their cart (the header's badge).
    pub cart_items: u64,
}

impl Visitor {
    /// The logged-in user, if any.
    pub fn who(&self) -> Option<&Identity> {
        self.who.as_ref()
    }

    /// No session and an empty cart: the header every such visitor gets.
    pub fn is_plain(&self) -> bool {
        self.who.is_none() && self.cart_items == 0
    }
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let who =
            <Identity as OptionalFromRequestParts<AppState>>::from_request_parts(parts, state)
                .await?;
        // JSON answers have no header: only pages count the cart.
        if !wants_html(&parts.headers) {
            return Ok(Self { who, cart_items: 0 });
        }
        let guest = guest_id(&parts.headers, &state.guest_key);
        Ok(Self::counted(state, who, guest).await)
    }
}

impl Visitor {
    /// A logged-in visitor, whose identity the handler already has.
    pub async fn signed_in(state: &AppState, who: &Identity) -> Self {
        Self::counted(state, Some(who.clone()), None).await
    }

    /// Nobody known (an error page: the error may be about the session).
    pub fn anonymous() -> Self {
        Self {
            who: None,
            cart_items: 0,
        }
    }

    /// The visitor whose cart a cart handler works on.
    pub async fn shopping(state: &AppState, shopper: &Shopper) -> Self {
        Self::with_cart(state, shopper.who.clone(), Some(&shopper.owner)).await
    }

    async fn counted(state: &AppState, who: Option<Identity>, guest: Option<String>) -> Self {
        // A visitor without a session or a guest cookie has no cart: most
        // catalog traffic costs no store read for the badge.
        let owner = match &who {
            Some(identity) => Some(CartOwner::Customer(identity.user.email.clone())),
            None => guest.map(CartOwner::Guest),
        };
        Self::with_cart(state, who, owner.as_ref()).await
    }

    async fn with_cart(state: &AppState, who: Option<Identity>, owner: Option<&CartOwner>) -> Self {
        let cart_items = match owner {
            Some(owner) => state.carts.item_count(owner).await.unwrap_or_else(|e| {
                // The page is worth more than its badge.
                tracing::warn!(error = %e, "cart badge not counted");
                0
            }),
            None => 0,
        };
        Self { who, cart_items }
    }
}
