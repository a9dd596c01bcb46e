//! The shared store: MongoDB through the official driver, for several tienda
//! instances on one replica set. Documents are typed Rust structs (never
//! client JSON), so every query value is a typed BSON value and operator
//! injection is impossible. Writes that must be atomic run in one multi-document
//! transaction, retried as a whole on transient errors.

mod accounts;
mod audit;
mod cart;
mod catalog;
mod chat;
mod limits;
mod low_stock;
mod orders;
mod outbox;
pub mod photos;
pub mod schema;
mod stats;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use mongodb::bson::{doc, DateTime, Document};
use mongodb::error::{
    Error as MongoError, ErrorKind, WriteFailure, TRANSIENT_TRANSACTION_ERROR,
    UNKNOWN_TRANSACTION_COMMIT_RESULT,
};
use mongodb::options::{
    Acknowledgment, ClientOptions, IndexOptions, ReadConcern, TransactionOptions, WriteConcern,
};
use mongodb::{Client, ClientSession, Collection, Database, IndexModel};

use super::{Store, StoreError, StoreResult};
pub(super) use crate::domain::to_millis;
use crate::domain::{from_millis, Timestamp};

/// Database used when the URL names none.
const DEFAULT_DATABASE: &str = "tienda";
/// Attempts of one transaction before giving up on write conflicts. Generous:
/// a burst of checkouts for one product conflicts on its stock document.
const MAX_TRANSACTION_ATTEMPTS: u32 = 100;
/// Attempts of a commit whose outcome is unknown.
const MAX_COMMIT_ATTEMPTS: u32 = 5;
/// Server error code of a unique index violation.
const DUPLICATE_KEY: i32 = 11000;

/// A future borrowed from the store and the transaction's session.
pub(super) type TxFuture<'a, T> = Pin<Box<dyn Future<Output = StoreResult<T>> + Send + 'a>>;

/// The shared store on one MongoDB database.
pub struct MongoStore {
    client: Client,
    db: Database,
}

impl From<MongoError> for StoreError {
    fn from(err: MongoError) -> Self {
        StoreError::backend(err)
    }
}

impl From<mongodb::bson::ser::Error> for StoreError {
    fn from(err: mongodb::bson::ser::Error) -> Self {
        StoreError::backend(err)
    }
}

impl From<mongodb::bson::de::Error> for StoreError {
    fn from(err: mongodb::bson::de::Error) -> Self {
        StoreError::backend(err)
    }
}

/// Raised inside a transaction when a concurrent writer won a race the
/// server reports as a duplicate key rather than a write conflict (two
/// upserts creating the same document): the whole transaction is retried.
#[derive(Debug, thiserror::Error)]
#[error("a concurrent write created the same document; retrying")]
pub(super) struct WriteRace;

impl MongoStore {
    /// Connects to the database `url` names (`tienda` when it names none),
    /// checks that it answers, refuses it if a newer tienda wrote it, creates
    /// the indexes and migrates older documents (see [`schema`]); at most
    /// `pool_size` connections (2 or more) unless the URL sets `maxPoolSize`.
    pub async fn open(url: &str, pool_size: u32) -> anyhow::Result<Arc<dyn Store>> {
        let mut options = ClientOptions::parse(url)
            .await
            .map_err(|e| anyhow::anyhow!("invalid MongoDB store.url: {e}"))?;
        if options.max_pool_size.is_none() {
            options.max_pool_size = Some(pool_size.max(2));
        }
        if options.app_name.is_none() {
            options.app_name = Some("tienda".to_owned());
        }
        let db_name = options
            .default_database
            .clone()
            .unwrap_or_else(|| DEFAULT_DATABASE.to_owned());
        let client = Client::with_options(options)?;
        let db = client.database(&db_name);
        db.run_command(doc! { "ping": 1 })
            .await
            .map_err(|e| anyhow::anyhow!("cannot reach MongoDB at store.url: {e}"))?;
        let recorded = schema::recorded_version(&db).await?;
        schema::refuse_newer(&db, recorded)?;
        let store = Self { client, db };
        store.create_indexes().await?;
        schema::migrate(&store.db, recorded).await?;
        // After the migration: every product has its variants by now, and
        // a unique index counts a missing SKU as one more null.
        store.create_sku_index().await?;
        Ok(Arc::new(store))
    }

    async fn create_indexes(&self) -> anyhow::Result<()> {
        fn index(keys: Document, name: &str) -> IndexModel {
            IndexModel::builder()
                .keys(keys)
                .options(IndexOptions::builder().name(name.to_owned()).build())
                .build()
        }
        fn unique(keys: Document, name: &str) -> IndexModel {
            IndexModel::builder()
                .keys(keys)
                .options(
                    IndexOptions::builder()
                        .name(name.to_owned())
                        .unique(true)
                        .build(),
                )
                .build()
        }
        let d = &self.db;
        let plan: Vec<(&str, Vec<IndexModel>)> = vec![
            (
                "users",
                vec![
                    unique(doc! { "email": 1 }, "email_unique"),
                    index(doc! { "created_at": -1, "_id": -1 }, "by_creation"),
                ],
            ),
            (
                "products",
                vec![
                    index(
                        doc! { "category": 1, "created_at": 1, "_id": 1 },
                        "by_category",
                    ),
                    index(doc! { "created_at": 1, "_id": 1 }, "by_creation"),
                    // The low-stock list: variants up to the highest level in use.
                    index(doc! { "variants.stock": 1 }, "by_variant_stock"),
                    index(doc! { "low_stock_threshold": -1 }, "by_low_stock_threshold"),
                ],
            ),
            (
                "orders",
                vec![
                    unique(doc! { "number": 1 }, "number_unique"),
                    IndexModel::builder()
                        .keys(doc! { "email": 1, "idempotency_key": 1 })
                        .options(
                            IndexOptions::builder()
                                .name("idempotency_unique".to_owned())
                                .unique(true)
                                .partial_filter_expression(
                                    doc! { "idempotency_key": { "$exists": true } },
                                )
                                .build(),
                        )
                        .build(),
                    index(doc! { "email": 1, "number": -1 }, "by_email"),
                    index(doc! { "status": 1, "number": -1 }, "by_status"),
                    IndexModel::builder()
                        .keys(doc! { "intent_id": 1 })
                        .options(
                            IndexOptions::builder()
                                .name("intent_unique".to_owned())
                                .unique(true)
                                .partial_filter_expression(
                                    doc! { "intent_id": { "$exists": true } },
                                )
                                .build(),
                        )
                        .build(),
                    index(doc! { "hold_until": 1 }, "by_hold"),
                    index(doc! { "created_at": -1, "number": -1 }, "by_created"),
                    // Ascending, read backwards for newest first: SecantusDB
                    // answered a `$gte` on the descending form of this
                    // compound index without its boundary row.
                    index(
                        doc! { "status": 1, "created_at": 1, "number": 1 },
                        "by_status_created",
                    ),
                ],
            ),
            (
                "messages",
                vec![
                    index(doc! { "created_at": 1, "_id": 1 }, "by_time"),
                    index(doc! { "email": 1, "created_at": 1 }, "by_email"),
                    index(doc! { "to": 1, "created_at": 1 }, "by_recipient"),
                ],
            ),
            (
                "sessions",
                vec![
                    index(doc! { "user_id": 1 }, "by_user"),
                    index(doc! { "expires_at": 1 }, "by_expiry"),
                ],
            ),
            (
                "password_resets",
                vec![
                    index(doc! { "user_id": 1 }, "by_user"),
                    index(doc! { "expires_at": 1 }, "by_expiry"),
                ],
            ),
            (
                "outbox",
                vec![
                    index(doc! { "status": 1, "next_attempt_at": 1 }, "due"),
                    index(doc! { "created_at": -1, "_id": -1 }, "by_creation"),
                ],
            ),
            (stats::DAYS, vec![index(doc! { "day": 1 }, "by_day")]),
            (
                stats::PRODUCTS,
                vec![index(doc! { "day": 1, "product_id": 1 }, "by_day")],
            ),
            (
                "rate_limits",
                vec![index(doc! { "expires_at": 1 }, "by_expiry")],
            ),
            (
                "audit_log",
                vec![
                    index(doc! { "at": -1, "_id": -1 }, "by_time"),
                    index(doc! { "actor": 1, "at": -1 }, "by_actor"),
                    index(doc! { "action": 1, "at": -1 }, "by_action"),
                    index(doc! { "target": 1, "at": -1 }, "by_target"),
                ],
            ),
        ];
        for (collection, models) in plan {
            d.collection::<Document>(collection)
                .create_indexes(models)
                .await
                .map_err(|e| anyhow::anyhow!("cannot create indexes on {collection}: {e}"))?;
        }
        Ok(())
    }

    /// SKUs are unique across the shop: one index over every product's variants.
    async fn create_sku_index(&self) -> anyhow::Result<()> {
        let model = IndexModel::builder()
            .keys(doc! { "variants.sku": 1 })
            .options(
                IndexOptions::builder()
                    .name("sku_unique".to_owned())
                    .unique(true)
                    .build(),
            )
            .build();
        self.db
            .collection::<Document>("products")
            .create_index(model)
            .await
            .map_err(|e| anyhow::anyhow!("cannot create the SKU index on products: {e}"))?;
        Ok(())
    }

    fn coll<T: Send + Sync>(&self, name: &str) -> Collection<T> {
        self.db.collection(name)
    }

    /// Runs `f` in one multi-document transaction, committed only if `f`
    /// succeeds. The whole of `f` is retried when the server labels an error
    /// `TransientTransactionError` (e.g. a write conflict with a concurrent
    /// transaction); a commit with an unknown outcome is retried by itself.
    ///
    /// Not the driver's `start_transaction().and_run(..)`: that helper retries
    /// at once, with no pause, and only on the server's labels. Fifty racing
    /// checkouts of one product conflict on its stock document, and without a
    /// jittered backoff they keep colliding; and a concurrent upsert that the
    /// server reports as a duplicate key ([`WriteRace`]) must be retried too.
    pub(super) async fn transact<T, C, F>(&self, ctx: &C, f: F) -> StoreResult<T>
    where
        C: Sync + ?Sized,
        F: for<'a> Fn(&'a MongoStore, &'a mut ClientSession, &'a C) -> TxFuture<'a, T>,
    {
        let mut session = self.client.start_session().await?;
        let options = TransactionOptions::builder()
            .read_concern(Some(ReadConcern::snapshot()))
            .write_concern(Some(
                WriteConcern::builder().w(Acknowledgment::Majority).build(),
            ))
            .build();
        let mut attempt = 0;
        loop {
            attempt += 1;
            session
                .start_transaction()
                .with_options(options.clone())
                .await?;
            let result = match f(self, &mut session, ctx).await {
                Ok(value) => commit(&mut session).await.map(|()| value),
                Err(err) => {
                    // Best effort: the server aborts it anyway when the session ends.
                    let _ = session.abort_transaction().await;
                    Err(err)
                }
            };
            match result {
                Err(err) if attempt < MAX_TRANSACTION_ATTEMPTS && is_retryable(&err) => {
                    tracing::debug!(attempt, error = ?err, "MongoDB transaction conflicted; retrying");
                    backoff(attempt).await;
                }
                other => return other,
            }
        }
    }
}

async fn commit(session: &mut ClientSession) -> StoreResult<()> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match session.commit_transaction().await {
            Ok(()) => return Ok(()),
            Err(e)
                if attempt < MAX_COMMIT_ATTEMPTS
                    && e.contains_label(UNKNOWN_TRANSACTION_COMMIT_RESULT) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// Whether the failed transaction attempt may be run again from the start.
fn is_retryable(err: &StoreError) -> bool {
    let StoreError::Backend(cause) = err else {
        return false;
    };
    if cause.downcast_ref::<WriteRace>().is_some() {
        return true;
    }
    cause
        .downcast_ref::<MongoError>()
        .is_some_and(|e| e.contains_label(TRANSIENT_TRANSACTION_ERROR))
}

/// A growing, jittered pause so conflicting transactions spread out: up to
/// 400 ms, about as long as a contended checkout holds its documents on a
/// loaded server, so the losers of a race stop re-running while it commits
/// (fifty racing checkouts of one product: 34 s with a 50 ms cap, 26 s).
async fn backoff(attempt: u32) {
    use rand::Rng;
    let cap = 2u64.saturating_pow(attempt.min(9)).min(400);
    let ms = rand::thread_rng().gen_range(1..=cap);
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

/// Whether `err` is a unique index violation.
pub(super) fn is_duplicate_key(err: &MongoError) -> bool {
    match err.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(e)) => e.code == DUPLICATE_KEY,
        ErrorKind::Command(e) => e.code == DUPLICATE_KEY,
        ErrorKind::InsertMany(e) => e
            .write_errors
            .as_ref()
            .is_some_and(|errs| errs.iter().any(|e| e.code == DUPLICATE_KEY)),
        _ => false,
    }
}

/// Maps a duplicate key inside a transaction to a retry of the transaction.
pub(super) fn race_on_duplicate(err: MongoError) -> StoreError {
    if is_duplicate_key(&err) {
        StoreError::backend(WriteRace)
    } else {
        err.into()
    }
}

pub(super) fn bson_time(t: Timestamp) -> DateTime {
    DateTime::from_millis(to_millis(t))
}

pub(super) fn time(t: DateTime) -> Timestamp {
    from_millis(t.timestamp_millis())
}

/// A driver limit for a page size: 0 would mean "no limit" to MongoDB, so
/// callers skip the query for 0 themselves.
pub(super) fn limit(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[async_trait]
impl Store for MongoStore {
    fn backend(&self) -> &'static str {
        "mongodb"
    }

    fn is_shared(&self) -> bool {
        true
    }

    async fn ping(&self) -> StoreResult<()> {
        self.db.run_command(doc! { "ping": 1 }).await?;
        Ok(())
    }

    async fn close(&self) {
        // Immediate: a chat change stream may still be open in another task.
        self.client.clone().shutdown().immediate(true).await;
    }
}

/// An address as documents hold it: a sub-document, or one line of text for
/// those written before addresses had parts.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) struct StoredAddress(
    #[serde(with = "crate::domain::address::legacy_or_structured")]
    pub  crate::domain::address::Address,
);
