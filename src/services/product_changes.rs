//! Reading the store's product change feed
//! ([`CatalogStore::watch_products`](crate::store::CatalogStore::watch_products))
//! in batches: what the search indexer and the stock feed share.

use futures_util::stream::BoxStream;
use futures_util::{FutureExt, StreamExt};

use crate::store::StoreResult;

/// The ids of changed products, as the store reports them.
pub type ChangeFeed = BoxStream<'static, StoreResult<String>>;

/// Waits for the next change, then takes whatever else is already waiting
/// (up to `max` ids), so a burst of writes is read back in one store call.
/// `Err` says why the feed must be listened to again (it ended, or it
/// failed: missed changes, a lost connection); ids gathered before a
/// failure are dropped, since the caller starts over anyway.
pub async fn next_batch(feed: &mut ChangeFeed, max: usize) -> Result<Vec<String>, String> {
    let first = match feed.next().await {
        None => return Err("the product change feed ended".into()),
        Some(Err(e)) => return Err(failure(e)),
        Some(Ok(id)) => id,
    };
    let mut ids = vec![first];
    while ids.len() < max {
        match feed.next().now_or_never() {
            Some(Some(Ok(id))) => ids.push(id),
            Some(Some(Err(e))) => return Err(failure(e)),
            Some(None) | None => break,
        }
    }
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// The feed's error with its causes (a backend error's own text is generic).
fn failure(e: crate::store::StoreError) -> String {
    format!("a product change feed error: {:#}", anyhow::Error::new(e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreError;

    fn feed(items: Vec<StoreResult<String>>) -> ChangeFeed {
        futures_util::stream::iter(items).boxed()
    }

    #[tokio::test]
    async fn waiting_changes_come_in_one_sorted_batch_without_repeats() {
        let mut f = feed(vec![Ok("b".into()), Ok("a".into()), Ok("b".into())]);
        assert_eq!(
            next_batch(&mut f, 10).await,
            Ok(vec!["a".into(), "b".into()])
        );
        assert!(next_batch(&mut f, 10).await.is_err(), "ended");
    }

    #[tokio::test]
    async fn a_batch_stops_at_its_size_and_a_failure_is_reported() {
        let mut f = feed(vec![
            Ok("a".into()),
            Ok("b".into()),
            Err(StoreError::backend(anyhow::anyhow!("lagged"))),
        ]);
        assert_eq!(next_batch(&mut f, 1).await, Ok(vec!["a".into()]));
        let failed = next_batch(&mut f, 10).await;
        assert!(failed.is_err_and(|why| why.contains("lagged")));
    }
}
