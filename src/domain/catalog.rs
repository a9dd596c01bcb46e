//! Products and the rules a product must satisfy.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::accounts::Identity;
use super::audit::{self, snapshot};
use super::error::ShopResult;
use super::message::{MessageId, ShopText};
use super::photos::ProductPhoto;
use super::ports::{Store, StoreError};
use super::tax::TaxClass;
use super::validation::{text_field, FieldErrors};
use super::{new_id, now, Timestamp};

pub mod variants;

pub use variants::{ProductOption, Variant, VariantInput};

/// Highest accepted price in minor units (100 million in major units).
pub const MAX_PRICE: i64 = 10_000_000_000;
/// Highest accepted stock for one product.
pub const MAX_STOCK: i64 = 1_000_000;
/// Heaviest product or variant, in grams (a tonne).
pub const MAX_WEIGHT: i64 = 1_000_000;
/// At or below this many units (and above none) the shop tells shoppers
/// "only N left" instead of "N in stock".
pub const LOW_STOCK: i64 = 5;

/// One product's stock as it is now: what the live stock feed carries to
/// product pages and carts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StockLevel {
    /// The product.
    pub product_id: String,
    /// Units in stock; 0 as well when the product was deleted (none can be sold).
    pub stock: i64,
    /// Each variant's units in stock (sold ones only).
    pub variants: Vec<VariantStock>,
}

/// One variant's stock, within a [`StockLevel`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct VariantStock {
    /// The variant.
    pub variant_id: String,
    /// Units in stock.
    pub stock: i64,
}

impl StockLevel {
    /// The levels of `ids`, from the products found among them (in any
    /// order); an id without a product is at 0.
    pub fn of(ids: &[String], found: &[Product]) -> Vec<StockLevel> {
        let by_id: std::collections::HashMap<&str, &Product> =
            found.iter().map(|p| (p.id.as_str(), p)).collect();
        ids.iter()
            .map(|id| match by_id.get(id.as_str()) {
                Some(p) => StockLevel {
                    product_id: id.clone(),
                    stock: p.stock,
                    variants: p
                        .sold_variants()
                        .map(|v| VariantStock {
                            variant_id: v.id.clone(),
                            stock: v.stock,
                        })
                        .collect(),
                },
                None => StockLevel {
                    product_id: id.clone(),
                    stock: 0,
                    variants: Vec::new(),
                },
            })
            .collect()
    }
}

/// Whether `stock` is low enough for "only N left" ([`LOW_STOCK`]).
pub fn is_low_stock(stock: i64) -> bool {
    (1..=LOW_STOCK).contains(&stock)
}

/// A product in the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Product {
    /// Product id (a UUID).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Longer text shown on the product page; may be empty.
    pub description: String,
    /// Lowercase slug, e.g. `electronics`.
    pub category: String,
    /// Unit price in minor units (cents): what its variants cost unless
    /// they say otherwise.
    pub price: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// The first uploaded photo's URL; else an absolute http(s) URL or a
    /// path under `/static/`; may be empty.
    pub photo_url: String,
    /// Units in stock: the sum over the variants that are sold.
    pub stock: i64,
    /// The tax rate it pays: `standard` or `reduced` (food, books…).
    #[serde(default)]
    pub tax_class: TaxClass,
    /// Grams, for shipping priced by weight; a variant may weigh its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
    /// Up to three options (e.g. Size, Colour); none for a product sold one way.
    #[serde(default)]
    pub options: Vec<ProductOption>,
    /// What is sold: one variant per combination of option values (exactly
    /// one for a product without options), archived ones included.
    #[serde(default)]
    pub variants: Vec<Variant>,
    /// Uploaded photos, in the order shoppers see them.
    #[serde(default)]
    pub photos: Vec<ProductPhoto>,
    /// When the product was created.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// When the product was last changed.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

/// What a client sends to create or replace a product.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductInput {
    /// Display name; surrounding whitespace is trimmed.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
    /// Longer text for the product page; may be left out or empty.
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub description: String,
    /// Category slug; stored lowercased.
    #[schema(pattern = r"^[A-Za-z0-9-]{1,40}$", example = "home")]
    pub category: String,
    /// Minor units.
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    pub price: i64,
    /// Defaults to `shop.currency`.
    #[serde(default)]
    pub currency: Option<String>,
    /// Absolute http(s) URL or a path under `/static/`; may be left out or empty.
    #[serde(default)]
    #[schema(example = "/static/photos/ceramic-mug.svg")]
    pub photo_url: String,
    /// Units in stock of a product without options; left out when
    /// `variants` carry the stock.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub stock: Option<i64>,
    /// `standard` (the default) or `reduced`.
    #[serde(default)]
    pub tax_class: Option<TaxClass>,
    /// Grams (0 to 1,000,000), for shipping priced by weight.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub weight: Option<i64>,
    /// Up to three options with their values.
    #[serde(default)]
    pub options: Vec<ProductOption>,
    /// The combinations sold. Variants left out that the product had are
    /// archived (carts and orders keep naming them), not deleted.
    #[serde(default)]
    pub variants: Vec<VariantInput>,
}

/// A product's fields after validation (no id or timestamps yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductFields {
    /// Trimmed display name.
    pub name: String,
    /// Trimmed description.
    pub description: String,
    /// Lowercase category slug.
    pub category: String,
    /// Unit price in minor units.
    pub price: i64,
    /// ISO 4217 code, always the shop's.
    pub currency: String,
    /// Trimmed photo URL or path; may be empty.
    pub photo_url: String,
    /// Units in stock over the sold variants.
    pub stock: i64,
    /// Its tax class.
    pub tax_class: TaxClass,
    /// Grams, if known.
    pub weight: Option<i64>,
    /// The options.
    pub options: Vec<ProductOption>,
    /// Every variant, archived ones included.
    pub variants: Vec<Variant>,
}

impl ProductInput {
    /// Normalises the input and checks it against the shop's rules; the errors
    /// name every bad field, not just the first. `current` is the product
    /// being replaced (its variants and photos), `None` for a new one.
    pub fn validate(
        self,
        shop_currency: &str,
        current: Option<&Product>,
    ) -> Result<ProductFields, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = text_field(&mut errors, "name", &self.name, 1, 200, false);
        let description = text_field(&mut errors, "description", &self.description, 0, 5000, true);
        let category = self.category.trim().to_ascii_lowercase();
        if !is_category(&category) {
            errors.add("category", ShopText::CategoryInvalid);
        }
        if !(0..=MAX_PRICE).contains(&self.price) {
            errors.add("price", ShopText::PriceOutOfRange.arg("max", MAX_PRICE));
        }
        if let Some(stock) = self.stock {
            if !(0..=MAX_STOCK).contains(&stock) {
                errors.add("stock", ShopText::StockOutOfRange.arg("max", MAX_STOCK));
            }
        }
        let currency = self
            .currency
            .map(|c| c.trim().to_owned())
            .unwrap_or_else(|| shop_currency.to_owned());
        if currency != shop_currency {
            errors.add(
                "currency",
                ShopText::CurrencyNotSold.arg("currency", shop_currency),
            );
        }
        let photo_url = self.photo_url.trim().to_owned();
        if !photo_url.is_empty() && !is_photo_url(&photo_url) {
            errors.add("photo_url", ShopText::PhotoUrlInvalid);
        }
        if let Some(weight) = self.weight {
            if !(0..=MAX_WEIGHT).contains(&weight) {
                errors.add("weight", ShopText::WeightOutOfRange.arg("max", MAX_WEIGHT));
            }
        }
        let options = variants::validate_options(&mut errors, self.options);
        let variants = variants::resolve_variants(
            &mut errors,
            &options,
            self.variants,
            current.map_or(&[], |p| &p.variants),
            current.map_or(&[], |p| &p.photos),
            self.price.clamp(0, MAX_PRICE),
            self.stock,
        );
        errors.into_result(ProductFields {
            name,
            description,
            category,
            price: self.price,
            currency,
            photo_url,
            stock: sold_stock(&variants),
            tax_class: self.tax_class.unwrap_or_default(),
            weight: self.weight,
            options,
            variants,
        })
    }
}

/// Category slugs: what `GET /products/:category` accepts.
pub fn is_category(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 40
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn is_photo_url(text: &str) -> bool {
    if super::photos::is_photo_path(text) {
        return true; // an uploaded photo (the first one becomes photo_url)
    }
    if let Some(path) = text.strip_prefix("/static/") {
        return !path.is_empty()
            && !path.split('/').any(|seg| seg.is_empty() || seg == "..")
            && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    }
    match url::Url::parse(text) {
        Ok(url) => (url.scheme() == "http" || url.scheme() == "https") && url.host().is_some(),
        Err(_) => false,
    }
}

/// Units in stock over the variants that are sold.
pub fn sold_stock(variants: &[Variant]) -> i64 {
    variants
        .iter()
        .filter(|v| v.is_active())
        .map(|v| v.stock)
        .sum()
}

impl Product {
    /// The variant with this id, archived or not.
    pub fn variant(&self, id: &str) -> Option<&Variant> {
        self.variants.iter().find(|v| v.id == id)
    }

    /// The variants shoppers can buy.
    pub fn sold_variants(&self) -> impl Iterator<Item = &Variant> {
        self.variants.iter().filter(|v| v.is_active())
    }

    /// The one variant a product without options is sold as: what a cart
    /// line names when the client gives only the product.
    pub fn only_variant(&self) -> Option<&Variant> {
        let mut sold = self.sold_variants();
        match (self.options.is_empty(), sold.next(), sold.next()) {
            (true, Some(only), None) => Some(only),
            _ => None,
        }
    }

    /// The lowest and highest price of the variants sold (the product's
    /// price when none is).
    pub fn price_range(&self) -> (i64, i64) {
        self.sold_variants()
            .map(|v| v.price)
            .fold(None, |range, p| match range {
                None => Some((p, p)),
                Some((lo, hi)) => Some((p.min(lo), p.max(hi))),
            })
            .unwrap_or((self.price, self.price))
    }

    /// What one unit of `variant` weighs, in grams (0 when nobody said).
    pub fn weight_of(&self, variant: &Variant) -> i64 {
        variant.weight.or(self.weight).unwrap_or(0)
    }

    /// `M / blue`: a variant's values in the product's option order; empty
    /// for a product without options.
    pub fn variant_title(&self, variant: &Variant) -> String {
        self.options
            .iter()
            .filter_map(|o| variant.options.get(&o.name).map(String::as_str))
            .collect::<Vec<_>>()
            .join(" / ")
    }

    /// A new product from validated fields, created and updated `at`.
    pub fn from_fields(id: String, fields: ProductFields, at: Timestamp) -> Self {
        Self {
            id,
            name: fields.name,
            description: fields.description,
            category: fields.category,
            price: fields.price,
            currency: fields.currency,
            photo_url: fields.photo_url,
            stock: fields.stock,
            tax_class: fields.tax_class,
            weight: fields.weight,
            options: fields.options,
            variants: fields.variants,
            photos: Vec::new(),
            created_at: at,
            updated_at: at,
        }
    }
}

/// Catalog writes over the store (admins only: the caller checks the role),
/// each recorded in the audit log. The store's cache drops what a write
/// changes, so readers see it at once.
pub struct Catalog {
    store: Arc<dyn Store>,
    currency: String,
}

impl Catalog {
    /// Catalog writes on `store`; products without a currency get `currency`.
    pub fn new(store: Arc<dyn Store>, currency: &str) -> Self {
        Self {
            store,
            currency: currency.to_owned(),
        }
    }

    /// Adds a product.
    pub async fn create(&self, who: &Identity, input: ProductInput) -> ShopResult<Product> {
        let fields = input.validate(&self.currency, None)?;
        let product = Product::from_fields(new_id(), fields, now());
        self.store.insert_product(&product).await?;
        let target = format!("product:{}", product.id);
        audit::record(
            &*self.store,
            who,
            "product.create",
            &target,
            None,
            snapshot(&product),
        )
        .await?;
        Ok(product)
    }

    /// Replaces every field of product `id`.
    pub async fn replace(
        &self,
        who: &Identity,
        id: &str,
        input: ProductInput,
    ) -> ShopResult<Product> {
        let not_found = || StoreError::ProductNotFound {
            product_id: id.to_owned(),
        };
        let current = self.store.get_product(id).await?.ok_or_else(not_found)?;
        let current = current.value();
        let mut fields = input.validate(&self.currency, Some(current))?;
        if !current.photos.is_empty() {
            // Uploaded photos lead; an external link waits until they are gone.
            fields.photo_url = current.photo_url.clone();
        }
        let before = snapshot(current);
        let saved = self
            .store
            .replace_product(id, &fields, now())
            .await?
            .ok_or_else(not_found)?;
        let target = format!("product:{id}");
        audit::record(
            &*self.store,
            who,
            "product.update",
            &target,
            before,
            snapshot(&saved),
        )
        .await?;
        Ok(saved)
    }

    /// Deletes product `id`; carts keep its line, shown as unavailable.
    pub async fn delete(&self, who: &Identity, id: &str) -> ShopResult<()> {
        let not_found = || StoreError::ProductNotFound {
            product_id: id.to_owned(),
        };
        let before = self.store.get_product(id).await?.ok_or_else(not_found)?;
        if !self.store.delete_product(id).await? {
            return Err(not_found().into());
        }
        let target = format!("product:{id}");
        audit::record(
            &*self.store,
            who,
            "product.delete",
            &target,
            snapshot(before.value()),
            None,
        )
        .await?;
        Ok(())
    }
}

/// A product sold one way, whose variant has the product's id: for tests
/// of the rules that use products.
#[cfg(test)]
pub(crate) fn test_product(id: &str, price: i64, stock: i64) -> Product {
    let at = now();
    Product {
        id: id.into(),
        name: id.into(),
        description: String::new(),
        category: "home".into(),
        price,
        currency: "EUR".into(),
        photo_url: String::new(),
        stock,
        tax_class: TaxClass::Standard,
        weight: None,
        options: Vec::new(),
        variants: vec![Variant {
            id: id.into(),
            sku: id.to_ascii_uppercase(),
            options: Default::default(),
            price,
            stock,
            weight: None,
            photo_id: None,
            archived: false,
        }],
        photos: Vec::new(),
        created_at: at,
        updated_at: at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stock_levels_name_every_id_and_missing_products_are_at_zero() {
        let fields = ProductInput {
            stock: Some(7),
            ..input()
        }
        .validate("EUR", None)
        .expect("valid");
        let lamp = Product::from_fields(new_id(), fields, now());
        let ids = vec!["gone".to_owned(), lamp.id.clone()];
        let levels = StockLevel::of(&ids, std::slice::from_ref(&lamp));
        assert_eq!(
            levels,
            vec![
                StockLevel {
                    product_id: "gone".into(),
                    stock: 0,
                    variants: vec![],
                },
                StockLevel {
                    variants: vec![VariantStock {
                        variant_id: lamp.variants[0].id.clone(),
                        stock: 7
                    }],
                    product_id: lamp.id,
                    stock: 7,
                },
            ]
        );
        assert!(!is_low_stock(0));
        assert!(is_low_stock(1) && is_low_stock(LOW_STOCK));
        assert!(!is_low_stock(LOW_STOCK + 1));
    }

    fn input() -> ProductInput {
        ProductInput {
            name: "Lamp".into(),
            description: "A lamp".into(),
            category: "Home".into(),
            price: 1999,
            currency: None,
            photo_url: "/static/photos/lamp.svg".into(),
            stock: Some(3),
            tax_class: None,
            weight: None,
            options: Vec::new(),
            variants: Vec::new(),
        }
    }

    #[test]
    fn valid_input_is_normalised() {
        let fields = input().validate("EUR", None).expect("valid");
        assert_eq!(fields.category, "home");
        assert_eq!(fields.currency, "EUR");
    }

    #[test]
    fn each_bad_field_is_named() {
        let bad = ProductInput {
            name: " ".into(),
            category: "no spaces".into(),
            price: -1,
            stock: Some(MAX_STOCK + 1),
            currency: Some("USD".into()),
            photo_url: "javascript:alert(1)".into(),
            ..input()
        };
        let errors = bad.validate("EUR", None).expect_err("invalid");
        for field in [
            "name",
            "category",
            "price",
            "stock",
            "currency",
            "photo_url",
        ] {
            assert!(errors.0.contains_key(field), "{field} not reported");
        }
    }

    #[test]
    fn photo_paths_cannot_escape_static() {
        assert!(is_photo_url("/static/photos/a.svg"));
        assert!(!is_photo_url("/static/../config/tienda.toml"));
        assert!(!is_photo_url("/etc/passwd"));
        assert!(is_photo_url("https://cdn.example.com/a.jpg"));
        assert!(!is_photo_url("ftp://cdn.example.com/a.jpg"));
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    const FIELDS: [&str; 8] = [
        "name",
        "description",
        "category",
        "price",
        "stock",
        "currency",
        "photo_url",
        "weight",
    ];

    proptest! {
        /// Any input either validates into in-range fields or is refused with
        /// errors that name real fields.
        #[test]
        fn any_input_validates_or_names_its_fields(
            name in ".{0,220}",
            description in ".{0,50}",
            category in "[a-zA-Z0-9 _-]{0,45}",
            price in any::<i64>(),
            stock in proptest::option::of(any::<i64>()),
            currency in proptest::option::of("[A-Z]{2,4}"),
            photo_url in prop_oneof![Just(String::new()), "/static/[a-z/.]{0,20}", "https?://[a-z.]{1,20}/[a-z]{0,10}", ".{0,30}"],
            weight in proptest::option::of(any::<i64>()),
        ) {
            let input = ProductInput { name, description, category, price, currency, photo_url, stock, tax_class: None, weight, options: Vec::new(), variants: Vec::new() };
            match input.validate("EUR", None) {
                Ok(f) => {
                    prop_assert!((0..=MAX_PRICE).contains(&f.price));
                    prop_assert!((0..=MAX_STOCK).contains(&f.stock));
                    prop_assert!(f.weight.is_none_or(|w| (0..=MAX_WEIGHT).contains(&w)));
                    prop_assert_eq!(f.variants.len(), 1);
                    prop_assert!(is_category(&f.category));
                    prop_assert!(!f.name.is_empty());
                    prop_assert_eq!(f.currency, "EUR");
                }
                Err(errors) => {
                    prop_assert!(!errors.is_empty());
                    for field in errors.0.keys() {
                        prop_assert!(FIELDS.contains(&field.as_str()), "unknown field {}", field);
                    }
                }
            }
        }
    }
}
