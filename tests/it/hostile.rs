//! Hostile input in one place, easy to extend: every case must get a clear
//! 4xx in the error model (or a close with a reason), the server must stay up,
//! and stored data must not change.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;

/// Catalog and account state that no refused request may change.
async fn snapshot(app: &TestApp, admin: &str) -> Value {
    json!({
        "products": app.get("/products?limit=200", None).await.body,
        "orders": app.get("/orders?limit=200", Some(admin)).await.body["total"],
        "mail": app.get("/admin/mail?limit=200", Some(admin)).await.body["total"],
    })
}

fn bodies(product_id: &str) -> Vec<(&'static str, Method, String, Vec<u8>)> {
    let pid = product_id.to_owned();
    let mut cases: Vec<(&'static str, Method, String, Vec<u8>)> = Vec::new();
    let json_cases: Vec<(&'static str, Method, &str, Value)> = vec![
        (
            "mongo $gt in a string field",
            Method::POST,
            "/auth/login",
            json!({"email": {"$gt": ""}, "password": {"$ne": null}}),
        ),
        (
            "mongo $ne in register",
            Method::POST,
            "/auth/register",
            json!({"name": {"$ne": null}, "phone": "600000000", "email": "x@example.com", "password": "password123"}),
        ),
        (
            "mongo operator as product id",
            Method::POST,
            "/cart",
            json!({"product_id": {"$gt": ""}, "quantity": 1}),
        ),
        (
            "mongo $where in product",
            Method::POST,
            "/products",
            json!({"name": "A", "category": "toys", "price": {"$where": "1"}, "stock": 1}),
        ),
        (
            "sql injection in category",
            Method::POST,
            "/products",
            json!({"name": "A", "category": "toys'; DROP TABLE products;--", "price": 1, "stock": 1}),
        ),
        (
            "nulls everywhere",
            Method::POST,
            "/products",
            json!({"name": null, "description": null, "category": null, "price": null, "stock": null}),
        ),
        (
            "wrong types",
            Method::POST,
            "/products",
            json!({"name": 1, "category": [], "price": {}, "stock": true}),
        ),
        (
            "negative zero and fractions",
            Method::POST,
            "/cart",
            json!({"product_id": pid, "quantity": -0.0}),
        ),
        (
            "float quantity",
            Method::POST,
            "/cart",
            json!({"product_id": pid, "quantity": 1e3}),
        ),
        (
            "1 MB-ish string name",
            Method::POST,
            "/products",
            json!({"name": "n".repeat(900_000), "category": "toys", "price": 1, "stock": 1}),
        ),
        (
            "control characters in name",
            Method::POST,
            "/products",
            json!({"name": "bad\u{0007}name\u{0000}", "category": "toys", "price": 1, "stock": 1}),
        ),
        (
            "look-alike email",
            Method::POST,
            "/auth/register",
            json!({"name": "A", "phone": "600000000", "email": "admin@tiеnda.test", "password": "password123"}),
        ),
        (
            "array instead of object",
            Method::POST,
            "/cart",
            json!([{"product_id": pid, "quantity": 1}]),
        ),
        (
            "status injection",
            Method::PUT,
            "/orders/1001/status",
            json!({"status": {"$set": "paid"}}),
        ),
        (
            "unknown field",
            Method::PUT,
            "/cart/address",
            json!({"delivery_address": "Calle 1, Madrid", "email": "other@example.com"}),
        ),
        ("duplicate keys", Method::POST, "/products", json!(null)),
    ];
    for (name, method, path, body) in json_cases {
        let bytes = if name == "duplicate keys" {
            br#"{"name":"A","name":{"$gt":""},"category":"toys","price":1,"stock":1}"#.to_vec()
        } else {
            serde_json::to_vec(&body).unwrap_or_default()
        };
        cases.push((name, method, path.to_owned(), bytes));
    }
    let raw: Vec<(&'static str, Method, String, Vec<u8>)> = vec![
        (
            "truncated JSON",
            Method::POST,
            "/products".into(),
            br#"{"name": "A", "categ"#.to_vec(),
        ),
        (
            "invalid UTF-8",
            Method::POST,
            "/auth/register".into(),
            vec![b'{', b'"', 0xc3, 0x28, b'"', b':', b'1', b'}'],
        ),
        (
            "number beyond i64",
            Method::POST,
            "/cart".into(),
            format!(r#"{{"product_id":"{pid}","quantity":9223372036854775808}}"#).into_bytes(),
        ),
        (
            "huge exponent",
            Method::POST,
            "/cart".into(),
            format!(r#"{{"product_id":"{pid}","quantity":1e999999}}"#).into_bytes(),
        ),
        (
            "deep nesting",
            Method::POST,
            "/products".into(),
            format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
        ),
        (
            "BOM and garbage",
            Method::POST,
            "/products".into(),
            b"\xef\xbb\xbf{}".to_vec(),
        ),
    ];
    cases.extend(raw);
    cases
}

#[tokio::test]
async fn hostile_bodies_get_4xx_and_change_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let customer = app.customer("c@example.com").await;
    let pid = app.product(&admin, "Lamp", "home", 1999, 5).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let before = snapshot(&app, &admin).await;
    let mut tried = 0;
    for (name, method, path, body) in bodies(&pid) {
        let token = if path == "/products" || path.contains("/status") {
            &admin
        } else {
            &customer
        };
        let r = app
            .raw(method.clone(), &path, Some(token), "application/json", body)
            .await;
        assert!(
            r.status.is_client_error(),
            "{name}: {} {}",
            r.status,
            r.text
        );
        assert!(
            r.body["id"].as_str().is_some_and(|id| id.len() == 36),
            "{name}: no error id: {}",
            r.text
        );
        assert!(r.body["code"].is_string(), "{name}");
        tried += 1;
    }
    assert_eq!(
        snapshot(&app, &admin).await,
        before,
        "refused requests changed stored data"
    );
    let cart = app.get("/cart", Some(&customer)).await;
    assert_eq!(cart.body["items"], json!([]));
    assert!(tried >= 20);
    // SQL injection text is stored literally when it is valid.
    let r = app.post("/products", Some(&admin), json!({"name": "Robert'); DROP TABLE products;--", "category": "toys", "price": 1, "stock": 1})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        app.get(
            &format!("/products/{}", r.body["id"].as_str().unwrap_or_default()),
            None
        )
        .await
        .body["name"],
        "Robert'); DROP TABLE products;--"
    );
}

#[tokio::test]
async fn hostile_paths_and_headers() {
    let app = spawn_app().await;
    for path in [
        "/static/../config/tienda.toml",
        "/static/..%2f..%2fconfig%2ftienda.toml",
        "/static/%2e%2e/%2e%2e/etc/passwd",
        "/static/photos/..%5c..%5cCargo.toml",
        "/products/%00",
        "/products/..%2f..%2fetc%2fpasswd",
        "/chat/%3Cscript%3E",
        "/orders/99999999999999999999999",
    ] {
        let r = app.http.get(app.url(path)).send().await.expect("send");
        let status = r.status();
        let text = r.text().await.unwrap_or_default();
        assert!(status.is_client_error(), "{path}: {status}");
        assert!(
            !text.contains("[default.server]") && !text.contains("root:"),
            "{path} leaked a file"
        );
    }
    // Hundreds of cookies, an oversized header, duplicated auth headers.
    let cookies: String = (0..300).map(|i| format!("c{i}=v{i}; ")).collect();
    let r = app
        .http
        .get(app.url("/cart"))
        .header("cookie", cookies)
        .send()
        .await
        .expect("cookies");
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "no session: an empty guest cart"
    );
    let cart: serde_json::Value = r.json().await.unwrap_or_default();
    assert_eq!(cart["items"], serde_json::json!([]));
    let r = app
        .http
        .get(app.url("/products"))
        .header("x-big", "b".repeat(200_000))
        .send()
        .await;
    if let Ok(r) = r {
        assert!(r.status().is_client_error(), "{}", r.status());
    }
    let r = app
        .http
        .get(app.url("/auth/me"))
        .header("authorization", "Bearer a")
        .header("authorization", "Bearer b")
        .send()
        .await
        .expect("dup");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = app
        .http
        .get(app.url("/auth/me"))
        .header("authorization", "Basic YTpi")
        .send()
        .await
        .expect("basic");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/healthz", None).await.status,
        StatusCode::OK,
        "still up"
    );
}

#[tokio::test]
async fn slow_clients_that_trickle_headers_are_timed_out() {
    let app = spawn_app_with(|s| s.server.header_timeout = tienda::config::Seconds(1)).await;
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .expect("connect");
    stream
        .write_all(b"GET /products HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        for _ in 0..20 {
            // Trickle a header byte now and then; never finish.
            if stream.write_all(b"X").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        stream.read_to_end(&mut buf).await
    })
    .await;
    assert!(
        read.is_ok(),
        "the server never closed the trickling connection"
    );
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn customers_cannot_touch_each_others_things() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let pid = app.product(&admin, "Lamp", "home", 1000, 10).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let ana = app.customer("ana@example.com").await;
    let bob = app.customer("bob@example.com").await;
    app.post(
        "/cart",
        Some(&ana),
        json!({"product_id": pid, "quantity": 2}),
    )
    .await;
    let order = app
        .post(
            "/orders",
            Some(&ana),
            json!({"delivery_address": "Calle 1, Madrid"}),
        )
        .await;
    let number = order.body["number"].as_i64().expect("number");
    app.post(
        "/cart",
        Some(&ana),
        json!({"product_id": pid, "quantity": 1}),
    )
    .await;

    app.get(&format!("/orders/{number}"), Some(&bob))
        .await
        .assert_problem(404, "order_not_found");
    app.put(
        &format!("/orders/{number}/status"),
        Some(&bob),
        json!({"status": "cancelled"}),
    )
    .await
    .assert_problem(403, "forbidden");
    assert_eq!(app.get("/orders", Some(&bob)).await.body["total"], 0);
    assert_eq!(
        app.get("/orders?email=ana@example.com", Some(&bob))
            .await
            .body["total"],
        0,
        "customers cannot filter by another email"
    );
    assert_eq!(app.get("/cart", Some(&bob)).await.body["items"], json!([]));
    app.put(&format!("/cart/{pid}"), Some(&bob), json!({"quantity": 0}))
        .await
        .assert_problem(404, "not_found");
    assert_eq!(
        app.get("/cart", Some(&ana)).await.body["items"][0]["quantity"],
        1,
        "ana's cart untouched"
    );
    app.get("/chat/ana@example.com", Some(&bob))
        .await
        .assert_problem(403, "forbidden");
    let sessions = app
        .get("/admin/users/ana@example.com/sessions", Some(&admin))
        .await;
    let sid = sessions.body["items"][0]["id"].as_str().expect("sid");
    app.delete(&format!("/auth/sessions/{sid}"), Some(&bob))
        .await
        .assert_problem(404, "not_found");
    assert_eq!(app.get("/auth/me", Some(&ana)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn production_cookies_are_secure_and_cors_is_off_unless_configured() {
    let app = spawn_app_with(|s| {
        s.profile = "production".into();
        s.server.secure_cookies = true;
        s.auth.jwt_secret =
            tienda::config::Secret::new("a-production-grade-secret-of-enough-length");
    })
    .await;
    app.register("P", "p@example.com").await;
    let l = app.login("p@example.com", PASSWORD).await;
    let cookie = l
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok())
        .find(|c| c.starts_with("tienda_session="))
        .expect("session cookie");
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite"),
        "{cookie}"
    );
    let pre = app
        .http
        .request(Method::OPTIONS, app.url("/products"))
        .header("origin", "https://elsewhere.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .expect("preflight");
    assert!(pre.headers().get("access-control-allow-origin").is_none());
    let r = app
        .http
        .get(app.url("/products"))
        .header("origin", "https://elsewhere.example")
        .send()
        .await
        .expect("get");
    assert!(r.headers().get("access-control-allow-origin").is_none());
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    // Production answers keep internal causes out.
    let e = app
        .get("/products/01900000-0000-7000-8000-000000000000", None)
        .await;
    assert!(e.body.get("cause").is_none());

    let cors =
        spawn_app_with(|s| s.server.cors_origins = vec!["https://shop.example".into()]).await;
    let r = cors
        .http
        .get(cors.url("/products"))
        .header("origin", "https://shop.example")
        .send()
        .await
        .expect("get");
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
}

#[tokio::test]
async fn passwords_are_stored_as_argon2id_at_the_chosen_parameters() {
    let app = spawn_app().await;
    app.register("H", "hash@example.com").await;
    if app.settings.store.url.expose().starts_with("sqlite://") {
        let path = app
            .settings
            .store
            .url
            .expose()
            .trim_start_matches("sqlite://")
            .to_owned();
        let conn = rusqlite::Connection::open(path).expect("open");
        let hash: String = conn
            .query_row(
                "SELECT password_hash FROM users WHERE email = 'hash@example.com'",
                [],
                |r| r.get(0),
            )
            .expect("row");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(!hash.contains(PASSWORD));
    } else {
        let client = mongodb::Client::with_uri_str(app.settings.store.url.expose())
            .await
            .expect("client");
        let db = client.default_database().expect("db");
        let user = db
            .collection::<mongodb::bson::Document>("users")
            .find_one(mongodb::bson::doc! {"email": "hash@example.com"})
            .await
            .expect("find")
            .expect("user");
        let hash = user.get_str("password_hash").expect("hash");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
    }
}
