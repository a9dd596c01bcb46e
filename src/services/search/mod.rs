//! Product search: the embedded index ([`SearchIndex`]) and the indexer that
//! keeps it current from the store's product changes.

mod index;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

pub use index::{IndexUpdate, SearchIndex};

use super::product_changes::{next_batch, ChangeFeed};
use crate::domain::catalog::Product;
use crate::store::{Store, StoreResult};

/// Products read per store call while (re)building.
const SCAN_BATCH: u64 = 1000;
/// Most changed ids applied together.
const UPDATE_BATCH: usize = 1024;
/// Wait before listening again after the store's change feed failed.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Every product in the store, read in id order in bounded pieces.
pub async fn read_catalog(store: &dyn Store) -> StoreResult<Vec<Product>> {
    let mut all = Vec::new();
    loop {
        let after = all.last().map(|p: &Product| p.id.clone());
        let batch = store.scan_products(after.as_deref(), SCAN_BATCH).await?;
        let done = (batch.len() as u64) < SCAN_BATCH;
        all.extend(batch);
        if done {
            return Ok(all);
        }
    }
}

/// Listens to the store's product changes first, then reads the catalog and
/// builds an index of it, so no change falls between the two.
async fn follow_and_build(store: &dyn Store) -> anyhow::Result<(ChangeFeed, SearchIndex)> {
    let feed = store.watch_products().await?;
    let started = std::time::Instant::now();
    let products = read_catalog(store).await?;
    let count = products.len();
    let index = tokio::task::spawn_blocking(move || SearchIndex::build(products)).await??;
    tracing::info!(
        "search index built: {count} products in {} ms",
        started.elapsed().as_millis()
    );
    Ok((feed, index))
}

/// Opens the index for the shop, and the indexer that keeps it current.
pub async fn open(store: Arc<dyn Store>) -> anyhow::Result<(Arc<SearchIndex>, Indexer)> {
    let (feed, index) = follow_and_build(store.as_ref()).await?;
    let index = Arc::new(index);
    let indexer = Indexer {
        follower: Follower {
            store,
            index: index.clone(),
        },
        feed,
    };
    Ok((index, indexer))
}

/// The task that applies product changes to the index.
pub struct Indexer {
    follower: Follower,
    feed: ChangeFeed,
}

/// What the indexer works with, apart from the feed it reads.
struct Follower {
    store: Arc<dyn Store>,
    index: Arc<SearchIndex>,
}

impl Indexer {
    /// Applies changes until `stopped`. When the feed fails (missed changes,
    /// a lost connection) it listens again and rebuilds from the store.
    pub async fn run(self, mut stopped: watch::Receiver<bool>) {
        let Self { follower, feed } = self;
        let mut feed = Some(feed);
        loop {
            let feed = match feed.take() {
                Some(feed) => feed,
                None => match follower.resubscribe().await {
                    Ok(feed) => feed,
                    Err(e) => {
                        tracing::warn!("search index: cannot follow product changes: {e:#}");
                        tokio::select! {
                            _ = tokio::time::sleep(RETRY_AFTER) => continue,
                            _ = stopped.changed() => return,
                        }
                    }
                },
            };
            tokio::select! {
                reason = follower.follow(feed) => tracing::warn!("search index: rebuilding after {reason}"),
                _ = stopped.changed() => return,
            }
        }
    }
}

impl Follower {
    /// Listens again and swaps in an index rebuilt from the whole catalog.
    async fn resubscribe(&self) -> anyhow::Result<ChangeFeed> {
        let (feed, rebuilt) = follow_and_build(self.store.as_ref()).await?;
        self.index.replace(rebuilt);
        Ok(feed)
    }

    /// Applies changes as they come; returns why it stopped.
    async fn follow(&self, mut feed: ChangeFeed) -> String {
        loop {
            let ids = match next_batch(&mut feed, UPDATE_BATCH).await {
                Ok(ids) => ids,
                Err(why) => return why,
            };
            let received = std::time::Instant::now();
            if let Err(e) = self.apply(ids).await {
                return format!("an indexing error: {e:#}");
            }
            if crate::services::metrics::enabled() {
                metrics::histogram!(crate::services::metrics::SEARCH_INDEX_LAG)
                    .record(received.elapsed().as_secs_f64());
            }
        }
    }

    async fn apply(&self, mut ids: Vec<String>) -> anyhow::Result<()> {
        ids.sort();
        ids.dedup();
        let found = self.store.get_products(&ids).await?;
        let present: HashSet<&str> = found.iter().map(|p| p.id.as_str()).collect();
        let mut updates: Vec<IndexUpdate> = ids
            .iter()
            .filter(|id| !present.contains(id.as_str()))
            .map(|id| IndexUpdate::Gone(id.clone()))
            .collect();
        updates.extend(found.into_iter().map(IndexUpdate::put));
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || index.apply(updates)).await??;
        Ok(())
    }
}
