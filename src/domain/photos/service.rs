//! The photo operations: upload (validate and re-encode every file, store
//! them, then list them on the product), delete, reorder, serve.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;

use super::{
    etag, main_photo_url, reordered, with_added, without, PhotoRefusal, PhotoRules, PhotoSize,
    PhotoText, ProcessedPhoto, ProductPhoto, PHOTO_FIELD,
};
use serde_json::json;

use crate::domain::accounts::Identity;
use crate::domain::audit;
use crate::domain::catalog::Product;
use crate::domain::error::{ShopError, ShopResult};
use crate::domain::message::MessageId;
use crate::domain::now;
use crate::domain::ports::{Store, StoreError};
use crate::domain::validation::FieldErrors;

/// Runs [`super::upload::process`] where it cannot hold up requests (its
/// decode and resize take a core for a while): the application's runner
/// bounds how many run at once.
#[async_trait]
pub trait PhotoWorker: Send + Sync {
    /// Validates and re-encodes one upload as a new photo; `Ok(Err(_))` when
    /// the upload is refused, `Err(_)` when the runner failed.
    async fn process(
        &self,
        upload: Bytes,
        rules: PhotoRules,
    ) -> ShopResult<Result<ProcessedPhoto, PhotoRefusal>>;
}

/// One stored file of a photo, ready to serve.
#[derive(Debug, Clone)]
pub struct PhotoFile {
    /// The JPEG.
    pub bytes: Bytes,
    /// Its strong validator ([`etag`]).
    pub etag: String,
}

/// Photo uploads and changes over the store (admins only: the caller checks
/// the role).
pub struct Photos {
    store: Arc<dyn Store>,
    worker: Arc<dyn PhotoWorker>,
    rules: PhotoRules,
    /// Photo list changes read the product's list and write it back: one at
    /// a time in this process, so two uploads to one product both land.
    edits: tokio::sync::Mutex<()>,
}

impl Photos {
    /// Photo operations on `store`, processing uploads on `worker` by `rules`.
    pub fn new(store: Arc<dyn Store>, worker: Arc<dyn PhotoWorker>, rules: PhotoRules) -> Self {
        Self {
            store,
            worker,
            rules,
            edits: tokio::sync::Mutex::new(()),
        }
    }

    /// The limits uploads are held to.
    pub fn rules(&self) -> PhotoRules {
        self.rules
    }

    /// Adds `uploads` to product `id`, after its photos, in order. Every
    /// upload is checked first: if any is refused (naming [`PHOTO_FIELD`]
    /// and which one), nothing is stored.
    pub async fn add(&self, who: &Identity, id: &str, uploads: Vec<Bytes>) -> ShopResult<Product> {
        if uploads.is_empty() {
            return Err(FieldErrors::single(PHOTO_FIELD, PhotoText::Missing).into());
        }
        let product = self.product(id).await?;
        super::check_count(product.photos.len(), uploads.len())?;
        let mut processed = Vec::with_capacity(uploads.len());
        let mut errors = FieldErrors::default();
        for (i, upload) in uploads.into_iter().enumerate() {
            // One at a time: an upload of many files takes one of the
            // runner's places, not all of them.
            match self.worker.process(upload, self.rules).await? {
                Ok(photo) => processed.push(photo),
                Err(refusal) => errors.add(PHOTO_FIELD, refusal.message(i + 1)),
            }
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let mut stored: Vec<String> = Vec::with_capacity(processed.len());
        let mut new = Vec::with_capacity(processed.len());
        for ProcessedPhoto { photo, files } in processed {
            if let Err(e) = self.store.put_photo(&photo.id, files).await {
                self.forget(&stored).await;
                return Err(e.into());
            }
            stored.push(photo.id.clone());
            new.push(photo);
        }
        let saved: ShopResult<Product> = async {
            let _edit = self.edits.lock().await;
            let product = self.product(id).await?;
            let photos = with_added(&product.photos, &new)?;
            self.save(who, "product.photos_add", &product, &photos)
                .await
        }
        .await;
        if saved.is_err() {
            self.forget(&stored).await;
        }
        saved
    }

    /// Removes photo `photo_id` from product `id` and deletes its files.
    pub async fn remove(&self, who: &Identity, id: &str, photo_id: &str) -> ShopResult<Product> {
        let saved = {
            let _edit = self.edits.lock().await;
            let product = self.product(id).await?;
            let photos =
                without(&product.photos, photo_id).ok_or_else(|| not_found(id, photo_id))?;
            super::check_unused(&product, photo_id)?;
            self.save(who, "product.photo_remove", &product, &photos)
                .await?
        };
        // The product no longer names it: a failure here leaves unreachable
        // files, never a product showing a missing photo.
        if let Err(e) = self.store.delete_photo(photo_id).await {
            tracing::warn!(photo_id, "photo files not deleted: {e:#}");
        }
        Ok(saved)
    }

    /// Puts product `id`'s photos in `order` (each of its photo ids once).
    pub async fn reorder(&self, who: &Identity, id: &str, order: &[String]) -> ShopResult<Product> {
        let _edit = self.edits.lock().await;
        let product = self.product(id).await?;
        let photos = reordered(&product.photos, order)?;
        self.save(who, "product.photos_reorder", &product, &photos)
            .await
    }

    /// The file of photo `photo_id` in `size`; not found once deleted.
    pub async fn file(&self, photo_id: &str, size: PhotoSize) -> ShopResult<PhotoFile> {
        let missing = || ShopError::NotFound(PhotoText::NotFound.arg("id", photo_id));
        if !crate::domain::is_id(photo_id) {
            return Err(missing());
        }
        let bytes = self
            .store
            .photo_file(photo_id, size)
            .await?
            .ok_or_else(missing)?;
        Ok(PhotoFile {
            bytes,
            etag: etag(photo_id, size),
        })
    }

    async fn product(&self, id: &str) -> ShopResult<Product> {
        match self.store.get_product(id).await? {
            Some(product) => Ok(Product::clone(&product)),
            None => Err(StoreError::ProductNotFound {
                product_id: id.to_owned(),
            }
            .into()),
        }
    }

    /// Writes `photos` (and the `photo_url` they imply) onto `product`,
    /// and records `action` in the audit log with the photo ids before and
    /// after.
    async fn save(
        &self,
        who: &Identity,
        action: &str,
        product: &Product,
        photos: &[ProductPhoto],
    ) -> ShopResult<Product> {
        let url = main_photo_url(photos, &product.photo_url);
        let saved = self
            .store
            .set_product_photos(&product.id, photos, &url, now())
            .await?
            .ok_or_else(|| StoreError::ProductNotFound {
                product_id: product.id.clone(),
            })?;
        let ids = |photos: &[ProductPhoto]| json!({ "photos": photos.iter().map(|p| p.id.as_str()).collect::<Vec<_>>() });
        let target = format!("product:{}", product.id);
        audit::record(
            &*self.store,
            who,
            action,
            &target,
            Some(ids(&product.photos)),
            Some(ids(photos)),
        )
        .await?;
        Ok(saved)
    }

    /// Deletes the files of photos no product will name.
    async fn forget(&self, ids: &[String]) {
        for id in ids {
            if let Err(e) = self.store.delete_photo(id).await {
                tracing::warn!(photo_id = %id, "photo files not deleted: {e:#}");
            }
        }
    }
}

fn not_found(product_id: &str, photo_id: &str) -> ShopError {
    ShopError::NotFound(
        PhotoText::NotFound
            .arg("id", crate::domain::truncate(photo_id, 64))
            .arg("product_id", product_id),
    )
}
