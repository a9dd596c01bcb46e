//! Live stock over server-sent events (`GET /stock/events`), read from a
//! real socket: the current stock first, then every change, whichever
//! write made it and (on MongoDB) whichever instance it went through.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

/// Longest wait for one event.
const EVENT_WAIT: Duration = Duration::from_secs(5);

/// An open event stream, read event by event.
struct Events {
    response: reqwest::Response,
    buffer: String,
}

impl Events {
    /// Opens `/stock/events?{query}`.
    async fn open(app: &TestApp, query: &str) -> Events {
        let response = app
            .http
            .get(app.url(&format!("/stock/events?{query}")))
            .send()
            .await
            .expect("stream opens");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("text/event-stream")
        );
        Events {
            response,
            buffer: String::new(),
        }
    }

    /// The next `stock` event's data; `None` when none comes in time or the
    /// stream ended.
    async fn next(&mut self) -> Option<Value> {
        tokio::time::timeout(EVENT_WAIT, async {
            loop {
                while let Some(end) = self.buffer.find("\n\n") {
                    let block: String = self.buffer.drain(..end + 2).collect();
                    let mut event = None;
                    let mut data = String::new();
                    for line in block.lines() {
                        if let Some(name) = line.strip_prefix("event:") {
                            event = Some(name.trim().to_owned());
                        } else if let Some(d) = line.strip_prefix("data:") {
                            data.push_str(d.trim());
                        }
                    }
                    if event.as_deref() == Some("stock") {
                        return serde_json::from_str(&data).ok();
                    }
                }
                let chunk = self.response.chunk().await.ok().flatten()?;
                self.buffer.push_str(&String::from_utf8_lossy(&chunk));
            }
        })
        .await
        .ok()
        .flatten()
    }

    /// The next event, which must come: its product's level, once its
    /// variants' levels are checked to add up to it (these products are
    /// sold one way: one variant, or none once deleted).
    async fn expect(&mut self) -> Value {
        let mut event = self.next().await.expect("a stock event");
        let variants = event
            .as_object_mut()
            .and_then(|o| o.remove("variants"))
            .expect("the variants' levels");
        let stocks: Vec<i64> = variants
            .as_array()
            .expect("a list")
            .iter()
            .map(|v| v["stock"].as_i64().expect("a variant's stock"))
            .collect();
        assert!(stocks.len() <= 1, "{variants}");
        assert_eq!(
            stocks.iter().sum::<i64>(),
            event["stock"].as_i64().unwrap_or(-1)
        );
        event
    }
}

fn id(p: &Value) -> String {
    p["id"].as_str().expect("id").to_owned()
}

fn level(product_id: &str, stock: i64) -> Value {
    json!({ "product_id": product_id, "stock": stock })
}

async fn set_stock(app: &TestApp, admin: &str, product: &str, name: &str, stock: i64) {
    let r = app
        .put(
            &format!("/products/{product}"),
            Some(admin),
            json!({"name": name, "category": "home", "price": 1000, "photo_url": "", "stock": stock}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn a_stream_sends_the_current_stock_then_each_change_of_its_products() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let lamp = id(&app.product(&admin, "Lamp", "home", 1000, 5).await);
    let mug = id(&app.product(&admin, "Mug", "home", 1000, 3).await);
    let other = id(&app.product(&admin, "Other", "home", 1000, 9).await);
    let mut events = Events::open(&app, &format!("ids={lamp},{mug},{lamp}")).await;
    assert_eq!(
        events.expect().await,
        level(&lamp, 5),
        "current stock first"
    );
    assert_eq!(events.expect().await, level(&mug, 3), "once per product");

    // Neither another product's change nor a change that leaves the stock
    // as it was is sent; the admin's stock change is.
    set_stock(&app, &admin, &other, "Other", 1).await;
    set_stock(&app, &admin, &lamp, "Lamp, renamed", 5).await;
    set_stock(&app, &admin, &lamp, "Lamp", 2).await;
    assert_eq!(events.expect().await, level(&lamp, 2));

    // A checkout takes the stock.
    let customer = app.customer("c@example.com").await;
    let r = app
        .post(
            "/cart",
            Some(&customer),
            json!({"product_id": mug, "quantity": 3}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = app
        .post(
            "/orders",
            Some(&customer),
            json!({"delivery_address": "Calle Mayor 1, Madrid"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        events.expect().await,
        level(&mug, 0),
        "sold out by the order"
    );

    // A deleted product can no longer be bought.
    let r = app.delete(&format!("/products/{lamp}"), Some(&admin)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(events.expect().await, level(&lamp, 0));
}

#[tokio::test]
async fn missing_malformed_or_too_many_ids_are_refused_and_other_parameters_ignored() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let lamp = id(&app.product(&admin, "Lamp", "home", 1000, 5).await);
    for path in [
        "/stock/events".to_owned(),
        "/stock/events?ids=".to_owned(),
        "/stock/events?ids=not-an-id".to_owned(),
        format!("/stock/events?ids={lamp},../etc"),
        format!("/stock/events?ids={}", "x".repeat(5000)),
    ] {
        let r = app.get(&path, None).await;
        let problem = r.assert_problem(400, "invalid_parameter");
        assert_eq!(problem["parameter"], "ids", "{path}");
    }
    let many: Vec<String> = (0..101)
        .map(|n| format!("0190a0b0-0000-7000-8000-{n:012}"))
        .collect();
    let r = app
        .get(&format!("/stock/events?ids={}", many.join(",")), None)
        .await;
    assert_eq!(r.assert_problem(400, "invalid_parameter")["limit"], 100);

    // Tracking parameters pass; an id without a product is at 0.
    let unknown = tienda::domain::new_id();
    let mut events = Events::open(
        &app,
        &format!("utm_source=mail&ids={lamp},{unknown}&gclid=1"),
    )
    .await;
    assert_eq!(events.expect().await, level(&lamp, 5));
    assert_eq!(events.expect().await, level(&unknown, 0));
}

#[tokio::test]
async fn open_streams_do_not_hold_up_a_shutdown() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let lamp = id(&app.product(&admin, "Lamp", "home", 1000, 5).await);
    let mut events = Events::open(&app, &format!("ids={lamp}")).await;
    assert_eq!(events.expect().await, level(&lamp, 5));
    let started = std::time::Instant::now();
    // The drain allows requests 30 s (server.request_timeout); a stream
    // must not take it.
    app.stop().await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the shutdown waited {:?} on an open stream",
        started.elapsed()
    );
    assert_eq!(events.next().await, None, "the stream ended");
}

#[tokio::test]
async fn a_change_through_one_instance_reaches_a_stream_on_the_other() {
    let (a, b) = crate::instances::pair(|_| {}).await;
    let admin = a.admin().await;
    let lamp = id(&a.product(&admin, "Lamp", "home", 1000, 4).await);
    let mut on_b = Events::open(&b, &format!("ids={lamp}")).await;
    assert_eq!(on_b.expect().await, level(&lamp, 4));
    set_stock(&a, &admin, &lamp, "Lamp", 1).await;
    assert_eq!(on_b.expect().await, level(&lamp, 1), "A's write, on B");

    let customer = b.customer("c@example.com").await;
    let mut on_a = Events::open(&a, &format!("ids={lamp}")).await;
    assert_eq!(on_a.expect().await, level(&lamp, 1));
    b.post(
        "/cart",
        Some(&customer),
        json!({"product_id": lamp, "quantity": 1}),
    )
    .await;
    let r = b
        .post(
            "/orders",
            Some(&customer),
            json!({"delivery_address": "Calle Mayor 1, Madrid"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(on_a.expect().await, level(&lamp, 0), "B's checkout, on A");
    assert_eq!(on_b.expect().await, level(&lamp, 0), "and on B itself");
}
