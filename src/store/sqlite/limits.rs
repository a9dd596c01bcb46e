use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

use super::{ms, SqliteStore};
use crate::domain::Timestamp;
use crate::store::{LimitStore, StoreResult};

#[async_trait]
impl LimitStore for SqliteStore {
    async fn hit(
        &self,
        key: &str,
        window_start: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<u64> {
        let key = format!("{key}@{}", ms(window_start));
        self.write(move |tx| {
            let hits: i64 = tx
                .prepare_cached(
                    "INSERT INTO rate_limits (key, hits, expires_at) VALUES (?1, 1, ?2)
                     ON CONFLICT (key) DO UPDATE SET hits = hits + 1 RETURNING hits",
                )?
                .query_row(params![key, ms(expires_at)], |r| r.get(0))?;
            Ok(hits as u64)
        })
        .await
    }

    async fn hits(&self, key: &str, window_start: Timestamp) -> StoreResult<u64> {
        let key = format!("{key}@{}", ms(window_start));
        self.run(move |c| {
            let hits: Option<i64> = c
                .prepare_cached("SELECT hits FROM rate_limits WHERE key = ?1")?
                .query_row([key], |r| r.get(0))
                .optional()?;
            Ok(hits.map_or(0, |h| u64::try_from(h).unwrap_or(0)))
        })
        .await
    }

    async fn purge_limits(&self, before: Timestamp) -> StoreResult<u64> {
        self.write(move |tx| {
            Ok(tx.execute(
                "DELETE FROM rate_limits WHERE expires_at < ?1",
                [ms(before)],
            )? as u64)
        })
        .await
    }
}
