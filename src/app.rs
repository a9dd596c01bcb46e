//! Building and running the application: open the store, seed the demo
//! catalog, start the background tasks, bind a port (0 in tests), serve
//! until a shutdown signal, then stop the tasks and close the store.

use std::future::Future;
use std::sync::Arc;

use futures_util::StreamExt;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use crate::config::Settings;
use crate::domain::accounts::{AccountRules, Accounts};
use crate::domain::card_payments::CardPayments;
use crate::domain::cart::Carts;
use crate::domain::catalog::Catalog;
use crate::domain::checkout::CheckoutRules;
use crate::domain::orders::{OrderSettings, Orders};
use crate::domain::payments::PaymentMethod;
use crate::domain::ports::ShopEvents;
use crate::domain::shipping::{ShippingMethod, ShippingZone};
use crate::domain::{demo, from_millis, now, to_millis};
use crate::http::pages::Pages;
use crate::http::state::Shop;
use crate::http::AppState;
use crate::services::chat_hub::ChatHub;
use crate::services::events::ServiceEvents;
use crate::services::mail::sender::{MailSender, Transport};
use crate::store::{self, Store};
use crate::theme::Theme;

/// The shop, built and bound, ready to serve.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    tasks: Vec<JoinHandle<()>>,
    stop: watch::Sender<bool>,
    /// Told when the shutdown signal comes, before in-flight requests drain.
    closing: watch::Sender<bool>,
    /// `metrics.listen`, bound: `/metrics` alone, for the operator's scraper.
    metrics_listener: Option<TcpListener>,
}

impl Application {
    /// Opens everything `settings` names and binds the listen address.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        settings
            .validate()
            .map_err(|(key, message)| anyhow::anyhow!("config key `{key}`: {message}"))?;
        let settings = Arc::new(settings);
        let metrics = if settings.metrics.enabled {
            Some(crate::services::metrics::install()?)
        } else {
            None
        };
        let transport = Transport::from_settings(&settings.mail)
            .map_err(|(key, message)| anyhow::anyhow!("config key `{key}`: {message}"))?;
        let store = store::open(settings.store.url.expose(), settings.store.pool_size).await?;
        if settings.store.demo_catalog
            && store
                .seed_products(&demo::catalog(&settings.shop.currency, now()))
                .await?
        {
            tracing::info!("seeded the demo catalog");
        }
        ensure_a_shipping_method(&*store, &settings).await?;
        let rules = Arc::new(checkout_rules(&settings));
        let cards = card_gateway(&settings)?;
        let i18n = Arc::new(crate::i18n::I18n::load()?);
        let theme = Arc::new(load_theme(&settings)?);
        let registry = Arc::new(crate::templates::registry(i18n.clone(), &theme)?);
        let chat = ChatHub::new(settings.chat.max_sockets_per_user);
        let mail_wake = Arc::new(Notify::new());
        let events: Arc<dyn ShopEvents> = Arc::new(ServiceEvents {
            mail_wake: mail_wake.clone(),
            chat: chat.clone(),
        });
        // Built before the first request: a search never sees half an index.
        let (index, indexer) = crate::services::search::open(store.clone()).await?;
        // Open stock streams never finish on their own: they end as soon as
        // the shutdown signal comes, so the drain does not wait on them.
        let (closing, streams_end) = watch::channel(false);
        let (stock, stock_follower) =
            crate::services::stock_feed::open(store.clone(), streams_end).await?;
        let state = AppState::new(Shop {
            pages: Arc::new(Pages::new(&settings, registry.clone(), i18n)),
            accounts: Arc::new(Accounts::new(
                store.clone(),
                events.clone(),
                AccountRules {
                    admin_emails: settings.admin.emails.clone(),
                    session_ttl: std::time::Duration::from_secs(settings.session.ttl.0),
                    public_url: settings.server.public_url.clone(),
                    notify: settings.mail.notify.clone(),
                    jwt_secret: settings.auth.jwt_secret.expose().to_owned(),
                },
            )),
            carts: Arc::new(Carts::new(
                store.clone(),
                &settings.shop.currency,
                rules.clone(),
            )),
            catalog: Arc::new(
                Catalog::new(store.clone(), &settings.shop.currency)
                    .with_low_stock_threshold(settings.catalog.low_stock_threshold),
            ),
            photos: Arc::new(crate::domain::photos::Photos::new(
                store.clone(),
                Arc::new(crate::services::photo_processing::PhotoProcessing::new()?),
                settings.photos.rules(),
            )),
            orders: Arc::new(Orders::new(
                store.clone(),
                events.clone(),
                OrderSettings {
                    currency: settings.shop.currency.clone(),
                    notify: settings.mail.notify.clone(),
                    rules,
                    methods: settings.payment.methods.clone(),
                    default_method: settings.payment.default_method,
                    hold_for: time::Duration::seconds(
                        i64::try_from(settings.payment.hold_for.0).unwrap_or(i64::MAX),
                    ),
                    bank: settings.payment.bank.clone(),
                    low_stock_threshold: settings.catalog.low_stock_threshold,
                },
                crate::domain::order_links::OrderLinks::new(
                    settings.auth.jwt_secret.expose(),
                    &settings.server.public_url,
                ),
                cards,
            )),
            shipping: Arc::new(crate::domain::shipping_methods::ShippingMethods::new(
                store.clone(),
            )),
            search: index,
            chat,
            stock,
            events,
            guest_key: crate::http::shopper::guest_key(settings.auth.jwt_secret.expose()),
            theme,
            metrics,
            store: store.clone(),
            settings: settings.clone(),
        });
        let (stop, stopped) = watch::channel(false);
        let mut tasks = Vec::new();
        let sender = MailSender::new(store.clone(), transport, registry, settings.clone())?;
        tasks.push(tokio::spawn(sender.run(mail_wake, stopped.clone())));
        tasks.push(tokio::spawn(indexer.run(stopped.clone())));
        tasks.push(tokio::spawn(stock_follower.run(stopped.clone())));
        tasks.push(tokio::spawn(crate::services::payment_holds::run(
            state.orders.clone(),
            settings.payment.hold_for.as_duration(),
            stopped.clone(),
        )));
        tasks.push(tokio::spawn(purge_loop(
            store.clone(),
            settings.clone(),
            stopped.clone(),
        )));
        if store.is_shared() {
            // Other instances' chat messages reach this hub from the store.
            let mut feed = store.watch_messages().await?;
            let hub = state.chat.clone();
            let mut stopped = stopped.clone();
            tasks.push(tokio::spawn(async move {
                loop {
                    tokio::select! {
                        item = feed.next() => match item {
                            Some(Ok(message)) => hub.publish(message).await,
                            Some(Err(e)) => tracing::warn!("chat feed error: {e:#}"),
                            None => {
                                tracing::error!("chat feed ended");
                                return;
                            }
                        },
                        _ = stopped.changed() => return,
                    }
                }
            }));
        }
        let address = format!("{}:{}", settings.server.host, settings.server.port);
        let listener = TcpListener::bind(&address).await.map_err(|e| {
            anyhow::anyhow!("cannot listen on {address} (server.host, server.port): {e}")
        })?;
        let metrics_listener = match &settings.metrics.listen {
            Some(address) if settings.metrics.enabled => {
                Some(TcpListener::bind(address).await.map_err(|e| {
                    anyhow::anyhow!("cannot listen on {address} (metrics.listen): {e}")
                })?)
            }
            _ => None,
        };
        Ok(Self {
            listener,
            state,
            tasks,
            stop,
            closing,
            metrics_listener,
        })
    }

    /// The port `metrics.listen` bound, if it is on.
    pub fn metrics_port(&self) -> Option<u16> {
        let listener = self.metrics_listener.as_ref()?;
        listener.local_addr().ok().map(|a| a.port())
    }

    /// The port bound (the one picked when `server.port` is 0); 0 if unknown.
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The state the handlers share: settings, store and services.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGINT or SIGTERM.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `signal` completes; in-flight requests finish, background
    /// tasks stop, the store closes.
    pub async fn run_until(
        self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Self {
            listener,
            state,
            tasks,
            stop,
            closing,
            metrics_listener,
        } = self;
        let metrics_server = metrics_listener.map(|listener| {
            let mut closing = closing.subscribe();
            tokio::spawn(crate::http::server::serve(
                listener,
                crate::http::metrics::private_router(state.clone()),
                state.settings.server.header_timeout.as_duration(),
                state.settings.server.request_timeout.as_duration(),
                async move {
                    let _ = closing.wait_for(|closed| *closed).await;
                },
            ))
        });
        let signal = async move {
            signal.await;
            let _ = closing.send(true);
        };
        tracing::info!(
            address = %listener.local_addr()?,
            profile = %state.settings.profile,
            store = state.store.backend(),
            "tienda is serving"
        );
        let app = crate::http::router(state.clone());
        crate::http::server::serve(
            listener,
            app,
            state.settings.server.header_timeout.as_duration(),
            state.settings.server.request_timeout.as_duration(),
            signal,
        )
        .await;
        let _ = stop.send(true);
        if let Some(server) = metrics_server {
            let _ = server.await;
        }
        for task in tasks {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), task).await;
        }
        state.store.close().await;
        tracing::info!("tienda stopped");
        Ok(())
    }
}

/// The owner's theme (`shop.theme_dir`), or none; refused whole at start if
/// any file in it is wrong, so a shop never serves half a theme.
fn load_theme(settings: &Settings) -> anyhow::Result<Theme> {
    let Some(dir) = &settings.shop.theme_dir else {
        return Ok(Theme::default());
    };
    let theme = Theme::load(dir, &crate::templates::embedded_names())?;
    let (templates, files) = theme.counts();
    tracing::info!(dir = %dir.display(), templates, files, "theme loaded");
    Ok(theme)
}

async fn purge_loop(
    store: Arc<dyn Store>,
    settings: Arc<Settings>,
    mut stopped: watch::Receiver<bool>,
) {
    let every = settings.session.purge_interval.as_duration();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stopped.changed() => return,
        }
        let at = now();
        // Keep a day of expired sessions for audit before purging.
        let before = from_millis(to_millis(at) - 86_400_000);
        match store.purge_sessions(before).await {
            Ok(n) if n > 0 => tracing::info!(purged = n, "expired sessions purged"),
            Ok(_) => {}
            Err(e) => tracing::warn!("session purge failed: {e:#}"),
        }
        if let Err(e) = store.purge_limits(at).await {
            tracing::warn!("rate-limit purge failed: {e:#}");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received");
}

/// A shop with no shipping method gets the starter one (a flat rate to
/// every country), so that a fresh shop checks out at once. Two instances
/// starting together write the same method.
async fn ensure_a_shipping_method(store: &dyn Store, settings: &Settings) -> anyhow::Result<()> {
    if !store.shipping_methods().await?.is_empty() {
        return Ok(());
    }
    let shipping = &settings.shipping;
    let method = ShippingMethod {
        id: shipping.default_method.clone(),
        name: shipping.starter_name.clone(),
        zones: vec![ShippingZone {
            name: shipping.starter_name.clone(),
            countries: Vec::new(),
            price: shipping.starter_price,
            free_above: shipping.starter_free_above,
            weight_bands: Vec::new(),
        }],
        position: 0,
    };
    store.put_shipping_method(&method).await?;
    tracing::info!(method = %method.id, "created the starter shipping method");
    Ok(())
}

/// The checkout rules the settings give.
fn checkout_rules(settings: &Settings) -> CheckoutRules {
    CheckoutRules {
        taxes: settings.tax.rates.clone(),
        prices_include_tax: settings.shop.prices_include_tax,
        default_country: settings.shop.country.clone(),
        default_shipping: Some(settings.shipping.default_method.clone()).filter(|m| !m.is_empty()),
    }
}

/// Stripe, when the shop takes cards.
fn card_gateway(settings: &Settings) -> anyhow::Result<Option<Arc<dyn CardPayments>>> {
    if !settings.payment.methods.contains(&PaymentMethod::Stripe) {
        return Ok(None);
    }
    let stripe = &settings.payment.stripe;
    // The shop mails its own receipts (in the customer's language).
    let client =
        crate::services::stripe::StripeClient::new(&stripe.api_base, stripe.secret_key.expose())?
            .with_receipt_email(false);
    Ok(Some(Arc::new(client)))
}
