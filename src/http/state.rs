//! What every handler can reach: settings, the store, the shop's operations,
//! templates, and the running chat hub.

use std::sync::Arc;

use crate::config::Settings;
use crate::domain::accounts::Accounts;
use crate::domain::cart::Carts;
use crate::domain::catalog::Catalog;
use crate::domain::orders::Orders;
use crate::domain::ports::ShopEvents;
use crate::http::pages::Pages;
use crate::services::chat_hub::ChatHub;
use crate::store::Store;

/// The application state handlers share; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The effective configuration, parsed once at start.
    pub settings: Arc<Settings>,
    /// The store, with its caches in front.
    pub store: Arc<dyn Store>,
    /// Server-rendered pages.
    pub pages: Arc<Pages>,
    /// Registration, login, sessions, roles, password resets.
    pub accounts: Arc<Accounts>,
    /// The caller's cart.
    pub carts: Arc<Carts>,
    /// Catalog writes.
    pub catalog: Arc<Catalog>,
    /// Checkout and the order lifecycle.
    pub orders: Arc<Orders>,
    /// Open chat sockets and their fan-out.
    pub chat: ChatHub,
    /// Where writes tell the running services what changed.
    pub events: Arc<dyn ShopEvents>,
}
