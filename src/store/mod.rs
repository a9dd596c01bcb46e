//! Storage: the domain's ports (`crate::domain::ports`) implemented twice
//! (SQLite embedded, MongoDB for several instances), plus the cache in front
//! of them. The backend is picked once, from `store.url`.

pub mod backup;
pub mod cache;
pub mod mongo;
pub mod sqlite;

use std::sync::Arc;

pub use crate::domain::ports::*;

/// Opens the store named by `url` for a server, brings its schema up to
/// date, and puts the caches in front of it. An SQLite file is claimed for
/// this process until [`Store::close`] (see [`sqlite::lock`]).
pub async fn open(url: &str, pool_size: u32) -> anyhow::Result<Arc<dyn Store>> {
    open_as(url, pool_size, true).await
}

/// Opens the store named by `url` for a command-line tool that may run while
/// a server has it open (`tienda admin`): no claim on an SQLite file.
pub async fn open_beside_server(url: &str, pool_size: u32) -> anyhow::Result<Arc<dyn Store>> {
    open_as(url, pool_size, false).await
}

async fn open_as(url: &str, pool_size: u32, own: bool) -> anyhow::Result<Arc<dyn Store>> {
    let backend: Arc<dyn Store> = if let Some(path) = sqlite_path(url) {
        Arc::new(if own {
            sqlite::SqliteStore::open(path, pool_size).await?
        } else {
            sqlite::SqliteStore::open_beside_server(path, pool_size).await?
        })
    } else if is_mongodb(url) {
        mongo::MongoStore::open(url, pool_size).await?
    } else {
        anyhow::bail!("store.url must start with sqlite://, mongodb:// or mongodb+srv://")
    };
    Ok(Arc::new(cache::CachedStore::new(backend)))
}

/// The database file of an `sqlite://PATH` store URL.
pub fn sqlite_path(url: &str) -> Option<&str> {
    url.strip_prefix("sqlite://")
}

/// Whether `url` names a MongoDB store.
pub fn is_mongodb(url: &str) -> bool {
    url.starts_with("mongodb://") || url.starts_with("mongodb+srv://")
}

/// The refusal of a store a newer tienda wrote, worded once for both
/// backends: reading it could misread or damage what the newer schema means.
pub(crate) fn newer_schema(store: &str, found: usize, known: usize) -> anyhow::Error {
    anyhow::anyhow!(
        "{store} has schema version {found}, newer than this tienda {} knows ({known}): \
         run the tienda that wrote it, or a newer one",
        env!("CARGO_PKG_VERSION")
    )
}
