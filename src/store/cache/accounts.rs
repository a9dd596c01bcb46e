//! Session reads through the cache, and the account writes that drop it.

use async_trait::async_trait;
use tracing::instrument;

use super::CachedStore;
use crate::domain::accounts::{CustomerSummary, Erasure, PasswordReset, Role, Session, User};
use crate::domain::mail::OutboxMail;
use crate::domain::{Page, Timestamp};
use crate::services::metrics::store_call;
use crate::store::{AccountStore, StoreResult};

#[async_trait]
impl AccountStore for CachedStore {
    #[instrument(level = "debug", skip_all)]
    async fn create_user(&self, user: &User, mails: &[OutboxMail]) -> StoreResult<()> {
        // A new account is a new customer on the dashboard.
        self.accounts_write(store_call(
            "create_user",
            self.inner.create_user(user, mails),
        ))
        .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn get_user(&self, id: &str) -> StoreResult<Option<User>> {
        store_call("get_user", self.inner.get_user(id)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn get_user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        store_call("get_user_by_email", self.inner.get_user_by_email(email)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn set_role(&self, email: &str, role: Role) -> StoreResult<bool> {
        self.accounts_write(store_call("set_role", self.inner.set_role(email, role)))
            .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn set_locale(&self, user_id: &str, locale: crate::i18n::Locale) -> StoreResult<bool> {
        self.accounts_write(store_call(
            "set_locale",
            self.inner.set_locale(user_id, locale),
        ))
        .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn erase_account(&self, erasure: &Erasure) -> StoreResult<bool> {
        self.accounts_write(store_call(
            "erase_account",
            self.inner.erase_account(erasure),
        ))
        .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn create_session(&self, session: &Session) -> StoreResult<()> {
        store_call("create_session", self.inner.create_session(session)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn get_session(&self, id: &str) -> StoreResult<Option<Session>> {
        store_call("get_session", self.inner.get_session(id)).await
    }

    /// Kept for up to [`SESSION_TTL`]; staff and admins never are, so taking
    /// the role away from another process is seen at once.
    #[instrument(level = "debug", skip_all)]
    async fn get_session_user(&self, session_id: &str) -> StoreResult<Option<(Session, User)>> {
        let Some(caches) = &self.caches else {
            return store_call("get_session_user", self.inner.get_session_user(session_id)).await;
        };
        if let Some(hit) = caches.sessions.get(&session_id.to_owned()) {
            return Ok(Some(hit));
        }
        let version = caches.sessions.version();
        let found = store_call("get_session_user", self.inner.get_session_user(session_id)).await?;
        if let Some(found) = &found {
            if found.1.role == Role::Customer {
                caches
                    .sessions
                    .put(session_id.to_owned(), version, found.clone());
            }
        }
        Ok(found)
    }

    #[instrument(level = "debug", skip_all)]
    async fn list_sessions(&self, user_id: &str) -> StoreResult<Vec<Session>> {
        store_call("list_sessions", self.inner.list_sessions(user_id)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn revoke_session(&self, id: &str, at: Timestamp) -> StoreResult<bool> {
        self.accounts_write(store_call(
            "revoke_session",
            self.inner.revoke_session(id, at),
        ))
        .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn revoke_user_sessions(&self, user_id: &str, at: Timestamp) -> StoreResult<u64> {
        self.accounts_write(store_call(
            "revoke_user_sessions",
            self.inner.revoke_user_sessions(user_id, at),
        ))
        .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn purge_sessions(&self, before: Timestamp) -> StoreResult<u64> {
        self.accounts_write(store_call(
            "purge_sessions",
            self.inner.purge_sessions(before),
        ))
        .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn create_password_reset(
        &self,
        reset: &PasswordReset,
        mail: &OutboxMail,
    ) -> StoreResult<()> {
        store_call(
            "create_password_reset",
            self.inner.create_password_reset(reset, mail),
        )
        .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn consume_password_reset(
        &self,
        token_hash: &str,
        password_hash: &str,
        at: Timestamp,
    ) -> StoreResult<Option<String>> {
        self.accounts_write(store_call(
            "consume_password_reset",
            self.inner
                .consume_password_reset(token_hash, password_hash, at),
        ))
        .await
    }

    /// Drops the cached sessions, so a disabled account's next request is
    /// checked against the store (whose sessions this write revoked).
    #[instrument(level = "debug", skip_all)]
    async fn set_disabled(&self, email: &str, at: Option<Timestamp>) -> StoreResult<Option<User>> {
        self.accounts_write(store_call(
            "set_disabled",
            self.inner.set_disabled(email, at),
        ))
        .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn list_customers(
        &self,
        search: Option<&str>,
        page: Page,
    ) -> StoreResult<(Vec<CustomerSummary>, u64)> {
        store_call("list_customers", self.inner.list_customers(search, page)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn scan_users(&self, after: Option<&str>, limit: u64) -> StoreResult<Vec<User>> {
        store_call("scan_users", self.inner.scan_users(after, limit)).await
    }
}
