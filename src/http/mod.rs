//! The HTTP layer: routes, extractors, pages, middleware.

pub mod charts;
pub mod extract;
pub mod forms;
pub mod head;
pub mod limits;
pub mod locale;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod page_cache;
pub mod pages;
pub mod problem;
pub mod routes;
pub mod server;
pub mod session;
pub mod shopper;
pub mod state;
pub mod text;
pub mod theme;
pub mod visitor;

use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::routing::{delete, get, post, put};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use routes::{admin, auth, cart, chat, orders, products, search, site, stock};
pub use state::AppState;

/// Every route of the shop, with its middleware, over `state`.
pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let body_limit = state.settings.server.body_limit;
    let timeout = Duration::from_secs(state.settings.server.request_timeout.0.max(1));
    let api = Router::new()
        .route("/", get(site::home))
        .route("/healthz", get(site::healthz))
        .route("/readyz", get(site::readyz))
        .route("/config", get(site::config_view))
        .route("/static/{*path}", get(site::static_file))
        .route("/favicon.ico", get(site::favicon))
        .route("/theme.css", get(site::theme_css))
        .route("/robots.txt", get(site::robots))
        .route("/sitemap.xml", get(site::sitemap))
        .route("/locale", post(site::set_locale))
        .route("/password/forgot", get(site::forgot_page))
        .route("/password/reset", get(site::reset_page))
        .route("/auth/register", post(auth::register))
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/me", get(auth::me))
        .route("/auth/sessions/{id}", delete(auth::revoke_session))
        .route("/auth/password/forgot", post(auth::forgot_password))
        .route("/auth/password/reset", post(auth::reset_password))
        .route(
            "/account",
            get(routes::account::page).delete(routes::account::erase),
        )
        .route("/account/delete", post(routes::account::erase))
        .route("/account/export", get(routes::account::export))
        .route("/products", get(products::list).post(products::create))
        .route(
            "/products/{x}",
            get(products::get_one_or_category)
                .put(products::replace)
                .delete(products::delete),
        )
        .route("/search", get(search::search))
        .route("/search/suggest", get(search::suggest))
        .route("/stock/events", get(stock::events))
        .route("/cart", get(cart::get).post(cart::add))
        .route(
            "/cart/address",
            put(cart::set_address).post(cart::address_form),
        )
        .route(
            "/cart/{id}",
            put(cart::set_quantity)
                .delete(cart::remove)
                .post(cart::change_line),
        )
        .route("/orders", get(orders::list).post(orders::checkout))
        .route("/orders/{number}", get(orders::get))
        .route("/orders/{number}/status", put(orders::set_status))
        .route("/orders/{number}/refunds", post(orders::refund))
        .route("/shipping-methods", get(routes::shipping::list))
        .route(
            "/shipping-methods/{id}",
            put(routes::shipping::put).delete(routes::shipping::delete),
        )
        .route(
            "/payments/stripe/webhook",
            post(routes::payments::stripe_webhook),
        )
        .route("/messages", get(chat::messages))
        .route("/chat", get(chat::general_page))
        .route("/chat/ws", get(chat::socket))
        .route("/chat/{email}", get(chat::channel_page))
        .route("/admin/products", get(routes::catalog_admin::products_page))
        .route(
            "/admin/products/{id}/variants/{variant_id}",
            post(routes::catalog_admin::variant_form),
        )
        .route(
            "/products/{id}/variants/{variant_id}",
            axum::routing::patch(routes::catalog_admin::set_variant),
        )
        .route("/admin", get(routes::dashboard::page))
        .route("/admin/stats", get(routes::dashboard::stats))
        .route("/admin/products/{id}/edit", get(admin::edit_product_page))
        .route("/admin/mail", get(admin::mail))
        .route("/admin/shipping", get(admin::shipping_page))
        .route("/admin/mail/{id}/retry", post(admin::retry_mail))
        .route("/admin/audit", get(routes::audit::list))
        .route("/admin/users/{email}", delete(auth::delete_user))
        .route("/admin/users/{email}/sessions", get(auth::user_sessions))
        // The back office's orders and customers (#22).
        .route("/admin/orders", get(orders::admin_page))
        .route("/orders/{number}/resend", post(orders::resend))
        .route("/orders/{number}/packing-slip", get(orders::packing_slip))
        .route("/admin/customers", get(routes::customers::list))
        .route("/admin/customers/{email}", get(routes::customers::get))
        .route(
            "/admin/customers/{email}/disable",
            post(routes::customers::disable),
        )
        .route(
            "/admin/customers/{email}/enable",
            post(routes::customers::enable),
        )
        .merge(routes::photos::routes(&state.settings))
        .merge(routes::catalog_csv::routes())
        .merge(SwaggerUi::new("/docs").url("/openapi.json", openapi::ApiDoc::openapi()));
    // `/metrics` here only with a token; `metrics.listen` serves it elsewhere.
    let metered = state.metrics.is_some();
    let api = if metered && state.settings.metrics.listen.is_none() {
        api.route("/metrics", get(metrics::scrape_with_token))
    } else {
        api
    };

    // Layers run outside-in: request id, trace, error envelope, security
    // headers, panic → 500, CSRF, timeout, body limit, then the route.
    let api = api.layer(DefaultBodyLimit::max(body_limit));
    let api = match cors(&state.settings.server.cors_origins) {
        Some(layer) => api.layer(layer),
        None => api,
    };
    let api = api
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(axum::middleware::from_fn(middleware::csrf_guard))
        .layer(axum::middleware::from_fn(middleware::canonical_path))
        .layer(CatchPanicLayer::new())
        // Headers every answer carries: no sniffing, no framing, no referrer
        // to other sites, and a content security policy.
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(middleware::CONTENT_SECURITY_POLICY),
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::error_envelope,
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
            }),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid));
    // Outermost, so the time counts every layer; absent when metrics are off.
    let api = if metered {
        api.layer(axum::middleware::from_fn(metrics::record_request))
    } else {
        api
    };
    api.with_state(state)
}

/// CORS stays off (no headers at all) unless `server.cors_origins` lists origins.
fn cors(origins: &[String]) -> Option<tower_http::cors::CorsLayer> {
    use axum::http::Method;
    let origins: Vec<HeaderValue> = origins.iter().filter_map(|o| o.parse().ok()).collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        tower_http::cors::CorsLayer::new()
            .allow_origin(origins)
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
            .allow_headers([
                header::CONTENT_TYPE,
                header::AUTHORIZATION,
                HeaderName::from_static("idempotency-key"),
            ]),
    )
}
