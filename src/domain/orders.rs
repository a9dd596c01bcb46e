//! Orders: what was bought, at which price, and where it is in its lifecycle.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::accounts::Identity;
use super::address::{Address, AddressInput};
use super::cart::CartOwner;
use super::payments::{Payment, PaymentMethod, Tracking};
use super::pricing::TaxLine;
use super::shipping::ShippingQuote;
use super::Timestamp;
use crate::i18n::Locale;

mod actions;
mod filter;
mod lifecycle;
mod service;

pub use lifecycle::{Effects, OrderAction, OrderMailKind, OrderStatus};
pub use service::{EventOutcome, OrderSettings, Orders};

/// The seed's `orders` collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Order {
    /// Sequential, human-readable order number.
    pub number: i64,
    /// The customer who placed it.
    pub email: String,
    /// Where the order is in its lifecycle.
    pub status: OrderStatus,
    /// What was bought, one item per cart line.
    pub items: Vec<OrderItem>,
    /// Sum of the line totals, minor units, as the catalog prices them
    /// (tax included when `prices_include_tax`).
    #[serde(default)]
    pub subtotal: i64,
    /// How the parcel goes, and its price.
    #[serde(default)]
    pub shipping: ShippingQuote,
    /// The tax in the order, one line per rate.
    #[serde(default)]
    pub taxes: Vec<TaxLine>,
    /// Whether `subtotal` and `shipping` include the taxes; if not, `total`
    /// adds them.
    #[serde(default)]
    pub prices_include_tax: bool,
    /// What the customer pays, minor units.
    pub total: i64,
    /// ISO 4217 code of every amount in the order.
    pub currency: String,
    /// Where the order goes.
    #[serde(deserialize_with = "super::address::legacy_or_structured::deserialize")]
    pub delivery_address: Address,
    /// How it is paid, and what was paid and refunded.
    #[serde(default)]
    pub payment: Payment,
    /// How the parcel can be followed, once shipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking: Option<Tracking>,
    /// The language of the customer's mails: their account's if they chose
    /// one, else the one they checked out in.
    #[serde(default)]
    #[schema(value_type = String, example = "es")]
    pub locale: Locale,
    /// When it was placed.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Every status it has had, oldest first, starting with `placed`.
    pub history: Vec<StatusChange>,
}

/// One line of an order, with the product as it was when bought.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrderItem {
    /// The product bought (it may have been deleted since).
    pub product_id: String,
    /// The variant bought (it may have been archived since).
    pub variant_id: String,
    /// The variant's SKU at the time of purchase (empty for orders placed
    /// before variants existed).
    #[serde(default)]
    pub sku: String,
    /// The variant's option values at the time of purchase, e.g. `M / blue`;
    /// empty for a product without options.
    #[serde(default)]
    pub variant: String,
    /// The same values by option name.
    #[serde(default)]
    pub options: std::collections::BTreeMap<String, String>,
    /// The product's name at the time of purchase.
    pub name: String,
    /// The product's description at the time of purchase.
    pub description: String,
    /// Price at the time of purchase, minor units.
    pub unit_price: i64,
    /// Units bought.
    pub quantity: i64,
    /// `unit_price` × `quantity`, minor units.
    pub line_total: i64,
}

impl OrderItem {
    /// The variant, as the store's stock operations name it.
    pub fn line(&self) -> crate::domain::ports::LineRef<'_> {
        crate::domain::ports::LineRef {
            product_id: &self.product_id,
            variant_id: &self.variant_id,
        }
    }
}

/// One step of an order's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StatusChange {
    /// The status the order took.
    pub status: OrderStatus,
    /// When it took it.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// Email of who made the change (`stripe` or `shop` for the webhook and
    /// the shop's own timers).
    pub by: String,
    /// What came with it: tracking, a refund's amount, why it was cancelled.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// The optional body of `POST /orders`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutInput {
    /// Overrides the cart's delivery address: an address object, or (for
    /// the shop's own country) one line of text.
    #[serde(default)]
    pub delivery_address: Option<AddressInput>,
    /// The id of a shipping method that ships there; the shop's default when absent.
    #[serde(default)]
    pub shipping_method: Option<String>,
    /// How the customer pays; the shop's default when absent.
    #[serde(default)]
    pub payment_method: Option<PaymentMethod>,
    /// Guests only (no session): where the confirmation, with a link to the
    /// order, goes. Required without an account; refused with one.
    #[serde(default)]
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
}

/// Who is checking out.
#[derive(Debug, Clone, Copy)]
pub enum Buyer<'a> {
    /// A logged-in customer: their cart, their email.
    Customer(&'a Identity),
    /// A guest: the cart their cookie names, and the email they gave.
    Guest {
        /// The guest's cart ([`CartOwner::Guest`]).
        cart: &'a CartOwner,
        /// The email they typed (checked here).
        email: Option<&'a str>,
    },
}

/// The body of `PUT /orders/{number}/status`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusInput {
    /// The status to move the order to.
    pub status: OrderStatus,
    /// Shipping: the carrier.
    #[serde(default)]
    pub carrier: Option<String>,
    /// Shipping: the carrier's tracking number.
    #[serde(default)]
    pub tracking_number: Option<String>,
    /// Shipping: where to follow the parcel (`https://…`).
    #[serde(default)]
    pub tracking_url: Option<String>,
}

/// The body of `POST /orders/{number}/refunds`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundInput {
    /// Minor units to give back; everything still refundable when absent.
    #[serde(default)]
    pub amount: Option<i64>,
}

/// Which orders a listing shows; every filter given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    /// Only this customer's orders.
    pub email: Option<String>,
    /// Only orders in this status.
    pub status: Option<OrderStatus>,
    /// Only the order with this number.
    pub number: Option<i64>,
    /// Only orders placed on or after this day (UTC).
    pub from: Option<time::Date>,
    /// Only orders placed on or before this day (UTC).
    pub to: Option<time::Date>,
}

/// A client's key that makes a retried checkout return the first order
/// instead of placing another: 1-200 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The key in `text` (trimmed), if it is one.
    pub fn parse(text: &str) -> Option<Self> {
        let key = text.trim();
        let visible = key.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
        (!key.is_empty() && key.len() <= 200 && visible).then(|| Self(key.to_owned()))
    }

    /// The key itself.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which orders a caller asked to see, as typed (staff and admins may
/// narrow by customer); [`OrderQuery::filter`] checks it.
#[derive(Debug, Clone, Default)]
pub struct OrderQuery {
    /// Only this status.
    pub status: Option<OrderStatus>,
    /// Only this customer (staff and admins; ignored for customers).
    pub email: Option<String>,
    /// Only this order number.
    pub number: Option<String>,
    /// Placed on or after this day, `YYYY-MM-DD` (UTC).
    pub from: Option<String>,
    /// Placed on or before this day, `YYYY-MM-DD` (UTC).
    pub to: Option<String>,
}

/// The payment record of an order stored before payments existed: a bank
/// transfer marked paid by hand, as every order was then.
pub fn legacy_payment(number: i64, status: OrderStatus, total: i64) -> Payment {
    let mut payment = Payment::new(PaymentMethod::BankTransfer, number, None);
    match status {
        OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered => {
            payment.status = super::payments::PaymentStatus::Paid;
            payment.paid = total;
        }
        OrderStatus::Cancelled => payment.status = super::payments::PaymentStatus::Voided,
        OrderStatus::AwaitingPayment | OrderStatus::Refunded => {}
    }
    payment
}
