//! Guests' carts: filled without an account, kept by a signed cookie in the
//! store, merged into the account's at login.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

/// The `name=value` of the guest cookie a response sets, if any.
fn guest_cookie(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("tienda_guest="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

async fn with_cookie(
    app: &TestApp,
    method: Method,
    path: &str,
    cookie: &str,
    body: Option<Value>,
) -> Answer {
    let mut req = app
        .http
        .request(method, app.url(path))
        .header("cookie", cookie);
    if let Some(b) = body {
        req = req.json(&b);
    }
    TestApp::answer(req.send().await.expect("sent")).await
}

fn quantities(cart: &Value) -> Vec<(String, i64)> {
    cart["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|l| {
                    (
                        l["product_id"].as_str().unwrap_or_default().to_owned(),
                        l["quantity"].as_i64().unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_guest_fills_a_cart_that_survives_a_restart_and_joins_the_account_at_login() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let lamp = app.product(&admin, "Lamp", "home", 1999, 5).await;
    let rug = app.product(&admin, "Rug", "home", 4500, 3).await;
    let (lamp, rug) = (
        lamp["id"].as_str().expect("id").to_owned(),
        rug["id"].as_str().expect("id").to_owned(),
    );

    // No account, no cookie: an empty cart, and the first change hands out one.
    let empty = app.get("/cart", None).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.text);
    assert_eq!(empty.body["items"], json!([]));
    let added = app
        .post("/cart", None, json!({"product_id": lamp, "quantity": 4}))
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
    let set_cookie = added
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("tienda_guest="))
        .expect("guest cookie")
        .to_owned();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"));
    let cookie = guest_cookie(&added.headers).expect("guest cookie");
    assert_eq!(added.body["email"], "", "a guest has no email");
    let more = with_cookie(
        &app,
        Method::POST,
        "/cart",
        &cookie,
        Some(json!({"product_id": rug, "quantity": 1})),
    )
    .await;
    assert_eq!(more.status, StatusCode::CREATED, "{}", more.text);
    assert_eq!(
        guest_cookie(&more.headers),
        None,
        "the same guest keeps its id"
    );
    assert_eq!(
        quantities(&more.body),
        [(lamp.clone(), 4), (rug.clone(), 1)]
    );

    // A forged or altered cookie is nobody's cart.
    let (name, value) = cookie.split_once('=').expect("name=value");
    let mut forged = value.to_owned();
    forged.insert(0, if forged.starts_with('A') { 'B' } else { 'A' });
    let other = with_cookie(
        &app,
        Method::GET,
        "/cart",
        &format!("{name}={forged}"),
        None,
    )
    .await;
    assert_eq!(other.status, StatusCode::OK);
    assert_eq!(other.body["items"], json!([]));

    // The cart is in the store: it outlives the process.
    let (dir, settings) = app.stop().await;
    let app = start(dir, settings).await;
    let kept = with_cookie(&app, Method::GET, "/cart", &cookie, None).await;
    assert_eq!(
        quantities(&kept.body),
        [(lamp.clone(), 4), (rug.clone(), 1)]
    );

    // The account already holds 2 lamps: 2 + 4 is capped at the 5 in stock.
    let token = app.customer("ana@example.com").await;
    app.post(
        "/cart",
        Some(&token),
        json!({"product_id": lamp, "quantity": 2}),
    )
    .await;
    let login = with_cookie(
        &app,
        Method::POST,
        "/auth/login",
        &cookie,
        Some(json!({"email": "ana@example.com", "password": PASSWORD})),
    )
    .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    let ended = login
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("tienda_guest="))
        .expect("the guest cookie is ended");
    assert!(ended.contains("Max-Age=0"), "{ended}");
    let mine = app.get("/cart", Some(&token)).await;
    assert_eq!(mine.body["email"], "ana@example.com");
    assert_eq!(
        quantities(&mine.body),
        [(lamp.clone(), 5), (rug.clone(), 1)]
    );
    let left = with_cookie(&app, Method::GET, "/cart", &cookie, None).await;
    assert_eq!(
        left.body["items"],
        json!([]),
        "the guest cart moved, not copied"
    );
}

#[tokio::test]
async fn concurrent_logins_with_one_guest_cart_merge_it_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let lamp = app.product(&admin, "Lamp", "home", 1999, 50).await;
    let lamp = lamp["id"].as_str().expect("id").to_owned();
    let token = app.customer("ana@example.com").await;
    let added = app
        .post("/cart", None, json!({"product_id": lamp, "quantity": 3}))
        .await;
    let cookie = guest_cookie(&added.headers).expect("guest cookie");
    let logins: Vec<_> = (0..6)
        .map(|_| {
            with_cookie(
                &app,
                Method::POST,
                "/auth/login",
                &cookie,
                Some(json!({"email": "ana@example.com", "password": PASSWORD})),
            )
        })
        .collect();
    for login in futures_util::future::join_all(logins).await {
        assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    }
    let mine = app.get("/cart", Some(&token)).await;
    assert_eq!(quantities(&mine.body), [(lamp, 3)], "merged once, one line");
}

#[tokio::test]
async fn api_clients_with_a_token_are_never_turned_into_guests() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let lamp = app.product(&admin, "Lamp", "home", 1999, 5).await;
    let body = json!({"product_id": lamp["id"], "quantity": 1});
    app.post("/cart", Some("not-a-token"), body.clone())
        .await
        .assert_problem(401, "unauthorized");
    app.get("/cart", Some("not-a-token"))
        .await
        .assert_problem(401, "unauthorized");
    let token = app.customer("ana@example.com").await;
    let added = app.post("/cart", Some(&token), body).await;
    assert_eq!(added.status, StatusCode::CREATED);
    assert_eq!(
        guest_cookie(&added.headers),
        None,
        "customers get no guest cookie"
    );
    assert_eq!(added.body["email"], "ana@example.com");
}
