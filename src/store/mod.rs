//! Storage: the domain's ports (`crate::domain::ports`) implemented twice
//! (SQLite embedded, MongoDB for several instances), plus the cache in front
//! of them. The backend is picked once, from `store.url`.

pub mod cache;
pub mod mongo;
pub mod sqlite;

use std::sync::Arc;

pub use crate::domain::ports::*;

/// Opens the store named by `url`, brings its schema up to date, and puts
/// the caches in front of it.
pub async fn open(url: &str, pool_size: u32) -> anyhow::Result<Arc<dyn Store>> {
    let backend: Arc<dyn Store> = if let Some(path) = url.strip_prefix("sqlite://") {
        Arc::new(sqlite::SqliteStore::open(path, pool_size).await?)
    } else if url.starts_with("mongodb://") || url.starts_with("mongodb+srv://") {
        mongo::MongoStore::open(url, pool_size).await?
    } else {
        anyhow::bail!("store.url must start with sqlite://, mongodb:// or mongodb+srv://")
    };
    Ok(Arc::new(cache::CachedStore::new(backend)))
}
