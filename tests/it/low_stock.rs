//! Low-stock alerts over HTTP: the product's level in the API, and the one
//! mail that reaches `mail.notify` through the outbox when an order takes a
//! product to it.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::auth::wait_for_mail;
use crate::checkout::{add_to_cart, checkout_in, id};
use crate::helpers::*;

const OWNER: &str = "owner@shop.test";

fn address() -> Value {
    json!({"delivery_address": {"name": "Ana García", "line1": "Calle Mayor 1", "city": "Madrid",
           "postal_code": "28013", "country": "ES"}})
}

async fn buy(app: &TestApp, token: &str, product: &str, quantity: i64) {
    add_to_cart(app, token, product, quantity).await;
    let r = checkout_in(app, token, "en", address()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

/// The outbox's `low_stock` mails.
async fn alerts(app: &TestApp, admin: &str) -> Vec<Value> {
    let r = app.get("/admin/mail?limit=200", Some(admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|m| m["kind"] == "low_stock")
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_product_has_its_own_level_or_the_shops() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let r = app
        .post(
            "/products",
            Some(&admin),
            json!({"name": "Lamp", "category": "home", "price": 100, "stock": 3, "low_stock_threshold": 2}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["low_stock_threshold"], 2);
    let plain = app.product(&admin, "Mug", "home", 100, 3).await;
    assert_eq!(plain["low_stock_threshold"], Value::Null, "the default");

    // The API document names the field and the quick edit.
    let doc = app.get("/openapi.json", None).await;
    let schemas = &doc.body["components"]["schemas"];
    assert!(schemas["ProductInput"]["properties"]
        .get("low_stock_threshold")
        .is_some());
    assert!(doc.body["paths"]["/products/{id}/variants/{variant_id}"]
        .get("patch")
        .is_some());

    for bad in [json!(-1), json!(1_000_001), json!("five")] {
        let r = app
            .post(
                "/products",
                Some(&admin),
                json!({"name": "Lamp", "category": "home", "price": 100, "stock": 3, "low_stock_threshold": bad}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text
        );
        assert!(
            r.body["errors"].get("low_stock_threshold").is_some(),
            "{bad}: {}",
            r.text
        );
    }
}

#[tokio::test]
async fn an_order_that_takes_a_product_to_its_level_mails_the_shop_once() {
    let app = spawn_app_with(|s| {
        s.mail.notify = OWNER.into();
        s.catalog.low_stock_threshold = 3;
    })
    .await;
    let admin = app.admin().await;
    let lamp = app.product(&admin, "Desk lamp", "home", 1999, 5).await;
    let lamp_id = id(&lamp);
    let sku = lamp["variants"][0]["sku"].as_str().expect("sku").to_owned();
    let ana = app.customer("ana@example.com").await;

    buy(&app, &ana, &lamp_id, 1).await; // 5 → 4: above 3
    buy(&app, &ana, &lamp_id, 1).await; // 4 → 3: at the level
    let mail = wait_for_mail(&app, OWNER, "alert at").await;
    assert!(mail.contains("Desk lamp"), "{mail}");
    assert!(mail.contains(&sku), "{mail}");
    assert!(
        mail.contains(&format!("/admin/products/{lamp_id}/edit")),
        "a link to the edit page: {mail}"
    );
    assert!(mail.contains("3 left (alert at 3)"), "{mail}");

    buy(&app, &ana, &lamp_id, 1).await; // 3 → 2: still low, no second mail
    assert_eq!(alerts(&app, &admin).await.len(), 1);

    // Restocked above the level, the next crossing mails again.
    let vid = lamp["variants"][0]["id"].as_str().expect("variant id");
    let r = app
        .raw(
            reqwest::Method::PATCH,
            &format!("/products/{lamp_id}/variants/{vid}"),
            Some(&admin),
            "application/json",
            br#"{"stock": 4}"#.to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    buy(&app, &ana, &lamp_id, 1).await; // 4 → 3
    assert_eq!(alerts(&app, &admin).await.len(), 2);
}
