use async_trait::async_trait;
use mongodb::bson::{doc, Document};
use mongodb::options::ReturnDocument;

use super::{bson_time, is_duplicate_key, to_millis, MongoStore};
use crate::domain::Timestamp;
use crate::store::{LimitStore, StoreError, StoreResult};

const RATE_LIMITS: &str = "rate_limits";

#[async_trait]
impl LimitStore for MongoStore {
    async fn hit(
        &self,
        key: &str,
        window_start: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<u64> {
        // One document per key and window, as in the SQLite store.
        let key = format!("{key}@{}", to_millis(window_start));
        let limits = self.coll::<Document>(RATE_LIMITS);
        let mut attempt = 0;
        let window = loop {
            attempt += 1;
            let result = limits
                .find_one_and_update(
                    doc! { "_id": &key },
                    doc! {
                        "$inc": { "hits": 1_i64 },
                        "$setOnInsert": { "expires_at": bson_time(expires_at) },
                    },
                )
                .upsert(true)
                .return_document(ReturnDocument::After)
                .await;
            match result {
                // Two first hits upserting at once: the loser just counts again.
                Err(e) if attempt < 3 && is_duplicate_key(&e) => continue,
                other => break other?,
            }
        };
        let window =
            window.ok_or_else(|| StoreError::backend(anyhow::anyhow!("rate limit upsert")))?;
        let hits = window
            .get_i64("hits")
            .or_else(|_| window.get_i32("hits").map(i64::from))
            .map_err(StoreError::backend)?;
        Ok(u64::try_from(hits).unwrap_or(0))
    }

    async fn purge_limits(&self, before: Timestamp) -> StoreResult<u64> {
        let result = self
            .coll::<Document>(RATE_LIMITS)
            .delete_many(doc! { "expires_at": { "$lt": bson_time(before) } })
            .await?;
        Ok(result.deleted_count)
    }
}
