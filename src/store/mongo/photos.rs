//! Photo files in GridFS (bucket `photos`: collections `photos.files` and
//! `photos.chunks`), so every instance on the replica set serves every
//! photo. Each size is one GridFS file whose `_id` and name are
//! `ID/SIZE` (`…/400`, `…/1200`); GridFS writes a file's entry in
//! `photos.files` only after all of its chunks, so a reader never sees a
//! partly written file.

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use mongodb::bson::Bson;
use mongodb::error::{ErrorKind, GridFsErrorKind};
use mongodb::gridfs::GridFsBucket;
use mongodb::options::GridFsBucketOptions;

use super::MongoStore;
use crate::domain::photos::PhotoSize;
use crate::store::{PhotoStore, StoreError, StoreResult};

/// The GridFS bucket's name.
pub const BUCKET: &str = "photos";

impl MongoStore {
    fn photos(&self) -> GridFsBucket {
        self.db.gridfs_bucket(
            GridFsBucketOptions::builder()
                .bucket_name(BUCKET.to_owned())
                .build(),
        )
    }
}

/// The GridFS `_id` (and name) of photo `id` in `size`.
fn file_id(id: &str, size: PhotoSize) -> String {
    format!("{id}/{}", size.name())
}

fn is_not_found(err: &mongodb::error::Error) -> bool {
    matches!(
        err.kind.as_ref(),
        ErrorKind::GridFs(GridFsErrorKind::FileNotFound { .. })
    )
}

async fn upload(bucket: &GridFsBucket, name: &str, bytes: &[u8]) -> StoreResult<()> {
    let mut stream = bucket
        .open_upload_stream(name)
        .id(Bson::String(name.to_owned()))
        .await?;
    if let Err(e) = stream.write_all(bytes).await {
        let _ = stream.abort().await;
        return Err(StoreError::backend(e));
    }
    stream.close().await.map_err(StoreError::backend)
}

#[async_trait]
impl PhotoStore for MongoStore {
    async fn put_photo(&self, id: &str, files: Vec<(PhotoSize, Vec<u8>)>) -> StoreResult<()> {
        let bucket = self.photos();
        for (size, bytes) in &files {
            if let Err(e) = upload(&bucket, &file_id(id, *size), bytes).await {
                // None of the photo stays: the others written are removed.
                let _ = self.delete_photo(id).await;
                return Err(e);
            }
        }
        Ok(())
    }

    async fn photo_file(&self, id: &str, size: PhotoSize) -> StoreResult<Option<Bytes>> {
        let bucket = self.photos();
        let mut stream = match bucket
            .open_download_stream(Bson::String(file_id(id, size)))
            .await
        {
            Ok(stream) => stream,
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let mut bytes = Vec::new();
        stream
            .read_to_end(&mut bytes)
            .await
            .map_err(StoreError::backend)?;
        Ok(Some(Bytes::from(bytes)))
    }

    async fn delete_photo(&self, id: &str) -> StoreResult<bool> {
        let bucket = self.photos();
        let mut any = false;
        for size in PhotoSize::ALL {
            match bucket.delete(Bson::String(file_id(id, *size))).await {
                Ok(()) => any = true,
                Err(e) if is_not_found(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(any)
    }
}
