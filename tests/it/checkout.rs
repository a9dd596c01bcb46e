//! Checkout over HTTP: the order lifecycle with its mails (bank transfer and
//! cash on delivery), shipping methods and zones, taxes added or included,
//! structured addresses, what a client may not set, and the defaults old
//! clients rely on. Every test runs on the store `TIENDA_TEST_STORE` picks.

use reqwest::StatusCode;
use serde_json::{json, Value};
use tienda::domain::payments::{BankDetails, PaymentMethod};
use tienda::domain::tax::{CountryRates, TaxTable};

use crate::auth::wait_for_mail;
use crate::helpers::*;

pub(crate) const IBAN: &str = "ES91 2100 0418 4502 0005 1332";

pub(crate) fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

/// Units of a product in stock now.
pub(crate) async fn stock(app: &TestApp, product: &str) -> i64 {
    let r = app.get(&format!("/products/{product}"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["stock"].as_i64().expect("stock")
}

/// A product with a tax class and a weight (grams).
pub(crate) async fn product_with(
    app: &TestApp,
    admin: &str,
    name: &str,
    price: i64,
    stock: i64,
    tax_class: &str,
    weight: i64,
) -> String {
    let r = app
        .post(
            "/products",
            Some(admin),
            json!({"name": name, "description": format!("{name} description"), "category": "home",
                   "price": price, "photo_url": "/static/photos/ceramic-mug.svg", "stock": stock,
                   "tax_class": tax_class, "weight": weight}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    id(&r.body)
}

/// Puts `quantity` units of `product` in the caller's cart.
pub(crate) async fn add_to_cart(app: &TestApp, token: &str, product: &str, quantity: i64) {
    let r = app
        .post(
            "/cart",
            Some(token),
            json!({"product_id": product, "quantity": quantity}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

/// `POST /orders` with `body`, in `language` (an `Accept-Language`).
pub(crate) async fn checkout_in(app: &TestApp, token: &str, language: &str, body: Value) -> Answer {
    let r = app
        .http
        .post(app.url("/orders"))
        .bearer_auth(token)
        .header("accept-language", language)
        .json(&body)
        .send()
        .await
        .expect("checkout");
    TestApp::answer(r).await
}

/// Registers a customer from a browser speaking `language` (the account
/// remembers it: their mails speak it) and logs in; returns the token.
pub(crate) async fn customer_in(app: &TestApp, email: &str, language: &str) -> String {
    let r = app
        .http
        .post(app.url("/auth/register"))
        .header("accept-language", language)
        .json(&json!({"name": "Ana García", "phone": "+34 600 000 000", "email": email, "password": PASSWORD}))
        .send()
        .await
        .expect("register");
    assert_eq!(r.status(), StatusCode::CREATED);
    app.customer(email).await
}

/// The whole outbox (queued or sent), newest first.
pub(crate) async fn outbox(app: &TestApp, admin: &str) -> Vec<Value> {
    let r = app.get("/admin/mail?limit=200", Some(admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"].as_array().expect("items").clone()
}

/// How many update mails of `event` (`payment_received`, `shipped`,
/// `refunded`, `cancelled`) the outbox holds for order `number`.
pub(crate) async fn update_mails(app: &TestApp, admin: &str, number: i64, event: &str) -> usize {
    outbox(app, admin)
        .await
        .iter()
        .filter(|m| {
            m["kind"] == "order_update"
                && m["payload"]["order"]["number"] == number
                && m["payload"]["event"] == event
        })
        .count()
}

/// The statuses in an order's history, oldest first.
pub(crate) fn statuses(order: &Value) -> Vec<String> {
    order["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| h["status"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn set_status(status: &str) -> Value {
    json!({ "status": status })
}

fn spain(name: &str) -> Value {
    json!({"name": name, "line1": "Calle Mayor 1", "line2": "3º B", "city": "Madrid",
           "postal_code": "28013", "region": "Madrid", "country": "ES", "phone": "+34 600 123 456"})
}

fn address_in(country: &str) -> Value {
    json!({"name": "Ana García", "line1": "1 Main Street", "city": "Somewhere",
           "postal_code": "12345", "country": country})
}

#[tokio::test]
async fn a_bank_transfer_order_is_paid_shipped_and_delivered_with_a_mail_at_each_step_in_its_language(
) {
    let app = spawn_app_with(|s| {
        s.payment.bank = BankDetails {
            holder: "Tienda Ñandú SL".into(),
            iban: IBAN.into(),
            bic: "CAIXESBBXXX".into(),
            bank_name: "CaixaBank".into(),
        };
    })
    .await;
    let admin = app.admin().await;
    let lamp = app.product(&admin, "Lámpara", "home", 2000, 10).await;
    let lamp = id(&lamp);

    // Ana, who registered in Spanish, checks out in Spanish.
    let ana = customer_in(&app, "ana@example.com", "es-ES,es;q=0.9").await;
    add_to_cart(&app, &ana, &lamp, 2).await;
    let placed = checkout_in(
        &app,
        &ana,
        "es-ES,es;q=0.9",
        json!({"delivery_address": spain("Ana García")}),
    )
    .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    let order = &placed.body;
    let n = order["number"].as_i64().expect("number");
    assert_eq!(order["status"], "awaiting_payment");
    assert_eq!(order["locale"], "es");
    assert_eq!(order["payment"]["method"], "bank_transfer");
    assert_eq!(order["payment"]["status"], "pending");
    assert_eq!(order["payment"]["reference"], format!("ORDER-{n}"));
    assert_eq!(order["payment"]["paid"], 0);
    assert_eq!(order["total"], 4000);
    assert_eq!(stock(&app, &lamp).await, 8);
    let received = wait_for_mail(
        &app,
        "ana@example.com",
        &format!("Gracias por tu pedido {n}"),
    )
    .await;
    for needle in [
        "Titular: Tienda Ñandú SL",
        &format!("IBAN: {IBAN}"),
        "BIC: CAIXESBBXXX",
        &format!("Referencia (indícala, por favor): ORDER-{n}"),
        "Transfiere ",
        "Lámpara",
        "Calle Mayor 1",
    ] {
        assert!(received.contains(needle), "lacks {needle:?}: {received}");
    }
    assert!(!received.contains("Thank you"), "{received}");

    // The admin marks it paid when the transfer arrives.
    let paid = app
        .put(
            &format!("/orders/{n}/status"),
            Some(&admin),
            set_status("paid"),
        )
        .await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.text);
    assert_eq!(paid.body["status"], "paid");
    assert_eq!(paid.body["payment"]["status"], "paid");
    assert_eq!(paid.body["payment"]["paid"], 4000);
    assert!(paid.body["payment"]["paid_at"].is_string());
    let mail = wait_for_mail(
        &app,
        "ana@example.com",
        &format!("Hemos recibido el pago de tu pedido {n}"),
    )
    .await;
    assert!(mail.contains("Total: "), "{mail}");

    // Shipped with its tracking.
    let shipped = app
        .put(
            &format!("/orders/{n}/status"),
            Some(&admin),
            json!({"status": "shipped", "carrier": "Correos", "tracking_number": "PK123ES",
                   "tracking_url": "https://correos.es/track/PK123ES"}),
        )
        .await;
    assert_eq!(shipped.status, StatusCode::OK, "{}", shipped.text);
    assert_eq!(shipped.body["status"], "shipped");
    assert_eq!(
        shipped.body["tracking"],
        json!({"carrier": "Correos", "number": "PK123ES", "url": "https://correos.es/track/PK123ES"})
    );
    let mail = wait_for_mail(
        &app,
        "ana@example.com",
        &format!("Tu pedido {n} ha salido de nuestro almacén"),
    )
    .await;
    assert!(
        mail.contains("Transportista: Correos, número de seguimiento: PK123ES"),
        "{mail}"
    );
    assert!(mail.contains("https://correos.es/track/PK123ES"), "{mail}");

    let delivered = app
        .put(
            &format!("/orders/{n}/status"),
            Some(&admin),
            set_status("delivered"),
        )
        .await;
    assert_eq!(delivered.status, StatusCode::OK, "{}", delivered.text);

    // Every change is in the history: who, when and what came with it.
    let order = app.get(&format!("/orders/{n}"), Some(&ana)).await.body;
    assert_eq!(
        statuses(&order),
        ["awaiting_payment", "paid", "shipped", "delivered"]
    );
    let history = order["history"].as_array().expect("history");
    let by: Vec<_> = history.iter().map(|h| h["by"].as_str().unwrap()).collect();
    assert_eq!(
        by,
        ["ana@example.com", ADMIN_EMAIL, ADMIN_EMAIL, ADMIN_EMAIL]
    );
    assert_eq!(
        history[2]["note"],
        "Correos PK123ES https://correos.es/track/PK123ES"
    );
    let times: Vec<_> = history
        .iter()
        .map(|h| {
            time::OffsetDateTime::parse(
                h["at"].as_str().expect("at"),
                &time::format_description::well_known::Rfc3339,
            )
            .expect("an RFC 3339 time")
        })
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert_eq!(order["payment"]["status"], "paid");
    // Each step's mail once; delivery sends none.
    for event in ["payment_received", "shipped"] {
        assert_eq!(update_mails(&app, &admin, n, event).await, 1, "{event}");
    }
    assert_eq!(
        outbox(&app, &admin)
            .await
            .iter()
            .filter(|m| m["kind"] == "order_update")
            .count(),
        2
    );

    // Bob checks out in English: his mails speak it, with the same bank details.
    let bob = app.customer("bob@example.com").await;
    add_to_cart(&app, &bob, &lamp, 1).await;
    let placed = checkout_in(
        &app,
        &bob,
        "en-GB,en;q=0.8",
        json!({"delivery_address": spain("Bob Smith")}),
    )
    .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    let m = placed.body["number"].as_i64().unwrap();
    assert_eq!(placed.body["locale"], "en");
    let received = wait_for_mail(
        &app,
        "bob@example.com",
        &format!("Thank you for your order {m}"),
    )
    .await;
    for needle in [
        "Please transfer €20.00 to this account",
        &format!("IBAN: {IBAN}"),
        &format!("Reference (please quote it): ORDER-{m}"),
    ] {
        assert!(received.contains(needle), "lacks {needle:?}: {received}");
    }
    app.put(
        &format!("/orders/{m}/status"),
        Some(&admin),
        set_status("paid"),
    )
    .await;
    wait_for_mail(
        &app,
        "bob@example.com",
        &format!("We received the payment for your order {m}"),
    )
    .await;
}

#[tokio::test]
async fn cash_on_delivery_ships_unpaid_and_is_paid_when_delivered() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mug = id(&app.product(&admin, "Mug", "home", 1250, 5).await);
    let ana = app.customer("ana@example.com").await;
    add_to_cart(&app, &ana, &mug, 2).await;
    let placed = app
        .post(
            "/orders",
            Some(&ana),
            json!({"delivery_address": spain("Ana"), "payment_method": "cash_on_delivery"}),
        )
        .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    let n = placed.body["number"].as_i64().unwrap();
    assert_eq!(placed.body["status"], "awaiting_payment");
    assert_eq!(placed.body["payment"]["method"], "cash_on_delivery");
    assert_eq!(placed.body["payment"]["status"], "on_delivery");
    let received = wait_for_mail(
        &app,
        "ana@example.com",
        &format!("Thank you for your order {n}"),
    )
    .await;
    assert!(
        received.contains("You pay €25.00 in cash when the parcel arrives."),
        "{received}"
    );
    assert!(!received.contains("IBAN"), "{received}");

    // It cannot be marked paid by hand: the carrier collects the money.
    let path = format!("/orders/{n}/status");
    let refused = app.put(&path, Some(&admin), set_status("paid")).await;
    let body = refused.assert_problem(409, "invalid_transition");
    assert_eq!(body["from"], "awaiting_payment");
    assert_eq!(body["to"], "paid");
    let shipped = app
        .put(
            &path,
            Some(&admin),
            json!({"status": "shipped", "carrier": "SEUR", "tracking_number": "S-1"}),
        )
        .await;
    assert_eq!(shipped.status, StatusCode::OK, "{}", shipped.text);
    assert_eq!(shipped.body["payment"]["status"], "on_delivery");
    assert_eq!(shipped.body["payment"]["paid"], 0);
    app.put(&path, Some(&admin), set_status("paid"))
        .await
        .assert_problem(409, "invalid_transition");
    let delivered = app.put(&path, Some(&admin), set_status("delivered")).await;
    assert_eq!(delivered.status, StatusCode::OK, "{}", delivered.text);
    assert_eq!(delivered.body["status"], "delivered");
    assert_eq!(delivered.body["payment"]["status"], "paid");
    assert_eq!(delivered.body["payment"]["paid"], 2500);
    assert!(delivered.body["payment"]["paid_at"].is_string());
    assert_eq!(
        statuses(&delivered.body),
        ["awaiting_payment", "shipped", "delivered"]
    );
    assert_eq!(delivered.body["history"][1]["note"], "SEUR S-1");
    assert_eq!(update_mails(&app, &admin, n, "shipped").await, 1);
    assert_eq!(update_mails(&app, &admin, n, "payment_received").await, 0);
    assert_eq!(stock(&app, &mug).await, 3);
}

#[tokio::test]
async fn the_lifecycle_refuses_moves_it_does_not_allow() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mug = id(&app.product(&admin, "Mug", "home", 1000, 10).await);
    let ana = app.customer("ana@example.com").await;
    add_to_cart(&app, &ana, &mug, 1).await;
    let placed = app
        .post(
            "/orders",
            Some(&ana),
            json!({"delivery_address": spain("Ana")}),
        )
        .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    let n = placed.body["number"].as_i64().unwrap();
    let path = format!("/orders/{n}/status");
    let before = app.get(&format!("/orders/{n}"), Some(&admin)).await.body;

    // A bank transfer is paid before it ships; nothing is delivered unshipped;
    // refunded comes only from refunds.
    for status in ["shipped", "delivered", "refunded", "awaiting_payment"] {
        let body = app.put(&path, Some(&admin), set_status(status)).await;
        let body = body.assert_problem(409, "invalid_transition");
        assert_eq!(body["to"], status);
    }
    // Tracking goes with shipping only, and is followed over https only.
    let r = app
        .put(
            &path,
            Some(&admin),
            json!({"status": "paid", "carrier": "Correos", "tracking_number": "PK1"}),
        )
        .await;
    assert!(r.assert_problem(422, "validation_failed")["errors"]
        .get("status")
        .is_some());
    let long = "9".repeat(101);
    for (field, value) in [
        ("tracking_url", "http://correos.es/PK1"),
        ("tracking_url", "javascript:alert(1)"),
        ("carrier", "Correos\u{7}"),
        ("tracking_number", long.as_str()),
    ] {
        let r = app
            .put(
                &path,
                Some(&admin),
                json!({"status": "shipped", field: value}),
            )
            .await;
        assert!(
            r.assert_problem(422, "validation_failed")["errors"]
                .get(field)
                .is_some(),
            "{field}: {value}"
        );
    }
    let r = app
        .put(
            &path,
            Some(&admin),
            json!({"status": "paid", "paid": 1, "note": "x"}),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    // Only admins move orders, even the customer's own.
    app.put(&path, Some(&ana), set_status("paid"))
        .await
        .assert_problem(403, "forbidden");
    let anonymous = app.put(&path, None, set_status("paid")).await;
    assert_eq!(
        anonymous.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        anonymous.text
    );
    app.put("/orders/0/status", Some(&admin), set_status("paid"))
        .await
        .assert_problem(400, "invalid_parameter");
    app.put("/orders/99999/status", Some(&admin), set_status("paid"))
        .await
        .assert_problem(404, "order_not_found");
    // None of it changed the order.
    assert_eq!(
        app.get(&format!("/orders/{n}"), Some(&admin)).await.body,
        before
    );

    // Paid, then on: what is behind it is closed.
    for status in ["paid", "shipped"] {
        let r = app.put(&path, Some(&admin), set_status(status)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    for status in ["paid", "cancelled", "shipped"] {
        app.put(&path, Some(&admin), set_status(status))
            .await
            .assert_problem(409, "invalid_transition");
    }
    assert_eq!(
        stock(&app, &mug).await,
        9,
        "a shipped order keeps its stock"
    );
    let delivered = app.put(&path, Some(&admin), set_status("delivered")).await;
    assert_eq!(delivered.status, StatusCode::OK);
    for status in ["shipped", "cancelled", "delivered"] {
        app.put(&path, Some(&admin), set_status(status))
            .await
            .assert_problem(409, "invalid_transition");
    }
    // A cancelled order is final and its stock came back once.
    add_to_cart(&app, &ana, &mug, 3).await;
    let placed = app
        .post(
            "/orders",
            Some(&ana),
            json!({"delivery_address": spain("Ana")}),
        )
        .await;
    let m = placed.body["number"].as_i64().unwrap();
    assert_eq!(stock(&app, &mug).await, 6);
    let path = format!("/orders/{m}/status");
    let r = app.put(&path, Some(&admin), set_status("cancelled")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["payment"]["status"], "voided");
    assert_eq!(stock(&app, &mug).await, 9);
    for status in ["cancelled", "paid", "awaiting_payment"] {
        app.put(&path, Some(&admin), set_status(status))
            .await
            .assert_problem(409, "invalid_transition");
    }
    assert_eq!(stock(&app, &mug).await, 9, "the stock came back once");
    assert_eq!(update_mails(&app, &admin, m, "cancelled").await, 1);
}

/// The methods the shipping tests set up: standard (Spain €4.95, free from
/// €50; Europe €9.95) and express (Spain only, by weight).
async fn zones(app: &TestApp, admin: &str) {
    let standard = app
        .put(
            "/shipping-methods/standard",
            Some(admin),
            json!({"name": "Standard", "position": 0, "zones": [
                {"name": "Spain", "countries": ["ES"], "price": 495, "free_above": 5000},
                {"name": "Europe", "countries": ["fr", "DE", "PT", "IT"], "price": 995}
            ]}),
        )
        .await;
    assert_eq!(
        standard.status,
        StatusCode::OK,
        "replaces the starter: {}",
        standard.text
    );
    assert_eq!(
        standard.body["zones"][1]["countries"],
        json!(["FR", "DE", "PT", "IT"])
    );
    let express = app
        .put(
            "/shipping-methods/express",
            Some(admin),
            json!({"name": "Express", "position": 1, "zones": [
                {"name": "Spain", "countries": ["ES"], "weight_bands": [
                    {"up_to_grams": 1000, "price": 1200},
                    {"up_to_grams": 5000, "price": 1900}
                ]}
            ]}),
        )
        .await;
    assert_eq!(express.status, StatusCode::CREATED, "{}", express.text);
}

#[tokio::test]
async fn shipping_methods_price_the_cart_by_country_subtotal_and_weight() {
    let app = spawn_app().await;
    let listed = app.get("/shipping-methods", None).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    assert_eq!(
        listed.body,
        json!([{"id": "standard", "name": "Standard delivery", "position": 0,
                "zones": [{"name": "Standard delivery", "countries": [], "price": 0}]}]),
        "the starter method"
    );
    let admin = app.admin().await;
    zones(&app, &admin).await;
    let listed = app.get("/shipping-methods", None).await.body;
    let ids: Vec<_> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    assert_eq!(ids, [json!("standard"), json!("express")]);

    let vase = product_with(&app, &admin, "Vase", 2000, 20, "standard", 500).await;
    let ana = app.customer("ana@example.com").await;
    add_to_cart(&app, &ana, &vase, 1).await;

    // Spain (the shop's country, no address yet): €20 + €4.95; 21% included.
    let cart = app.get("/cart", Some(&ana)).await.body;
    assert_eq!(cart["subtotal"], 2000);
    assert_eq!(
        cart["shipping"],
        json!({"method": "standard", "name": "Standard", "price": 495})
    );
    assert_eq!(
        cart["shipping_options"],
        json!([{"method": "standard", "name": "Standard", "price": 495},
               {"method": "express", "name": "Express", "price": 1200}])
    );
    // (2000 + 495) · 2100 / 12100 = 433.02 → 433.
    assert_eq!(cart["taxes"], json!([{"rate": 2100, "amount": 433}]));
    assert_eq!(cart["prices_include_tax"], true);
    assert_eq!(cart["total"], 2495);

    // From €50, standard is free in Spain; express weighs 3 × 500 g.
    let r = app
        .put(&format!("/cart/{vase}"), Some(&ana), json!({"quantity": 3}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let cart = app.get("/cart", Some(&ana)).await.body;
    assert_eq!(cart["shipping"]["price"], 0);
    assert_eq!(cart["shipping_options"][1]["price"], 1900);
    // 6000 · 2100 / 12100 = 1041.32 → 1041.
    assert_eq!(cart["taxes"], json!([{"rate": 2100, "amount": 1041}]));
    assert_eq!(cart["total"], 6000);

    // France: Europe's €9.95 whatever the subtotal; no express; no French
    // rate in the table, so no tax.
    let r = app
        .put(
            "/cart/address",
            Some(&ana),
            json!({"delivery_address": address_in("FR")}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["delivery_address"]["country"], "FR");
    assert_eq!(
        r.body["shipping_options"],
        json!([{"method": "standard", "name": "Standard", "price": 995}])
    );
    assert_eq!(r.body["taxes"], json!([]));
    assert_eq!(r.body["total"], 6995);

    // Back in Spain, express is chosen at checkout and snapshotted.
    app.put(
        "/cart/address",
        Some(&ana),
        json!({"delivery_address": spain("Ana")}),
    )
    .await;
    let placed = app
        .post("/orders", Some(&ana), json!({"shipping_method": "express"}))
        .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    let order = &placed.body;
    assert_eq!(
        order["shipping"],
        json!({"method": "express", "name": "Express", "price": 1900})
    );
    assert_eq!(order["subtotal"], 6000);
    // (6000 + 1900) · 2100 / 12100 = 1371.07 → 1371.
    assert_eq!(order["taxes"], json!([{"rate": 2100, "amount": 1371}]));
    assert_eq!(order["total"], 7900);
    let n = order["number"].as_i64().unwrap();

    // Changing the method afterwards leaves the order's snapshot alone.
    let r = app
        .put(
            "/shipping-methods/express",
            Some(&admin),
            json!({"name": "Express", "zones": [{"name": "Spain", "countries": ["ES"], "price": 5000}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let again = app.get(&format!("/orders/{n}"), Some(&ana)).await.body;
    assert_eq!(again["shipping"]["price"], 1900);
    assert_eq!(again["total"], 7900);
}

#[tokio::test]
async fn an_address_no_zone_covers_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    zones(&app, &admin).await;
    let vase = product_with(&app, &admin, "Vase", 2000, 20, "standard", 500).await;
    let ana = app.customer("ana@example.com").await;
    add_to_cart(&app, &ana, &vase, 2).await;

    let r = app
        .put(
            "/cart/address",
            Some(&ana),
            json!({"delivery_address": address_in("US")}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "the address itself is fine: {}",
        r.text
    );
    assert_eq!(r.body["shipping"], Value::Null);
    assert_eq!(r.body["shipping_options"], json!([]));
    let cart_before = app.get("/cart", Some(&ana)).await.body;

    let refused = app.post("/orders", Some(&ana), json!({})).await;
    let body = refused.assert_problem(422, "validation_failed");
    assert!(
        body["errors"].get("delivery_address.country").is_some(),
        "{body}"
    );
    assert_eq!(body["country"], "US");
    let refused = app
        .post(
            "/orders",
            Some(&ana),
            json!({"shipping_method": "standard"}),
        )
        .await;
    let body = refused.assert_problem(422, "validation_failed");
    assert!(body["errors"].get("shipping_method").is_some(), "{body}");
    // Express ships to Spain only, and an unknown method ships nowhere.
    let refused = app
        .post(
            "/orders",
            Some(&ana),
            json!({"delivery_address": address_in("FR"), "shipping_method": "express"}),
        )
        .await;
    let body = refused.assert_problem(422, "validation_failed");
    assert!(body["errors"].get("shipping_method").is_some(), "{body}");
    let refused = app
        .post(
            "/orders",
            Some(&ana),
            json!({"delivery_address": spain("Ana"), "shipping_method": "teleport"}),
        )
        .await;
    refused.assert_problem(422, "validation_failed");
    // Too heavy for every express band: 12 × 500 g = 6 kg.
    app.put(
        &format!("/cart/{vase}"),
        Some(&ana),
        json!({"quantity": 12}),
    )
    .await;
    let refused = app
        .post(
            "/orders",
            Some(&ana),
            json!({"delivery_address": spain("Ana"), "shipping_method": "express"}),
        )
        .await;
    refused.assert_problem(422, "validation_failed");
    app.put(&format!("/cart/{vase}"), Some(&ana), json!({"quantity": 2}))
        .await;

    // Nothing was stored: no order, no stock taken, no mail, the cart kept.
    assert_eq!(app.get("/orders", Some(&admin)).await.body["total"], 0);
    assert_eq!(stock(&app, &vase).await, 20);
    assert!(outbox(&app, &admin)
        .await
        .iter()
        .all(|m| m["kind"] != "order_confirmation"));
    let cart = app.get("/cart", Some(&ana)).await.body;
    assert_eq!(cart["items"], cart_before["items"]);
    assert_eq!(cart["delivery_address"]["country"], "US");

    // The same cart ships to Portugal; the first order is number 1001 (no
    // number burnt by the refusals).
    let placed = app
        .post(
            "/orders",
            Some(&ana),
            json!({"delivery_address": address_in("PT")}),
        )
        .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    assert_eq!(placed.body["number"], 1001);
    assert_eq!(placed.body["shipping"]["price"], 995);
    assert_eq!(stock(&app, &vase).await, 18);
}

#[tokio::test]
async fn shipping_methods_are_checked_field_by_field_and_kept_by_admins() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let ana = app.customer("ana@example.com").await;
    let good =
        json!({"name": "Pickup", "zones": [{"name": "Here", "countries": ["ES"], "price": 0}]});

    let r = app
        .put(
            "/shipping-methods/bad",
            Some(&admin),
            json!({"name": "", "zones": [
                {"name": "Spain", "countries": ["ES", "XX"], "price": -1},
                {"name": "spain", "countries": ["es"]},
                {"name": "Heavy", "countries": ["FR"], "weight_bands": [
                    {"up_to_grams": 1000, "price": 500},
                    {"up_to_grams": 1000, "price": 700},
                    {"up_to_grams": 0, "price": 100}
                ], "free_above": -5}
            ]}),
        )
        .await;
    let errors = r.assert_problem(422, "validation_failed")["errors"].clone();
    for field in [
        "name",
        "zones[0].countries[1]",
        "zones[0].price",
        "zones[1].name",
        "zones[1].countries[0]",
        "zones[1].price",
        "zones[2].weight_bands[1].up_to_grams",
        "zones[2].weight_bands[2].up_to_grams",
        "zones[2].free_above",
    ] {
        assert!(errors.get(field).is_some(), "{field} not named: {errors}");
    }
    let r = app
        .put(
            "/shipping-methods/bad",
            Some(&admin),
            json!({"name": "No zones", "zones": []}),
        )
        .await;
    assert!(r.assert_problem(422, "validation_failed")["errors"]
        .get("zones")
        .is_some());
    let r = app
        .put(
            "/shipping-methods/bad",
            Some(&admin),
            json!({"name": "Pickup", "zones": [{"name": "Here", "price": 0, "cost": 1}]}),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    for bad in ["Bad_Id", "UPPER", "with%20space", &"x".repeat(41)] {
        let r = app
            .put(
                &format!("/shipping-methods/{bad}"),
                Some(&admin),
                good.clone(),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
        assert_eq!(r.body["code"], "invalid_parameter");
    }
    let r = app.delete("/shipping-methods/Bad_Id", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    // Only admins.
    app.put("/shipping-methods/pickup", Some(&ana), good.clone())
        .await
        .assert_problem(403, "forbidden");
    let anonymous = app
        .put("/shipping-methods/pickup", None, good.clone())
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    app.delete("/shipping-methods/standard", Some(&ana))
        .await
        .assert_problem(403, "forbidden");
    // Nothing of that was stored.
    let listed = app.get("/shipping-methods", None).await.body;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");

    // The last method stays; with two, one can go.
    app.delete("/shipping-methods/standard", Some(&admin))
        .await
        .assert_problem(422, "validation_failed");
    let r = app
        .put("/shipping-methods/pickup", Some(&admin), good)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    app.delete("/shipping-methods/nowhere", Some(&admin))
        .await
        .assert_problem(404, "not_found");
    let r = app.delete("/shipping-methods/standard", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let listed = app.get("/shipping-methods", None).await.body;
    assert_eq!(listed[0]["id"], "pickup");
    assert_eq!(listed.as_array().unwrap().len(), 1);
    app.delete("/shipping-methods/pickup", Some(&admin))
        .await
        .assert_problem(422, "validation_failed");
}

/// A bad method id is a problem like any other: its `id` member is the
/// error's id (the one the logs carry), with the parameter named.
#[tokio::test]
async fn a_bad_shipping_method_id_is_a_problem_that_keeps_its_error_id() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let good = json!({"name": "Pickup", "zones": [{"name": "Here", "price": 0}]});
    let r = app
        .put("/shipping-methods/Bad_Id", Some(&admin), good)
        .await;
    let body = r.assert_problem(400, "invalid_parameter");
    assert_eq!(body["parameter"], "id");
    // The raw text carries one `id` member only: a second one (the method
    // id) would make the error id unreadable to most JSON parsers.
    assert_eq!(r.text.matches("\"id\":").count(), 1, "{}", r.text);
    let r = app.delete("/shipping-methods/Bad_Id", Some(&admin)).await;
    r.assert_problem(400, "invalid_parameter");
}

fn us_rates() -> TaxTable {
    TaxTable::new([(
        "US".to_owned(),
        CountryRates {
            standard: 800,
            reduced: Some(200),
        },
    )])
}

/// A US-style shop: dollars, a flat $5.00 starter, 8% standard and 2% reduced.
async fn us_shop(prices_include_tax: bool) -> (TestApp, String, String) {
    let app = spawn_app_with(|s| {
        s.shop.country = "US".into();
        s.shop.currency = "USD".into();
        s.shop.prices_include_tax = prices_include_tax;
        s.tax.rates = us_rates();
        s.shipping.starter_price = 500;
    })
    .await;
    let admin = app.admin().await;
    let lamp = product_with(&app, &admin, "Lamp", 1999, 10, "standard", 0).await;
    let book = product_with(&app, &admin, "Book", 1000, 10, "reduced", 0).await;
    let ana = app.customer("ana@example.com").await;
    add_to_cart(&app, &ana, &lamp, 2).await;
    add_to_cart(&app, &ana, &book, 1).await;
    (app, ana, lamp)
}

#[tokio::test]
async fn taxes_are_added_or_included_as_the_shop_says() {
    // Added (US style): standard 8% on 2 × 19.99 + 5.00 shipping = 44.98 →
    // 3.5984 → 3.60; reduced 2% on 10.00 → 0.20.
    // Total 39.98 + 10.00 + 5.00 + 3.60 + 0.20 = 58.78.
    let (app, ana, _) = us_shop(false).await;
    let cart = app.get("/cart", Some(&ana)).await.body;
    assert_eq!(cart["currency"], "USD");
    assert_eq!(cart["prices_include_tax"], false);
    assert_eq!(cart["subtotal"], 4998);
    assert_eq!(cart["shipping"]["price"], 500);
    let added = json!([{"rate": 800, "amount": 360}, {"rate": 200, "amount": 20}]);
    assert_eq!(cart["taxes"], added);
    assert_eq!(cart["total"], 5878);
    let placed = app
        .post(
            "/orders",
            Some(&ana),
            json!({"delivery_address": "1 Main Street, Springfield"}),
        )
        .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    let order = &placed.body;
    assert_eq!(order["delivery_address"]["country"], "US");
    assert_eq!(order["subtotal"], 4998);
    assert_eq!(order["shipping"]["price"], 500);
    assert_eq!(order["taxes"], added);
    assert_eq!(order["prices_include_tax"], false);
    assert_eq!(order["total"], 5878);
    let n = order["number"].as_i64().unwrap();
    let mail = wait_for_mail(
        &app,
        "ana@example.com",
        &format!("Thank you for your order {n}"),
    )
    .await;
    for needle in ["Tax (8%): $3.60", "Tax (2%): $0.20", "Total: $58.78"] {
        assert!(mail.contains(needle), "lacks {needle:?}: {mail}");
    }

    // Included (EU style), same table: 44.98 holds 4498 · 800 / 10800 =
    // 333.19 → 3.33; 10.00 holds 1000 · 200 / 10200 = 19.61 → 0.20; the
    // total is what the catalog and shipping say, 54.98.
    let (app, ana, lamp) = us_shop(true).await;
    let included = json!([{"rate": 800, "amount": 333}, {"rate": 200, "amount": 20}]);
    let cart = app.get("/cart", Some(&ana)).await.body;
    assert_eq!(cart["taxes"], included);
    assert_eq!(cart["total"], 5498);
    let placed = app
        .post(
            "/orders",
            Some(&ana),
            json!({"delivery_address": "1 Main Street, Springfield"}),
        )
        .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    assert_eq!(placed.body["taxes"], included);
    assert_eq!(placed.body["prices_include_tax"], true);
    assert_eq!(placed.body["total"], 5498);
    // Elsewhere (no rate in the table) nothing is taxed.
    add_to_cart(&app, &ana, &lamp, 1).await;
    let r = app
        .put(
            "/cart/address",
            Some(&ana),
            json!({"delivery_address": address_in("CA")}),
        )
        .await;
    assert_eq!(r.body["taxes"], json!([]), "{}", r.text);
}

#[tokio::test]
async fn a_reduced_rate_product_gets_the_reduced_line_in_the_shops_own_country() {
    // The default shop: Spain, 21% standard and 10% reduced, prices include tax.
    let app = spawn_app().await;
    let admin = app.admin().await;
    let lamp = product_with(&app, &admin, "Lamp", 1210, 10, "standard", 0).await;
    let bread = product_with(&app, &admin, "Bread", 550, 10, "reduced", 0).await;
    let ana = app.customer("ana@example.com").await;
    add_to_cart(&app, &ana, &lamp, 1).await;
    add_to_cart(&app, &ana, &bread, 2).await;
    let placed = app
        .post(
            "/orders",
            Some(&ana),
            json!({"delivery_address": spain("Ana")}),
        )
        .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    // 12.10 holds 2.10 at 21%; 11.00 holds 1.00 at 10%; shipping is free.
    assert_eq!(
        placed.body["taxes"],
        json!([{"rate": 2100, "amount": 210}, {"rate": 1000, "amount": 100}])
    );
    assert_eq!(placed.body["total"], 2310);
}

#[tokio::test]
async fn structured_addresses_are_checked_part_by_part() {
    let app = spawn_app().await;
    let ana = app.customer("ana@example.com").await;
    let r = app
        .put(
            "/cart/address",
            Some(&ana),
            json!({"delivery_address": {"name": "  Ana García ", "line1": "Rua Augusta 10",
                   "city": "Lisboa", "postal_code": "1100-053", "country": "pt"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body["delivery_address"],
        json!({"name": "Ana García", "line1": "Rua Augusta 10", "line2": "", "city": "Lisboa",
               "postal_code": "1100-053", "region": "", "country": "PT", "phone": ""})
    );

    let r = app
        .put(
            "/cart/address",
            Some(&ana),
            json!({"delivery_address": {"name": "", "line1": "", "city": " ",
                   "postal_code": "28@13", "country": "XX", "phone": "call me",
                   "line2": "x".repeat(201)}}),
        )
        .await;
    let errors = r.assert_problem(422, "validation_failed")["errors"].clone();
    for part in [
        "name",
        "line1",
        "line2",
        "city",
        "postal_code",
        "country",
        "phone",
    ] {
        assert!(
            errors.get(format!("delivery_address.{part}")).is_some(),
            "{part} not named: {errors}"
        );
    }
    assert!(errors.get("delivery_address.region").is_none(), "{errors}");
    let r = app
        .put(
            "/cart/address",
            Some(&ana),
            json!({"delivery_address": {"name": "Ana", "line1": "Calle 1", "city": "Madrid",
                   "postal_code": "28013"}}),
        )
        .await;
    let errors = r.assert_problem(422, "validation_failed")["errors"].clone();
    assert!(errors.get("delivery_address.country").is_some(), "{errors}");
    // An unknown part is refused, not dropped.
    let mut typo = spain("Ana");
    typo["zip"] = json!("28013");
    let r = app
        .put(
            "/cart/address",
            Some(&ana),
            json!({"delivery_address": typo}),
        )
        .await;
    let body = r.assert_problem(422, "validation_failed");
    assert!(body.to_string().contains("zip"), "{body}");
    for bad in [json!(42), json!(["Calle Mayor 1"]), json!("abc")] {
        app.put(
            "/cart/address",
            Some(&ana),
            json!({"delivery_address": bad}),
        )
        .await
        .assert_problem(422, "validation_failed");
    }
    // The refusals changed nothing.
    let cart = app.get("/cart", Some(&ana)).await.body;
    assert_eq!(cart["delivery_address"]["country"], "PT");

    // One line of text is still an address, in the shop's country.
    let r = app
        .put(
            "/cart/address",
            Some(&ana),
            json!({"delivery_address": "Calle Mayor 1, 28013 Madrid"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body["delivery_address"]["line1"],
        "Calle Mayor 1, 28013 Madrid"
    );
    assert_eq!(r.body["delivery_address"]["country"], "ES");
    // Checkout checks the same parts.
    let admin = app.admin().await;
    let mug = id(&app.product(&admin, "Mug", "home", 1000, 5).await);
    add_to_cart(&app, &ana, &mug, 1).await;
    let r = app
        .post(
            "/orders",
            Some(&ana),
            json!({"delivery_address": {"name": "Ana", "line1": "x", "city": "y",
                   "postal_code": "1", "country": "ZZ"}}),
        )
        .await;
    let errors = r.assert_problem(422, "validation_failed")["errors"].clone();
    assert!(errors.get("delivery_address.country").is_some(), "{errors}");
    assert_eq!(stock(&app, &mug).await, 5);
}

#[tokio::test]
async fn a_client_cannot_set_its_own_prices_status_or_payment() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mug = id(&app.product(&admin, "Mug", "home", 1000, 5).await);
    let ana = app.customer("ana@example.com").await;
    add_to_cart(&app, &ana, &mug, 2).await;
    let cart_before = app.get("/cart", Some(&ana)).await.body;
    for (field, value) in [
        ("total", json!(1)),
        ("subtotal", json!(1)),
        (
            "shipping",
            json!({"method": "standard", "name": "Free", "price": 0}),
        ),
        ("taxes", json!([])),
        ("status", json!("paid")),
        (
            "payment",
            json!({"method": "bank_transfer", "status": "paid", "paid": 2000}),
        ),
        ("prices_include_tax", json!(false)),
        ("number", json!(1)),
        (
            "items",
            json!([{"product_id": mug, "quantity": 2, "unit_price": 1}]),
        ),
    ] {
        let mut body = json!({"delivery_address": spain("Ana")});
        body[field] = value;
        let r = app.post("/orders", Some(&ana), body).await;
        let problem = r.assert_problem(422, "validation_failed");
        assert!(
            problem.to_string().contains(field),
            "{field} not named: {problem}"
        );
    }
    // A method the shop does not offer, or does not know.
    for method in ["stripe", "bitcoin", ""] {
        let r = app
            .post(
                "/orders",
                Some(&ana),
                json!({"delivery_address": spain("Ana"), "payment_method": method}),
            )
            .await;
        r.assert_problem(422, "validation_failed");
    }
    // Nothing changed.
    assert_eq!(app.get("/orders", Some(&admin)).await.body["total"], 0);
    assert_eq!(stock(&app, &mug).await, 5);
    assert_eq!(
        app.get("/cart", Some(&ana)).await.body["items"],
        cart_before["items"]
    );
    assert!(outbox(&app, &admin)
        .await
        .iter()
        .all(|m| m["kind"] != "order_confirmation"));
    // The cart page's form reads only the fields it knows: the same forged
    // fields there are ignored, and the order costs what the catalog says.
    app.put(
        "/cart/address",
        Some(&ana),
        json!({"delivery_address": spain("Ana")}),
    )
    .await;
    let r = app
        .http
        .post(app.url("/orders"))
        .bearer_auth(&ana)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("payment_method=bank_transfer&total=1&subtotal=1&shipping=0&taxes=0&status=paid&paid=2000")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let orders = app.get("/orders", Some(&ana)).await.body;
    assert_eq!(orders["total"], 1);
    let order = &orders["items"][0];
    assert_eq!(order["subtotal"], 2000);
    assert_eq!(order["total"], 2000);
    assert_eq!(order["status"], "awaiting_payment");
    assert_eq!(order["payment"]["paid"], 0);
    assert_eq!(order["payment"]["status"], "pending");
    assert_eq!(stock(&app, &mug).await, 3);
}

#[tokio::test]
async fn a_refund_is_never_larger_than_what_was_paid() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mug = id(&app.product(&admin, "Mug", "home", 1500, 5).await);
    let ana = app.customer("ana@example.com").await;
    add_to_cart(&app, &ana, &mug, 2).await;
    let placed = app
        .post(
            "/orders",
            Some(&ana),
            json!({"delivery_address": spain("Ana")}),
        )
        .await;
    let n = placed.body["number"].as_i64().unwrap();
    let refunds = format!("/orders/{n}/refunds");
    // Nothing paid yet: nothing to refund.
    let r = app
        .post(&refunds, Some(&admin), json!({"amount": 100}))
        .await;
    assert!(r.assert_problem(422, "validation_failed")["errors"]
        .get("amount")
        .is_some());
    app.put(
        &format!("/orders/{n}/status"),
        Some(&admin),
        set_status("paid"),
    )
    .await;
    let before = app.get(&format!("/orders/{n}"), Some(&admin)).await.body;
    for amount in [3001, 0, -5, i64::MAX] {
        let r = app
            .post(&refunds, Some(&admin), json!({"amount": amount}))
            .await;
        assert!(
            r.assert_problem(422, "validation_failed")["errors"]
                .get("amount")
                .is_some(),
            "{amount}"
        );
    }
    app.post(&refunds, Some(&admin), json!({"amount": "10"}))
        .await
        .assert_problem(422, "validation_failed");
    app.post(&refunds, Some(&ana), json!({"amount": 100}))
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(
        app.get(&format!("/orders/{n}"), Some(&admin)).await.body,
        before
    );
    assert_eq!(update_mails(&app, &admin, n, "refunded").await, 0);

    // Part, then more than what is left, then the rest.
    let r = app
        .post(&refunds, Some(&admin), json!({"amount": 1000}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["payment"]["refunded"], 1000);
    assert_eq!(r.body["payment"]["status"], "partially_refunded");
    assert_eq!(r.body["status"], "paid");
    let r = app
        .post(&refunds, Some(&admin), json!({"amount": 2001}))
        .await;
    let body = r.assert_problem(422, "validation_failed");
    assert!(body["errors"].get("amount").is_some(), "{body}");
    let r = app.post(&refunds, Some(&admin), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["payment"]["refunded"], 3000);
    assert_eq!(r.body["payment"]["status"], "refunded");
    assert_eq!(r.body["status"], "refunded");
    assert_eq!(
        statuses(&r.body),
        ["awaiting_payment", "paid", "paid", "refunded"]
    );
    assert_eq!(r.body["history"][3]["note"], "refund 2000");
    app.post(&refunds, Some(&admin), json!({"amount": 1}))
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(update_mails(&app, &admin, n, "refunded").await, 2);
    let mail = wait_for_mail(&app, "ana@example.com", "Refunded so far: €30.00 of €30.00").await;
    assert!(
        mail.contains(&format!("We refunded money on your order {n}")),
        "{mail}"
    );
}

#[tokio::test]
async fn old_clients_still_place_orders_with_a_string_address_and_no_methods() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mug = id(&app.product(&admin, "Mug", "home", 1000, 5).await);
    let ana = app.customer("ana@example.com").await;
    add_to_cart(&app, &ana, &mug, 1).await;
    let placed = app
        .post(
            "/orders",
            Some(&ana),
            json!({"delivery_address": "Calle Mayor 1, Madrid"}),
        )
        .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    let order = &placed.body;
    assert_eq!(order["status"], "awaiting_payment");
    assert_eq!(
        order["payment"]["method"],
        PaymentMethod::BankTransfer.as_str()
    );
    assert_eq!(order["payment"]["reference"], "ORDER-1001");
    assert_eq!(
        order["shipping"],
        json!({"method": "standard", "name": "Standard delivery", "price": 0})
    );
    assert_eq!(order["delivery_address"]["line1"], "Calle Mayor 1, Madrid");
    assert_eq!(order["delivery_address"]["country"], "ES");
    assert_eq!(order["total"], 1000);

    // The address saved on the cart as text, then a checkout with no body.
    add_to_cart(&app, &ana, &mug, 1).await;
    let r = app
        .put(
            "/cart/address",
            Some(&ana),
            json!({"delivery_address": "Gran Vía 2, Madrid"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .http
        .post(app.url("/orders"))
        .bearer_auth(&ana)
        .send()
        .await
        .unwrap();
    let placed = TestApp::answer(r).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    assert_eq!(
        placed.body["delivery_address"]["line1"],
        "Gran Vía 2, Madrid"
    );
    assert_eq!(placed.body["payment"]["method"], "bank_transfer");
    assert_eq!(placed.body["shipping"]["method"], "standard");
    assert_eq!(stock(&app, &mug).await, 3);
}
