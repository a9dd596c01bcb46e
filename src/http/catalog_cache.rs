//! Catalog answers kept ready to send. Catalog reads far outnumber writes, so
//! list pages and single products are cached as serialized JSON and dropped
//! wholesale whenever anything that changes a product happens (product
//! writes, checkouts, cancellations). Only for a store that this process owns
//! (SQLite): with a shared store another instance could change stock unseen,
//! so the cache stays off there.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;

use crate::domain::catalog::Product;

/// Most entries kept; past this the cache starts over.
const MAX_ENTRIES: usize = 1024;

#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// `(category, offset, limit)`
    List(Option<String>, u64, u64),
    Product(String),
}

#[derive(Clone)]
pub struct Cached {
    pub json: Bytes,
    /// For product entries, the product itself (the HTML page needs it).
    pub product: Option<Arc<Product>>,
}

pub struct CatalogCache {
    enabled: bool,
    generation: AtomicU64,
    entries: Mutex<HashMap<Key, (u64, Cached)>>,
}

impl CatalogCache {
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            generation: AtomicU64::new(0),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The generation to pass to [`CatalogCache::put`]; read it before
    /// reading the store, so a write in between makes the entry stale.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn get(&self, key: &Key) -> Option<Cached> {
        if !self.enabled {
            return None;
        }
        let current = self.generation();
        let entries = self.entries.lock().ok()?;
        match entries.get(key) {
            Some((generation, cached)) if *generation == current => Some(cached.clone()),
            _ => None,
        }
    }

    pub fn put(&self, key: Key, generation: u64, cached: Cached) {
        if !self.enabled || generation != self.generation() {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(key, (generation, cached));
        }
    }

    /// Something that shows in the catalog changed: forget everything.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cached(text: &'static str) -> Cached {
        Cached {
            json: Bytes::from_static(text.as_bytes()),
            product: None,
        }
    }

    #[test]
    fn a_write_during_a_read_makes_the_entry_stale() {
        let cache = CatalogCache::new(true);
        let key = Key::List(None, 0, 50);
        let g = cache.generation();
        cache.invalidate(); // a write lands while the read is in flight
        cache.put(key.clone(), g, cached("old"));
        assert!(cache.get(&key).is_none());
        let g = cache.generation();
        cache.put(key.clone(), g, cached("new"));
        assert_eq!(
            cache.get(&key).map(|c| c.json),
            Some(Bytes::from_static(b"new"))
        );
        cache.invalidate();
        assert!(cache.get(&key).is_none());
    }

    #[test]
    fn disabled_cache_keeps_nothing() {
        let cache = CatalogCache::new(false);
        cache.put(Key::Product("p".into()), 0, cached("x"));
        assert!(cache.get(&Key::Product("p".into())).is_none());
    }
}
