//! Low stock: each product's alert level, the one mail to `mail.notify` when
//! a checkout takes a variant down to it, and the admin's quick edit of one
//! variant's price and stock.
//!
//! Once-only rule: a checkout that leaves a variant at or below its level
//! mails only if the variant is not flagged yet, and flags it with the level
//! in the same conditional write (so concurrent checkouts mail once). The
//! flag records the level it was raised at, so any write that puts the stock
//! back above that level clears it without knowing the shop's default.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::{MAX_PRICE, MAX_STOCK};
use crate::domain::mail::{MailKind, MailPayload, OutboxMail};
use crate::domain::message::{MessageId, ShopText};
use crate::domain::validation::FieldErrors;
use crate::domain::Timestamp;

/// `catalog.low_stock_threshold` unless configured otherwise.
pub const DEFAULT_THRESHOLD: i64 = 5;

/// Most variants one low-stock list shows.
pub const MAX_LIST: u64 = 200;

/// Checks a low-stock level (0 to [`MAX_STOCK`]).
pub fn check_threshold(errors: &mut FieldErrors, field: &str, threshold: i64) {
    if !(0..=MAX_STOCK).contains(&threshold) {
        errors.add(field, ShopText::StockOutOfRange.arg("max", MAX_STOCK));
    }
}

/// A variant at or below its product's low-stock level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LowStockVariant {
    /// The product.
    pub product_id: String,
    /// Its name.
    pub product_name: String,
    /// The variant.
    pub variant_id: String,
    /// The variant's SKU.
    pub sku: String,
    /// The variant's option values, e.g. `M / blue` (empty for a product
    /// sold one way).
    pub title: String,
    /// Units left.
    pub stock: i64,
    /// The level it is at or below (the product's, or the shop's default).
    pub threshold: i64,
}

/// Builds the outbox rows for the variants a checkout took to their level.
pub type LowStockMails =
    Arc<dyn Fn(&[LowStockVariant], Timestamp) -> serde_json::Result<Vec<OutboxMail>> + Send + Sync>;

/// What a checkout needs to raise low-stock alerts in its transaction.
#[derive(Clone)]
pub struct LowStockAlerts {
    /// The level of products that set none (`catalog.low_stock_threshold`).
    pub default_threshold: i64,
    /// The alert mails (none when `mail.notify` is not set).
    pub mails: LowStockMails,
}

impl LowStockAlerts {
    /// Alerts at `default_threshold`, mailed to `notify` (no mail when it is
    /// empty: variants are still flagged, so setting it later does not mail
    /// about old crossings).
    pub fn new(default_threshold: i64, notify: &str) -> Self {
        let notify = notify.to_owned();
        Self {
            default_threshold,
            mails: Arc::new(move |variants, at| mails(&notify, variants, at)),
        }
    }
}

/// One `low_stock` mail to `notify` naming every variant in `variants` (in
/// the shop's language), or none without an address or variants.
pub fn mails(
    notify: &str,
    variants: &[LowStockVariant],
    at: Timestamp,
) -> serde_json::Result<Vec<OutboxMail>> {
    if notify.is_empty() || variants.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![OutboxMail::new(
        MailKind::LowStock,
        notify,
        None,
        MailPayload::new(&json!({ "variants": variants, "count": variants.len() }))?,
        at,
    )])
}

/// An admin's quick change of one variant: its price, its stock, or both.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariantChange {
    /// New unit price, minor units.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    pub price: Option<i64>,
    /// New units in stock.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub stock: Option<i64>,
}

impl VariantChange {
    /// Checks the change by the catalog's rules for price and stock.
    pub fn validate(self) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        if let Some(price) = self.price {
            if !(0..=MAX_PRICE).contains(&price) {
                errors.add("price", ShopText::PriceOutOfRange.arg("max", MAX_PRICE));
            }
        }
        if let Some(stock) = self.stock {
            if !(0..=MAX_STOCK).contains(&stock) {
                errors.add("stock", ShopText::StockOutOfRange.arg("max", MAX_STOCK));
            }
        }
        errors.into_result(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::ProductInput;

    fn input(threshold: Option<i64>) -> ProductInput {
        serde_json::from_value(json!({
            "name": "Lamp", "category": "home", "price": 100, "stock": 3,
            "low_stock_threshold": threshold,
        }))
        .expect("input")
    }

    #[test]
    fn a_threshold_is_optional_and_between_zero_and_max_stock() {
        for ok in [None, Some(0), Some(7), Some(MAX_STOCK)] {
            let fields = input(ok).validate("EUR", None).expect("valid");
            assert_eq!(fields.low_stock_threshold, ok);
        }
        for bad in [-1, MAX_STOCK + 1, i64::MIN] {
            let errors = input(Some(bad)).validate("EUR", None).expect_err("bad");
            assert!(errors.0.contains_key("low_stock_threshold"), "{bad}");
        }
    }

    #[test]
    fn a_variant_change_checks_price_and_stock() {
        let ok = VariantChange {
            price: Some(0),
            stock: Some(MAX_STOCK),
        };
        assert!(ok.validate().is_ok());
        let bad = VariantChange {
            price: Some(-1),
            stock: Some(-1),
        };
        let errors = bad.validate().expect_err("bad");
        assert!(errors.0.contains_key("price") && errors.0.contains_key("stock"));
    }

    #[test]
    fn alerts_go_to_notify_only() {
        let v = LowStockVariant {
            product_id: "p".into(),
            product_name: "Lamp".into(),
            variant_id: "v".into(),
            sku: "LAMP".into(),
            title: String::new(),
            stock: 2,
            threshold: 5,
        };
        let at = crate::domain::now();
        assert!(mails("", std::slice::from_ref(&v), at)
            .expect("json")
            .is_empty());
        let sent = mails("shop@example.com", &[v], at).expect("json");
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].kind, MailKind::LowStock);
        assert_eq!(sent[0].to, "shop@example.com");
    }
}
