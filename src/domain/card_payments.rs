//! Card payments as the shop sees them: the port a card gateway (Stripe)
//! implements, and the verified events it reports back. No HTTP types here;
//! `services::stripe` is the adapter.

use async_trait::async_trait;

/// What the shop asks for when an order is to be paid by card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntentRequest {
    /// The amount to collect, in the currency's minor units (cents).
    pub amount: i64,
    /// ISO 4217 code as the shop writes it (`EUR`); the adapter sends it
    /// the way the gateway wants it.
    pub currency: String,
    /// The order this payment is for; travels in the intent's metadata and
    /// comes back in its webhook events.
    pub order_number: i64,
    /// The customer's email, for the gateway's receipt.
    pub email: String,
    /// Makes a retried creation return the first intent instead of a
    /// second one (one key per order payment attempt).
    pub idempotency_key: String,
}

/// A payment the gateway holds open for the customer's browser to confirm.
#[derive(Clone, PartialEq, Eq)]
pub struct CardIntent {
    /// The gateway's id (`pi_…`).
    pub id: String,
    /// The secret the checkout page hands to Stripe.js; never logged.
    pub client_secret: String,
    /// The gateway's status word (`requires_payment_method`, `succeeded`, …).
    pub status: String,
}

impl std::fmt::Debug for CardIntent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardIntent")
            .field("id", &self.id)
            .field("client_secret", &"***")
            .field("status", &self.status)
            .finish()
    }
}

/// A refund the gateway accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRefund {
    /// The gateway's id (`re_…`).
    pub id: String,
    /// The amount refunded, in minor units.
    pub amount: i64,
    /// The gateway's status word (`succeeded`, `pending`, `failed`, …).
    pub status: String,
}

/// Why a gateway call did not give the shop what it asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// The gateway answered and said no (a 4xx with its error object): a
    /// refund larger than what is left, an unknown intent, a declined card,
    /// a bad key. Retrying the same request gets the same answer.
    #[error("the payment gateway refused: {0}")]
    Refused(Refusal),
    /// The gateway could not be reached in time, or answered in a way the
    /// shop cannot use (5xx, 429, a body that is not its error or object).
    /// The outcome is unknown: retry with the same idempotency key.
    #[error("the payment gateway is unavailable: {0}")]
    Unavailable(String),
}

/// The gateway's own words for a refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The HTTP status it answered with (400, 402, 404, …).
    pub status: u16,
    /// Its error type (`invalid_request_error`, `card_error`,
    /// `idempotency_error`, …).
    pub kind: String,
    /// Its machine code where it gives one (`amount_too_large`,
    /// `card_declined`, `resource_missing`, …).
    pub code: Option<String>,
    /// For declined cards, the issuer's reason where given.
    pub decline_code: Option<String>,
    /// Its human message (safe to show staff; for card errors, customers).
    pub message: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}", self.message, self.status)?;
        if let Some(code) = &self.code {
            write!(f, ", {code}")?;
        }
        write!(f, ")")
    }
}

impl GatewayError {
    /// The refusal's machine code, when the gateway refused with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            GatewayError::Refused(r) => r.code.as_deref(),
            GatewayError::Unavailable(_) => None,
        }
    }
}

/// The card gateway as the shop uses it.
#[async_trait]
pub trait CardPayments: Send + Sync {
    /// Opens a payment for an order (idempotent on `req.idempotency_key`).
    async fn create_intent(&self, req: &IntentRequest) -> Result<CardIntent, GatewayError>;
    /// Cancels an open payment (an order cancelled or expired unpaid).
    async fn cancel_intent(&self, intent_id: &str) -> Result<(), GatewayError>;
    /// Refunds `amount` minor units of a succeeded payment (idempotent on
    /// `idempotency_key`).
    async fn refund(
        &self,
        intent_id: &str,
        amount: i64,
        idempotency_key: &str,
    ) -> Result<CardRefund, GatewayError>;
}

/// A verified webhook event the shop acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentEvent {
    /// The gateway's event id (`evt_…`): the key that makes processing
    /// exactly-once.
    pub id: String,
    /// What happened.
    pub kind: PaymentEventKind,
    /// The payment it is about (`pi_…`).
    pub intent_id: String,
    /// Minor units: what was received for [`PaymentEventKind::Succeeded`]
    /// (`amount_received`, or `amount` where the event lacks it), the
    /// intent's amount otherwise.
    pub amount: i64,
    /// The order number from the intent's metadata, when it carries one.
    pub order_number: Option<i64>,
    /// When the gateway created the event (Unix seconds).
    pub created: i64,
}

/// The kinds of payment event the shop tells apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentEventKind {
    /// `payment_intent.succeeded`: the money is in; the order is paid.
    Succeeded,
    /// `payment_intent.payment_failed`: an attempt failed; the customer may retry.
    Failed,
    /// `payment_intent.canceled`: the payment will never complete.
    Canceled,
    /// Any other event type, named as the gateway sent it.
    Other(String),
}

impl PaymentEventKind {
    /// The kind for a gateway event type.
    pub fn from_type(event_type: &str) -> Self {
        match event_type {
            "payment_intent.succeeded" => Self::Succeeded,
            "payment_intent.payment_failed" => Self::Failed,
            "payment_intent.canceled" => Self::Canceled,
            other => Self::Other(other.to_owned()),
        }
    }
}
