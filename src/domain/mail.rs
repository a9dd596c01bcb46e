//! The outbox: emails written with the change that causes them, sent later.

pub mod compose;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::accounts::{Identity, Permission};
use super::error::ShopResult;
use super::ports::Store;
use super::{audit, Timestamp};

/// Which email a mail is; each kind has its own templates.
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
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum MailKind {
    /// To a new customer.
    Welcome,
    /// To `mail.notify`, for each registration.
    RegistrationNotice,
    /// To the customer, with the order's details.
    OrderConfirmation,
    /// To `mail.notify`, for each order.
    OrderNotice,
    /// To the customer, when their order is paid, shipped, refunded or cancelled.
    OrderUpdate,
    /// A single-use password reset link.
    PasswordReset,
}

impl MailKind {
    /// The name used in JSON, in the store and in template names.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The kind with this name, if any.
    pub fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

/// Where a mail is in the outbox.
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
pub enum MailStatus {
    /// Waiting for its first or next attempt.
    Pending,
    /// Handed to the transport.
    Sent,
    /// Gave up after `mail.max_attempts`; an admin may retry it.
    Failed,
}

impl MailStatus {
    /// The name used in JSON and in the store.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The status with this name, if any.
    pub fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

/// One row of the outbox. `id` doubles as the stable Message-ID, so a resend
/// after a crash is recognisably the same email.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OutboxMail {
    /// Mail id; the email's Message-ID is made from it.
    pub id: String,
    /// Which email this is.
    pub kind: MailKind,
    /// Recipient address.
    pub to: String,
    /// Recipient display name, if known.
    pub to_name: Option<String>,
    /// Everything the template needs.
    #[schema(value_type = Object)]
    pub payload: MailPayload,
    /// `pending`, `sent` or `failed`.
    pub status: MailStatus,
    /// Delivery attempts made so far.
    pub attempts: u32,
    /// While pending: the earliest time of the next attempt.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub next_attempt_at: Timestamp,
    /// Why the last failed attempt failed; cleared once sent.
    pub last_error: Option<String>,
    /// When the mail was queued.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// When the transport took it; `null` until then.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sent_at: Option<Timestamp>,
}

/// What a mail's templates get, kept as the JSON text the stores keep: it is
/// written once and rendered once, so parsing it into a tree on the way into
/// and out of the store was wasted work (a seventh of what a checkout costs
/// the one writer thread).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MailPayload(Box<serde_json::value::RawValue>);

impl MailPayload {
    /// The JSON text of `data`.
    pub fn new(data: &impl Serialize) -> serde_json::Result<Self> {
        serde_json::value::to_raw_value(data).map(Self)
    }

    /// Stored text, checked to be JSON.
    pub fn from_json(json: String) -> serde_json::Result<Self> {
        serde_json::value::RawValue::from_string(json).map(Self)
    }

    /// The JSON text.
    pub fn as_json(&self) -> &str {
        self.0.get()
    }

    /// The JSON as a raw value, to embed in other JSON as is.
    pub fn as_raw(&self) -> &serde_json::value::RawValue {
        &self.0
    }
}

impl Default for MailPayload {
    /// `null`.
    fn default() -> Self {
        Self(serde_json::value::RawValue::NULL.to_owned())
    }
}

impl PartialEq for MailPayload {
    fn eq(&self, other: &Self) -> bool {
        self.as_json() == other.as_json()
    }
}

impl OutboxMail {
    /// A pending mail, due at once.
    pub fn new(
        kind: MailKind,
        to: &str,
        to_name: Option<&str>,
        payload: MailPayload,
        now: Timestamp,
    ) -> Self {
        Self {
            id: super::new_id(),
            kind,
            to: to.to_owned(),
            to_name: to_name.map(str::to_owned),
            payload,
            status: MailStatus::Pending,
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            created_at: now,
            sent_at: None,
        }
    }
}

/// Puts failed mail `id` back in the queue, due now, for those who may read
/// the outbox; `false` when no failed mail has that id. Recorded in the
/// audit log.
pub async fn retry(store: &dyn Store, who: &Identity, id: &str) -> ShopResult<bool> {
    who.allowed(Permission::ReadMailOutbox)?;
    if !store.retry_mail(id, super::now()).await? {
        return Ok(false);
    }
    let status = |s: MailStatus| Some(serde_json::json!({ "status": s }));
    let target = format!("mail:{id}");
    audit::record(
        store,
        who,
        "mail.retry",
        &target,
        status(MailStatus::Failed),
        status(MailStatus::Pending),
    )
    .await?;
    Ok(true)
}
