//! Stripe, the card gateway: [`StripeClient`] implements the domain's
//! [`CardPayments`](crate::domain::card_payments::CardPayments) port over
//! Stripe's REST API, and [`verify_event`] checks and reads the webhook
//! deliveries Stripe sends back.

pub mod client;
pub mod webhook;

pub use client::StripeClient;
pub use webhook::{verify_event, WebhookError, DEFAULT_TOLERANCE_SECS};
