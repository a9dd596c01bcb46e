//! `tienda backup` / `tienda restore` on the configured store. The embedded
//! store is copied by this binary (see [`super::sqlite::backup`]); a MongoDB
//! store is backed up with MongoDB's own tools, which the README describes.

use std::path::{Path, PathBuf};

pub use super::sqlite::backup::Summary;

/// What to run instead on MongoDB; the README's "Backups and restore" has more.
const MONGODB_WAY: &str = "store.url is a MongoDB database: back it up with \
    MongoDB's tools while the shop serves, `mongodump --uri 'mongodb://HOSTS/?replicaSet=NAME' \
    --oplog --gzip --archive=FILE` (a whole-deployment dump: --oplog refuses a single \
    database), and restore it with `mongorestore --uri ... --oplogReplay --drop --gzip \
    --archive=FILE`; README: Backups and restore";

/// Copies the store at `url` into the new file `dest` and verifies the copy.
pub async fn backup(url: &str, dest: &Path) -> anyhow::Result<Summary> {
    let store = sqlite_file(url)?;
    let dest = dest.to_path_buf();
    tokio::task::spawn_blocking(move || super::sqlite::backup::backup(&store, &dest)).await?
}

/// Replaces the store at `url` with the backup `file`, refused while a
/// server holds the store.
pub async fn restore(url: &str, file: &Path) -> anyhow::Result<Summary> {
    let store = sqlite_file(url)?;
    let file = file.to_path_buf();
    tokio::task::spawn_blocking(move || super::sqlite::backup::restore(&file, &store)).await?
}

fn sqlite_file(url: &str) -> anyhow::Result<PathBuf> {
    match super::sqlite_path(url) {
        Some(path) => Ok(PathBuf::from(path)),
        None if super::is_mongodb(url) => anyhow::bail!("{MONGODB_WAY}"),
        None => anyhow::bail!("store.url must start with sqlite://, mongodb:// or mongodb+srv://"),
    }
}
