//! The admin's product list: search by name or SKU, paging, the low-stock
//! filter, and the quick price and stock edit of one variant (JSON and a
//! plain form), for every role and bad input.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::checkout::id;
use crate::forms::FormClient;
use crate::helpers::*;
use crate::roles::staff;

/// Attribute text as a browser reads it.
fn unescape(page: &str) -> String {
    page.replace("&#x3D;", "=").replace("&amp;", "&")
}

/// A well-formed id nothing has.
const NO_ID: &str = "00000000-0000-7000-8000-000000000000";

async fn patch(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> Answer {
    app.raw(
        Method::PATCH,
        path,
        token,
        "application/json",
        body.to_string().into_bytes(),
    )
    .await
}

fn variant_path(product: &Value) -> String {
    format!(
        "/products/{}/variants/{}",
        id(product),
        product["variants"][0]["id"].as_str().expect("variant id")
    )
}

#[tokio::test]
async fn the_quick_edit_sets_price_and_stock_for_admins_only() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let lamp = app.product(&admin, "Lamp", "home", 1999, 5).await;
    let path = variant_path(&lamp);

    let r = patch(
        &app,
        &path,
        Some(&admin),
        json!({"price": 2500, "stock": 9}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["variants"][0]["price"], 2500);
    assert_eq!(r.body["variants"][0]["stock"], 9);
    assert_eq!(
        (r.body["price"].clone(), r.body["stock"].clone()),
        (json!(2500), json!(9))
    );
    let r = patch(&app, &path, Some(&admin), json!({"stock": 4})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (r.body["price"].clone(), r.body["stock"].clone()),
        (json!(2500), json!(4))
    );
    let shown = app.get(&format!("/products/{}", id(&lamp)), None).await;
    assert_eq!(shown.body["stock"], 4, "the catalog shows it at once");

    // Each edit is in the audit log, on the product, with the variant's
    // price and stock before and after.
    let log = app
        .get("/admin/audit?action=product.variant_update", Some(&admin))
        .await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.text);
    let entries = log.body["items"].as_array().expect("items");
    assert_eq!(entries.len(), 2, "{}", log.text);
    let last = &entries[0];
    assert_eq!(last["target"], format!("product:{}", id(&lamp)));
    assert_eq!(last["actor"], ADMIN_EMAIL);
    assert_eq!(
        (
            last["before"]["price"].clone(),
            last["before"]["stock"].clone()
        ),
        (json!(2500), json!(9))
    );
    assert_eq!(
        (
            last["after"]["price"].clone(),
            last["after"]["stock"].clone()
        ),
        (json!(2500), json!(4))
    );

    // Roles: staff and customers 403, nobody 401.
    let staff = staff(&app).await;
    let customer = app.customer("ana@example.com").await;
    patch(&app, &path, Some(&staff), json!({"stock": 1}))
        .await
        .assert_problem(403, "forbidden");
    patch(&app, &path, Some(&customer), json!({"stock": 1}))
        .await
        .assert_problem(403, "forbidden");
    patch(&app, &path, None, json!({"stock": 1}))
        .await
        .assert_problem(401, "unauthorized");

    // Bad values name their field; unknown fields are refused.
    for (body, field) in [
        (json!({"price": -1}), "price"),
        (json!({"stock": -5}), "stock"),
        (json!({"stock": 1_000_001}), "stock"),
        (json!({"price": "cheap"}), "price"),
    ] {
        let r = patch(&app, &path, Some(&admin), body.clone()).await;
        let problem = r.assert_problem(422, "validation_failed");
        assert!(problem["errors"].get(field).is_some(), "{body}: {}", r.text);
    }
    // Unknown variant or product: 404; a malformed id: 400.
    let r = patch(
        &app,
        &format!("/products/{}/variants/{NO_ID}", id(&lamp)),
        Some(&admin),
        json!({"stock": 1}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let r = patch(
        &app,
        &format!("/products/{NO_ID}/variants/{NO_ID}"),
        Some(&admin),
        json!({"stock": 1}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let r = patch(
        &app,
        &format!("/products/{}/variants/nope", id(&lamp)),
        Some(&admin),
        json!({"stock": 1}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    let after = app.get(&format!("/products/{}", id(&lamp)), None).await;
    assert_eq!(after.body["stock"], 4, "nothing refused changed the stock");
}

#[tokio::test]
async fn the_list_searches_pages_and_filters_low_stock() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for i in 0..55 {
        app.product(&admin, &format!("Mug {i:02}"), "home", 500, 20)
            .await;
    }
    let lamp = app.product(&admin, "Desk Lamp", "home", 1999, 2).await;
    let sku = lamp["variants"][0]["sku"].as_str().expect("sku").to_owned();
    let browser = FormClient::new(&app);
    let login = browser
        .post(
            "/auth/login",
            &[("email", ADMIN_EMAIL), ("password", PASSWORD)],
            "en",
        )
        .await;
    assert!(login.status.is_redirection(), "{}", login.page);

    // Paging: 50 a page, then the rest.
    let (status, first) = browser.page("/admin/products", "en").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let first = unescape(&first);
    assert!(first.contains("Products 1–50 of 56"), "{first}");
    assert!(first.contains("Mug 00") && !first.contains("Desk Lamp"));
    assert!(
        first.contains("href=\"/admin/products?offset=50\""),
        "{first}"
    );
    let (_, second) = browser.page("/admin/products?offset=50", "en").await;
    let second = unescape(&second);
    assert!(second.contains("Products 51–56 of 56") && second.contains("Desk Lamp"));

    // Search by name (any case) or SKU; unknown parameters are ignored.
    let (_, found) = browser
        .page("/admin/products?q=desk+LAMP&utm_source=x", "en")
        .await;
    assert!(
        found.contains("Desk Lamp") && !found.contains("Mug 00"),
        "{found}"
    );
    let (_, by_sku) = browser
        .page(
            &format!("/admin/products?q={}", sku.to_ascii_lowercase()),
            "en",
        )
        .await;
    assert!(by_sku.contains("Desk Lamp") && !by_sku.contains("Mug 00"));
    let (_, none) = browser.page("/admin/products?q=%25", "en").await;
    assert!(!none.contains("Mug 00") && !none.contains("Desk Lamp"));

    // The low-stock filter: only the lamp (2 ≤ the default 5).
    let (_, low) = browser.page("/admin/products?low_stock=true", "en").await;
    assert!(
        low.contains("Desk Lamp") && !low.contains("Mug 00"),
        "{low}"
    );
    assert!(low.contains("Low stock (one product)"), "{low}");

    // Bad parameters: a clear 400.
    let (status, _) = browser.page("/admin/products?low_stock=maybe", "en").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = browser.page("/admin/products?limit=0", "en").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let long = "a".repeat(201);
    let (status, _) = browser
        .page(&format!("/admin/products?q={long}"), "en")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Staff may not see it.
    let staff = staff(&app).await;
    app.get("/admin/products", Some(&staff))
        .await
        .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn a_row_form_edits_without_javascript_and_returns_to_the_same_list() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let lamp = app.product(&admin, "Desk Lamp", "home", 1999, 2).await;
    let vid = lamp["variants"][0]["id"]
        .as_str()
        .expect("variant id")
        .to_owned();
    let browser = FormClient::new(&app);
    browser
        .post(
            "/auth/login",
            &[("email", ADMIN_EMAIL), ("password", PASSWORD)],
            "en",
        )
        .await;
    let (_, page) = browser.page("/admin/products?q=lamp", "en").await;
    let action = format!("/admin/products/{}/variants/{vid}", id(&lamp));
    assert!(page.contains(&format!("action=\"{action}\"")), "{page}");

    let back = "/admin/products?q=lamp";
    let saved = browser
        .post(
            &action,
            &[("price", "2100"), ("stock", "30"), ("return", back)],
            "en",
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.page);
    assert_eq!(saved.location, back, "back to the list as it was");
    let shown = app.get(&format!("/products/{}", id(&lamp)), None).await;
    assert_eq!(
        (shown.body["price"].clone(), shown.body["stock"].clone()),
        (json!(2100), json!(30))
    );

    // A bad number: the list again, 422, the message at the form.
    let refused = browser
        .post(
            &action,
            &[("price", "12.50"), ("stock", "30"), ("return", back)],
            "en",
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.page
    );
    assert!(refused.page.contains("Desk Lamp"), "{}", refused.page);
    assert!(refused.page.contains("variant-error"), "{}", refused.page);
    // A return outside the list goes to the list.
    let elsewhere = browser
        .post(
            &action,
            &[("stock", "31"), ("return", "https://evil.example/")],
            "en",
        )
        .await;
    assert_eq!(elsewhere.location, "/admin/products");
}
