use async_trait::async_trait;
use mongodb::bson::{doc, Document};
use mongodb::options::ReturnDocument;
use mongodb::Collection;

use super::{bson_time, is_duplicate_key, to_millis, MongoStore};
use crate::domain::Timestamp;
use crate::store::{LimitStore, StoreError, StoreResult};

const RATE_LIMITS: &str = "rate_limits";

/// Counts one hit on an existing window; `None` when the window is new.
async fn count_hit(limits: &Collection<Document>, key: &str) -> StoreResult<Option<u64>> {
    let window = limits
        .find_one_and_update(doc! { "_id": key }, doc! { "$inc": { "hits": 1_i64 } })
        .return_document(ReturnDocument::After)
        .await?;
    window.as_ref().map(hits_of).transpose()
}

fn hits_of(window: &Document) -> StoreResult<u64> {
    let hits = window
        .get_i64("hits")
        .or_else(|_| window.get_i32("hits").map(i64::from))
        .map_err(StoreError::backend)?;
    Ok(u64::try_from(hits).unwrap_or(0))
}

#[async_trait]
impl LimitStore for MongoStore {
    async fn hit(
        &self,
        key: &str,
        window_start: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<u64> {
        // One document per key and window, as in the SQLite store. Each hit
        // is one atomic `$inc` returning the new count. A window's first hit
        // creates it with `$setOnInsert` first, rather than an upserting
        // find-and-modify: under concurrent first hits some MongoDB-wire
        // servers return no document from that upsert although it counted.
        let key = format!("{key}@{}", to_millis(window_start));
        let limits = self.coll::<Document>(RATE_LIMITS);
        if let Some(hits) = count_hit(&limits, &key).await? {
            return Ok(hits);
        }
        for _ in 0..3 {
            let created = limits
                .update_one(
                    doc! { "_id": &key },
                    doc! { "$setOnInsert": { "hits": 0_i64, "expires_at": bson_time(expires_at) } },
                )
                .upsert(true)
                .await;
            match created {
                // Another first hit created it at the same moment: fine.
                Err(e) if is_duplicate_key(&e) => {}
                other => {
                    other?;
                }
            }
            if let Some(hits) = count_hit(&limits, &key).await? {
                return Ok(hits);
            }
            // Purged between the two steps: create it again.
        }
        Err(StoreError::backend(anyhow::anyhow!(
            "rate limit window {key} vanished while counting"
        )))
    }

    async fn hits(&self, key: &str, window_start: Timestamp) -> StoreResult<u64> {
        let key = format!("{key}@{}", to_millis(window_start));
        let window = self
            .coll::<Document>(RATE_LIMITS)
            .find_one(doc! { "_id": key })
            .await?;
        Ok(window.as_ref().map(hits_of).transpose()?.unwrap_or(0))
    }

    async fn purge_limits(&self, before: Timestamp) -> StoreResult<u64> {
        let result = self
            .coll::<Document>(RATE_LIMITS)
            .delete_many(doc! { "expires_at": { "$lt": bson_time(before) } })
            .await?;
        Ok(result.deleted_count)
    }
}
