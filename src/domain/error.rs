//! What a shop operation can refuse, in domain terms. The HTTP layer maps
//! each to its error code (see `crate::error`).

use super::message::Message;
use super::ports::StoreError;
use super::validation::FieldErrors;

/// A refused or failed shop operation.
#[derive(Debug, thiserror::Error)]
pub enum ShopError {
    /// The input broke a rule; every bad field is named.
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// Wrong email or password (never says which).
    #[error("the email or the password is wrong")]
    InvalidCredentials,
    /// The right password of an account an admin disabled.
    #[error("the account is disabled")]
    AccountDisabled,
    /// No live session: missing, bad, expired or revoked token.
    #[error("unauthorized: {0}")]
    Unauthorized(Message),
    /// A live session that may not do this.
    #[error("forbidden: {0}")]
    Forbidden(Message),
    /// The named thing does not exist (or is not the caller's to see).
    #[error("not found: {0}")]
    NotFound(Message),
    /// What the store refused (stock, cart, order…) or its failure.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The payment provider refused (its message, safe to show staff).
    #[error("the payment provider refused: {0}")]
    PaymentRefused(String),
    /// The payment provider could not be reached, or answered nonsense.
    #[error("the payment provider is unavailable: {0}")]
    PaymentUnavailable(String),
    /// Our fault (a template, a serializer): logged, never shown in production.
    #[error("internal failure")]
    Internal(#[source] anyhow::Error),
}

impl From<FieldErrors> for ShopError {
    fn from(errors: FieldErrors) -> Self {
        ShopError::Invalid(errors)
    }
}

impl ShopError {
    /// Wraps an internal failure.
    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        ShopError::Internal(err.into())
    }
}

/// The result of a shop operation.
pub type ShopResult<T> = Result<T, ShopError>;
