//! `tienda backup` and `tienda restore` on the embedded store, through
//! SQLite's online backup API: pages are copied by SQLite itself, so the
//! copy is one consistent state of the database (never a file copied half
//! before and half after a checkout) and the WAL is read, not left behind.
//!
//! The copy runs inside one read transaction on the source. With the store
//! in WAL mode that snapshot never blocks the server's writer; it only keeps
//! checkpoints from passing it until the copy ends. Copying in several steps
//! *without* holding it would restart the copy from the first page whenever
//! the server commits between two steps: under steady checkouts it might
//! never finish.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use super::lock::StoreLock;
use super::SCHEMA_VERSION;

/// What a verified backup or restored store holds, for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The file written.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its schema version (`PRAGMA user_version`).
    pub version: usize,
    /// Rows in `users`.
    pub users: i64,
    /// Rows in `products`.
    pub products: i64,
    /// Rows in `orders`.
    pub orders: i64,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} bytes, schema version {}, integrity ok; {} users, {} products, {} orders",
            self.path.display(),
            self.bytes,
            self.version,
            self.users,
            self.products,
            self.orders
        )
    }
}

/// How long a copy waits for a lock another connection holds (a migration,
/// `tienda admin` writing) before it gives up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Copies the store at `store` into a new file `dest` while a server may be
/// serving it, then checks the copy. `dest` must not exist: a backup never
/// overwrites one. The copy is written beside it as `dest.partial` and only
/// takes its name once verified, so a file named `dest` is always whole.
pub fn backup(store: &Path, dest: &Path) -> anyhow::Result<Summary> {
    if !store.is_file() {
        anyhow::bail!(
            "there is no SQLite store at {} (store.url)",
            store.display()
        );
    }
    if dest.exists() {
        anyhow::bail!(
            "{} exists: a backup never overwrites a file, name a new one",
            dest.display()
        );
    }
    if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    }
    let partial = with_suffix(dest, ".partial");
    // Reserves the name: two backups to one path never write one file.
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&partial)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => anyhow::anyhow!(
                "{} exists: another backup to {} is running, or one was interrupted \
                 (remove it if none runs)",
                partial.display(),
                dest.display()
            ),
            _ => anyhow::anyhow!("cannot create {}: {e}", partial.display()),
        })?;
    let written = copy_and_verify(store, &partial).and_then(|summary| {
        // A hard link fails if `dest` appeared meanwhile, where a rename
        // would replace it.
        std::fs::hard_link(&partial, dest).map_err(|e| {
            anyhow::anyhow!("cannot name the verified copy {}: {e}", dest.display())
        })?;
        Ok(Summary {
            path: dest.to_path_buf(),
            ..summary
        })
    });
    let _ = std::fs::remove_file(&partial);
    written
}

fn copy_and_verify(store: &Path, partial: &Path) -> anyhow::Result<Summary> {
    let source = open_existing(store, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    // The snapshot the whole copy is taken from (see the module comment).
    source.execute_batch("BEGIN")?;
    let version = schema_version(&source)?;
    let mut copy = Connection::open(partial)?;
    copy_pages(&source, &mut copy)?;
    source.execute_batch("COMMIT")?;
    // A backup is one self-contained file (no -wal beside it), readable
    // even from read-only media.
    copy.pragma_update(None, "journal_mode", "DELETE")?;
    let summary = verify(&copy, partial, "the backup")?;
    if summary.version != version {
        anyhow::bail!(
            "the backup has schema version {}, the store {version}: not a faithful copy",
            summary.version
        );
    }
    copy.close().map_err(|(_, e)| e)?;
    Ok(Summary {
        bytes: std::fs::metadata(partial)?.len(),
        ..summary
    })
}

/// Replaces the store at `store` with the backup at `file`, once the backup
/// is verified and no server holds the store; then checks the result. A
/// backup from an older tienda is fine (the next start migrates it); one
/// from a newer tienda is refused.
pub fn restore(file: &Path, store: &Path) -> anyhow::Result<Summary> {
    if !file.is_file() {
        anyhow::bail!("there is no backup at {}", file.display());
    }
    let backup = open_existing(file, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let found = verify(&backup, file, "the backup")?;
    if let Some(dir) = store.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    }
    // Held until the store is whole again: no server starts on half of it.
    let _owner = StoreLock::acquire(store)?;
    let mut target = Connection::open(store)?;
    target.busy_timeout(BUSY_TIMEOUT)?;
    // As the server keeps it; an existing -wal is recovered by this open,
    // and the copy below goes through it like any write.
    target.pragma_update(None, "journal_mode", "WAL")?;
    copy_pages(&backup, &mut target)?;
    target.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    let restored = verify(&target, store, "the restored store")?;
    if restored.version != found.version {
        anyhow::bail!(
            "the restored store has schema version {}, the backup {}",
            restored.version,
            found.version
        );
    }
    target.close().map_err(|(_, e)| e)?;
    Ok(Summary {
        bytes: std::fs::metadata(store)?.len(),
        ..restored
    })
}

/// Opens a database that must already exist (never creates an empty one
/// where a name was mistyped).
fn open_existing(path: &Path, access: OpenFlags) -> anyhow::Result<Connection> {
    let conn = Connection::open_with_flags(path, access | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

/// Copies every page of `from` into `to` in one step (one snapshot).
fn copy_pages(from: &Connection, to: &mut Connection) -> anyhow::Result<()> {
    let copy = Backup::new(from, to)?;
    // Busy or locked: a lock the busy timeout did not cover (another process
    // writing the destination); short retries, then a clear failure.
    for _ in 0..50 {
        match copy.step(-1)? {
            StepResult::Done => return Ok(()),
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    }
    anyhow::bail!("the copy kept finding the database locked; is another tool writing to it?")
}

fn schema_version(conn: &Connection) -> rusqlite::Result<usize> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Checks that `conn` (the file at `path`, named `what` in messages) is a
/// whole tienda store this binary can open, and counts what it holds.
fn verify(conn: &Connection, path: &Path, what: &str) -> anyhow::Result<Summary> {
    let problems: Vec<String> = {
        let mut st = conn.prepare("PRAGMA integrity_check")?;
        let rows = st.query_map([], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    if problems != ["ok"] {
        anyhow::bail!(
            "{what} {} fails SQLite's integrity check: {}",
            path.display(),
            problems.join("; ")
        );
    }
    let version = schema_version(conn)?;
    if version == 0 {
        anyhow::bail!("{what} {} is not a tienda store", path.display());
    }
    if version > SCHEMA_VERSION {
        return Err(crate::store::newer_schema(
            &format!("{what} {}", path.display()),
            version,
            SCHEMA_VERSION,
        ));
    }
    let count = |table: &str| -> anyhow::Result<i64> {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .map_err(|e| anyhow::anyhow!("{what} {} has no {table}: {e}", path.display()))
    };
    Ok(Summary {
        path: path.to_path_buf(),
        bytes: 0,
        version,
        users: count("users")?,
        products: count("products")?,
        orders: count("orders")?,
    })
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store at the current schema with one product, closed.
    fn store_with_a_product(dir: &Path) -> PathBuf {
        let path = dir.join("shop.db");
        let mut conn = Connection::open(&path).expect("create");
        conn.pragma_update(None, "journal_mode", "WAL")
            .expect("wal");
        super::super::migrate(&mut conn, "shop.db").expect("migrate");
        conn.execute(
            "INSERT INTO products (id, name, description, category, price, currency, \
             photo_url, stock, created_at, updated_at) \
             VALUES ('p1', 'Lamp', 'A lamp', 'misc', 1999, 'EUR', '/x.svg', 5, 0, 0)",
            [],
        )
        .expect("product");
        path
    }

    #[test]
    fn a_backup_is_whole_and_never_overwrites() {
        let dir = tempfile::tempdir().expect("dir");
        let store = store_with_a_product(dir.path());
        let dest = dir.path().join("backups/one.db");
        let summary = backup(&store, &dest).expect("backup");
        assert_eq!(summary.version, SCHEMA_VERSION);
        assert_eq!((summary.products, summary.users, summary.orders), (1, 0, 0));
        assert!(summary.bytes > 0 && dest.is_file());
        assert!(!with_suffix(&dest, ".partial").exists(), "no leftovers");
        let again = backup(&store, &dest).expect_err("refuses to overwrite");
        assert!(
            format!("{again:#}").contains("never overwrites"),
            "{again:#}"
        );
        let missing =
            backup(&dir.path().join("nope.db"), &dir.path().join("x.db")).expect_err("no store");
        assert!(
            format!("{missing:#}").contains("no SQLite store"),
            "{missing:#}"
        );
        assert!(
            !dir.path().join("nope.db").exists(),
            "never creates the store"
        );
    }

    #[test]
    fn restore_replaces_the_store_and_refuses_newer_or_foreign_files() {
        let dir = tempfile::tempdir().expect("dir");
        let store = store_with_a_product(dir.path());
        let dest = dir.path().join("one.db");
        backup(&store, &dest).expect("backup");
        Connection::open(&store)
            .expect("open")
            .execute("DELETE FROM products", [])
            .expect("lose the product");
        let restored = restore(&dest, &store).expect("restore");
        assert_eq!(restored.products, 1);

        // Held by a server: refused, and the store untouched.
        let held = StoreLock::acquire(&store).expect("server");
        let refused = restore(&dest, &store).expect_err("in use");
        assert!(format!("{refused:#}").contains("in use"), "{refused:#}");
        drop(held);

        let newer = dir.path().join("newer.db");
        backup(&store, &newer).expect("backup");
        Connection::open(&newer)
            .expect("open")
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .expect("bump");
        let refused = restore(&newer, &store).expect_err("newer");
        assert!(
            format!("{refused:#}").contains(&format!("schema version {}", SCHEMA_VERSION + 1)),
            "{refused:#}"
        );

        let foreign = dir.path().join("foreign.db");
        Connection::open(&foreign)
            .expect("create")
            .execute_batch("CREATE TABLE t (n INTEGER)")
            .expect("table");
        let refused = restore(&foreign, &store).expect_err("not a store");
        assert!(
            format!("{refused:#}").contains("not a tienda store"),
            "{refused:#}"
        );
        assert_eq!(
            restore(&dest, &store).expect("still restorable").products,
            1
        );
    }
}
