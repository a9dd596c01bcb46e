//! A read-through cache that a write can never leave stale: every entry
//! carries the version it was read under, and a write moves the version on
//! once it has finished, so an entry read before (or during) the write is
//! never served after it, even if its slow read inserts it afterwards.

use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Entries of type `V` by key `K`, dropped together by [`Versioned::invalidate`].
pub struct Versioned<K, V> {
    /// The `cache` label of its lookups in the metrics.
    name: &'static str,
    entries: moka::sync::Cache<K, (u64, V)>,
    version: AtomicU64,
}

impl<K, V> Versioned<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// Keeps at most `capacity` entries, each for at most `ttl`; `name`
    /// tells its hits and misses apart from other caches' in the metrics.
    pub fn new(name: &'static str, capacity: u64, ttl: Duration) -> Self {
        Self {
            name,
            entries: moka::sync::Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl)
                .build(),
            version: AtomicU64::new(0),
        }
    }

    /// The version to pass to [`Versioned::put`]: read it before reading the
    /// store, so a write in between makes the entry stale.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// The entry for `key`, if it was read under the current version.
    pub fn get(&self, key: &K) -> Option<V> {
        let found = self
            .entries
            .get(key)
            .and_then(|(version, value)| (version == self.version()).then_some(value));
        crate::services::metrics::cache_lookup(self.name, found.is_some());
        found
    }

    /// Keeps `value`, read under `version`; a stale one is not kept.
    pub fn put(&self, key: K, version: u64, value: V) {
        if version == self.version() {
            self.entries.insert(key, (version, value));
        }
    }

    /// A write has finished: nothing read before it may be served.
    pub fn invalidate(&self) {
        self.version.fetch_add(1, Ordering::AcqRel);
        self.entries.invalidate_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_during_a_read_makes_the_entry_stale() {
        let cache = Versioned::<&str, u32>::new("test", 16, Duration::from_secs(60));
        let before = cache.version();
        cache.invalidate(); // a write finishes while the read is in flight
        cache.put("k", before, 1);
        assert_eq!(cache.get(&"k"), None);
        let now = cache.version();
        cache.put("k", now, 2);
        assert_eq!(cache.get(&"k"), Some(2));
        cache.invalidate();
        assert_eq!(cache.get(&"k"), None);
    }

    #[test]
    fn a_slow_read_inserting_after_the_write_is_never_served() {
        let cache = Versioned::<&str, u32>::new("test", 16, Duration::from_secs(60));
        let read_at = cache.version();
        // The put's version check passes, then the write's invalidation lands
        // before the entry is looked at: the entry's own version rules it out.
        cache.entries.insert("k", (read_at, 1));
        cache.invalidate();
        cache.entries.insert("k", (read_at, 1));
        assert_eq!(cache.get(&"k"), None);
    }

    #[test]
    fn entries_expire() {
        let cache = Versioned::<&str, u32>::new("test", 16, Duration::from_millis(50));
        cache.put("k", cache.version(), 1);
        assert_eq!(cache.get(&"k"), Some(1));
        std::thread::sleep(Duration::from_millis(120));
        assert_eq!(cache.get(&"k"), None);
    }
}
