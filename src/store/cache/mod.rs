//! The caches in front of a store: catalog reads (pages and products) and
//! session lookups, which nearly every request makes and writes rarely change.
//! Every write goes through here too, and drops what it may have changed
//! once it has finished, so no caller can forget to. On a shared store
//! ([`Store::is_shared`]) other instances write unseen, so nothing is kept.

mod accounts;
mod catalog;
mod passthrough;
mod stats;
mod versioned;

pub use versioned::Versioned;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tracing::{instrument, Instrument};

use crate::domain::accounts::{Session, User};
use crate::domain::cart::Cart;
use crate::domain::catalog::Product;
use crate::domain::shared::Shared;
use crate::services::metrics::store_call;
use crate::store::{ProductPage, Store, StoreError, StoreResult};

/// Most catalog answers kept (pages and single products together).
const CATALOG_ENTRIES: u64 = 1024;
/// Longest a catalog answer is kept; writes through this store drop it at once.
const CATALOG_TTL: Duration = Duration::from_secs(300);
/// Most sessions kept.
const SESSION_ENTRIES: u64 = 4096;
/// Longest a session is used without asking the store again: bounds what
/// another process on the same file (`tienda admin grant`) changes unseen.
const SESSION_TTL: Duration = Duration::from_secs(1);

#[derive(Clone, PartialEq, Eq, Hash)]
enum CatalogKey {
    /// `(category, offset, limit)`
    Page(Option<String>, u64, u64),
    Product(String),
}

#[derive(Clone)]
enum CatalogEntry {
    Page(Arc<Shared<ProductPage>>),
    Product(Arc<Shared<Product>>),
}

/// What this process may keep; `None` on a shared store.
struct Caches {
    catalog: Versioned<CatalogKey, CatalogEntry>,
    sessions: Versioned<String, (Session, User)>,
    /// The dashboard's figures by range: dropped by every order or account write.
    stats: Versioned<crate::domain::stats::StatsRange, Arc<crate::domain::stats::SalesFigures>>,
}

/// A store with its caches in front.
pub struct CachedStore {
    inner: Arc<dyn Store>,
    caches: Option<Arc<Caches>>,
}

impl CachedStore {
    /// Puts the caches in front of `inner` (none where it is shared).
    pub fn new(inner: Arc<dyn Store>) -> Self {
        let caches = (!inner.is_shared()).then(|| {
            Arc::new(Caches {
                catalog: Versioned::new("catalog", CATALOG_ENTRIES, CATALOG_TTL),
                sessions: Versioned::new("sessions", SESSION_ENTRIES, SESSION_TTL),
                stats: Versioned::new("stats", stats::ENTRIES, stats::TTL),
            })
        });
        Self { inner, caches }
    }

    /// After a write to users or sessions.
    fn accounts_changed(&self) {
        if let Some(c) = &self.caches {
            c.sessions.invalidate();
            c.stats.invalidate();
        }
    }

    /// Runs `write` to its end in a task of its own, then drops the catalog
    /// answers if it succeeded. The task outlives a caller that stops
    /// waiting (a client that hangs up mid-checkout): the store commits such
    /// a write all the same, and the answers it made stale must go with it.
    async fn catalog_write<T: Send + 'static>(
        &self,
        write: impl std::future::Future<Output = StoreResult<T>> + Send + 'static,
    ) -> StoreResult<T> {
        let caches = self.caches.clone();
        let task = tokio::spawn(
            async move {
                let out = write.await;
                if let (Ok(_), Some(c)) = (&out, caches) {
                    c.catalog.invalidate();
                    c.stats.invalidate();
                }
                out
            }
            .in_current_span(),
        );
        task.await
            .map_err(|e| StoreError::backend(anyhow::anyhow!("a catalog write stopped: {e}")))?
    }

    /// Runs `write`, then drops the kept sessions whatever its outcome (a
    /// write whose commit failed may still have changed the store).
    async fn accounts_write<T>(
        &self,
        write: impl std::future::Future<Output = StoreResult<T>>,
    ) -> StoreResult<T> {
        let out = write.await;
        self.accounts_changed();
        out
    }
}

#[async_trait]
impl Store for CachedStore {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    fn is_shared(&self) -> bool {
        self.inner.is_shared()
    }

    #[instrument(level = "debug", skip_all)]
    async fn ping(&self) -> StoreResult<()> {
        store_call("ping", self.inner.ping()).await
    }

    async fn close(&self) {
        self.inner.close().await
    }

    #[instrument(level = "debug", skip_all)]
    async fn get_cart_with_products(
        &self,
        email: &str,
    ) -> StoreResult<(Option<Cart>, Vec<Product>)> {
        store_call(
            "get_cart_with_products",
            self.inner.get_cart_with_products(email),
        )
        .await
    }
}
