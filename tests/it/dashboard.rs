//! The sales dashboard: `GET /admin/stats` and `GET /admin` for every role,
//! the figures after a purchase and a cancellation, bad ranges named by
//! field, unknown parameters ignored, and the page's accessible charts.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

fn today() -> String {
    let d = time::OffsetDateTime::now_utc().date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A customer buys `quantity` of `product`; the order's JSON.
pub(crate) async fn buy(app: &TestApp, token: &str, product: &str, quantity: i64) -> Value {
    let r = app
        .post(
            "/cart",
            Some(token),
            json!({"product_id": product, "quantity": quantity}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let r = app
        .put(
            "/cart/address",
            Some(token),
            json!({"delivery_address": "Calle Mayor 1, Madrid"}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let order = app.post("/orders", Some(token), json!({})).await;
    assert_eq!(order.status, StatusCode::CREATED, "{}", order.text);
    order.body
}

#[tokio::test]
async fn only_admins_see_the_dashboard() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let staff = crate::roles::staff(&app).await;
    let customer = app.customer("ana@example.com").await;
    for path in [
        "/admin/stats",
        "/admin/stats?from=2026-01-01&to=2026-01-31",
        "/admin",
    ] {
        app.get(path, None)
            .await
            .assert_problem(401, "unauthorized");
        app.get(path, Some(&staff))
            .await
            .assert_problem(403, "forbidden");
        app.get(path, Some(&customer))
            .await
            .assert_problem(403, "forbidden");
        let r = app.get(path, Some(&admin)).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    }
    let (status, _) = app.page_as("/admin", &staff).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_figures_follow_purchases_and_cancellations() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let empty = app.get("/admin/stats", Some(&admin)).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.text);
    let s = &empty.body;
    assert_eq!(s["to"], today());
    assert_eq!(
        s["days"].as_array().map(Vec::len),
        Some(30),
        "the last 30 days"
    );
    assert_eq!(
        (s["orders"].as_i64(), s["revenue"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(s["average_order_value"], 0);
    assert_eq!(s["top_products"], json!([]));
    assert_eq!(s["low_stock"], json!([]));
    assert_eq!(s["new_customers"], 1, "the admin's own account");
    assert!(s["currency"].is_string());
    for status in [
        "awaiting_payment",
        "paid",
        "shipped",
        "delivered",
        "cancelled",
        "refunded",
    ] {
        assert_eq!(s["by_status"][status], 0, "{status}");
    }

    let lamp = app.product(&admin, "Lamp", "home", 1999, 10).await;
    let lamp = lamp["id"].as_str().expect("id").to_owned();
    let ana = app.customer("ana@example.com").await;
    let first = buy(&app, &ana, &lamp, 2).await;
    let second = buy(&app, &ana, &lamp, 1).await;
    let r = app
        .put(
            &format!("/orders/{}/status", second["number"]),
            Some(&admin),
            json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let s = app
        .get(
            &format!("/admin/stats?to={}&utm_source=mail", today()),
            Some(&admin),
        )
        .await
        .body;
    let total = first["total"].as_i64().expect("total");
    assert_eq!(s["orders"], 1, "the cancelled order is not counted");
    assert_eq!(s["revenue"], total);
    assert_eq!(s["average_order_value"], total);
    assert_eq!(
        s["days"][29],
        json!({"date": today(), "orders": 1, "revenue": total})
    );
    assert_eq!(s["by_status"]["awaiting_payment"], 1);
    assert_eq!(s["by_status"]["cancelled"], 1);
    assert_eq!(
        s["top_products"],
        json!([{"product_id": lamp, "title": "Lamp", "units": 2, "revenue": 2 * 1999}])
    );
    assert_eq!(s["new_customers"], 2);
    assert_eq!(s["low_stock"], json!([]), "8 left: above the level of 5");

    // Four more take the lamp to 4, at or below the shop's default level.
    buy(&app, &ana, &lamp, 4).await;
    let s = app.get("/admin/stats", Some(&admin)).await.body;
    let low = s["low_stock"].as_array().cloned().unwrap_or_default();
    assert_eq!(low.len(), 1, "{}", s["low_stock"]);
    assert_eq!(
        (
            &low[0]["product_id"],
            &low[0]["stock"],
            &low[0]["threshold"]
        ),
        (&json!(lamp), &json!(4), &json!(5))
    );
    let (status, html) = app.page_as("/admin", &admin).await;
    assert_eq!(status, StatusCode::OK);
    let sku = low[0]["sku"].as_str().expect("sku");
    assert!(
        html.contains(&format!("<tr data-sku=\"{sku}\">")),
        "the page lists the low-stock variant"
    );
}

#[tokio::test]
async fn bad_ranges_are_named_and_unknown_parameters_ignored() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for (query, field) in [
        ("from=2026-02-30", "from"),
        ("to=tomorrow", "to"),
        ("from=1999-12-01&to=2000-01-01", "from"),
        ("from=2026-01-01&to=2101-01-01", "to"),
        ("from=2026-03-01&to=2026-02-01", "to"),
        ("from=2100-12-01", "to"),
        ("from=2020-01-01&to=2026-01-01", "to"),
        ("from=%00", "from"),
    ] {
        let r = app
            .get(&format!("/admin/stats?{query}"), Some(&admin))
            .await;
        let problem = r.assert_problem(422, "validation_failed");
        assert!(
            problem["errors"].get(field).is_some(),
            "{query}: {}",
            r.text
        );
        let (status, html) = app.page_as(&format!("/admin?{query}"), &admin).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {html}");
    }
    let r = app
        .get(
            "/admin/stats?from=2026-01-01&to=2026-01-31&page=3&ref=x",
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["days"].as_array().map(Vec::len), Some(31));
    // An empty field is the default, as a form sends it.
    let r = app.get("/admin/stats?from=&to=", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["to"], today());
}

#[tokio::test]
async fn the_page_draws_accessible_charts_in_both_languages() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let lamp = app.product(&admin, "Lamp", "home", 1999, 10).await;
    let ana = app.customer("ana@example.com").await;
    buy(&app, &ana, lamp["id"].as_str().expect("id"), 1).await;
    let (status, html) = app
        .page_as("/admin?from=2026-01-01&to=2026-01-31&x=1", &admin)
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(html.matches("role=\"img\"").count(), 2, "two charts");
    assert!(
        html.contains("<title id=\"revenue-chart-title\">Revenue per day</title>"),
        "{html}"
    );
    assert!(html.contains("<desc id=\"revenue-chart-desc\">"));
    assert!(html.contains("viewBox=\"0 0 360 180\""));
    assert!(
        html.contains("<th scope=\"col\">Day</th>"),
        "the table of figures"
    );
    assert!(
        html.contains("value=\"2026-01-01\""),
        "the range form keeps the range"
    );
    assert!(html.contains("<label>From <input type=\"date\" name=\"from\""));

    let (status, html) = app.page_as(&format!("/admin?to={}", today()), &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Lamp"), "top products");
    assert_eq!(
        html.matches("<rect ").count(),
        60,
        "a bar per day in each chart"
    );

    let r = app
        .http
        .get(app.url("/admin"))
        .header("accept", "text/html")
        .header("accept-language", "es")
        .bearer_auth(&admin)
        .send()
        .await
        .expect("page");
    let html = r.text().await.unwrap_or_default();
    assert!(html.contains("Ingresos por día"), "{html}");
    assert!(html.contains("Productos más vendidos"));
}

#[tokio::test]
async fn the_openapi_document_describes_the_stats() {
    let app = spawn_app().await;
    let doc = app.get("/openapi.json", None).await.body;
    let op = &doc["paths"]["/admin/stats"]["get"];
    assert!(op.is_object(), "{}", doc["paths"]);
    assert!(op["responses"]["422"].is_object());
    assert!(doc["components"]["schemas"]["SalesStats"].is_object());
}
