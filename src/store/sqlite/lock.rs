//! The owner's lock on an SQLite store: the SQLite backend assumes one
//! process owns the file (its caches and product-change feed see only that
//! process's writes), so `tienda serve` holds an exclusive advisory lock on
//! a file beside the database for as long as the store is open, and a second
//! server or a `tienda restore` on the same file refuses instead of going on
//! beside it. Tools that may run beside a server (`tienda admin`,
//! `tienda backup`) do not take it.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// An exclusive lock on `<database>.lock`, released when dropped (or when
/// the process ends, however it ends: the kernel drops it with the file).
#[derive(Debug)]
pub struct StoreLock {
    /// Held open: closing it releases the lock.
    _file: File,
}

/// The lock file of the database at `database`.
pub fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

impl StoreLock {
    /// Takes the lock of the database at `database` without waiting; refuses,
    /// naming the database, when another server (or restore) holds it.
    pub fn acquire(database: &Path) -> anyhow::Result<Self> {
        let path = lock_path(database);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| anyhow::anyhow!("cannot open the lock file {}: {e}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(TryLockError::WouldBlock) => anyhow::bail!(
                "the SQLite store {} is in use by a running tienda (it holds {}): \
                 stop that server first",
                database.display(),
                path.display()
            ),
            Err(TryLockError::Error(e)) => {
                anyhow::bail!("cannot lock {}: {e}", path.display())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_owner_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().expect("dir");
        let db = dir.path().join("shop.db");
        let first = StoreLock::acquire(&db).expect("first owner");
        let refused = StoreLock::acquire(&db).expect_err("second owner refused");
        let message = format!("{refused:#}");
        assert!(
            message.contains("shop.db") && message.contains("in use"),
            "{message}"
        );
        drop(first);
        StoreLock::acquire(&db).expect("free again once dropped");
    }
}
