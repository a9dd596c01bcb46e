//! The dashboard's figures, kept per range until an order or account write
//! (through this store) changes them: a dashboard open in many tabs, or
//! refreshed, reads the store once.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tracing::instrument;

use super::CachedStore;
use crate::domain::stats::{SalesFigures, StatsRange};
use crate::services::metrics::store_call;
use crate::store::{StatsStore, StoreResult};

/// Most ranges kept.
pub(super) const ENTRIES: u64 = 64;
/// Longest figures are kept: bounds what another process on the same file
/// (`tienda admin`) changes unseen, and lets "today" move on.
pub(super) const TTL: Duration = Duration::from_secs(10);

#[async_trait]
impl StatsStore for CachedStore {
    #[instrument(level = "debug", skip_all)]
    async fn sales_figures(&self, range: &StatsRange) -> StoreResult<SalesFigures> {
        let Some(c) = &self.caches else {
            return store_call("sales_figures", self.inner.sales_figures(range)).await;
        };
        if let Some(kept) = c.stats.get(range) {
            return Ok((*kept).clone());
        }
        let version = c.stats.version();
        let figures = store_call("sales_figures", self.inner.sales_figures(range)).await?;
        c.stats.put(*range, version, Arc::new(figures.clone()));
        Ok(figures)
    }
}
