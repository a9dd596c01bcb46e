//! Photo files on disk, in the `photos` folder beside the database file:
//! `photos/ID/400.jpg`, `photos/ID/1200.jpg`. A photo is written whole into
//! a hidden temporary folder (every file synced), then renamed into place in
//! one step, so a reader finds all of its files or none; deleting renames
//! it out of the way first for the same reason.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;

use super::SqliteStore;
use crate::domain::is_id;
use crate::domain::photos::PhotoSize;
use crate::store::{PhotoStore, StoreError, StoreResult};

/// The folder of every photo.
pub(super) struct PhotoDir(PathBuf);

impl PhotoDir {
    /// `photos/` beside the database file `db`.
    pub(super) fn beside(db: &Path) -> Self {
        let dir = db.parent().unwrap_or(Path::new("."));
        Self(dir.join("photos"))
    }

    /// The folder of photo `id`; refuses anything but an id (no path can
    /// leave the photos folder).
    fn photo(&self, id: &str) -> StoreResult<PathBuf> {
        if !is_id(id) {
            return Err(StoreError::backend(anyhow::anyhow!(
                "`{id}` is not a photo id"
            )));
        }
        Ok(self.0.join(id))
    }

    fn put(&self, id: &str, files: &[(PhotoSize, Vec<u8>)]) -> StoreResult<()> {
        let target = self.photo(id)?;
        fs::create_dir_all(&self.0).map_err(io)?;
        let temp = self
            .0
            .join(format!(".{id}.{}.partial", uuid::Uuid::new_v4().simple()));
        let written = (|| {
            fs::create_dir(&temp)?;
            for (size, bytes) in files {
                let mut file = fs::File::create(temp.join(size.file_name()))?;
                file.write_all(bytes)?;
                file.sync_all()?;
            }
            fs::File::open(&temp)?.sync_all()?;
            fs::rename(&temp, &target)?;
            fs::File::open(&self.0)?.sync_all()
        })();
        if written.is_err() {
            let _ = fs::remove_dir_all(&temp);
        }
        written.map_err(io)
    }

    fn read(&self, id: &str, size: PhotoSize) -> StoreResult<Option<Bytes>> {
        let path = self.photo(id)?.join(size.file_name());
        match fs::read(path) {
            Ok(bytes) => Ok(Some(Bytes::from(bytes))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(e)),
        }
    }

    fn delete(&self, id: &str) -> StoreResult<bool> {
        let target = self.photo(id)?;
        let gone = self
            .0
            .join(format!(".{id}.{}.deleted", uuid::Uuid::new_v4().simple()));
        match fs::rename(&target, &gone) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(io(e)),
        }
        fs::remove_dir_all(&gone).map_err(io)?;
        Ok(true)
    }
}

fn io(err: std::io::Error) -> StoreError {
    StoreError::backend(anyhow::Error::new(err).context("photo files"))
}

#[async_trait]
impl PhotoStore for SqliteStore {
    async fn put_photo(&self, id: &str, files: Vec<(PhotoSize, Vec<u8>)>) -> StoreResult<()> {
        let dir = PhotoDir(self.photos.0.clone());
        let id = id.to_owned();
        tokio::task::spawn_blocking(move || dir.put(&id, &files))
            .await
            .map_err(StoreError::backend)?
    }

    async fn photo_file(&self, id: &str, size: PhotoSize) -> StoreResult<Option<Bytes>> {
        // Served photos are small and sit in the OS's cache: read right here,
        // as the store's reads do, rather than hand off to a blocking thread.
        self.photos.read(id, size)
    }

    async fn delete_photo(&self, id: &str) -> StoreResult<bool> {
        let dir = PhotoDir(self.photos.0.clone());
        let id = id.to_owned();
        tokio::task::spawn_blocking(move || dir.delete(&id))
            .await
            .map_err(StoreError::backend)?
    }
}
