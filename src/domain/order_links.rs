//! The links that show guests their order: no account to log in to, so the
//! confirmation email carries the order's URL with a signature over its
//! number and email. Whoever holds the link sees that one order, nothing else.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::orders::Order;

type Signer = Hmac<Sha256>;

/// Makes and checks order links.
pub struct OrderLinks {
    secret: Vec<u8>,
    public_url: String,
}

impl OrderLinks {
    /// Links under `public_url`, signed with a key drawn from `secret` (a
    /// purpose string keeps it apart from the session tokens' key).
    pub fn new(secret: &str, public_url: &str) -> Self {
        let mut key = b"tienda order link\0".to_vec();
        key.extend_from_slice(secret.as_bytes());
        Self {
            secret: key,
            public_url: public_url.trim_end_matches('/').to_owned(),
        }
    }

    fn signer(&self, order: &Order) -> Signer {
        // HMAC takes a key of any length: this cannot fail.
        let mut mac = Signer::new_from_slice(&self.secret)
            .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
        mac.update(format!("{}\0{}", order.number, order.email).as_bytes());
        mac
    }

    /// The token that opens `order`.
    pub fn token(&self, order: &Order) -> String {
        URL_SAFE_NO_PAD.encode(self.signer(order).finalize().into_bytes())
    }

    /// The order's page on this shop, openable without a session.
    pub fn path(&self, order: &Order) -> String {
        format!("/orders/{}?token={}", order.number, self.token(order))
    }

    /// [`OrderLinks::path`] as a full URL, for emails.
    pub fn link(&self, order: &Order) -> String {
        format!("{}{}", self.public_url, self.path(order))
    }

    /// Whether `token` opens `order` (compared in constant time).
    pub fn opens(&self, order: &Order, token: &str) -> bool {
        let Ok(signature) = URL_SAFE_NO_PAD.decode(token) else {
            return false;
        };
        self.signer(order).verify_slice(&signature).is_ok()
    }
}
