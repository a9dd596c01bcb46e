//! What the cache neither keeps nor is changed by: carts, chat, the outbox,
//! rate limits, photo files and the audit log go straight to the store.

use futures_util::stream::BoxStream;

use async_trait::async_trait;
use tracing::instrument;

use super::CachedStore;
use crate::domain::audit::{AuditEntry, AuditFilter};
use crate::domain::cart::Cart;
use crate::domain::chat::{Message, MessageFilter};
use crate::domain::mail::{MailStatus, OutboxMail};
use crate::domain::photos::PhotoSize;
use crate::domain::{Page, Timestamp};
use crate::services::metrics::store_call;
use crate::store::{
    AuditStore, CartStore, ChatStore, LimitStore, LineRef, OutboxStore, PhotoStore, StoreResult,
};

#[async_trait]
impl CartStore for CachedStore {
    #[instrument(level = "debug", skip_all)]
    async fn get_cart(&self, email: &str) -> StoreResult<Option<Cart>> {
        store_call("get_cart", self.inner.get_cart(email)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn add_to_cart(
        &self,
        email: &str,
        line: LineRef<'_>,
        quantity: i64,
        at: Timestamp,
    ) -> StoreResult<Cart> {
        store_call(
            "add_to_cart",
            self.inner.add_to_cart(email, line, quantity, at),
        )
        .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn set_cart_quantity(
        &self,
        email: &str,
        variant_id: &str,
        quantity: i64,
        at: Timestamp,
    ) -> StoreResult<Cart> {
        store_call(
            "set_cart_quantity",
            self.inner
                .set_cart_quantity(email, variant_id, quantity, at),
        )
        .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn remove_from_cart(
        &self,
        email: &str,
        variant_id: &str,
        at: Timestamp,
    ) -> StoreResult<Cart> {
        store_call(
            "remove_from_cart",
            self.inner.remove_from_cart(email, variant_id, at),
        )
        .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn set_delivery_address(
        &self,
        email: &str,
        address: &crate::domain::address::Address,
        at: Timestamp,
    ) -> StoreResult<Cart> {
        store_call(
            "set_delivery_address",
            self.inner.set_delivery_address(email, address, at),
        )
        .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn merge_carts(
        &self,
        guest: &str,
        into: &str,
        at: Timestamp,
    ) -> StoreResult<Option<Cart>> {
        store_call("merge_carts", self.inner.merge_carts(guest, into, at)).await
    }
}

#[async_trait]
impl ChatStore for CachedStore {
    #[instrument(level = "debug", skip_all)]
    async fn insert_message(&self, message: &Message) -> StoreResult<()> {
        store_call("insert_message", self.inner.insert_message(message)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn list_messages(&self, filter: &MessageFilter) -> StoreResult<Vec<Message>> {
        store_call("list_messages", self.inner.list_messages(filter)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn watch_messages(&self) -> StoreResult<BoxStream<'static, StoreResult<Message>>> {
        store_call("watch_messages", self.inner.watch_messages()).await
    }
}

#[async_trait]
impl OutboxStore for CachedStore {
    #[instrument(level = "debug", skip_all)]
    async fn claim_mail(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u64,
    ) -> StoreResult<Vec<OutboxMail>> {
        store_call("claim_mail", self.inner.claim_mail(now, lease_until, limit)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn mark_mail_sent(&self, ids: &[String], at: Timestamp) -> StoreResult<()> {
        store_call("mark_mail_sent", self.inner.mark_mail_sent(ids, at)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn mark_mail_failed(
        &self,
        id: &str,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> StoreResult<()> {
        store_call(
            "mark_mail_failed",
            self.inner.mark_mail_failed(id, error, retry_at),
        )
        .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn list_mail(
        &self,
        status: Option<MailStatus>,
        page: Page,
    ) -> StoreResult<(Vec<OutboxMail>, u64)> {
        store_call("list_mail", self.inner.list_mail(status, page)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn retry_mail(&self, id: &str, at: Timestamp) -> StoreResult<bool> {
        store_call("retry_mail", self.inner.retry_mail(id, at)).await
    }
}

#[async_trait]
impl LimitStore for CachedStore {
    #[instrument(level = "debug", skip_all)]
    async fn hit(
        &self,
        key: &str,
        window_start: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<u64> {
        store_call("hit", self.inner.hit(key, window_start, expires_at)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn hits(&self, key: &str, window_start: Timestamp) -> StoreResult<u64> {
        store_call("hits", self.inner.hits(key, window_start)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn purge_limits(&self, before: Timestamp) -> StoreResult<u64> {
        store_call("purge_limits", self.inner.purge_limits(before)).await
    }
}

#[async_trait]
impl PhotoStore for CachedStore {
    #[instrument(level = "debug", skip_all)]
    async fn put_photo(&self, id: &str, files: Vec<(PhotoSize, Vec<u8>)>) -> StoreResult<()> {
        store_call("put_photo", self.inner.put_photo(id, files)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn photo_file(&self, id: &str, size: PhotoSize) -> StoreResult<Option<bytes::Bytes>> {
        store_call("photo_file", self.inner.photo_file(id, size)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn delete_photo(&self, id: &str) -> StoreResult<bool> {
        store_call("delete_photo", self.inner.delete_photo(id)).await
    }
}

#[async_trait]
impl AuditStore for CachedStore {
    #[instrument(level = "debug", skip_all)]
    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        store_call("append_audit", self.inner.append_audit(entry)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn list_audit(
        &self,
        filter: &AuditFilter,
        page: Page,
    ) -> StoreResult<(Vec<AuditEntry>, u64)> {
        store_call("list_audit", self.inner.list_audit(filter, page)).await
    }
}
