//! Product search and catalog filters: what a shopper may ask for, checked
//! once, and what an answer holds. The index that answers is a service
//! (`services::search`); this module is its contract.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use utoipa::ToSchema;

use super::catalog::{is_category, Product};
use super::message::{MessageId, ShopText};
use super::validation::FieldErrors;
use super::{truncate, Page};

/// Longest search text accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Most names `suggest` answers.
pub const MAX_SUGGESTIONS: usize = 8;

/// The order of a result list.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[strum(serialize_all = "snake_case")]
pub enum Sort {
    /// Best match first (search text given); creation order otherwise.
    #[default]
    Relevance,
    /// Cheapest first.
    PriceAsc,
    /// Dearest first.
    PriceDesc,
    /// Most recently created first.
    Newest,
    /// By name, A to Z (case and accents ignored).
    Name,
}

impl Sort {
    /// Every accepted value, for messages and the API document.
    pub fn names() -> Vec<&'static str> {
        <Self as strum::VariantArray>::VARIANTS
            .iter()
            .map(|s| s.into())
            .collect()
    }
}

/// Which products a list may hold, besides the search text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ProductFilter {
    /// Only this category.
    pub category: Option<String>,
    /// Lowest price, minor units, inclusive.
    pub min_price: Option<i64>,
    /// Highest price, minor units, inclusive.
    pub max_price: Option<i64>,
    /// Only products with stock left.
    pub in_stock: bool,
}

impl ProductFilter {
    /// Whether `product` passes every filter but the category one (facet
    /// counts show the other categories too).
    pub fn admits_in_any_category(&self, product: &Product) -> bool {
        self.min_price.is_none_or(|min| product.price >= min)
            && self.max_price.is_none_or(|max| product.price <= max)
            && (!self.in_stock || product.stock > 0)
    }

    /// Whether `product` passes every filter.
    pub fn admits(&self, product: &Product) -> bool {
        self.category
            .as_ref()
            .is_none_or(|c| &product.category == c)
            && self.admits_in_any_category(product)
    }
}

/// The parameters of a search or a filtered list, as the client sent them
/// (text): [`SearchParams::parse`] checks them all and names each bad one.
#[derive(Debug, Clone, Default)]
pub struct SearchParams<'a> {
    /// Search text; empty or absent lists the catalog.
    pub q: Option<&'a str>,
    /// Category slug.
    pub category: Option<&'a str>,
    /// Lowest price in minor units.
    pub min_price: Option<&'a str>,
    /// Highest price in minor units.
    pub max_price: Option<&'a str>,
    /// `true`/`false` (also `1`/`0`, `on`).
    pub in_stock: Option<&'a str>,
    /// One of [`Sort`]'s names.
    pub sort: Option<&'a str>,
}

/// A checked search: text (possibly empty), filters, order and page.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SearchRequest {
    /// The search text, trimmed; empty lists the catalog.
    pub text: String,
    /// Filters.
    pub filter: ProductFilter,
    /// Order of the answer.
    pub sort: Sort,
    /// Which part of the answer.
    pub page: Page,
}

impl SearchParams<'_> {
    /// Checks every parameter; the errors name each bad one.
    pub fn parse(&self, page: Page) -> Result<SearchRequest, FieldErrors> {
        let mut errors = FieldErrors::default();
        let text = self.q.unwrap_or("").trim().to_owned();
        if text.chars().count() > MAX_QUERY_CHARS {
            errors.add("q", ShopText::SearchTooLong.arg("max", MAX_QUERY_CHARS));
        }
        let category = match self.category.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) if !is_category(c) => {
                errors.add(
                    "category",
                    ShopText::CategoryUnknown.arg("text", truncate(c, 64)),
                );
                None
            }
            other => other.map(str::to_owned),
        };
        let min_price = price(&mut errors, "min_price", self.min_price);
        let max_price = price(&mut errors, "max_price", self.max_price);
        if let (Some(min), Some(max)) = (min_price, max_price) {
            if min > max {
                errors.add(
                    "min_price",
                    ShopText::MinAboveMax.arg("min", min).arg("max", max),
                );
            }
        }
        let in_stock = match self.in_stock.map(str::trim) {
            None | Some("") | Some("false") | Some("0") => false,
            Some("true") | Some("1") | Some("on") => true,
            Some(other) => {
                errors.add(
                    "in_stock",
                    ShopText::NotABoolean.arg("text", truncate(other, 32)),
                );
                false
            }
        };
        let sort = match self.sort.map(str::trim).filter(|s| !s.is_empty()) {
            None => Sort::default(),
            Some(s) => s.parse().unwrap_or_else(|_| {
                errors.add(
                    "sort",
                    ShopText::SortUnknown
                        .arg("text", truncate(s, 32))
                        .arg("orders", Sort::names().join(", ")),
                );
                Sort::default()
            }),
        };
        errors.into_result(SearchRequest {
            text,
            filter: ProductFilter {
                category,
                min_price,
                max_price,
                in_stock,
            },
            sort,
            page,
        })
    }
}

/// A price parameter: whole minor units, zero or more.
fn price(errors: &mut FieldErrors, field: &str, text: Option<&str>) -> Option<i64> {
    let text = text.map(str::trim).filter(|t| !t.is_empty())?;
    match text.parse::<i64>() {
        Ok(p) if p >= 0 => Some(p),
        Ok(_) => {
            errors.add(field, ShopText::Negative);
            None
        }
        Err(_) => {
            errors.add(
                field,
                ShopText::NotMinorUnits.arg("text", truncate(text, 32)),
            );
            None
        }
    }
}

/// One product in a search answer, with the words of it that matched.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchHit {
    /// The product, as `GET /products/{id}` shows it.
    #[serde(flatten)]
    #[schema(value_type = Product)]
    pub product: Arc<Product>,
    /// Per field (`name`, `category`, `description`), the words of the
    /// product's text that matched the search, as written there.
    #[schema(value_type = Object)]
    pub matched: BTreeMap<&'static str, Vec<String>>,
}

/// Facet counts of an answer.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Facets {
    /// Products per category matching the text and every filter but the
    /// category one, so a shopper sees where else to look.
    pub category: BTreeMap<String, u64>,
}

/// One page of a search or filtered list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchResults {
    /// The page of products.
    pub items: Vec<SearchHit>,
    /// Every product that matched (all pages).
    pub total: u64,
    /// Items skipped before this page.
    pub offset: u64,
    /// Most items on this page.
    pub limit: u64,
    /// Counts per facet.
    pub facets: Facets,
}

/// A product name offered while the shopper types.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Suggestion {
    /// The product id (its page is `/products/{id}`).
    pub id: String,
    /// The product's name.
    pub name: String,
}

/// What answers searches: the embedded index, kept current from the store.
pub trait ProductSearch: Send + Sync {
    /// The page of products matching `request`, with facet counts.
    fn search(&self, request: &SearchRequest) -> Arc<SearchResults>;
    /// Up to [`MAX_SUGGESTIONS`] products whose names match `text` as typed.
    fn suggest(&self, text: &str) -> Vec<Suggestion>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(p: SearchParams) -> Result<SearchRequest, FieldErrors> {
        p.parse(Page::default())
    }

    #[test]
    fn every_bad_parameter_is_named() {
        let long = "x".repeat(MAX_QUERY_CHARS + 1);
        let errors = parse(SearchParams {
            q: Some(&long),
            category: Some("Not A Slug"),
            min_price: Some("-1"),
            max_price: Some("ten"),
            in_stock: Some("maybe"),
            sort: Some("cheapest"),
        })
        .unwrap_err();
        let named: Vec<&str> = errors.0.keys().map(String::as_str).collect();
        assert_eq!(
            named,
            [
                "category",
                "in_stock",
                "max_price",
                "min_price",
                "q",
                "sort"
            ]
        );
    }

    #[test]
    fn min_above_max_is_refused_and_defaults_fill_in() {
        let errors = parse(SearchParams {
            min_price: Some("500"),
            max_price: Some("100"),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(
            errors.0["min_price"][0],
            ShopText::MinAboveMax.arg("min", 500i64).arg("max", 100i64)
        );
        let ok = parse(SearchParams {
            q: Some("  café  "),
            sort: Some("price_desc"),
            in_stock: Some("on"),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(ok.text, "café");
        assert_eq!(ok.sort, Sort::PriceDesc);
        assert!(ok.filter.in_stock);
        assert_eq!(ok.filter.category, None);
    }
}
