//! Customers, admins, their sessions and credentials.

mod customers;
mod password;
mod permission;
mod privacy;
mod service;
mod token;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::message::{MessageId, ShopText};
use super::validation::{email_field, text_field, FieldErrors};
use super::Timestamp;

pub use customers::{CustomerDetail, CustomerSummary};
pub use password::{
    hash_password, verify_password, waiting_hashes, ARGON2_M_KIB, ARGON2_P, ARGON2_T,
};
pub use permission::Permission;
pub use privacy::{AccountExport, EraseInput, Erasure, Profile};
pub use service::{AccountRules, Accounts, Identity, Login};
pub use token::{Claims, TokenKeys};

/// Password length bounds: long enough to resist guessing, short enough that
/// hashing cannot be abused.
pub const MIN_PASSWORD: usize = 8;
/// Longest password accepted, in characters.
pub const MAX_PASSWORD: usize = 128;

/// What an account may do. Stored per user; the emails in `admin.emails` are
/// admins whatever is stored.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Role {
    /// Shops: their own cart, orders and support chat.
    Customer,
    /// Support and fulfilment: answers chat, reads every order and customer,
    /// changes order status. Not refunds, the catalog, shipping methods,
    /// mail, accounts or config (see [`Role::may`]).
    Staff,
    /// Runs the shop: the catalog, every order, accounts, the mail outbox and
    /// every chat channel.
    Admin,
}

impl Role {
    /// The name used in JSON and in the store.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The role with this name (as [`Role::as_str`] spells it), if any.
    pub fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

/// A registered account. The password hash never leaves the server: it is
/// skipped when serialized.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct User {
    /// The account's id.
    pub id: String,
    /// Full name.
    pub name: String,
    /// Digits with an optional leading `+`.
    pub phone: String,
    /// Lowercased; unique.
    pub email: String,
    /// What the account may do.
    pub role: Role,
    /// The argon2id hash of the password.
    #[serde(skip)]
    pub password_hash: String,
    /// The language they shop in: set at registration and by the switcher,
    /// so emails and a new device's pages speak it.
    #[serde(skip)]
    pub locale: Option<crate::i18n::Locale>,
    /// When the account was registered.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// When an admin disabled the account (it cannot log in, its sessions
    /// ended); null while it is enabled.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub disabled_at: Option<Timestamp>,
}

impl User {
    /// Whether the account's role may do `permission`.
    pub fn may(&self, permission: Permission) -> bool {
        self.role.may(permission)
    }
}

/// One login. A token is only accepted while its session is live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Session {
    /// The session's id, named by its token.
    pub id: String,
    /// The account logged in.
    pub user_id: String,
    /// When the login happened.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// When the session ends by itself.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
    /// When it was ended early (logout, revocation, password reset); null
    /// while it was not.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<Timestamp>,
}

impl Session {
    /// Whether its token is accepted at `now`: neither revoked nor expired.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

/// A pending password reset; only the SHA-256 of the emailed token is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordReset {
    /// Hex SHA-256 of the emailed token.
    pub token_hash: String,
    /// The account whose password it resets.
    pub user_id: String,
    /// When the link stops working.
    pub expires_at: Timestamp,
}

/// The body of `POST /auth/register`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterInput {
    /// Full name.
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: String,
    /// Digits with an optional leading `+`; spaces, dashes, dots and brackets allowed.
    #[schema(pattern = r"^\+?[0-9]{6,15}$", example = "+34600123456")]
    pub phone: String,
    /// The account's email (kept lowercased); must not be registered yet.
    #[schema(format = Email, max_length = 254, example = "ana@example.com")]
    pub email: String,
    /// 8 to 128 characters.
    #[schema(format = Password, min_length = 8, max_length = 128)]
    pub password: String,
}

/// Registration input that passed its checks, normalised.
#[derive(Debug, Clone)]
pub struct Registration {
    /// Trimmed.
    pub name: String,
    /// Digits with an optional leading `+`, separators dropped.
    pub phone: String,
    /// Lowercased, trimmed.
    pub email: String,
    /// As typed.
    pub password: String,
}

impl RegisterInput {
    /// Checks every field, naming each bad one, and normalises the name,
    /// phone and email.
    pub fn validate(self) -> Result<Registration, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = text_field(&mut errors, "name", &self.name, 1, 100, false);
        let phone = normalise_phone(&mut errors, &self.phone);
        let email = email_field(&mut errors, "email", &self.email);
        check_password(&mut errors, "password", &self.password);
        errors.into_result(Registration {
            name,
            phone,
            email,
            password: self.password,
        })
    }
}

/// Checks password length in characters.
pub fn check_password(errors: &mut FieldErrors, field: &str, password: &str) {
    let len = password.chars().count();
    if len < MIN_PASSWORD {
        errors.add(field, ShopText::TextTooShort.arg("min", MIN_PASSWORD));
    } else if len > MAX_PASSWORD {
        errors.add(field, ShopText::TextTooLong.arg("max", MAX_PASSWORD));
    }
    if password.contains('\0') {
        errors.add(field, ShopText::PasswordHasNul);
    }
}

/// Digits with an optional leading `+`; spaces, dashes, dots and brackets are
/// accepted as separators and dropped.
fn normalise_phone(errors: &mut FieldErrors, text: &str) -> String {
    let text = text.trim();
    let (plus, rest) = match text.strip_prefix('+') {
        Some(rest) => ("+", rest),
        None => ("", text),
    };
    let mut digits = String::new();
    let mut bad = false;
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => bad = true,
        }
    }
    if bad || !(6..=15).contains(&digits.len()) {
        errors.add("phone", ShopText::PhoneInvalid);
    }
    format!("{plus}{digits}")
}

/// The body of `POST /auth/login`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    /// The account's email.
    #[schema(format = Email, max_length = 254, example = "ana@example.com")]
    pub email: String,
    /// The account's password.
    #[schema(format = Password, min_length = 1, max_length = 1024)]
    pub password: String,
}

/// Login input that passed its checks: a normalised email and a password of
/// a length worth hashing.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// Lowercased, trimmed.
    pub email: String,
    /// As typed.
    pub password: String,
}

impl LoginInput {
    /// Checks both fields, naming each bad one.
    pub fn validate(self) -> Result<Credentials, FieldErrors> {
        let mut errors = FieldErrors::default();
        let email = email_field(&mut errors, "email", &self.email);
        if self.password.is_empty() || self.password.chars().count() > 1024 {
            errors.add("password", ShopText::PasswordNotGiven);
        }
        errors.into_result(Credentials {
            email,
            password: self.password,
        })
    }
}

/// Ana's account (user `u1`) and a session of hers (`s1`) valid for an hour,
/// for unit tests that need someone signed in.
#[cfg(test)]
pub(crate) fn signed_in(role: Role) -> (Session, User) {
    let at = crate::domain::now();
    let user = User {
        id: "u1".into(),
        name: "Ana".into(),
        phone: "+34 600 000 000".into(),
        email: "ana@example.com".into(),
        role,
        password_hash: String::new(),
        locale: None,
        created_at: at,
        disabled_at: None,
    };
    let session = Session {
        id: "s1".into(),
        user_id: user.id.clone(),
        created_at: at,
        expires_at: at + time::Duration::hours(1),
        revoked_at: None,
    };
    (session, user)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> RegisterInput {
        RegisterInput {
            name: "Ana Pérez".into(),
            phone: "+34 600-123-456".into(),
            email: " Ana@Example.COM ".into(),
            password: "correct horse".into(),
        }
    }

    #[test]
    fn registration_is_normalised() {
        let r = input().validate().expect("valid");
        assert_eq!(r.email, "ana@example.com");
        assert_eq!(r.phone, "+34600123456");
    }

    #[test]
    fn each_bad_field_is_named() {
        let bad = RegisterInput {
            name: "".into(),
            phone: "call me".into(),
            email: "nope".into(),
            password: "short".into(),
        };
        let errors = bad.validate().expect_err("invalid");
        for field in ["name", "phone", "email", "password"] {
            assert!(errors.0.contains_key(field), "{field}");
        }
        let long = RegisterInput {
            password: "x".repeat(MAX_PASSWORD + 1),
            ..input()
        };
        assert!(long.validate().is_err());
    }
}
