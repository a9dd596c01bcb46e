//! Options (Size: S, M, L) and the variants a product is sold as: each
//! combination of option values that is sold, with its own SKU, price and
//! stock. A product without options is sold as exactly one variant.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{MAX_PRICE, MAX_STOCK, MAX_WEIGHT};
use crate::domain::message::{MessageId, ShopText};
use crate::domain::new_id;
use crate::domain::photos::ProductPhoto;
use crate::domain::validation::{text_field, FieldErrors};

/// Most options one product has.
pub const MAX_OPTIONS: usize = 3;
/// Most values one option has.
pub const MAX_OPTION_VALUES: usize = 30;
/// Most variants one product has, archived ones included.
pub const MAX_VARIANTS: usize = 100;
/// Longest SKU.
pub const MAX_SKU: usize = 64;

/// One of a product's options and the values it comes in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductOption {
    /// E.g. `Size`; unique within the product.
    #[schema(min_length = 1, max_length = 40, example = "Size")]
    pub name: String,
    /// E.g. `S`, `M`, `L`, in the order shoppers see them.
    #[schema(min_items = 1, max_items = 30)]
    pub values: Vec<String>,
}

/// One combination of option values as it is sold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Variant {
    /// Variant id (a UUID); what cart lines and order items name.
    pub id: String,
    /// Stock keeping unit, unique across the shop.
    pub sku: String,
    /// The value of each of the product's options, by option name; empty
    /// for the one variant of a product without options.
    pub options: BTreeMap<String, String>,
    /// Unit price in minor units.
    pub price: i64,
    /// Units in stock.
    pub stock: i64,
    /// Grams, when it weighs other than its product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
    /// One of the product's photos, shown when this variant is chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo_id: Option<String>,
    /// Removed by an admin: kept for the carts and orders that name it,
    /// never sold again.
    #[serde(default)]
    pub archived: bool,
}

impl Variant {
    /// Whether shoppers can buy it (not archived).
    pub fn is_active(&self) -> bool {
        !self.archived
    }
}

/// A variant as a client sends it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariantInput {
    /// The variant to change; left out for a new one (or to match an
    /// existing variant by its options).
    #[serde(default)]
    pub id: Option<String>,
    /// Generated when left out.
    #[serde(default)]
    #[schema(pattern = r"^[A-Za-z0-9._-]{1,64}$", example = "TEE-M-BLUE")]
    pub sku: Option<String>,
    /// A value for every option of the product, by option name.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// Minor units; defaults to the product's price.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    pub price: Option<i64>,
    /// Units in stock.
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub stock: i64,
    /// Grams, when it weighs other than its product.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub weight: Option<i64>,
    /// One of the product's uploaded photos.
    #[serde(default)]
    pub photo_id: Option<String>,
}

/// Whether `text` is a SKU: 1 to [`MAX_SKU`] letters, digits, `.`, `_`, `-`.
pub fn is_sku(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_SKU
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The SKU a variant gets when none is given: the random tail of its id.
fn generated_sku(variant_id: &str) -> String {
    let tail = &variant_id[variant_id.len().saturating_sub(12)..];
    tail.to_ascii_uppercase()
}

/// Checks the options a client sent: at most [`MAX_OPTIONS`], names and
/// values trimmed, non-empty and unique (ignoring case).
pub fn validate_options(
    errors: &mut FieldErrors,
    options: Vec<ProductOption>,
) -> Vec<ProductOption> {
    if options.len() > MAX_OPTIONS {
        errors.add("options", ShopText::TooMany.arg("max", MAX_OPTIONS));
    }
    let mut names = HashSet::new();
    options
        .into_iter()
        .enumerate()
        .map(|(i, option)| {
            let field = format!("options[{i}].name");
            let name = text_field(errors, &field, &option.name, 1, 40, false);
            if !names.insert(name.to_lowercase()) {
                errors.add(&field, ShopText::Repeated.arg("text", name.as_str()));
            }
            let field = format!("options[{i}].values");
            if option.values.is_empty() {
                errors.add(&field, ShopText::TextEmpty);
            } else if option.values.len() > MAX_OPTION_VALUES {
                errors.add(&field, ShopText::TooMany.arg("max", MAX_OPTION_VALUES));
            }
            let mut seen = HashSet::new();
            let values = option
                .values
                .iter()
                .enumerate()
                .map(|(j, value)| {
                    let field = format!("options[{i}].values[{j}]");
                    let value = text_field(errors, &field, value, 1, 40, false);
                    if !seen.insert(value.to_lowercase()) {
                        errors.add(&field, ShopText::Repeated.arg("text", value.as_str()));
                    }
                    value
                })
                .collect();
            ProductOption { name, values }
        })
        .collect()
}

/// The variants a product has after a create or a replace.
///
/// `current` are the variants it has now (none for a new product). Each
/// input variant updates the current one it names by `id`, or else the
/// current one with the same option values or SKU, or becomes a new one.
/// Current variants the input leaves out are archived, never deleted, so
/// carts and orders that name them keep working. A product without options
/// whose input names no variants gets (or keeps) its one default variant
/// at `price` and `stock`.
pub fn resolve_variants(
    errors: &mut FieldErrors,
    options: &[ProductOption],
    input: Vec<VariantInput>,
    current: &[Variant],
    photos: &[ProductPhoto],
    price: i64,
    stock: Option<i64>,
) -> Vec<Variant> {
    let input = if input.is_empty() && options.is_empty() {
        match stock {
            Some(stock) => vec![VariantInput {
                id: None,
                sku: None,
                options: BTreeMap::new(),
                price: Some(price),
                // Out of range is reported for `stock` itself.
                stock: stock.clamp(0, MAX_STOCK),
                weight: None,
                photo_id: None,
            }],
            None => {
                errors.add("stock", ShopText::TextEmpty);
                return current.to_vec();
            }
        }
    } else {
        input
    };
    if input.is_empty() {
        errors.add("variants", ShopText::TextEmpty);
    }
    let mut claimed: HashSet<&str> = HashSet::new();
    let mut skus = HashSet::new();
    let mut combinations = HashSet::new();
    let mut resolved = Vec::with_capacity(input.len() + current.len());
    for (i, v) in input.into_iter().enumerate() {
        let field = |name: &str| format!("variants[{i}].{name}");
        check_combination(errors, &field("options"), options, &v.options);
        if !combinations.insert(v.options.clone()) {
            errors.add(
                &field("options"),
                ShopText::Repeated.arg("text", describe(&v.options)),
            );
        }
        let sku = v.sku.as_deref().map(str::trim);
        let matched = match v.id.as_deref() {
            Some(id) => {
                let found = current.iter().find(|c| c.id == id);
                if found.is_none() {
                    errors.add(&field("id"), ShopText::VariantUnknown.arg("text", id));
                }
                found
            }
            None => current.iter().find(|c| {
                !claimed.contains(c.id.as_str())
                    && (c.options == v.options || sku.is_some_and(|s| s == c.sku))
            }),
        };
        if let Some(found) = matched {
            if !claimed.insert(found.id.as_str()) {
                errors.add(
                    &field("id"),
                    ShopText::Repeated.arg("text", found.id.as_str()),
                );
            }
        }
        let id = matched.map_or_else(new_id, |c| c.id.clone());
        let sku = match sku {
            Some(sku) => sku.to_ascii_uppercase(),
            None => matched.map_or_else(|| generated_sku(&id), |c| c.sku.clone()),
        };
        if !is_sku(&sku) {
            errors.add(&field("sku"), ShopText::SkuInvalid.arg("max", MAX_SKU));
        } else if !skus.insert(sku.to_ascii_lowercase()) {
            errors.add(&field("sku"), ShopText::Repeated.arg("text", sku.as_str()));
        }
        let price = v.price.unwrap_or(price);
        if !(0..=MAX_PRICE).contains(&price) {
            errors.add(
                &field("price"),
                ShopText::PriceOutOfRange.arg("max", MAX_PRICE),
            );
        }
        if !(0..=MAX_STOCK).contains(&v.stock) {
            errors.add(
                &field("stock"),
                ShopText::StockOutOfRange.arg("max", MAX_STOCK),
            );
        }
        if let Some(weight) = v.weight {
            if !(0..=MAX_WEIGHT).contains(&weight) {
                errors.add(
                    &field("weight"),
                    ShopText::WeightOutOfRange.arg("max", MAX_WEIGHT),
                );
            }
        }
        if let Some(photo) = &v.photo_id {
            if !photos.iter().any(|p| &p.id == photo) {
                errors.add(
                    &field("photo_id"),
                    ShopText::PhotoUnknown.arg("text", photo.as_str()),
                );
            }
        }
        resolved.push(Variant {
            id,
            sku,
            options: v.options,
            price,
            stock: v.stock,
            weight: v.weight,
            photo_id: v.photo_id,
            archived: false,
        });
    }
    for old in current.iter().filter(|c| !claimed.contains(c.id.as_str())) {
        if skus.contains(&old.sku.to_ascii_lowercase()) {
            // Its SKU went to a new variant: the archived one keeps its id
            // for carts and orders, under a SKU nobody typed.
            resolved.push(Variant {
                sku: generated_sku(&new_id()),
                archived: true,
                ..old.clone()
            });
        } else {
            resolved.push(Variant {
                archived: true,
                ..old.clone()
            });
        }
    }
    if resolved.len() > MAX_VARIANTS {
        errors.add("variants", ShopText::TooMany.arg("max", MAX_VARIANTS));
    }
    resolved
}

/// Checks that `values` names every option once, with one of its values.
fn check_combination(
    errors: &mut FieldErrors,
    field: &str,
    options: &[ProductOption],
    values: &BTreeMap<String, String>,
) {
    let fits = values.len() == options.len()
        && options.iter().all(|o| {
            values
                .get(&o.name)
                .is_some_and(|value| o.values.contains(value))
        });
    if !fits {
        let names: Vec<&str> = options.iter().map(|o| o.name.as_str()).collect();
        errors.add(
            field,
            ShopText::OptionsMismatch.arg("options", names.join(", ")),
        );
    }
}

/// `Size=M, Colour=blue`, for messages.
fn describe(values: &BTreeMap<String, String>) -> String {
    values
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size_colour() -> Vec<ProductOption> {
        vec![
            ProductOption {
                name: "Size".into(),
                values: vec!["S".into(), "M".into()],
            },
            ProductOption {
                name: "Colour".into(),
                values: vec!["red".into(), "blue".into()],
            },
        ]
    }

    fn input(size: &str, colour: &str, stock: i64) -> VariantInput {
        VariantInput {
            id: None,
            sku: None,
            options: [
                ("Size".into(), size.into()),
                ("Colour".into(), colour.into()),
            ]
            .into(),
            price: None,
            stock,
            weight: None,
            photo_id: None,
        }
    }

    #[test]
    fn a_product_without_options_has_one_default_variant() {
        let mut errors = FieldErrors::default();
        let v = resolve_variants(&mut errors, &[], vec![], &[], &[], 500, Some(3));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(v.len(), 1);
        assert_eq!((v[0].price, v[0].stock, v[0].options.len()), (500, 3, 0));
        assert!(is_sku(&v[0].sku));
        // Replacing keeps the same variant (carts and orders name it).
        let again = resolve_variants(&mut errors, &[], vec![], &v, &[], 700, Some(1));
        assert_eq!(again.len(), 1);
        assert_eq!(
            (again[0].id.as_str(), again[0].price),
            (v[0].id.as_str(), 700)
        );
    }

    #[test]
    fn removed_variants_are_archived_and_matching_options_keep_their_id() {
        let mut errors = FieldErrors::default();
        let options = size_colour();
        let first = resolve_variants(
            &mut errors,
            &options,
            vec![input("S", "red", 1), input("M", "blue", 2)],
            &[],
            &[],
            900,
            None,
        );
        assert!(errors.is_empty(), "{errors:?}");
        let second = resolve_variants(
            &mut errors,
            &options,
            vec![input("M", "blue", 5)],
            &first,
            &[],
            900,
            None,
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(second.len(), 2);
        assert_eq!(second[0].id, first[1].id);
        assert_eq!(second[0].stock, 5);
        assert!(second[1].archived && second[1].id == first[0].id);
    }

    #[test]
    fn each_bad_variant_field_is_named() {
        let mut errors = FieldErrors::default();
        let options = size_colour();
        let mut bad = input("XL", "red", -1);
        bad.sku = Some("has space".into());
        bad.price = Some(-5);
        bad.photo_id = Some("nope".into());
        let mut twin = input("S", "red", 1);
        twin.sku = Some("A".into());
        let mut twin2 = input("S", "red", 1);
        twin2.sku = Some("a".into());
        let mut foreign = input("M", "red", 1);
        foreign.id = Some(new_id());
        resolve_variants(
            &mut errors,
            &options,
            vec![bad, twin, twin2, foreign],
            &[],
            &[],
            100,
            None,
        );
        for field in [
            "variants[0].options",
            "variants[0].sku",
            "variants[0].price",
            "variants[0].stock",
            "variants[0].photo_id",
            "variants[2].options",
            "variants[2].sku",
            "variants[3].id",
        ] {
            assert!(
                errors.0.contains_key(field),
                "{field} not named: {errors:?}"
            );
        }
    }

    #[test]
    fn options_are_limited_and_unique() {
        let mut errors = FieldErrors::default();
        let repeated = ProductOption {
            name: "size".into(),
            values: vec!["S".into(), "s".into()],
        };
        let many: Vec<ProductOption> = [size_colour(), vec![repeated.clone(), repeated]].concat();
        validate_options(&mut errors, many);
        for field in ["options", "options[2].name", "options[2].values[1]"] {
            assert!(
                errors.0.contains_key(field),
                "{field} not named: {errors:?}"
            );
        }
    }
}
