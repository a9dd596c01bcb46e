//! `[payment]`, `[shipping]` and `[tax]`: how the shop is paid, what a new
//! shop ships with, and the tax it charges.

use serde::{Deserialize, Serialize};

use super::{Seconds, Secret};
use crate::domain::payments::{BankDetails, PaymentMethod};
use crate::domain::tax::{CountryRates, TaxTable};

/// `[payment]`: the payment methods offered, and their settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PaymentSettings {
    /// Offered at checkout, in this order: `bank_transfer`,
    /// `cash_on_delivery`, `stripe`.
    pub methods: Vec<PaymentMethod>,
    /// What a checkout that names no method pays with; one of `methods`.
    pub default_method: PaymentMethod,
    /// How long an unpaid card order holds its stock before it is called off.
    pub hold_for: Seconds,
    /// Card payments through Stripe.
    pub stripe: StripeSettings,
    /// Where bank transfers go.
    pub bank: BankDetails,
}

impl Default for PaymentSettings {
    fn default() -> Self {
        Self {
            methods: vec![PaymentMethod::BankTransfer, PaymentMethod::CashOnDelivery],
            default_method: PaymentMethod::BankTransfer,
            hold_for: Seconds(30 * 60),
            stripe: StripeSettings::default(),
            bank: BankDetails::default(),
        }
    }
}

/// `[payment.stripe]`: the Stripe account and where its API is.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StripeSettings {
    /// The secret API key (`sk_live_…` / `sk_test_…`).
    pub secret_key: Secret,
    /// The publishable key Stripe.js runs with in the browser (`pk_…`).
    pub publishable_key: String,
    /// The webhook endpoint's signing secret (`whsec_…`).
    pub webhook_secret: Secret,
    /// Where the API is (tests point it at localstripe).
    pub api_base: String,
    /// Where Stripe.js is loaded from.
    pub js_url: String,
    /// How old a webhook's signed timestamp may be.
    pub tolerance: Seconds,
}

impl Default for StripeSettings {
    fn default() -> Self {
        Self {
            secret_key: Secret::new(""),
            publishable_key: String::new(),
            webhook_secret: Secret::new(""),
            api_base: "https://api.stripe.com".into(),
            js_url: "https://js.stripe.com/v3/".into(),
            tolerance: Seconds(300),
        }
    }
}

/// `[shipping]`: the default method, and the one a new shop starts with.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ShippingSettings {
    /// The method (by id) a checkout that names none gets, where it ships.
    pub default_method: String,
    /// A shop with no shipping method gets this one at start-up (a flat
    /// rate to every country, id `default_method`); admins change it on
    /// `/admin/shipping`.
    pub starter_name: String,
    /// The starter method's price, minor units.
    pub starter_price: i64,
    /// Orders from this subtotal ship free with the starter method (none when absent).
    pub starter_free_above: Option<i64>,
}

impl Default for ShippingSettings {
    fn default() -> Self {
        Self {
            default_method: "standard".into(),
            starter_name: "Standard delivery".into(),
            starter_price: 0,
            starter_free_above: None,
        }
    }
}

/// `[tax]`: the rates by country, in basis points (2100 = 21%).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TaxSettings {
    /// `{ ES = { standard = 2100, reduced = 1000 } }`; a country not listed pays none.
    pub rates: TaxTable,
}

impl Default for TaxSettings {
    fn default() -> Self {
        Self {
            rates: TaxTable::from_iter([(
                "ES".to_owned(),
                CountryRates {
                    standard: 2100,
                    reduced: Some(1000),
                },
            )]),
        }
    }
}
