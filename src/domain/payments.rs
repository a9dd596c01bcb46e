//! How an order is paid: the methods a shop offers, and the payment record
//! every order keeps (what was paid, refunded, and through what).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Timestamp;

/// A way to pay, offered when the shop lists it in `payment.methods`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum PaymentMethod {
    /// The customer wires the money quoting the order's reference; an admin
    /// marks the order paid when it arrives.
    BankTransfer,
    /// The carrier collects the money; the order is paid when delivered.
    CashOnDelivery,
    /// A card through Stripe; only Stripe's signed webhook marks it paid.
    Stripe,
}

impl PaymentMethod {
    /// The name used in JSON, config and the store.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Where the money of one order stands.
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
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum PaymentStatus {
    /// Waiting for the money (a transfer, or a card not paid yet).
    Pending,
    /// To be collected by the carrier.
    OnDelivery,
    /// The last card attempt failed; the customer may try again while the
    /// order's stock is held.
    Failed,
    /// Paid in full.
    Paid,
    /// Never paid, and never will be: the order was cancelled or its hold ran out.
    Voided,
    /// Paid, and part of it given back.
    PartiallyRefunded,
    /// Paid, and all of it given back.
    Refunded,
}

impl PaymentStatus {
    /// The name used in JSON and the store.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// The payment record of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Payment {
    /// How the customer pays.
    pub method: PaymentMethod,
    /// Where the money stands.
    pub status: PaymentStatus,
    /// What the customer quotes on a bank transfer, e.g. `ORDER-1001`.
    pub reference: String,
    /// Received, minor units (0 until paid).
    pub paid: i64,
    /// Given back so far, minor units.
    pub refunded: i64,
    /// Every refund, oldest first.
    #[serde(default)]
    pub refunds: Vec<Refund>,
    /// Refunds asked of Stripe and not answered yet: held back from what
    /// can be refunded, so two refunds racing cannot give back more than
    /// was paid.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending_refunds: Vec<PendingRefund>,
    /// The Stripe PaymentIntent of a card order, once made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent_id: Option<String>,
    /// What Stripe.js needs to confirm that PaymentIntent in the customer's
    /// browser (Stripe hands it to the payer by design).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Until when an unpaid card order holds its stock.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub hold_until: Option<Timestamp>,
    /// When the money was received.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub paid_at: Option<Timestamp>,
}

impl Payment {
    /// A new order's payment: nothing received yet. A card order holds its
    /// stock until `hold_until`; cash on delivery is collected at the door.
    pub fn new(method: PaymentMethod, number: i64, hold_until: Option<Timestamp>) -> Self {
        Self {
            method,
            status: match method {
                PaymentMethod::CashOnDelivery => PaymentStatus::OnDelivery,
                PaymentMethod::BankTransfer | PaymentMethod::Stripe => PaymentStatus::Pending,
            },
            reference: reference(number),
            paid: 0,
            refunded: 0,
            refunds: Vec::new(),
            pending_refunds: Vec::new(),
            intent_id: None,
            client_secret: None,
            hold_until: match method {
                PaymentMethod::Stripe => hold_until,
                _ => None,
            },
            paid_at: None,
        }
    }

    /// What can still be refunded.
    pub fn refundable(&self) -> i64 {
        let pending: i64 = self.pending_refunds.iter().map(|p| p.amount).sum();
        (self.paid - self.refunded - pending).max(0)
    }

    /// Records the whole `amount` as received at `at`.
    pub fn mark_paid(&mut self, amount: i64, at: Timestamp) {
        self.status = PaymentStatus::Paid;
        self.paid = amount;
        self.paid_at = Some(at);
        self.hold_until = None;
    }
}

impl Default for Payment {
    /// What orders stored before payments existed read as: a transfer to be
    /// marked paid by hand, as it was then.
    fn default() -> Self {
        Self::new(PaymentMethod::BankTransfer, 0, None)
    }
}

/// The transfer reference of order `number`.
pub fn reference(number: i64) -> String {
    format!("ORDER-{number}")
}

/// Money given back on an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Refund {
    /// Stripe's refund id for a card order; ours for one recorded by hand.
    pub id: String,
    /// The key of the pending refund it completes (empty for one recorded by hand).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key: String,
    /// Minor units.
    pub amount: i64,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// Who gave it back.
    pub by: String,
}

/// A refund asked of the card gateway, not answered yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PendingRefund {
    /// The idempotency key it was asked with.
    pub key: String,
    /// Minor units.
    pub amount: i64,
}

/// How a shipped parcel can be followed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Tracking {
    /// The carrier, e.g. `Correos`.
    #[serde(default)]
    pub carrier: String,
    /// The carrier's tracking number.
    #[serde(default)]
    pub number: String,
    /// Where to follow the parcel (`https://…`), if the carrier has a page.
    #[serde(default)]
    pub url: String,
}

/// Where customers send bank transfers (shown in the order mail and page).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankDetails {
    /// The account holder's name.
    #[serde(default)]
    pub holder: String,
    /// The account number (IBAN).
    #[serde(default)]
    pub iban: String,
    /// The bank's BIC/SWIFT code.
    #[serde(default)]
    pub bic: String,
    /// The bank's name.
    #[serde(default)]
    pub bank_name: String,
}
