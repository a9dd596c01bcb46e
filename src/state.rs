//! What every handler can reach: settings, the store, templates, token keys,
//! the chat hub and the mail sender's wake-up signal.

use std::sync::Arc;

use tokio::sync::Notify;

use crate::config::Settings;
use crate::domain::accounts::TokenKeys;
use crate::domain::chat::hub::ChatHub;
use crate::http::pages::Pages;
use crate::store::Store;

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Arc<dyn Store>,
    pub pages: Arc<Pages>,
    pub tokens: Arc<TokenKeys>,
    pub chat: ChatHub,
    /// True when new chat messages reach the hub from the store's change
    /// feed (shared store); false when the inserting instance publishes.
    pub chat_fed_by_store: bool,
    /// Poked after a write that queues mail, so it goes out without waiting
    /// for the next poll.
    pub mail_wake: Arc<Notify>,
    /// Ready-to-send catalog answers (SQLite only).
    pub catalog: Arc<crate::http::catalog_cache::CatalogCache>,
    /// Sessions and users read lately (where the store allows caching them).
    pub sessions: Arc<crate::http::session_cache::SessionCache>,
}
