//! Product pages as a visitor without a session or a cart sees them (most
//! catalog traffic: shoppers arriving from links, crawlers), kept until the
//! product changes, so that traffic skips the template.

use std::sync::Arc;

use axum::body::Bytes;
use moka::sync::Cache;

use crate::domain::catalog::Product;
use crate::domain::shared::Shared;
use crate::i18n::Locale;

/// Rendered product pages by product id and language.
pub struct ProductPages {
    pages: Cache<(String, Locale), Arc<Rendered>>,
}

struct Rendered {
    /// The product value the page shows; held, so that a new value (a
    /// change) is never mistaken for it.
    product: Arc<Shared<Product>>,
    html: Bytes,
}

impl ProductPages {
    /// At most `max_bytes` of pages.
    pub fn new(max_bytes: u64) -> Self {
        let pages = Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|_, page: &Arc<Rendered>| u32::try_from(page.html.len()).unwrap_or(u32::MAX))
            .build();
        Self { pages }
    }

    /// The page of `product` in `locale`, if it was made from this very
    /// value: the store's cache hands out a new value after every change
    /// (stock included), on every instance.
    pub fn get(&self, product: &Arc<Shared<Product>>, locale: Locale) -> Option<Bytes> {
        let found = self
            .pages
            .get(&(product.id.clone(), locale))
            .filter(|page| Arc::ptr_eq(&page.product, product))
            .map(|page| page.html.clone());
        crate::services::metrics::cache_lookup("product_pages", found.is_some());
        found
    }

    /// Keeps `html`, the page of `product` in `locale`.
    pub fn keep(&self, product: &Arc<Shared<Product>>, locale: Locale, html: Bytes) {
        let page = Rendered {
            product: product.clone(),
            html,
        };
        self.pages
            .insert((product.id.clone(), locale), Arc::new(page));
    }
}
