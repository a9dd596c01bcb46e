//! The caches in front of a store: catalog reads (pages and products) and
//! session lookups, which nearly every request makes and writes rarely change.
//! Every write goes through here too, and drops what it may have changed
//! once it has finished, so no caller can forget to. On a shared store
//! ([`Store::is_shared`]) other instances write unseen, so nothing is kept.

mod versioned;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::stream::BoxStream;
use tracing::instrument;

use crate::domain::accounts::{PasswordReset, Role, Session, User};
use crate::domain::cart::Cart;
use crate::domain::catalog::{Product, ProductFields};
use crate::domain::chat::{Message, MessageFilter};
use crate::domain::mail::{MailStatus, OutboxMail};
use crate::domain::orders::{Order, OrderFilter, OrderStatus};
use crate::domain::shared::Shared;
use crate::domain::{Page, Timestamp};
use crate::store::{
    AccountStore, CartStore, CatalogStore, ChatStore, Checkout, LimitStore, OrderStore,
    OutboxStore, Placed, ProductPage, Store, StoreResult,
};
use versioned::Versioned;

/// Most catalog answers kept (pages and single products together).
const CATALOG_ENTRIES: u64 = 1024;
/// Longest a catalog answer is kept; writes through this store drop it at once.
const CATALOG_TTL: Duration = Duration::from_secs(300);
/// Most sessions kept.
const SESSION_ENTRIES: u64 = 4096;
/// Longest a session is used without asking the store again: bounds what
/// another process on the same file (`tienda admin grant`) changes unseen.
const SESSION_TTL: Duration = Duration::from_secs(1);

#[derive(Clone, PartialEq, Eq, Hash)]
enum CatalogKey {
    /// `(category, offset, limit)`
    Page(Option<String>, u64, u64),
    Product(String),
}

#[derive(Clone)]
enum CatalogEntry {
    Page(Arc<Shared<ProductPage>>),
    Product(Arc<Shared<Product>>),
}

/// What this process may keep; `None` on a shared store.
struct Caches {
    catalog: Versioned<CatalogKey, CatalogEntry>,
    sessions: Versioned<String, (Session, User)>,
}

/// A store with its caches in front.
pub struct CachedStore {
    inner: Arc<dyn Store>,
    caches: Option<Caches>,
}

impl CachedStore {
    /// Puts the caches in front of `inner` (none where it is shared).
    pub fn new(inner: Arc<dyn Store>) -> Self {
        let caches = (!inner.is_shared()).then(|| Caches {
            catalog: Versioned::new(CATALOG_ENTRIES, CATALOG_TTL),
            sessions: Versioned::new(SESSION_ENTRIES, SESSION_TTL),
        });
        Self { inner, caches }
    }

    /// After a write that may change what the catalog shows (stock too).
    fn catalog_changed(&self) {
        if let Some(c) = &self.caches {
            c.catalog.invalidate();
        }
    }

    /// After a write to users or sessions.
    fn accounts_changed(&self) {
        if let Some(c) = &self.caches {
            c.sessions.invalidate();
        }
    }

    /// Runs `write`, then drops the catalog answers if it succeeded.
    async fn catalog_write<T>(
        &self,
        write: impl std::future::Future<Output = StoreResult<T>>,
    ) -> StoreResult<T> {
        let out = write.await;
        if out.is_ok() {
            self.catalog_changed();
        }
        out
    }

    /// Runs `write`, then drops the kept sessions whatever its outcome (a
    /// write whose commit failed may still have changed the store).
    async fn accounts_write<T>(
        &self,
        write: impl std::future::Future<Output = StoreResult<T>>,
    ) -> StoreResult<T> {
        let out = write.await;
        self.accounts_changed();
        out
    }
}

#[async_trait]
impl CatalogStore for CachedStore {
    #[instrument(level = "debug", skip_all)]
    async fn list_products(
        &self,
        category: Option<&str>,
        page: Page,
    ) -> StoreResult<Arc<Shared<ProductPage>>> {
        let Some(caches) = &self.caches else {
            return self.inner.list_products(category, page).await;
        };
        let key = CatalogKey::Page(category.map(str::to_owned), page.offset, page.limit);
        if let Some(CatalogEntry::Page(hit)) = caches.catalog.get(&key) {
            return Ok(hit);
        }
        let version = caches.catalog.version();
        let found = self.inner.list_products(category, page).await?;
        caches
            .catalog
            .put(key, version, CatalogEntry::Page(found.clone()));
        Ok(found)
    }

    #[instrument(level = "debug", skip_all)]
    async fn get_product(&self, id: &str) -> StoreResult<Option<Arc<Shared<Product>>>> {
        let Some(caches) = &self.caches else {
            return self.inner.get_product(id).await;
        };
        let key = CatalogKey::Product(id.to_owned());
        if let Some(CatalogEntry::Product(hit)) = caches.catalog.get(&key) {
            return Ok(Some(hit));
        }
        let version = caches.catalog.version();
        let found = self.inner.get_product(id).await?;
        // Misses are not kept: anyone can ask for any number of unknown ids.
        if let Some(product) = &found {
            caches
                .catalog
                .put(key, version, CatalogEntry::Product(product.clone()));
        }
        Ok(found)
    }

    #[instrument(level = "debug", skip_all)]
    async fn get_products(&self, ids: &[String]) -> StoreResult<Vec<Product>> {
        self.inner.get_products(ids).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn categories(&self) -> StoreResult<Vec<String>> {
        self.inner.categories().await
    }

    #[instrument(level = "debug", skip_all)]
    async fn insert_product(&self, product: &Product) -> StoreResult<()> {
        self.catalog_write(self.inner.insert_product(product)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn replace_product(
        &self,
        id: &str,
        fields: &ProductFields,
        at: Timestamp,
    ) -> StoreResult<Option<Product>> {
        self.catalog_write(self.inner.replace_product(id, fields, at))
            .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn delete_product(&self, id: &str) -> StoreResult<bool> {
        self.catalog_write(self.inner.delete_product(id)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn seed_products(&self, products: &[Product]) -> StoreResult<bool> {
        self.catalog_write(self.inner.seed_products(products)).await
    }
}

#[async_trait]
impl AccountStore for CachedStore {
    #[instrument(level = "debug", skip_all)]
    async fn create_user(&self, user: &User, mails: &[OutboxMail]) -> StoreResult<()> {
        self.inner.create_user(user, mails).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn get_user(&self, id: &str) -> StoreResult<Option<User>> {
        self.inner.get_user(id).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn get_user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        self.inner.get_user_by_email(email).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn set_role(&self, email: &str, role: Role) -> StoreResult<bool> {
        self.accounts_write(self.inner.set_role(email, role)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn delete_user(&self, id: &str) -> StoreResult<bool> {
        self.accounts_write(self.inner.delete_user(id)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn create_session(&self, session: &Session) -> StoreResult<()> {
        self.inner.create_session(session).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn get_session(&self, id: &str) -> StoreResult<Option<Session>> {
        self.inner.get_session(id).await
    }

    /// Kept for up to [`SESSION_TTL`]; admins never are, so taking the role
    /// away from another process is seen at once.
    #[instrument(level = "debug", skip_all)]
    async fn get_session_user(&self, session_id: &str) -> StoreResult<Option<(Session, User)>> {
        let Some(caches) = &self.caches else {
            return self.inner.get_session_user(session_id).await;
        };
        if let Some(hit) = caches.sessions.get(&session_id.to_owned()) {
            return Ok(Some(hit));
        }
        let version = caches.sessions.version();
        let found = self.inner.get_session_user(session_id).await?;
        if let Some(found) = &found {
            if found.1.role != Role::Admin {
                caches
                    .sessions
                    .put(session_id.to_owned(), version, found.clone());
            }
        }
        Ok(found)
    }

    #[instrument(level = "debug", skip_all)]
    async fn list_sessions(&self, user_id: &str) -> StoreResult<Vec<Session>> {
        self.inner.list_sessions(user_id).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn revoke_session(&self, id: &str, at: Timestamp) -> StoreResult<bool> {
        self.accounts_write(self.inner.revoke_session(id, at)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn revoke_user_sessions(&self, user_id: &str, at: Timestamp) -> StoreResult<u64> {
        self.accounts_write(self.inner.revoke_user_sessions(user_id, at))
            .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn purge_sessions(&self, before: Timestamp) -> StoreResult<u64> {
        self.accounts_write(self.inner.purge_sessions(before)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn create_password_reset(
        &self,
        reset: &PasswordReset,
        mail: &OutboxMail,
    ) -> StoreResult<()> {
        self.inner.create_password_reset(reset, mail).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn consume_password_reset(
        &self,
        token_hash: &str,
        password_hash: &str,
        at: Timestamp,
    ) -> StoreResult<Option<String>> {
        self.accounts_write(
            self.inner
                .consume_password_reset(token_hash, password_hash, at),
        )
        .await
    }
}

#[async_trait]
impl CartStore for CachedStore {
    #[instrument(level = "debug", skip_all)]
    async fn get_cart(&self, email: &str) -> StoreResult<Option<Cart>> {
        self.inner.get_cart(email).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn add_to_cart(
        &self,
        email: &str,
        product_id: &str,
        quantity: i64,
        at: Timestamp,
    ) -> StoreResult<Cart> {
        self.inner
            .add_to_cart(email, product_id, quantity, at)
            .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn set_cart_quantity(
        &self,
        email: &str,
        product_id: &str,
        quantity: i64,
        at: Timestamp,
    ) -> StoreResult<Cart> {
        self.inner
            .set_cart_quantity(email, product_id, quantity, at)
            .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn remove_from_cart(
        &self,
        email: &str,
        product_id: &str,
        at: Timestamp,
    ) -> StoreResult<Cart> {
        self.inner.remove_from_cart(email, product_id, at).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn set_delivery_address(
        &self,
        email: &str,
        address: &str,
        at: Timestamp,
    ) -> StoreResult<Cart> {
        self.inner.set_delivery_address(email, address, at).await
    }
}

#[async_trait]
impl OrderStore for CachedStore {
    /// Takes stock, which the catalog shows.
    #[instrument(level = "debug", skip_all)]
    async fn place_order(&self, checkout: Checkout) -> StoreResult<Placed> {
        self.catalog_write(self.inner.place_order(checkout)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn get_order(&self, number: i64) -> StoreResult<Option<Order>> {
        self.inner.get_order(number).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn list_orders(
        &self,
        filter: &OrderFilter,
        page: Page,
    ) -> StoreResult<(Vec<Order>, u64)> {
        self.inner.list_orders(filter, page).await
    }

    /// A cancellation puts stock back.
    #[instrument(level = "debug", skip_all)]
    async fn set_order_status(
        &self,
        number: i64,
        status: OrderStatus,
        by: &str,
        at: Timestamp,
    ) -> StoreResult<Order> {
        self.catalog_write(self.inner.set_order_status(number, status, by, at))
            .await
    }
}

#[async_trait]
impl ChatStore for CachedStore {
    #[instrument(level = "debug", skip_all)]
    async fn insert_message(&self, message: &Message) -> StoreResult<()> {
        self.inner.insert_message(message).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn list_messages(&self, filter: &MessageFilter) -> StoreResult<Vec<Message>> {
        self.inner.list_messages(filter).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn watch_messages(&self) -> StoreResult<BoxStream<'static, StoreResult<Message>>> {
        self.inner.watch_messages().await
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
        self.inner.claim_mail(now, lease_until, limit).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn mark_mail_sent(&self, ids: &[String], at: Timestamp) -> StoreResult<()> {
        self.inner.mark_mail_sent(ids, at).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn mark_mail_failed(
        &self,
        id: &str,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> StoreResult<()> {
        self.inner.mark_mail_failed(id, error, retry_at).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn list_mail(
        &self,
        status: Option<MailStatus>,
        page: Page,
    ) -> StoreResult<(Vec<OutboxMail>, u64)> {
        self.inner.list_mail(status, page).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn retry_mail(&self, id: &str, at: Timestamp) -> StoreResult<bool> {
        self.inner.retry_mail(id, at).await
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
        self.inner.hit(key, window_start, expires_at).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn hits(&self, key: &str, window_start: Timestamp) -> StoreResult<u64> {
        self.inner.hits(key, window_start).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn purge_limits(&self, before: Timestamp) -> StoreResult<u64> {
        self.inner.purge_limits(before).await
    }
}

#[async_trait]
impl Store for CachedStore {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    fn is_shared(&self) -> bool {
        self.inner.is_shared()
    }

    #[instrument(level = "debug", skip_all)]
    async fn ping(&self) -> StoreResult<()> {
        self.inner.ping().await
    }

    async fn close(&self) {
        self.inner.close().await
    }

    #[instrument(level = "debug", skip_all)]
    async fn get_cart_with_products(
        &self,
        email: &str,
    ) -> StoreResult<(Option<Cart>, Vec<Product>)> {
        self.inner.get_cart_with_products(email).await
    }
}
