//! Session tokens: HS256 JWTs naming the user and the session. A token is
//! only half the check; the session must also be live in the store.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::Role;

/// What a session token says.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// User id.
    pub sub: String,
    /// Session id.
    pub sid: String,
    /// The user's role when the token was issued; informational, as each
    /// request reads the current role from the store.
    pub role: Role,
    /// Issued at, in Unix seconds.
    pub iat: i64,
    /// Expires at, in Unix seconds.
    pub exp: i64,
}

/// The keys and rules that sign and check session tokens, made once from `auth.jwt_secret`.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl TokenKeys {
    /// Keys for the HMAC `secret`; verification accepts HS256 only, with no clock leeway.
    pub fn new(secret: &str) -> Self {
        // The algorithm is pinned: `alg: none` and asymmetric algorithms are
        // refused whatever the header says.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_exp = true;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        Self {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            validation,
        }
    }

    /// Signs `claims` into a compact HS256 token.
    pub fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &self.encoding,
        )?)
    }

    /// `None` for any token that is malformed, forged, of another algorithm or expired.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        if token.len() > 4096 {
            return None;
        }
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|data| data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn claims(exp_in: i64) -> Claims {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        Claims {
            sub: "u".into(),
            sid: "s".into(),
            role: Role::Customer,
            iat: now,
            exp: now + exp_in,
        }
    }

    #[test]
    fn signed_tokens_verify_and_forgeries_do_not() {
        let keys = TokenKeys::new("a-test-secret-that-is-long-enough-000");
        let signed = claims(60);
        let token = keys.sign(&signed).expect("sign");
        assert_eq!(keys.verify(&token), Some(signed));
        let other = TokenKeys::new("another-secret-that-is-long-enough-0");
        assert!(other.verify(&token).is_none());
        assert!(keys
            .verify(&keys.sign(&claims(-10)).expect("sign"))
            .is_none());

        // alg: none with the same payload.
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let payload = token.split('.').nth(1).expect("payload");
        let none = format!(
            "{}.{}.",
            b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
            payload
        );
        assert!(keys.verify(&none).is_none());
        let hs512 = format!(
            "{}.{}.",
            b64.encode(r#"{"alg":"HS512","typ":"JWT"}"#),
            payload
        );
        assert!(keys.verify(&hs512).is_none());
    }
}
