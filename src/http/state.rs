//! What every handler can reach: settings, the store, the shop's operations,
//! templates, and the running chat hub.

use std::sync::Arc;

use crate::config::Settings;
use crate::domain::accounts::Accounts;
use crate::domain::cart::Carts;
use crate::domain::catalog::Catalog;
use crate::domain::orders::Orders;
use crate::domain::ports::ShopEvents;
use crate::domain::search::ProductSearch;
use crate::http::pages::Pages;
use crate::services::chat_hub::ChatHub;
use crate::services::stock_feed::StockFeed;
use crate::store::Store;
use crate::theme::Theme;

/// The application state handlers share: one pointer, so the clones every
/// request makes (each layer and handler takes its own) cost one count each.
#[derive(Clone)]
pub struct AppState(Arc<Shop>);

impl AppState {
    /// Shares `shop` with every handler.
    pub fn new(shop: Shop) -> Self {
        Self(Arc::new(shop))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shop;

    fn deref(&self) -> &Shop {
        &self.0
    }
}

/// What [`AppState`] holds.
pub struct Shop {
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
    /// Product photo uploads, changes and files.
    pub photos: Arc<crate::domain::photos::Photos>,
    /// Checkout and the order lifecycle.
    pub orders: Arc<Orders>,
    /// The shipping methods admins manage.
    pub shipping: Arc<crate::domain::shipping_methods::ShippingMethods>,
    /// Product search and filtered lists (this instance's index).
    pub search: Arc<dyn ProductSearch>,
    /// Open chat sockets and their fan-out.
    pub chat: ChatHub,
    /// Live stock for product pages and carts.
    pub stock: StockFeed,
    /// Where writes tell the running services what changed.
    pub events: Arc<dyn ShopEvents>,
    /// What guests' cart cookies are signed with.
    pub guest_key: axum_extra::extract::cookie::Key,
    /// The owner's overrides (`shop.theme_dir`); `/static/` answers from its
    /// files first.
    pub theme: Arc<Theme>,
    /// What `/metrics` renders; `None` unless `metrics.enabled`.
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
}
