//! Where uploaded photos are decoded and resized: on tokio's blocking
//! threads, at most [`MAX_AT_ONCE`] at a time, so uploads cannot take every
//! core from the requests the shop serves meanwhile (a 12-megapixel JPEG
//! keeps a core busy for a good part of a second).

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::Semaphore;

use crate::domain::error::{ShopError, ShopResult};
use crate::domain::new_id;
use crate::domain::photos::{upload, PhotoRefusal, PhotoRules, PhotoWorker, ProcessedPhoto};

/// Photos processed at once; more wait their turn.
pub const MAX_AT_ONCE: usize = 2;

/// The bounded runner of [`upload::process`].
pub struct PhotoProcessing {
    places: Arc<Semaphore>,
}

impl PhotoProcessing {
    /// A runner with [`MAX_AT_ONCE`] places.
    pub fn new() -> Self {
        Self {
            places: Arc::new(Semaphore::new(MAX_AT_ONCE)),
        }
    }
}

impl Default for PhotoProcessing {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl PhotoWorker for PhotoProcessing {
    async fn process(
        &self,
        upload: Bytes,
        rules: PhotoRules,
    ) -> ShopResult<Result<ProcessedPhoto, PhotoRefusal>> {
        let place = self
            .places
            .clone()
            .acquire_owned()
            .await
            .map_err(ShopError::internal)?;
        tokio::task::spawn_blocking(move || {
            let _place = place; // held until the work is done, even if the request is gone
            upload::process(&upload, &rules, new_id())
        })
        .await
        .map_err(ShopError::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn no_more_than_two_run_at_once() {
        let runner = Arc::new(PhotoProcessing::new());
        let place = runner.places.clone().acquire_many_owned(2).await;
        assert!(place.is_ok());
        let waiting = {
            let runner = runner.clone();
            tokio::spawn(async move {
                runner
                    .process(Bytes::from_static(b"not a photo"), PhotoRules::default())
                    .await
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "ran while both places were taken");
        drop(place);
        let refused = waiting.await.ok().and_then(|r| r.ok());
        assert_eq!(
            refused.map(|r| r.err()),
            Some(Some(PhotoRefusal::Unsupported { kind: "" }))
        );
    }
}
