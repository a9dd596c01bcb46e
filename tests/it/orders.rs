use std::collections::HashSet;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

fn id(p: &serde_json::Value) -> String {
    p["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn cart_lines_add_raise_set_and_remove() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let lamp = id(&app.product(&admin, "Lamp", "home", 1999, 5).await);
    let mug = id(&app.product(&admin, "Mug", "home", 500, 10).await);
    let t = app.customer("c@example.com").await;

    let empty = app.get("/cart", Some(&t)).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.body["items"], json!([]));
    assert_eq!(empty.body["total"], 0);

    let r = app
        .post(
            "/cart",
            Some(&t),
            json!({"product_id": lamp, "quantity": 2}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = app
        .post(
            "/cart",
            Some(&t),
            json!({"product_id": lamp, "quantity": 1}),
        )
        .await;
    assert_eq!(
        r.body["items"][0]["quantity"], 3,
        "adding again raises the line"
    );
    app.post("/cart", Some(&t), json!({"product_id": mug, "quantity": 4}))
        .await;
    let cart = app.get("/cart", Some(&t)).await.body;
    assert_eq!(cart["email"], "c@example.com");
    assert_eq!(cart["currency"], "EUR");
    assert_eq!(cart["total"], 3 * 1999 + 4 * 500);
    assert_eq!(cart["items"][0]["line_total"], 3 * 1999);
    assert_eq!(cart["items"][0]["unit_price"], 1999);
    assert_eq!(cart["items"][0]["name"], "Lamp");
    assert!(cart["created_at"].is_string() && cart["updated_at"].is_string());

    let r = app
        .put(&format!("/cart/{mug}"), Some(&t), json!({"quantity": 1}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["total"], 3 * 1999 + 500);
    let r = app
        .put(&format!("/cart/{mug}"), Some(&t), json!({"quantity": 0}))
        .await;
    assert_eq!(
        r.body["items"].as_array().map(Vec::len),
        Some(1),
        "0 removes the line"
    );
    let r = app.delete(&format!("/cart/{lamp}"), Some(&t)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["items"], json!([]));
    app.delete(&format!("/cart/{lamp}"), Some(&t))
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn bad_cart_input() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let lamp = id(&app.product(&admin, "Lamp", "home", 1999, 5).await);
    let t = app.customer("c@example.com").await;
    for q in [
        json!(0),
        json!(-1),
        json!(1.5),
        json!("2"),
        json!(null),
        json!(1_000_000),
        json!(i64::MAX),
    ] {
        let r = app
            .post(
                "/cart",
                Some(&t),
                json!({"product_id": lamp, "quantity": q}),
            )
            .await;
        let p = r.assert_problem(422, "validation_failed");
        assert!(p["errors"].get("quantity").is_some(), "{q}: {}", r.text);
    }
    let r = app
        .raw(
            Method::POST,
            "/cart",
            Some(&t),
            "application/json",
            format!("{{\"product_id\":\"{lamp}\",\"quantity\":99999999999999999999999}}")
                .into_bytes(),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    let r = app
        .post(
            "/cart",
            Some(&t),
            json!({"product_id": lamp, "quantity": 6}),
        )
        .await;
    let p = r.assert_problem(409, "insufficient_stock");
    assert_eq!(p["product_id"], lamp.as_str());
    assert_eq!(p["available"], 5);
    let unknown = "01900000-0000-7000-8000-000000000000";
    let r = app
        .post(
            "/cart",
            Some(&t),
            json!({"product_id": unknown, "quantity": 1}),
        )
        .await;
    let p = r.assert_problem(404, "product_not_found");
    assert!(p["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("does not exist"));
    app.post(
        "/cart",
        Some(&t),
        json!({"product_id": "abc", "quantity": 1}),
    )
    .await
    .assert_problem(422, "validation_failed");
    app.put("/cart/abc", Some(&t), json!({"quantity": 1}))
        .await
        .assert_problem(400, "invalid_parameter");
    // Without a session it is a guest's cart (tests/it/guest.rs); a bad
    // token is still refused.
    app.post(
        "/cart",
        Some("bad"),
        json!({"product_id": lamp, "quantity": 1}),
    )
    .await
    .assert_problem(401, "unauthorized");
    app.put("/cart/address", Some(&t), json!({"delivery_address": "x"}))
        .await
        .assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn deleted_or_sold_out_products_show_as_unavailable() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let lamp = id(&app.product(&admin, "Lamp", "home", 1999, 5).await);
    let mug = id(&app.product(&admin, "Mug", "home", 500, 10).await);
    let t = app.customer("c@example.com").await;
    app.post(
        "/cart",
        Some(&t),
        json!({"product_id": lamp, "quantity": 2}),
    )
    .await;
    app.post("/cart", Some(&t), json!({"product_id": mug, "quantity": 2}))
        .await;
    app.delete(&format!("/products/{lamp}"), Some(&admin)).await;
    app.put(
        &format!("/products/{mug}"),
        Some(&admin),
        json!({"name": "Mug", "category": "home", "price": 500, "stock": 1}),
    )
    .await;
    let cart = app.get("/cart", Some(&t)).await;
    assert_eq!(cart.status, StatusCode::OK);
    let items = cart.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|l| l["available"] == false));
    assert_eq!(cart.body["ready"], false);
    app.put(
        "/cart/address",
        Some(&t),
        json!({"delivery_address": "Calle Mayor 1, Madrid"}),
    )
    .await;
    app.post("/orders", Some(&t), json!({}))
        .await
        .assert_problem(404, "product_not_found");
    // The deleted line can still be removed.
    assert_eq!(
        app.delete(&format!("/cart/{lamp}"), Some(&t)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn checkout_creates_the_order_and_empties_the_cart() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let lamp = id(&app.product(&admin, "Lamp", "home", 1999, 5).await);
    let t = app.customer("c@example.com").await;
    app.post("/orders", Some(&t), json!({}))
        .await
        .assert_problem(422, "cart_empty");
    app.post(
        "/cart",
        Some(&t),
        json!({"product_id": lamp, "quantity": 2}),
    )
    .await;
    let r = app.post("/orders", Some(&t), json!({})).await;
    assert!(r.assert_problem(422, "validation_failed")["errors"]
        .get("delivery_address")
        .is_some());
    let r = app
        .put(
            "/cart/address",
            Some(&t),
            json!({"delivery_address": "Calle Mayor 1, Madrid"}),
        )
        .await;
    // One line of text is still an address, in the shop's country.
    assert_eq!(r.body["delivery_address"]["line1"], "Calle Mayor 1, Madrid");
    assert_eq!(r.body["delivery_address"]["country"], "ES");
    let order = app.post("/orders", Some(&t), json!({})).await;
    assert_eq!(order.status, StatusCode::CREATED, "{}", order.text);
    let o = &order.body;
    assert_eq!(o["number"], 1001);
    assert_eq!(o["status"], "awaiting_payment");
    assert_eq!(o["email"], "c@example.com");
    // The shop's defaults: prices include 21% tax, the starter method ships free.
    assert_eq!(o["subtotal"], 2 * 1999);
    assert_eq!(
        o["shipping"],
        json!({"method": "standard", "name": "Standard delivery", "price": 0})
    );
    assert_eq!(o["taxes"], json!([{"rate": 2100, "amount": 694}]));
    assert_eq!(o["total"], 2 * 1999);
    assert_eq!(o["payment"]["method"], "bank_transfer");
    assert_eq!(o["payment"]["status"], "pending");
    assert_eq!(o["payment"]["reference"], "ORDER-1001");
    assert_eq!(o["currency"], "EUR");
    assert_eq!(o["delivery_address"]["line1"], "Calle Mayor 1, Madrid");
    assert_eq!(o["items"][0]["name"], "Lamp");
    assert_eq!(o["items"][0]["description"], "Lamp description");
    assert_eq!(o["items"][0]["unit_price"], 1999);
    assert_eq!(o["items"][0]["quantity"], 2);
    assert_eq!(o["history"][0]["status"], "awaiting_payment");
    assert_eq!(app.get("/cart", Some(&t)).await.body["items"], json!([]));
    assert_eq!(
        app.get(&format!("/products/{lamp}"), None).await.body["stock"],
        3
    );

    // Prices change later; the order keeps the price at purchase.
    app.put(
        &format!("/products/{lamp}"),
        Some(&admin),
        json!({"name": "Lamp", "category": "home", "price": 9999, "stock": 3}),
    )
    .await;
    let again = app.get("/orders/1001", Some(&t)).await;
    assert_eq!(again.body["items"][0]["unit_price"], 1999);
    assert_eq!(again.body["total"], 2 * 1999);

    // The body's address overrides the cart's; numbers count up.
    app.post(
        "/cart",
        Some(&t),
        json!({"product_id": lamp, "quantity": 1}),
    )
    .await;
    let second = app
        .post(
            "/orders",
            Some(&t),
            json!({"delivery_address": "Plaza 2, Sevilla"}),
        )
        .await;
    assert_eq!(second.body["number"], 1002);
    assert_eq!(second.body["delivery_address"]["line1"], "Plaza 2, Sevilla");
}

#[tokio::test]
async fn idempotent_checkout_returns_the_first_order() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let lamp = id(&app.product(&admin, "Lamp", "home", 1999, 5).await);
    let t = app.customer("c@example.com").await;
    app.post(
        "/cart",
        Some(&t),
        json!({"product_id": lamp, "quantity": 1}),
    )
    .await;
    app.put(
        "/cart/address",
        Some(&t),
        json!({"delivery_address": "Calle Mayor 1, Madrid"}),
    )
    .await;
    let send = || {
        app.http
            .post(app.url("/orders"))
            .bearer_auth(&t)
            .header("idempotency-key", "key-123")
            .send()
    };
    let first = TestApp::answer(send().await.expect("first")).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let second = TestApp::answer(send().await.expect("second")).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    assert_eq!(first.body["number"], second.body["number"]);
    assert_eq!(app.get("/orders", Some(&t)).await.body["total"], 1);
    assert_eq!(
        app.get(&format!("/products/{lamp}"), None).await.body["stock"],
        4
    );
}

#[tokio::test]
async fn orders_are_private_and_admins_move_them_through_the_lifecycle() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let lamp = id(&app.product(&admin, "Lamp", "home", 1000, 10).await);
    let ana = app.customer("ana@example.com").await;
    let bob = app.customer("bob@example.com").await;
    for (t, q) in [(&ana, 2), (&bob, 3)] {
        app.post("/cart", Some(t), json!({"product_id": lamp, "quantity": q}))
            .await;
        let r = app
            .post(
                "/orders",
                Some(t),
                json!({"delivery_address": "Somewhere 1, Town"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let mine = app.get("/orders", Some(&ana)).await;
    assert_eq!(mine.body["total"], 1);
    assert_eq!(mine.body["items"][0]["email"], "ana@example.com");
    app.get("/orders/1002", Some(&ana))
        .await
        .assert_problem(404, "order_not_found");
    app.get("/orders/abc", Some(&ana))
        .await
        .assert_problem(400, "invalid_parameter");
    app.get("/orders/-1", Some(&ana))
        .await
        .assert_problem(400, "invalid_parameter");
    let all = app.get("/orders", Some(&admin)).await;
    assert_eq!(all.body["total"], 2);
    assert_eq!(all.body["items"][0]["number"], 1002, "newest first");
    assert_eq!(
        app.get("/orders?email=bob@example.com", Some(&admin))
            .await
            .body["total"],
        1
    );
    app.get("/orders?status=lost", Some(&admin))
        .await
        .assert_problem(400, "invalid_parameter");

    app.put("/orders/1001/status", Some(&ana), json!({"status": "paid"}))
        .await
        .assert_problem(403, "forbidden");
    app.put(
        "/orders/1001/status",
        Some(&admin),
        json!({"status": "shipped"}),
    )
    .await
    .assert_problem(409, "invalid_transition");
    for s in ["paid", "shipped", "delivered"] {
        let r = app
            .put("/orders/1001/status", Some(&admin), json!({"status": s}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["status"], s);
    }
    let h = app.get("/orders/1001", Some(&ana)).await.body["history"].clone();
    let statuses: Vec<_> = h
        .as_array()
        .expect("history")
        .iter()
        .map(|c| c["status"].clone())
        .collect();
    assert_eq!(
        statuses,
        [
            json!("awaiting_payment"),
            json!("paid"),
            json!("shipped"),
            json!("delivered")
        ]
    );
    app.put(
        "/orders/1001/status",
        Some(&admin),
        json!({"status": "cancelled"}),
    )
    .await
    .assert_problem(409, "invalid_transition");
    app.put(
        "/orders/1001/status",
        Some(&admin),
        json!({"status": "lost"}),
    )
    .await
    .assert_problem(422, "validation_failed");
    app.put(
        "/orders/9999/status",
        Some(&admin),
        json!({"status": "paid"}),
    )
    .await
    .assert_problem(404, "order_not_found");

    // Cancelling restocks.
    assert_eq!(
        app.get(&format!("/products/{lamp}"), None).await.body["stock"],
        5
    );
    let r = app
        .put(
            "/orders/1002/status",
            Some(&admin),
            json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(r.body["status"], "cancelled");
    assert_eq!(
        app.get(&format!("/products/{lamp}"), None).await.body["stock"],
        8
    );
}

#[tokio::test]
async fn fifty_racing_checkouts_never_oversell() {
    // What this checks is that no unit is sold twice. On the emulated MongoDB
    // (one Python process) fifty transactions conflicting on one product
    // settle slowly on a busy machine; the request timeout is not under test.
    let app = spawn_app_with(|s| s.server.request_timeout = tienda::config::Seconds(120)).await;
    let admin = app.admin().await;
    let lamp = id(&app.product(&admin, "Lamp", "home", 1000, 50).await);
    let mut tokens = Vec::new();
    for i in 0..50 {
        let t = app.customer(&format!("racer{i}@example.com")).await;
        let r = app
            .post(
                "/cart",
                Some(&t),
                json!({"product_id": lamp, "quantity": 1}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        app.put(
            "/cart/address",
            Some(&t),
            json!({"delivery_address": "Street 1, City"}),
        )
        .await;
        tokens.push(t);
    }
    // Only 10 left when the race starts.
    app.put(
        &format!("/products/{lamp}"),
        Some(&admin),
        json!({"name": "Lamp", "category": "home", "price": 1000, "stock": 10}),
    )
    .await;
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for t in tokens {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            app.post("/orders", Some(&t), json!({})).await
        }));
    }
    let mut created = 0;
    for task in tasks {
        let r = task.await.expect("task");
        match r.status.as_u16() {
            201 => created += 1,
            409 => assert_eq!(r.body["code"], "insufficient_stock"),
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    assert_eq!(created, 10);
    assert_eq!(
        app.get(&format!("/products/{lamp}"), None).await.body["stock"],
        0
    );
    let orders = app.get("/orders?limit=200", Some(&admin)).await;
    assert_eq!(orders.body["total"], 10);
    let numbers: HashSet<_> = orders.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|o| o["number"].as_i64())
        .collect();
    assert_eq!(numbers.len(), 10, "order numbers are unique");
}

#[tokio::test]
async fn concurrent_cart_updates_never_lose_a_line() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(id(&app
            .product(&admin, &format!("P{i}"), "misc", 100, 5)
            .await));
    }
    let t = app.customer("c@example.com").await;
    let app = std::sync::Arc::new(app);
    let tasks: Vec<_> = ids
        .iter()
        .map(|pid| {
            let (app, t, pid) = (app.clone(), t.clone(), pid.clone());
            tokio::spawn(async move {
                app.post("/cart", Some(&t), json!({"product_id": pid, "quantity": 1}))
                    .await
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.expect("task").status, StatusCode::CREATED);
    }
    let cart = app.get("/cart", Some(&t)).await;
    assert_eq!(cart.body["items"].as_array().map(Vec::len), Some(20));
}
