//! Two tienda instances on one MongoDB database, no sticky routing: what one
//! does, the other sees. Always runs on MongoDB (`TIENDA_TEST_MONGO_URL`).

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message as Frame;

use crate::helpers::*;

/// Two instances on one fresh MongoDB database (also used by `stock`).
pub(crate) async fn pair(configure: impl Fn(&mut tienda::config::Settings)) -> (TestApp, TestApp) {
    let base = std::env::var("TIENDA_TEST_MONGO_URL")
        .expect("the two-instance tests need TIENDA_TEST_MONGO_URL (scripts/test.sh sets it)");
    let db = format!(
        "pair_{}_{}",
        std::process::id(),
        tienda::domain::new_id().replace('-', "")
    );
    let url = match base.split_once('?') {
        Some((b, q)) => format!("{}/{db}?{q}", b.trim_end_matches('/')),
        None => format!("{}/{db}", base.trim_end_matches('/')),
    };
    let mut apps = Vec::new();
    for _ in 0..2 {
        let dir = tempfile::tempdir().expect("dir");
        let mut s = test_settings(&dir);
        s.store.url = tienda::config::Secret::new(url.clone());
        configure(&mut s);
        apps.push(start(dir, s).await);
    }
    let b = apps.pop().expect("b");
    let a = apps.pop().expect("a");
    (a, b)
}

#[tokio::test]
async fn chat_sent_through_one_instance_reaches_a_socket_on_the_other() {
    let (a, b) = pair(|_| {}).await;
    let staff = a.admin().await;
    let ana = b.customer("ana@example.com").await;
    let (mut staff_on_b, _) = tokio_tungstenite::connect_async(b.chat_request(Some(&staff), ""))
        .await
        .expect("socket on B");
    let (mut ana_on_a, _) = tokio_tungstenite::connect_async(a.chat_request(Some(&ana), ""))
        .await
        .expect("socket on A");
    tokio::time::sleep(Duration::from_millis(300)).await;
    ana_on_a
        .send(Frame::Text(
            json!({"body": "hello from A"}).to_string().into(),
        ))
        .await
        .expect("send");
    let got = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(frame)) = staff_on_b.next().await {
            if let Frame::Text(t) = frame {
                return serde_json::from_str::<serde_json::Value>(t.as_str()).ok();
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
    .expect("the message crossed instances");
    assert_eq!(got["message"]["body"], "hello from A");
    assert_eq!(got["message"]["email"], "ana@example.com");
}

#[tokio::test]
async fn a_logout_on_one_instance_is_refused_on_the_other() {
    let (a, b) = pair(|s| s.chat.session_check_interval = tienda::config::Seconds(1)).await;
    let token = a.customer("c@example.com").await;
    assert_eq!(b.get("/auth/me", Some(&token)).await.status, StatusCode::OK);
    let (mut socket_on_b, _) = tokio_tungstenite::connect_async(b.chat_request(Some(&token), ""))
        .await
        .expect("socket on B");
    let out = a
        .call(reqwest::Method::POST, "/auth/logout", Some(&token), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    b.get("/auth/me", Some(&token))
        .await
        .assert_problem(401, "unauthorized");
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(frame)) = socket_on_b.next().await {
            if let Frame::Close(Some(c)) = frame {
                return Some(u16::from(c.code));
            }
        }
        None
    })
    .await
    .ok()
    .flatten();
    assert_eq!(closed, Some(4401), "B's socket closes after a logout on A");
}

#[tokio::test]
async fn rate_limits_and_idempotency_hold_across_instances() {
    let (a, b) = pair(|s| {
        s.rate_limit.enabled = true;
        s.rate_limit.login_per_account = 4;
    })
    .await;
    a.register("L", "limited@example.com").await;
    for app in [&a, &b, &a, &b] {
        app.login("limited@example.com", "wrong password")
            .await
            .assert_problem(401, "invalid_credentials");
    }
    b.login("limited@example.com", PASSWORD)
        .await
        .assert_problem(429, "rate_limited");
    a.login("limited@example.com", PASSWORD)
        .await
        .assert_problem(429, "rate_limited");

    let admin = a.admin().await;
    let pid = a.product(&admin, "Lamp", "home", 1000, 5).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let t = b.customer("buyer@example.com").await;
    b.post("/cart", Some(&t), json!({"product_id": pid, "quantity": 1}))
        .await;
    let first = a
        .http
        .post(a.url("/orders"))
        .bearer_auth(&t)
        .header("idempotency-key", "k1")
        .json(&json!({"delivery_address": "Street 1, Town"}))
        .send()
        .await
        .expect("first");
    let first = TestApp::answer(first).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let second = b
        .http
        .post(b.url("/orders"))
        .bearer_auth(&t)
        .header("idempotency-key", "k1")
        .json(&json!({"delivery_address": "Street 1, Town"}))
        .send()
        .await
        .expect("second");
    let second = TestApp::answer(second).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    assert_eq!(first.body["number"], second.body["number"]);
}

#[tokio::test]
async fn checkouts_split_across_instances_never_oversell() {
    // As in orders::fifty_racing_checkouts_never_oversell: no unit sold twice
    // is what this checks, not how fast the emulated MongoDB settles the race.
    let (a, b) = pair(|s| s.server.request_timeout = tienda::config::Seconds(120)).await;
    let admin = a.admin().await;
    let pid = a.product(&admin, "Lamp", "home", 1000, 100).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (a, b) = (Arc::new(a), Arc::new(b));
    let mut buyers = Vec::new();
    for i in 0..20 {
        let app = if i % 2 == 0 { &a } else { &b };
        let t = app.customer(&format!("racer{i}@example.com")).await;
        app.post("/cart", Some(&t), json!({"product_id": pid, "quantity": 1}))
            .await;
        buyers.push(t);
    }
    a.put(
        &format!("/products/{pid}"),
        Some(&admin),
        json!({"name": "Lamp", "category": "home", "price": 1000, "stock": 7}),
    )
    .await;
    let tasks: Vec<_> = buyers
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            let app = if i % 2 == 0 { b.clone() } else { a.clone() };
            tokio::spawn(async move {
                app.post(
                    "/orders",
                    Some(&t),
                    json!({"delivery_address": "Street 1, Town"}),
                )
                .await
            })
        })
        .collect();
    let mut created = 0;
    for task in tasks {
        let r = task.await.expect("task");
        match r.status.as_u16() {
            201 => created += 1,
            409 => assert_eq!(r.body["code"], "insufficient_stock"),
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    assert_eq!(created, 7);
    assert_eq!(
        b.get(&format!("/products/{pid}"), None).await.body["stock"],
        0
    );
    assert_eq!(a.get("/orders", Some(&admin)).await.body["total"], 7);
}

#[tokio::test]
async fn search_on_one_instance_sees_writes_through_the_other_within_a_second() {
    let (a, b) = pair(|_| {}).await;
    let admin = a.admin().await;
    let id = a.product(&admin, "Stunt kite", "outdoors", 4500, 3).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let start = std::time::Instant::now();
    while found(&b, "kite").await != 1 {
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "created on A, not found on B within 1 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let r = b.delete(&format!("/products/{id}"), Some(&admin)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let start = std::time::Instant::now();
    while found(&a, "kite").await != 0 {
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "deleted on B, still found on A after 1 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// How many products a search for `q` finds on `app`.
async fn found(app: &TestApp, q: &str) -> u64 {
    app.get(&format!("/search?q={q}"), None).await.body["total"]
        .as_u64()
        .unwrap_or(99)
}

#[tokio::test]
async fn a_product_page_kept_on_one_instance_follows_a_change_made_through_the_other() {
    let (a, b) = pair(|_| {}).await;
    let admin = a.admin().await;
    let p = a.product(&admin, "Rain barrel", "garden", 5500, 9).await;
    let path = format!("/products/{}", p["id"].as_str().expect("id"));
    let (_, kept) = b.page(&path).await;
    assert!(kept.contains("9 in stock"), "{kept}");
    let put = a
        .put(
            &path,
            Some(&admin),
            json!({"name": "Rain barrel", "description": "d", "category": "garden", "price": 5500, "photo_url": "", "stock": 30}),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let start = std::time::Instant::now();
    loop {
        let (_, page) = b.page(&path).await;
        if page.contains("30 in stock") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "changed on A, B still shows the kept page after 2 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_photo_uploaded_through_one_instance_is_served_and_deleted_through_the_other() {
    let (a, b) = pair(|_| {}).await;
    let admin = a.admin().await;
    let product = a.product(&admin, "Lamp", "home", 1000, 3).await;
    let id = product["id"].as_str().expect("id");
    let jpeg = crate::photos::jpeg(640, 480);
    let up =
        crate::photos::upload(&a, Some(&admin), id, &[("lamp.jpg", "image/jpeg", &jpeg)]).await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.text);
    let photo = up.body["photos"][0]["id"]
        .as_str()
        .expect("photo id")
        .to_owned();
    let path = format!("/photos/{photo}/400.jpg");
    let on_b = b.get(&path, None).await;
    assert_eq!(on_b.status, StatusCode::OK, "served by the other instance");
    assert_eq!(
        on_b.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("image/jpeg")
    );
    let gone = b
        .delete(&format!("/products/{id}/photos/{photo}"), Some(&admin))
        .await;
    assert_eq!(gone.status, StatusCode::OK, "{}", gone.text);
    a.get(&path, None).await.assert_problem(404, "not_found");
}
