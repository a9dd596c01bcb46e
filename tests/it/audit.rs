//! The audit log over HTTP: admin and staff writes land in it with who,
//! what and before/after; only admins read it; filters are checked; no route
//! changes it.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, ADMIN_EMAIL};
use crate::roles::staff;

fn entries(body: &Value) -> &Vec<Value> {
    body["items"].as_array().expect("items")
}

#[tokio::test]
async fn admin_and_staff_writes_are_recorded_with_before_and_after() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let product = app.product(&admin, "Lamp", "home", 1000, 10).await;
    let id = product["id"].as_str().expect("id").to_owned();
    let changed = app
        .put(
            &format!("/products/{id}"),
            Some(&admin),
            json!({"name": "Desk lamp", "description": "Bright", "category": "home",
                   "price": 1200, "photo_url": "/static/photos/ceramic-mug.svg", "stock": 9}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);

    let customer = app.customer("ana@example.com").await;
    app.post(
        "/cart",
        Some(&customer),
        json!({"product_id": id, "quantity": 1}),
    )
    .await;
    let placed = app
        .post(
            "/orders",
            Some(&customer),
            json!({"delivery_address": "Somewhere 1, Town"}),
        )
        .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    let number = placed.body["number"].as_i64().expect("number");
    let staff = staff(&app).await;
    let cancelled = app
        .put(
            &format!("/orders/{number}/status"),
            Some(&staff),
            json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.text);

    let log = app.get("/admin/audit", Some(&admin)).await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.text);
    let actions: Vec<&str> = entries(&log.body)
        .iter()
        .map(|e| e["action"].as_str().expect("action"))
        .collect();
    assert_eq!(
        actions,
        ["order.status", "product.update", "product.create"]
    );
    assert_eq!(log.body["total"], 3);

    let status = &entries(&log.body)[0];
    assert_eq!(status["actor"], "staff@example.com");
    assert_eq!(status["role"], "staff");
    assert_eq!(status["target"], format!("order:{number}"));
    assert_eq!(status["before"]["status"], "awaiting_payment");
    assert_eq!(status["after"]["status"], "cancelled");

    let update = &entries(&log.body)[1];
    assert_eq!(update["actor"], ADMIN_EMAIL);
    assert_eq!(update["target"], format!("product:{id}"));
    assert_eq!(update["before"]["name"], "Lamp");
    assert_eq!(update["after"]["name"], "Desk lamp");
    assert_eq!(update["after"]["price"], 1200);
    assert!(
        entries(&log.body)[2]["before"].is_null(),
        "a creation has no before"
    );

    // Filters: by actor, by a thing's actions, by target; unknown
    // parameters (tracking links) are ignored.
    for (query, want) in [
        ("actor=STAFF@example.com", 1),
        ("action=product.", 2),
        ("action=product.update", 1),
        (&*format!("target=order:{number}"), 1),
        ("from=2000-01-01&to=2100-12-31&utm_source=mail", 3),
        ("to=2000-01-01", 0),
    ] {
        let r = app
            .get(&format!("/admin/audit?{query}"), Some(&admin))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.text);
        assert_eq!(r.body["total"], want, "{query}");
    }

    // The page shows the same entries.
    let page = app
        .http
        .get(app.url("/admin/audit?action=order."))
        .bearer_auth(&admin)
        .header("accept", "text/html")
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(page.contains("<table"), "{page}");
    assert!(page.contains(&format!("order:{number}")), "{page}");
    assert!(!page.contains("product.update"), "filtered out: {page}");
}

#[tokio::test]
async fn only_admins_read_the_log_and_nothing_changes_it() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let customer = app.customer("ana@example.com").await;
    let staff = staff(&app).await;

    app.get("/admin/audit", None)
        .await
        .assert_problem(401, "unauthorized");
    app.get("/admin/audit", Some(&customer))
        .await
        .assert_problem(403, "forbidden");
    app.get("/admin/audit", Some(&staff))
        .await
        .assert_problem(403, "forbidden");

    for (query, field) in [
        ("from=2026-02-30", "from"),
        ("from=yesterday", "from"),
        ("to=1999-12-31", "to"),
        ("from=2026-03-02&to=2026-03-01", "to"),
        ("from=99999-01-01", "from"),
    ] {
        let r = app
            .get(&format!("/admin/audit?{query}"), Some(&admin))
            .await;
        let problem = r.assert_problem(422, "validation_failed");
        assert!(problem["errors"][field].is_array(), "{query}: {}", r.text);
    }
    app.get("/admin/audit?limit=0", Some(&admin))
        .await
        .assert_problem(400, "invalid_parameter");

    for method in [Method::POST, Method::PUT, Method::DELETE, Method::PATCH] {
        let r = app
            .call(
                method.clone(),
                "/admin/audit",
                Some(&admin),
                Some(json!({})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method}: {}",
            r.text
        );
    }
}
