//! Stores written by an older tienda open with this one. The fixture is a
//! SQLite store made by the commit before the architecture change (see its
//! header); this binary migrates it at start and serves what it holds.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

const FIXTURE: &str = include_str!("../fixtures/store-v1.sql");
/// The schema version the fixture's tienda recorded.
const FIXTURE_VERSION: i64 = 1;

/// A store file loaded from the fixture, with `user_version` set to `version`.
fn fixture_store(dir: &tempfile::TempDir, version: i64) -> String {
    let path = dir.path().join("old.db");
    let conn = rusqlite::Connection::open(&path).expect("create the old store");
    // The dump creates tables in name order, so rows of `sessions` come
    // before the `users` table they refer to.
    conn.pragma_update(None, "foreign_keys", false)
        .expect("foreign keys off while loading");
    conn.execute_batch(FIXTURE).expect("load the fixture");
    conn.pragma_update(None, "user_version", version)
        .expect("set its version");
    format!("sqlite://{}", path.display())
}

#[tokio::test]
async fn a_store_from_the_previous_release_opens_and_serves() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = test_settings(&dir);
    settings.store.url = tienda::config::Secret::new(fixture_store(&dir, FIXTURE_VERSION));
    let app = start(dir, settings).await;

    // Products: the demo catalog, with the stock the old order took.
    let list = app.get("/products?limit=200", None).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let items = list.body["items"].as_array().expect("items");
    assert!(items.len() >= 3, "{}", list.text);
    let (first, second) = (items[0].clone(), items[1].clone());
    assert_eq!(first["name"], "Wireless Headphones");
    assert_eq!(first["stock"], 23, "25 less the 2 in order 1001");

    // Users: Ana logs in with the password she registered with.
    let login = app
        .post(
            "/auth/login",
            None,
            json!({ "email": "ana@example.com", "password": "correct horse battery" }),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    let ana = login.body["token"].as_str().expect("token").to_owned();
    assert_eq!(login.body["user"]["name"], "Ana Pérez");

    // Orders: hers, as placed.
    let order = app.get("/orders/1001", Some(&ana)).await;
    assert_eq!(order.status, StatusCode::OK, "{}", order.text);
    assert_eq!(order.body["total"], 17998);
    assert_eq!(order.body["status"], "placed");
    assert_eq!(order.body["items"][0]["product_id"], first["id"]);
    assert_eq!(order.body["delivery_address"], "1 Calle Mayor, Madrid");

    // Carts: her open one, which checks out into the next number.
    let cart = app.get("/cart", Some(&ana)).await;
    assert_eq!(cart.status, StatusCode::OK, "{}", cart.text);
    assert_eq!(cart.body["items"][0]["product_id"], second["id"]);
    assert_eq!(cart.body["items"][0]["quantity"], 1);
    let placed = app
        .post(
            "/orders",
            Some(&ana),
            json!({ "delivery_address": "2 Calle Mayor, Madrid" }),
        )
        .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    assert_eq!(placed.body["number"], 1002, "numbering carries on");
}

#[tokio::test]
async fn a_store_from_a_newer_tienda_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = test_settings(&dir);
    settings.store.url = tienda::config::Secret::new(fixture_store(&dir, 99));
    let err = tienda::app::Application::build(settings)
        .await
        .err()
        .expect("a newer schema is refused");
    let message = format!("{err:#}");
    assert!(message.contains("schema version 99"), "{message}");
}
