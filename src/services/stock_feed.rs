//! Live stock: one follower per instance listens to the store's product
//! changes (a broadcast on SQLite, a change stream on MongoDB, so a checkout
//! on any instance is heard on every one), reads the changed products'
//! stock back in batches and publishes it to this instance's open streams.
//! Each stream ([`StockFeed::watch`]) passes on the changes of the products
//! it was opened for.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{self, BoxStream};
use futures_util::StreamExt;
use tokio::sync::{broadcast, watch};

use super::product_changes::{next_batch, ChangeFeed};
use crate::domain::catalog::StockLevel;
use crate::store::{Store, StoreResult};

/// Most changed ids read back together.
const READ_BATCH: usize = 256;
/// Events kept for a slow stream before it must read its products again.
const EVENTS_KEPT: usize = 1024;
/// Most streams open on one instance at once.
pub const MAX_STREAMS: usize = 10_000;
/// Most products one stream follows: a full cart.
pub const MAX_IDS: usize = crate::domain::cart::MAX_LINES;
/// Wait before listening again after the store's change feed failed.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// What the follower publishes.
#[derive(Debug, Clone)]
enum StockEvent {
    /// A product's stock as read after a change.
    Changed(Arc<StockLevel>),
    /// Changes may have been missed (the store's feed failed and was listened
    /// to again): every stream reads its products afresh.
    Resync,
}

/// This instance's live stock: where streams subscribe. Cheap to clone.
#[derive(Clone)]
pub struct StockFeed {
    events: broadcast::Sender<StockEvent>,
    store: Arc<dyn Store>,
    stopped: watch::Receiver<bool>,
}

/// The task that turns product changes into stock events.
pub struct StockFollower {
    store: Arc<dyn Store>,
    events: broadcast::Sender<StockEvent>,
    feed: ChangeFeed,
}

/// Listens to the store's product changes (before the first stream opens, so
/// none is missed) and gives the feed streams subscribe to, and the task that
/// feeds it. Streams end once `stopped` turns true (shutdown).
pub async fn open(
    store: Arc<dyn Store>,
    stopped: watch::Receiver<bool>,
) -> StoreResult<(StockFeed, StockFollower)> {
    let feed = store.watch_products().await?;
    let (events, _) = broadcast::channel(EVENTS_KEPT);
    Ok((
        StockFeed {
            events: events.clone(),
            store: store.clone(),
            stopped,
        },
        StockFollower {
            store,
            events,
            feed,
        },
    ))
}

impl StockFollower {
    /// Publishes changes until `stopped`. When the store's feed fails or ends
    /// it listens again and tells every stream to read afresh.
    pub async fn run(self, mut stopped: watch::Receiver<bool>) {
        let Self {
            store,
            events,
            feed,
        } = self;
        let mut feed = Some(feed);
        loop {
            let current = match feed.take() {
                Some(feed) => feed,
                None => match store.watch_products().await {
                    Ok(feed) => {
                        // Anything between the old feed's failure and now
                        // was not heard: streams read their products again.
                        let _ = events.send(StockEvent::Resync);
                        feed
                    }
                    Err(e) => {
                        tracing::warn!("stock feed: cannot follow product changes: {e:#}");
                        tokio::select! {
                            _ = tokio::time::sleep(RETRY_AFTER) => continue,
                            _ = stopped.changed() => return,
                        }
                    }
                },
            };
            tokio::select! {
                why = publish(store.as_ref(), &events, current) => {
                    tracing::warn!("stock feed: listening again after {why}");
                }
                _ = stopped.changed() => return,
            }
        }
    }
}

/// Reads back each batch of changed products and publishes their stock;
/// returns why it stopped.
async fn publish(
    store: &dyn Store,
    events: &broadcast::Sender<StockEvent>,
    mut feed: ChangeFeed,
) -> String {
    loop {
        let ids = match next_batch(&mut feed, READ_BATCH).await {
            Ok(ids) => ids,
            Err(why) => return why,
        };
        // No stream open: nothing to read back.
        if events.receiver_count() == 0 {
            continue;
        }
        match store.get_products(&ids).await {
            Ok(found) => {
                for level in StockLevel::of(&ids, &found) {
                    let _ = events.send(StockEvent::Changed(Arc::new(level)));
                }
            }
            Err(e) => return format!("a stock read error: {e}"),
        }
    }
}

impl StockFeed {
    /// Whether another stream may open now ([`MAX_STREAMS`]).
    pub fn has_room(&self) -> bool {
        self.events.receiver_count() < MAX_STREAMS
    }

    /// The current stock of `ids` (deduplicated, at most [`MAX_IDS`]: the
    /// caller validates), then every change to it. Subscribes before reading,
    /// so no change falls between the two; a level is only passed on when it
    /// differs from the last one sent. Ends at shutdown, or when a re-read
    /// fails (a browser's `EventSource` then opens it again).
    pub async fn watch(
        &self,
        ids: Vec<String>,
    ) -> StoreResult<BoxStream<'static, Arc<StockLevel>>> {
        let changes = self.events.subscribe();
        let current = self.store.get_products(&ids).await?;
        let mut watcher = Watcher {
            ids,
            sent: HashMap::new(),
            pending: VecDeque::new(),
            changes,
            store: self.store.clone(),
            stopped: self.stopped.clone(),
        };
        let levels = StockLevel::of(&watcher.ids, &current);
        watcher.queue_if_new(levels);
        Ok(stream::unfold(watcher, |mut w| async move {
            let next = w.next().await?;
            Some((next, w))
        })
        .boxed())
    }
}

/// One stream's state: its products, the level last sent for each, and the
/// levels waiting to go out.
struct Watcher {
    ids: Vec<String>,
    sent: HashMap<String, i64>,
    pending: VecDeque<Arc<StockLevel>>,
    changes: broadcast::Receiver<StockEvent>,
    store: Arc<dyn Store>,
    stopped: watch::Receiver<bool>,
}

impl Watcher {
    fn queue_if_new(&mut self, levels: Vec<StockLevel>) {
        for level in levels {
            if self.sent.get(&level.product_id) != Some(&level.stock) {
                self.sent.insert(level.product_id.clone(), level.stock);
                self.pending.push_back(Arc::new(level));
            }
        }
    }

    fn is_followed(&self, product_id: &str) -> bool {
        self.ids.iter().any(|id| id == product_id)
    }

    /// The next level to send; `None` ends the stream.
    async fn next(&mut self) -> Option<Arc<StockLevel>> {
        loop {
            if let Some(level) = self.pending.pop_front() {
                return Some(level);
            }
            if *self.stopped.borrow() {
                return None;
            }
            let event = tokio::select! {
                event = self.changes.recv() => event,
                _ = self.stopped.changed() => return None,
            };
            match event {
                Ok(StockEvent::Changed(level)) => {
                    if self.is_followed(&level.product_id)
                        && self.sent.get(&level.product_id) != Some(&level.stock)
                    {
                        self.sent.insert(level.product_id.clone(), level.stock);
                        return Some(level);
                    }
                }
                // This stream fell behind, or the feed may have missed
                // changes: read its products again.
                Ok(StockEvent::Resync) | Err(broadcast::error::RecvError::Lagged(_)) => {
                    match self.store.get_products(&self.ids).await {
                        Ok(found) => {
                            let levels = StockLevel::of(&self.ids, &found);
                            self.queue_if_new(levels);
                        }
                        Err(e) => {
                            tracing::warn!("stock stream: cannot read stock again: {e:#}");
                            return None;
                        }
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}
