//! A customer's cart: what they mean to buy, priced at today's prices.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::address::{Address, AddressInput};
use super::catalog::Product;
use super::checkout::{choose_shipping, CheckoutRules};
use super::message::{MessageId, ShopText};
use super::ports::{StoreError, StoreResult};
use super::pricing::{totals, PricedLine, TaxLine, Totals};
use super::shipping::{quotes, ShippingMethod, ShippingQuote};
use super::validation::FieldErrors;
use super::Timestamp;

pub mod lines;
mod service;

pub use service::Carts;

/// Most units of one product a single cart line may hold.
pub const MAX_LINE_QUANTITY: i64 = 1000;
/// Most distinct lines in one cart.
pub const MAX_LINES: usize = 100;

/// Whose cart it is: a customer's, or a guest's who has no account (yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CartOwner {
    /// A customer, by email.
    Customer(String),
    /// A guest, by the random id their signed cookie carries.
    Guest(String),
}

impl CartOwner {
    /// What the store files the cart under: the email, or `guest:` and the
    /// id. No email can look like a guest key (emails have no `:`).
    pub fn key(&self) -> String {
        match self {
            Self::Customer(email) => email.clone(),
            Self::Guest(id) => format!("guest:{id}"),
        }
    }

    /// The email a cart view shows: the customer's; empty for a guest.
    pub fn email(&self) -> &str {
        match self {
            Self::Customer(email) => email,
            Self::Guest(_) => "",
        }
    }
}

/// The stored cart (the seed's `cart` collection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cart {
    /// The owner's key ([`CartOwner::key`]): a customer's email, or a guest's
    /// key; one cart each.
    pub email: String,
    /// The lines, in the order they were added.
    pub items: Vec<CartLine>,
    /// Where checkout delivers, unless it names another address.
    pub delivery_address: Option<Address>,
    /// When the cart was first written.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// The units of lines with these quantities (the header's badge).
fn units(quantities: impl Iterator<Item = i64>) -> u64 {
    quantities.map(|q| u64::try_from(q).unwrap_or(0)).sum()
}

impl Cart {
    /// How many units the cart holds.
    pub fn item_count(&self) -> u64 {
        units(self.items.iter().map(|l| l.quantity))
    }

    /// The products the lines name, in line order.
    pub fn product_ids(&self) -> Vec<String> {
        self.items.iter().map(|l| l.product_id.clone()).collect()
    }

    /// The product of the line of variant `variant_id`, if the cart has one.
    pub fn product_of(&self, variant_id: &str) -> Option<&str> {
        self.items
            .iter()
            .find(|l| l.variant_id == variant_id)
            .map(|l| l.product_id.as_str())
    }

    /// The line `id` names: the line of that variant, or else the one line
    /// of that product. A product with several lines is ambiguous.
    pub fn line_named(&self, id: &str) -> StoreResult<&CartLine> {
        if let Some(line) = self.items.iter().find(|l| l.variant_id == id) {
            return Ok(line);
        }
        let mut of_product = self.items.iter().filter(|l| l.product_id == id);
        match (of_product.next(), of_product.next()) {
            (Some(line), None) => Ok(line),
            (Some(_), Some(_)) => Err(StoreError::AmbiguousLine {
                product_id: id.to_owned(),
                variant_ids: self
                    .items
                    .iter()
                    .filter(|l| l.product_id == id)
                    .map(|l| l.variant_id.clone())
                    .collect(),
            }),
            (None, _) => Err(StoreError::CartLineNotFound {
                product_id: id.to_owned(),
            }),
        }
    }
}

/// One variant of a product in a cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartLine {
    /// The product (it may have been deleted since).
    pub product_id: String,
    /// The variant (it may have been archived since).
    pub variant_id: String,
    /// Units wanted.
    pub quantity: i64,
    /// When the line was first added.
    pub added_at: Timestamp,
}

/// The body of `POST /cart`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddToCart {
    /// The product to add.
    #[schema(
        pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    )]
    pub product_id: String,
    /// The variant to add; may be left out for a product without options.
    #[serde(default)]
    pub variant_id: Option<String>,
    /// Units to add; a line for the variant already in the cart grows by this many.
    #[schema(minimum = 1, maximum = 1000)]
    pub quantity: i64,
}

/// The body of `PUT /cart/{id}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetQuantity {
    /// 0 removes the line.
    #[schema(minimum = 0, maximum = 1000)]
    pub quantity: i64,
}

/// The body of `PUT /cart/address`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetAddress {
    /// Where to deliver the order: an address object, or (in the shop's
    /// own country) one line of text.
    pub delivery_address: AddressInput,
}

/// `quantity` if it is from 1 (0 when `allow_zero`) to [`MAX_LINE_QUANTITY`];
/// otherwise an error naming `quantity`.
pub fn check_quantity(quantity: i64, allow_zero: bool) -> Result<i64, FieldErrors> {
    let min = if allow_zero { 0 } else { 1 };
    if quantity < min || quantity > MAX_LINE_QUANTITY {
        return Err(FieldErrors::single(
            "quantity",
            ShopText::QuantityOutOfRange
                .arg("min", min)
                .arg("max", MAX_LINE_QUANTITY),
        ));
    }
    Ok(quantity)
}

/// The cart as shown to its owner, priced from the current catalog.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CartView {
    /// The cart's owner.
    pub email: String,
    /// One per line, in the order they were added.
    pub items: Vec<CartLineView>,
    /// Sum of the available lines, minor units.
    pub subtotal: i64,
    /// The shipping a checkout now would get (the default method, or the
    /// first that ships to the address); null when none ships there.
    pub shipping: Option<ShippingQuote>,
    /// Every shipping method that ships this cart to its address (or within
    /// the shop's country while there is none), with its price.
    pub shipping_options: Vec<ShippingQuote>,
    /// The tax in the cart, one line per rate.
    pub taxes: Vec<TaxLine>,
    /// Whether the prices include the taxes.
    pub prices_include_tax: bool,
    /// What checkout would charge: subtotal and shipping, plus the taxes
    /// unless prices include them.
    pub total: i64,
    /// ISO 4217 code of every amount.
    pub currency: String,
    /// Where checkout delivers unless it is sent another address; null when unset.
    pub delivery_address: Option<Address>,
    /// True when every line can be bought as it is.
    pub ready: bool,
    /// When the cart was first written; null when there is no cart yet.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub created_at: Option<Timestamp>,
    /// When the cart last changed; null when there is no cart yet.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub updated_at: Option<Timestamp>,
}

/// One cart line, priced from the current catalog.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CartLineView {
    /// The product the line names.
    pub product_id: String,
    /// The variant the line names.
    pub variant_id: String,
    /// Empty when the product no longer exists.
    pub name: String,
    /// The variant's option values, e.g. `M / blue`; empty for a product
    /// without options.
    pub variant: String,
    /// The variant's SKU; empty when the product no longer exists.
    pub sku: String,
    /// Price now, minor units; 0 when the product no longer exists.
    pub unit_price: i64,
    /// Units in the line.
    pub quantity: i64,
    /// `unit_price` × `quantity`, minor units.
    pub line_total: i64,
    /// The product's photo; empty when the product no longer exists.
    pub photo_url: String,
    /// Units of the variant in stock now.
    pub stock: i64,
    /// `false` when the product was deleted, the variant is no longer sold,
    /// or it has fewer units than the line.
    pub available: bool,
}

impl CartView {
    /// How many units the cart holds.
    pub fn item_count(&self) -> u64 {
        units(self.items.iter().map(|l| l.quantity))
    }

    /// Prices `cart` with `products` (looked up by id; missing ones were
    /// deleted), its shipping with `methods` and its taxes by `rules`.
    pub fn build(
        email: &str,
        cart: Option<&Cart>,
        products: &[Product],
        currency: &str,
        methods: &[ShippingMethod],
        rules: &CheckoutRules,
    ) -> Self {
        let mut items = Vec::new();
        let mut priced = Vec::new();
        if let Some(cart) = cart {
            for line in &cart.items {
                let product = products.iter().find(|p| p.id == line.product_id);
                let found = product.and_then(|p| p.variant(&line.variant_id).map(|v| (p, v)));
                let view = match found {
                    Some((p, v)) => {
                        let line_total = v.price.saturating_mul(line.quantity);
                        let available = v.is_active() && v.stock >= line.quantity;
                        if available {
                            priced.push((
                                PricedLine {
                                    amount: line_total,
                                    tax_class: p.tax_class,
                                },
                                p.weight_of(v).saturating_mul(line.quantity),
                            ));
                        }
                        CartLineView {
                            product_id: p.id.clone(),
                            variant_id: v.id.clone(),
                            name: p.name.clone(),
                            variant: p.variant_title(v),
                            sku: v.sku.clone(),
                            unit_price: v.price,
                            quantity: line.quantity,
                            line_total,
                            photo_url: p.photo_url.clone(),
                            stock: if v.is_active() { v.stock } else { 0 },
                            available,
                        }
                    }
                    None => CartLineView {
                        product_id: line.product_id.clone(),
                        variant_id: line.variant_id.clone(),
                        name: product.map(|p| p.name.clone()).unwrap_or_default(),
                        variant: String::new(),
                        sku: String::new(),
                        unit_price: 0,
                        quantity: line.quantity,
                        line_total: 0,
                        photo_url: String::new(),
                        stock: 0,
                        available: false,
                    },
                };
                items.push(view);
            }
        }
        let ready = !items.is_empty() && items.iter().all(|l| l.available);
        let address = cart.and_then(|c| c.delivery_address.clone());
        let country = address
            .as_ref()
            .map(|a| a.country.as_str())
            .filter(|c| !c.is_empty())
            .unwrap_or(rules.default_country.as_str());
        let lines: Vec<PricedLine> = priced.iter().map(|(l, _)| *l).collect();
        let subtotal = lines
            .iter()
            .fold(0i64, |sum, l| sum.saturating_add(l.amount));
        let weight = priced
            .iter()
            .fold(0i64, |sum, (_, w)| sum.saturating_add(*w));
        let shipping_options = quotes(methods, country, subtotal, weight);
        let shipping = choose_shipping(
            methods,
            None,
            rules.default_shipping.as_deref(),
            country,
            subtotal,
            weight,
        )
        .ok();
        let shipping_price = shipping.as_ref().map_or(0, |s| s.price);
        // Amounts a cart can hold never overflow (see the property below);
        // should they, the cart shows its lines' sum untaxed.
        let sums = totals(
            &lines,
            shipping_price,
            &rules.taxes,
            country,
            rules.prices_include_tax,
        )
        .unwrap_or(Totals {
            subtotal,
            shipping: shipping_price,
            taxes: Vec::new(),
            total: subtotal.saturating_add(shipping_price),
        });
        Self {
            email: email.to_owned(),
            items,
            subtotal: sums.subtotal,
            shipping,
            shipping_options,
            taxes: sums.taxes,
            prices_include_tax: rules.prices_include_tax,
            total: sums.total,
            currency: currency.to_owned(),
            delivery_address: address,
            ready,
            created_at: cart.map(|c| c.created_at),
            updated_at: cart.map(|c| c.updated_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_bounded() {
        assert!(check_quantity(0, false).is_err());
        assert!(check_quantity(0, true).is_ok());
        assert!(check_quantity(-1, true).is_err());
        assert!(check_quantity(MAX_LINE_QUANTITY + 1, false).is_err());
        assert_eq!(check_quantity(3, false), Ok(3));
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::catalog::MAX_PRICE;

    proptest! {
        /// The largest carts allowed never overflow their totals.
        #[test]
        fn totals_never_overflow(lines in proptest::collection::vec((0..=MAX_PRICE, 1..=MAX_LINE_QUANTITY), 0..=MAX_LINES)) {
            let at = crate::domain::now();
            let products: Vec<Product> = lines.iter().enumerate()
                .map(|(i, (price, q))| crate::domain::catalog::test_product(&format!("p{i}"), *price, *q))
                .collect();
            let cart = Cart {
                email: "a@b.co".into(),
                items: lines.iter().enumerate().map(|(i, (_, q))| CartLine { product_id: format!("p{i}"), variant_id: format!("p{i}"), quantity: *q, added_at: at }).collect(),
                delivery_address: None,
                created_at: at,
                updated_at: at,
            };
            let rules = CheckoutRules { prices_include_tax: true, ..CheckoutRules::default() };
            let view = CartView::build("a@b.co", Some(&cart), &products, "EUR", &[], &rules);
            let exact: i128 = lines.iter().map(|(p, q)| i128::from(*p) * i128::from(*q)).sum();
            prop_assert_eq!(i128::from(view.subtotal), exact);
            prop_assert_eq!(i128::from(view.total), exact);
            prop_assert!(view.items.iter().all(|l| l.available));
        }

        #[test]
        fn quantities_validate_or_name_the_field(q in any::<i64>()) {
            match check_quantity(q, false) {
                Ok(v) => prop_assert!((1..=MAX_LINE_QUANTITY).contains(&v)),
                Err(e) => prop_assert!(e.0.contains_key("quantity")),
            }
        }
    }
}
