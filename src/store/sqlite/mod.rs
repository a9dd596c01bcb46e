//! The embedded store: SQLite through rusqlite (measured ~2.4x sqlx on this
//! machine), a small r2d2 pool, each call on the blocking pool. Writes that
//! must be atomic run in one `BEGIN IMMEDIATE` transaction.

mod accounts;
mod audit;
pub mod backup;
mod cart;
mod catalog;
mod chat;
mod limits;
pub mod lock;
mod orders;
mod outbox;
mod photos;

use std::panic::AssertUnwindSafe;
use std::path::Path;

use async_trait::async_trait;
use r2d2::Pool;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use super::{Store, StoreError, StoreResult};
use crate::domain::cart::Cart;
use crate::domain::catalog::Product;
use crate::domain::{from_millis, to_millis, Timestamp};

/// Schema migrations, applied in order; `PRAGMA user_version` records how
/// many ran.
const MIGRATIONS: &[&str] = &[
    include_str!("schema.sql"),
    // 2: the language each customer shops in (none chosen: NULL).
    "ALTER TABLE users ADD COLUMN locale TEXT;",
    include_str!("variants.sql"),
    include_str!("payments.sql"),
    include_str!("audit.sql"),
];

/// The schema version this tienda writes: how many migrations it knows.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// A write for the writer thread. It runs inside its batch's transaction,
/// under its own savepoint when the batch holds others (see [`write_batch`]),
/// and returns whether it succeeded plus how to report its result once the
/// batch's fate is known.
type WriteJob = Box<dyn FnOnce(&Connection) -> (bool, Report) + Send>;
/// Delivers a write's result: `None` once its batch committed, or why it did not.
type Report = Box<dyn FnOnce(Option<StoreError>) + Send>;

/// Most writes committed together in one transaction.
const MAX_BATCH: usize = 32;

/// The embedded store on one SQLite file.
pub struct SqliteStore {
    /// Readers.
    pool: Pool<SqliteConnectionManager>,
    /// The one writer: a thread with its own connection runs writes in
    /// arrival order. Writers never collide inside SQLite (whose busy handler
    /// backs off by sleeping: the p99 spikes under load) and the thread stays
    /// hot instead of a blocking-pool hand-off per write. Writes that queue up
    /// meanwhile commit together (group commit): each under its own savepoint
    /// (a lone write needs none), so one failing rolls back alone, and none
    /// is reported done before the commit that makes it durable.
    writer: std::sync::mpsc::Sender<WriteJob>,
    /// Ids of products this store's writes changed, for
    /// [`CatalogStore::watch_products`](crate::store::CatalogStore::watch_products):
    /// one process owns the file, so its own writes are all there are.
    product_changes: tokio::sync::broadcast::Sender<String>,
    /// The server's exclusive claim on the file (see [`lock`]), let go at
    /// [`Store::close`] so the same process may open the file again (tests
    /// restart an app on its store); `None` for tools beside a server.
    owner: std::sync::Mutex<Option<lock::StoreLock>>,
    /// Uploaded product photos: the `photos` folder beside the database file.
    photos: photos::PhotoDir,
}

/// Product changes kept for a slow listener before it must read everything again.
const PRODUCT_CHANGES_KEPT: usize = 4096;

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        StoreError::backend(err)
    }
}

impl From<r2d2::Error> for StoreError {
    fn from(err: r2d2::Error) -> Self {
        StoreError::backend(err)
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(err: serde_json::Error) -> Self {
        StoreError::backend(err)
    }
}

impl SqliteStore {
    /// Tells product listeners that these products changed (after the write
    /// committed). No listener is fine: nothing is indexed yet.
    fn products_changed<'a>(&self, ids: impl IntoIterator<Item = &'a str>) {
        for id in ids {
            let _ = self.product_changes.send(id.to_owned());
        }
    }

    /// Opens (creating) the database file at `path` as its owner (see
    /// [`lock`]: refused while another server has it), migrates it, and
    /// starts the writer thread; `pool_size` readers at most.
    pub async fn open(path: &str, pool_size: u32) -> anyhow::Result<Self> {
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || Self::open_blocking(&path, pool_size, true)).await?
    }

    /// Opens the database file at `path` beside the server that may own it,
    /// for a short task of a command-line tool (`tienda admin`).
    pub async fn open_beside_server(path: &str, pool_size: u32) -> anyhow::Result<Self> {
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || Self::open_blocking(&path, pool_size, false)).await?
    }

    fn open_blocking(path: &str, pool_size: u32, own: bool) -> anyhow::Result<Self> {
        if let Some(dir) = Path::new(path).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)?;
            }
        }
        // First: a second server must not even migrate a file another serves.
        let owner = if own {
            Some(lock::StoreLock::acquire(Path::new(path))?)
        } else {
            None
        };
        // WAL is a property of the file: set it once, before the pool opens
        // several connections at the same time.
        Connection::open(path)?.execute_batch("PRAGMA journal_mode = WAL;")?;
        let manager = SqliteConnectionManager::file(path).with_init(|c| configure(c));
        // Connections open on demand (one kept idle): a quiet shop stays small.
        let pool = Pool::builder()
            .max_size(pool_size.max(2))
            .min_idle(Some(1))
            // A checkout test would cost a statement per read; a broken
            // connection fails the read itself, clearly.
            .test_on_check_out(false)
            .build(manager)
            .map_err(|e| anyhow::anyhow!("cannot open SQLite database {path}: {e}"))?;
        let mut conn = pool.get()?;
        migrate(&mut conn, path)?;
        let writer_conn = Connection::open(path)?;
        configure(&writer_conn)?;
        let (writer, jobs) = std::sync::mpsc::channel::<WriteJob>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                // Ends when the store (the only sender) is dropped.
                while let Ok(first) = jobs.recv() {
                    let mut batch = vec![first];
                    while batch.len() < MAX_BATCH {
                        match jobs.try_recv() {
                            Ok(job) => batch.push(job),
                            Err(_) => break,
                        }
                    }
                    write_batch(&writer_conn, batch);
                }
            })?;
        let (product_changes, _) = tokio::sync::broadcast::channel(PRODUCT_CHANGES_KEPT);
        Ok(Self {
            pool,
            writer,
            product_changes,
            owner: std::sync::Mutex::new(owner),
            photos: photos::PhotoDir::beside(Path::new(path)),
        })
    }

    /// Runs a read inside one read transaction: every statement in `f` sees
    /// the same snapshot, and SQLite takes and drops its locks once for the
    /// lot instead of once per statement (the locking dominated the profile of
    /// `GET /cart`). Reads are short and, with WAL, never wait for writers:
    /// when a pooled connection is free the query runs right here on the
    /// async worker, saving two thread hand-offs; otherwise on the blocking pool.
    async fn run<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        if let Some(conn) = self.pool.try_get() {
            return read_snapshot(&conn, f);
        }
        self.blocking(move |conn| read_snapshot(conn, f)).await
    }

    /// Runs `f` with a pooled connection on the blocking pool.
    async fn blocking<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await
        .map_err(StoreError::backend)?
    }

    /// Runs `f` on the writer thread; its changes are kept only if it
    /// succeeds, and it returns once they are committed.
    async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: WriteJob = Box::new(move |conn| {
            let outcome = f(conn);
            let succeeded = outcome.is_ok();
            let report: Report = Box::new(move |batch_failed| {
                let _ = done.send(match (outcome, batch_failed) {
                    (Ok(_), Some(err)) => Err(err),
                    (outcome, _) => outcome,
                });
            });
            (succeeded, report)
        });
        self.writer
            .send(job)
            .map_err(|_| StoreError::backend(anyhow::anyhow!("the SQLite writer has stopped")))?;
        // A job dropped unreported (its batch could not start) also ends here.
        result.await.map_err(|_| {
            StoreError::backend(anyhow::anyhow!("the SQLite writer dropped a write"))
        })?
    }
}

/// Runs queued writes in one transaction, each under a savepoint, then
/// reports every result after the commit. A write alone in its batch runs
/// without one: its transaction is its rollback, and a savepoint would copy
/// every page it touches into the sub-journal (6% of the checkout
/// profile). The transaction statements are cached: parsing them per write
/// showed in the same profile.
fn write_batch(conn: &Connection, batch: Vec<WriteJob>) {
    let alone = batch.len() == 1;
    let mut reports: Vec<Report> = Vec::with_capacity(batch.len());
    let committed = (|| -> rusqlite::Result<()> {
        run_cached(conn, "BEGIN IMMEDIATE")?;
        // Ends the transaction if a statement below fails, so the writer's
        // connection never goes on inside it.
        let _end = EndTransaction(conn);
        for job in batch {
            if !alone {
                run_cached(conn, "SAVEPOINT job")?;
            }
            // A panicking write must not end the writer thread (every later
            // write would fail) nor its batch: it rolls back alone, and its
            // caller learns that the write was dropped.
            let succeeded = match std::panic::catch_unwind(AssertUnwindSafe(|| job(conn))) {
                Ok((succeeded, report)) => {
                    reports.push(report);
                    succeeded
                }
                Err(_) => false,
            };
            if conn.is_autocommit() {
                // An error (disk full, I/O) made SQLite roll back the whole
                // transaction: a later SAVEPOINT would open and commit one of
                // its own, so the batch ends here, all of it failed.
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
                    Some("SQLite rolled the batch back".into()),
                ));
            }
            if alone {
                // Explicitly, so a failed rollback fails the batch instead of
                // leaving this write's changes in it.
                return run_cached(conn, if succeeded { "COMMIT" } else { "ROLLBACK" });
            }
            if !succeeded {
                run_cached(conn, "ROLLBACK TO job")?;
            }
            run_cached(conn, "RELEASE job")?;
        }
        run_cached(conn, "COMMIT")
    })();
    let failure = committed.err();
    for report in reports {
        report(
            failure
                .as_ref()
                .map(|e| StoreError::backend(anyhow::anyhow!("the write was not committed: {e}"))),
        );
    }
}

/// Runs a statement without parameters through the connection's statement cache.
fn run_cached(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

fn read_snapshot<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> StoreResult<T>,
) -> StoreResult<T> {
    // Cached statements: BEGIN and COMMIT run on every read, not worth a parse each.
    run_cached(conn, "BEGIN")?;
    let _end = EndTransaction(conn);
    let out = f(conn)?;
    // Nothing was written: ending the transaction only releases the snapshot.
    run_cached(conn, "COMMIT")?;
    Ok(out)
}

/// Rolls back a transaction left open by an error or a panic: a connection
/// must never go on inside one (a pooled reader's reads would all fail and
/// its snapshot would hold the WAL from checkpointing; the writer's next
/// BEGIN would fail).
struct EndTransaction<'c>(&'c Connection);

impl Drop for EndTransaction<'_> {
    fn drop(&mut self) {
        if !self.0.is_autocommit() {
            let _ = self.0.execute_batch("ROLLBACK");
        }
    }
}

/// Per-connection settings. The busy timeout still matters: other processes
/// (`tienda admin grant`) may write to the same file.
fn configure(c: &Connection) -> rusqlite::Result<()> {
    // Room for every statement the store runs (about 40): past rusqlite's
    // default of 16 the writer re-parsed its checkout statements.
    c.set_prepared_statement_cache_capacity(64);
    c.execute_batch(
        "PRAGMA busy_timeout = 10000;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;",
    )
}

/// Brings the schema up to date: each migration after the file's
/// `user_version` runs in its own transaction with the version it reaches.
/// A file from a newer tienda is refused rather than misread.
fn migrate(conn: &mut Connection, path: &str) -> anyhow::Result<()> {
    let version: usize = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(crate::store::newer_schema(
            &format!("the SQLite store {path}"),
            version,
            SCHEMA_VERSION,
        ));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i + 1)?;
        tx.commit()?;
    }
    Ok(())
}

/// Runs a domain sequence (checkout, status change) over this backend's
/// primitives, which never wait: on the writer thread the future is done
/// after one poll.
fn run_without_waiting<T>(
    sequence: impl std::future::Future<Output = StoreResult<T>>,
) -> StoreResult<T> {
    use futures_util::FutureExt;
    sequence.now_or_never().unwrap_or_else(|| {
        Err(StoreError::backend(anyhow::anyhow!(
            "a SQLite step waited on the writer thread"
        )))
    })
}

/// Column `at` of `row`, an enum stored as text; a value that does not
/// decode fails the read, naming the row by its id in column `id_at`.
fn stored_enum<T: std::str::FromStr>(
    row: &rusqlite::Row,
    at: usize,
    id_at: usize,
    table: &'static str,
    field: &'static str,
) -> rusqlite::Result<T> {
    let value: String = row.get(at)?;
    let id: rusqlite::types::Value = row.get(id_at)?;
    let id = match id {
        rusqlite::types::Value::Text(t) => t,
        rusqlite::types::Value::Integer(n) => n.to_string(),
        other => format!("{other:?}"),
    };
    crate::store::decode_stored(table, &id, field, &value).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(at, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn ms(t: Timestamp) -> i64 {
    to_millis(t)
}

fn ts(ms: i64) -> Timestamp {
    from_millis(ms)
}

fn is_unique_violation(err: &rusqlite::Error) -> bool {
    matches!(
        err,
        rusqlite::Error::SqliteFailure(e, _)
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn is_shared(&self) -> bool {
        false
    }

    async fn ping(&self) -> StoreResult<()> {
        self.run(|c| {
            c.query_row("SELECT 1", [], |_| Ok(())).optional()?;
            Ok(())
        })
        .await
    }

    async fn get_cart_with_products(
        &self,
        email: &str,
    ) -> StoreResult<(Option<Cart>, Vec<Product>)> {
        let email = email.to_owned();
        self.run(move |c| {
            let Some(cart) = cart::load(c, &email)? else {
                return Ok((None, Vec::new()));
            };
            let products = catalog::get_many(c, &cart.product_ids())?;
            Ok((Some(cart), products))
        })
        .await
    }

    async fn close(&self) {
        // Fold the WAL back into the main file so a copied database is whole.
        let _ = self
            .blocking(|c| {
                c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
                Ok(())
            })
            .await;
        // The server is done with the file: another may take it over now,
        // even while this value lives on in a task that has not ended yet.
        if let Ok(mut owner) = self.owner.lock() {
            owner.take();
        }
    }
}

/// An address as its column holds it: a JSON object (one line of text for
/// those written before addresses had parts).
pub(super) fn address_column(address: &crate::domain::address::Address) -> StoreResult<String> {
    Ok(serde_json::to_string(address)?)
}

/// The address in a column [`address_column`] wrote, or an older line of text.
pub(super) fn address_from_column(text: &str) -> StoreResult<crate::domain::address::Address> {
    if text.starts_with('{') {
        Ok(serde_json::from_str(text)?)
    } else {
        Ok(crate::domain::address::Address::from_legacy(text, ""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_snapshots_always_end() {
        let conn = Connection::open_in_memory().expect("open");
        let out = read_snapshot(&conn, |c| {
            Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?)
        });
        assert_eq!(out.expect("read"), 1);
        assert!(conn.is_autocommit());

        let failed: StoreResult<()> =
            read_snapshot(&conn, |c| Ok(c.execute_batch("SELECT * FROM missing")?));
        assert!(failed.is_err());
        assert!(conn.is_autocommit(), "rolled back after an error");

        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _: StoreResult<()> = read_snapshot(&conn, |_| panic!("boom"));
        }));
        assert!(panicked.is_err());
        assert!(conn.is_autocommit(), "rolled back after a panic");
    }

    /// A store on a fresh file holding a table `t (n INTEGER)`, and its directory.
    async fn scratch_store() -> (SqliteStore, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("tienda-writer-{}", crate::domain::new_id()));
        let path = dir.join("t.db");
        let store = SqliteStore::open(path.to_str().expect("utf-8 path"), 2)
            .await
            .expect("open");
        exec(&store, "CREATE TABLE t (n INTEGER)")
            .await
            .expect("create");
        (store, dir)
    }

    /// A write of one SQL statement.
    async fn exec(store: &SqliteStore, sql: &'static str) -> StoreResult<()> {
        store
            .write(move |c| {
                c.execute_batch(sql)?;
                Ok(())
            })
            .await
    }

    async fn numbers(store: &SqliteStore) -> Vec<i64> {
        store
            .run(|c| {
                let mut st = c.prepare("SELECT n FROM t ORDER BY n")?;
                let rows = st.query_map([], |r| r.get(0))?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
            .expect("read")
    }

    #[tokio::test]
    async fn a_panicking_write_fails_alone() {
        let (store, dir) = scratch_store().await;
        // Queued back to back: usually one batch with the panicking write,
        // and either way the others must commit and the writer live on.
        let (before, panicked, after) = tokio::join!(
            exec(&store, "INSERT INTO t VALUES (1)"),
            store.write(|c| -> StoreResult<()> {
                c.execute_batch("INSERT INTO t VALUES (2)")?;
                panic!("a bug in a write")
            }),
            exec(&store, "INSERT INTO t VALUES (3)"),
        );
        assert!(before.is_ok() && after.is_ok(), "{before:?} {after:?}");
        assert!(panicked.is_err());
        // The writer thread lives on; the panicked write left nothing behind.
        exec(&store, "INSERT INTO t VALUES (4)")
            .await
            .expect("later write");
        assert_eq!(numbers(&store).await, vec![1, 3, 4]);
        drop(store);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_failing_write_leaves_nothing_behind_alone_or_in_a_batch() {
        let (store, dir) = scratch_store().await;
        // Changes something, then refuses, as a checkout does when its
        // second line is out of stock.
        let failing = |n: i64| {
            store.write(move |c| -> StoreResult<()> {
                c.execute("INSERT INTO t VALUES (?1)", [n])?;
                Err(StoreError::CartEmpty)
            })
        };
        assert!(failing(1).await.is_err(), "alone");
        let (before, failed, after) = tokio::join!(
            exec(&store, "INSERT INTO t VALUES (2)"),
            failing(3),
            exec(&store, "INSERT INTO t VALUES (4)"),
        );
        assert!(before.is_ok() && after.is_ok(), "{before:?} {after:?}");
        assert!(failed.is_err());
        assert_eq!(numbers(&store).await, vec![2, 4]);
        drop(store);
        let _ = std::fs::remove_dir_all(dir);
    }
}
