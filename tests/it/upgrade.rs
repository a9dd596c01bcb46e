//! Stores written by an older tienda open with this one, on both stores; a
//! store written by a newer one is refused. The fixtures hold one shop (the
//! demo catalog, Ana, her order 1001 and her open cart) as the release before
//! each schema change wrote it: `store-v1.sql`, a SQLite store from the
//! commit before the architecture change (see its header), and
//! `mongo-v1.json`, the same shop in the MongoDB documents of the release
//! before they changed. This binary migrates each at start and serves it.

use futures_util::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

const FIXTURE: &str = include_str!("../fixtures/store-v1.sql");
const MONGO_FIXTURE: &str = include_str!("../fixtures/mongo-v1.json");
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
    let url = fixture_store(&dir, FIXTURE_VERSION);
    settings.store.url = tienda::config::Secret::new(url.clone());
    let app = start(dir, settings).await;
    serves_the_fixture_shop(&app).await;
    let (_dir, _) = app.stop().await;
    let path = url.trim_start_matches("sqlite://");
    let conn = rusqlite::Connection::open(path).expect("open the migrated store");
    let version: usize = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    assert_eq!(version, tienda::store::sqlite::SCHEMA_VERSION, "migrated");
}

/// What the fixtures' shop must still be after the upgrade: its catalog, Ana
/// logging in with her password, her order and her cart, which checks out
/// into the next order number.
async fn serves_the_fixture_shop(app: &TestApp) {
    // Products: the demo catalog, with the stock the old order took.
    let list = app.get("/products?limit=200", None).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let items = list.body["items"].as_array().expect("items");
    assert!(items.len() >= 3, "{}", list.text);
    let (first, second) = (items[0].clone(), items[1].clone());
    assert_eq!(first["name"], "Wireless Headphones");
    assert_eq!(first["stock"], 23, "25 less the 2 in order 1001");
    // Variants: every product is sold as its one default variant, which
    // has the product's id, price and stock.
    for item in items {
        let variants = item["variants"].as_array().expect("variants");
        assert_eq!(variants.len(), 1, "{item}");
        assert_eq!(variants[0]["id"], item["id"]);
        assert_eq!(variants[0]["price"], item["price"]);
        assert_eq!(variants[0]["stock"], item["stock"]);
        assert_eq!(variants[0]["archived"], false);
        assert_eq!(item["options"], json!([]));
    }

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
    assert_eq!(order.body["status"], "awaiting_payment");
    assert_eq!(order.body["items"][0]["product_id"], first["id"]);
    assert_eq!(order.body["items"][0]["variant_id"], first["id"]);
    assert_eq!(
        order.body["delivery_address"]["line1"],
        "1 Calle Mayor, Madrid"
    );
    // Its payment reads as the bank transfer it was marked paid by then.
    assert_eq!(order.body["subtotal"], 17998);
    assert_eq!(order.body["payment"]["method"], "bank_transfer");

    // Carts: her open one, which checks out into the next number.
    let cart = app.get("/cart", Some(&ana)).await;
    assert_eq!(cart.status, StatusCode::OK, "{}", cart.text);
    assert_eq!(cart.body["items"][0]["product_id"], second["id"]);
    assert_eq!(cart.body["items"][0]["variant_id"], second["id"]);
    assert_eq!(cart.body["items"][0]["available"], true);
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
    // The checkout took the unit from the default variant and the product.
    let after = app
        .get(
            &format!("/products/{}", second["id"].as_str().expect("id")),
            None,
        )
        .await;
    let left = second["stock"].as_i64().expect("stock") - 1;
    assert_eq!(after.body["stock"], left);
    assert_eq!(after.body["variants"][0]["stock"], left);
}

/// A fresh database on the MongoDB-wire server of `TIENDA_TEST_MONGO_URL`
/// (these cases run on MongoDB whichever store the suite runs on).
fn fresh_mongo_url(purpose: &str) -> String {
    let base = std::env::var("TIENDA_TEST_MONGO_URL")
        .expect("the MongoDB upgrade tests need TIENDA_TEST_MONGO_URL (scripts/test.sh sets it)");
    let db = format!(
        "{purpose}_{}_{}",
        std::process::id(),
        tienda::domain::new_id().replace('-', "")
    );
    match base.split_once('?') {
        Some((b, q)) => format!("{}/{db}?{q}", b.trim_end_matches('/')),
        None => format!("{}/{db}", base.trim_end_matches('/')),
    }
}

async fn raw_database(url: &str) -> mongodb::Database {
    let client = mongodb::Client::with_uri_str(url).await.expect("connect");
    client.default_database().expect("the URL names a database")
}

/// Inserts the MongoDB fixture's documents as they are, through the driver.
async fn load_mongo_fixture(db: &mongodb::Database) {
    let fixture: serde_json::Value = serde_json::from_str(MONGO_FIXTURE).expect("fixture JSON");
    for (collection, docs) in fixture.as_object().expect("collections") {
        if collection.starts_with('_') {
            continue;
        }
        let docs: Vec<Document> = docs
            .as_array()
            .expect("documents")
            .iter()
            .map(
                |d| match Bson::try_from(d.clone()).expect("Extended JSON") {
                    Bson::Document(d) => d,
                    other => panic!("not a document: {other}"),
                },
            )
            .collect();
        db.collection::<Document>(collection)
            .insert_many(docs)
            .await
            .expect("insert the fixture");
    }
}

#[tokio::test]
async fn a_mongodb_database_from_the_previous_release_migrates_and_serves() {
    let url = fresh_mongo_url("upgrade");
    let db = raw_database(&url).await;
    load_mongo_fixture(&db).await;
    let users = db.collection::<Document>("users");
    assert!(
        users
            .find_one(doc! { "locale": { "$exists": true } })
            .await
            .expect("find")
            .is_none(),
        "the old release wrote users without `locale`"
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = test_settings(&dir);
    settings.store.url = tienda::config::Secret::new(url.clone());
    let app = start(dir, settings).await;
    serves_the_fixture_shop(&app).await;

    // Migrated: the version recorded, every account in today's shape.
    let meta = db
        .collection::<Document>("meta")
        .find_one(doc! { "_id": "schema" })
        .await
        .expect("find")
        .expect("the schema version is recorded");
    assert_eq!(
        meta.get_i64("version").expect("version"),
        tienda::store::mongo::schema::SCHEMA_VERSION as i64
    );
    let accounts: Vec<Document> = users
        .find(doc! {})
        .await
        .expect("find")
        .try_collect()
        .await
        .expect("users");
    assert!(!accounts.is_empty());
    for account in &accounts {
        assert!(account.contains_key("locale"), "{account}");
    }
    // The outbox the old release wrote reads back too.
    let admin = app.admin().await;
    let mail = app.get("/admin/mail", Some(&admin)).await;
    assert_eq!(mail.status, StatusCode::OK, "{}", mail.text);
    assert!(
        mail.text.contains("order_confirmation"),
        "the old outbox lists: {}",
        mail.text
    );
    app.stop().await;
    db.drop().await.expect("drop the test database");
}

#[tokio::test]
async fn a_mongodb_database_from_a_newer_tienda_is_refused_untouched() {
    let url = fresh_mongo_url("newer");
    let db = raw_database(&url).await;
    load_mongo_fixture(&db).await;
    db.collection::<Document>("meta")
        .insert_one(doc! { "_id": "schema", "version": 99_i64 })
        .await
        .expect("a newer version");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = test_settings(&dir);
    settings.store.url = tienda::config::Secret::new(url);
    let err = tienda::app::Application::build(settings)
        .await
        .err()
        .expect("a newer schema is refused");
    let message = format!("{err:#}");
    assert!(
        message.contains("schema version 99") && message.contains("newer than this tienda"),
        "{message}"
    );
    // Refused before anything was written: no index, no backfill.
    let indexes: Vec<String> = db
        .collection::<Document>("users")
        .list_index_names()
        .await
        .expect("indexes");
    assert_eq!(indexes, vec!["_id_".to_owned()], "no index was created");
    assert!(db
        .collection::<Document>("users")
        .find_one(doc! { "locale": { "$exists": true } })
        .await
        .expect("find")
        .is_none());
    db.drop().await.expect("drop the test database");
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
