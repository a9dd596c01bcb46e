//! `GET /metrics`: off by default, behind a bearer token or on a private
//! address, in the Prometheus text format, with bounded labels only.

use reqwest::StatusCode;
use serde_json::json;
use tienda::app::Application;
use tienda::config::Secret;

use crate::helpers::*;

const TOKEN: &str = "metrics-test-token-0123456789";

async fn scrape(app: &TestApp, token: Option<&str>) -> (StatusCode, String) {
    let mut req = app.http.get(app.url("/metrics"));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let resp = req.send().await.expect("scrape");
    (resp.status(), resp.text().await.expect("body"))
}

/// The value of the first sample line that starts with `series`.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_are_off_unless_enabled() {
    let app = spawn_app().await;
    let answer = app.get("/metrics", None).await;
    answer.assert_problem(404, "route_not_found");
}

#[tokio::test]
async fn metrics_need_the_token_and_name_routes_by_template() {
    let app = spawn_app_with(|s| {
        s.metrics.enabled = true;
        s.metrics.token = Some(Secret::new(TOKEN));
    })
    .await;
    // Without the token, or with another, it is an error in the model.
    for token in [None, Some("wrong-token-0123456789"), Some("")] {
        let mut req = app.http.get(app.url("/metrics"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let answer = TestApp::answer(req.send().await.expect("scrape")).await;
        answer.assert_problem(401, "unauthorized");
        assert!(answer.text.contains("metrics.token"), "{}", answer.text);
    }

    let admin = app.admin().await;
    let product = app.product(&admin, "Metered Mug", "kitchen", 900, 5).await;
    let id = product["id"].as_str().expect("id").to_owned();
    let customer = app.customer("metrics-buyer@example.com").await;
    for _ in 0..3 {
        let r = app.get(&format!("/products/{id}"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let r = app
        .post(
            "/cart",
            Some(&customer),
            json!({"product_id": id, "quantity": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    // A path of the visitor's own making: never a label.
    let r = app.get("/no/such/route/someone@example.com", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let (status, text) = scrape(&app, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let requests = sample(
        &text,
        r#"tienda_http_requests_total{method="GET",route="/products/{x}",status="200"}"#,
    )
    .expect("product reads counted by route template");
    assert!(requests >= 3.0, "{requests}");
    assert!(text.contains(r#"route="unmatched",status="404""#), "{text}");
    assert!(!text.contains(&id), "a product id in a label");
    assert!(!text.contains("example.com"), "an email in a label");
    assert!(text.contains("# TYPE tienda_http_request_duration_seconds histogram"));
    assert!(
        text.contains(
            r#"tienda_http_request_duration_seconds_bucket{method="POST",route="/cart","#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"tienda_store_call_duration_seconds_bucket{operation="add_to_cart","#),
        "{text}"
    );
    // Registration queued mails (welcome and the shop's copy).
    let pending = sample(&text, r#"tienda_outbox_mails{status="pending"}"#).expect("pending");
    let sent = sample(&text, r#"tienda_outbox_mails{status="sent"}"#).expect("sent");
    assert!(pending + sent >= 2.0, "{pending} + {sent}");
    assert!(sample(&text, r#"tienda_outbox_mails{status="failed"}"#).is_some());
    assert!(
        sample(&text, "tienda_chat_open_sockets").is_some(),
        "{text}"
    );
    assert!(
        sample(&text, "tienda_password_hash_queue").is_some(),
        "{text}"
    );
    // The second and third reads of the product came from the cache.
    let hits = sample(
        &text,
        r#"tienda_cache_lookups_total{cache="catalog",result="hit"}"#,
    );
    let misses = sample(
        &text,
        r#"tienda_cache_lookups_total{cache="catalog",result="miss"}"#,
    );
    if app.settings.store.url.expose().starts_with("sqlite://") {
        assert!(hits.unwrap_or(0.0) >= 1.0, "{text}");
        assert!(misses.unwrap_or(0.0) >= 1.0, "{text}");
    }
    // The new product reached the search index, and the lag was measured.
    let mut lag = None;
    for _ in 0..50 {
        let (_, text) = scrape(&app, Some(TOKEN)).await;
        lag = sample(&text, "tienda_search_index_lag_seconds_count");
        if lag.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(lag.unwrap_or(0.0) >= 1.0, "no search index lag recorded");
}

#[tokio::test]
async fn a_private_metrics_address_needs_no_token_and_the_shop_has_no_metrics() {
    let dir = tempfile::tempdir().expect("dir");
    let mut settings = test_settings(&dir);
    settings.metrics.enabled = true;
    settings.metrics.listen = Some("127.0.0.1:0".into());
    let app = Application::build(settings).await.expect("builds");
    let shop_port = app.port();
    let metrics_port = app.metrics_port().expect("metrics address bound");
    assert_ne!(shop_port, metrics_port);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::new();
    let shop = http
        .get(format!("http://127.0.0.1:{shop_port}/metrics"))
        .send()
        .await
        .expect("shop");
    assert_eq!(shop.status(), StatusCode::NOT_FOUND);
    let private = http
        .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .send()
        .await
        .expect("metrics");
    assert_eq!(private.status(), StatusCode::OK);
    let text = private.text().await.expect("text");
    assert!(text.contains("tienda_outbox_mails"), "{text}");
    let _ = stop.send(());
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(10), running).await;
    assert!(stopped.is_ok(), "both servers stop on the signal");
    drop(dir);
}

#[tokio::test]
async fn enabled_metrics_without_a_token_or_address_are_refused_at_start() {
    let dir = tempfile::tempdir().expect("dir");
    let mut settings = test_settings(&dir);
    settings.metrics.enabled = true;
    let err = Application::build(settings.clone())
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("metrics.token"), "{err}");
    settings.metrics.token = Some(Secret::new("short"));
    let err = Application::build(settings.clone())
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("metrics.token"), "{err}");
    settings.metrics.token = None;
    settings.metrics.listen = Some("not an address".into());
    let err = Application::build(settings).await.err().expect("refused");
    assert!(err.to_string().contains("metrics.listen"), "{err}");
}
