use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn framework_errors_are_in_the_model() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.get("/no/such/route", None)
        .await
        .assert_problem(404, "route_not_found");
    let r = app.call(Method::PATCH, "/products", None, None).await;
    r.assert_problem(405, "method_not_allowed");
    let r = app
        .raw(
            Method::POST,
            "/products",
            Some(&admin),
            "application/json",
            b"{\"name\": ".to_vec(),
        )
        .await;
    let body = r.assert_problem(400, "malformed_json");
    assert!(body["line"].is_number());
    app.raw(
        Method::POST,
        "/products",
        Some(&admin),
        "text/plain",
        b"hello".to_vec(),
    )
    .await
    .assert_problem(415, "unsupported_media_type");
    app.raw(
        Method::POST,
        "/products",
        Some(&admin),
        "application/json",
        Vec::new(),
    )
    .await
    .assert_problem(400, "malformed_json");
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    app.raw(
        Method::POST,
        "/products",
        Some(&admin),
        "application/json",
        big.into_bytes(),
    )
    .await
    .assert_problem(413, "payload_too_large");
    app.raw(
        Method::POST,
        "/products",
        Some(&admin),
        "application/json",
        b"[1,2,3]".to_vec(),
    )
    .await
    .assert_problem(422, "validation_failed");
    let invalid_utf8 = vec![b'{', b'"', b'n', 0xff, 0xfe, b'"', b':', b'1', b'}'];
    app.raw(
        Method::POST,
        "/products",
        Some(&admin),
        "application/json",
        invalid_utf8,
    )
    .await
    .assert_problem(400, "malformed_json");
    app.put("/products/not-an-id", Some(&admin), json!({}))
        .await
        .assert_problem(400, "invalid_parameter");
}

#[tokio::test]
async fn each_error_gets_a_fresh_id_and_a_request_id() {
    let app = spawn_app().await;
    let a = app.get("/nope", None).await;
    let b = app.get("/nope", None).await;
    assert_ne!(a.body["id"], b.body["id"]);
    assert_eq!(a.body["instance"], "/nope");
    assert!(a.headers.get("x-request-id").is_some());
}

#[tokio::test]
async fn browsers_get_an_html_error_page_with_the_id() {
    let app = spawn_app().await;
    let r = app
        .http
        .get(app.url("/products/01900000-0000-7000-8000-000000000000"))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .expect("page");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap_or_default()
        .starts_with("text/html"));
    let text = r.text().await.unwrap_or_default();
    assert!(text.contains("id=\"error-id\""), "{text}");
    assert!(text.contains("does not exist"));
}

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz", None).await.body["status"], "ok");
    assert_eq!(app.get("/readyz", None).await.body["status"], "ready");
}

#[tokio::test]
async fn openapi_covers_the_json_routes_and_docs_work_offline() {
    let app = spawn_app().await;
    let doc = app.get("/openapi.json", None).await;
    assert_eq!(doc.status, StatusCode::OK);
    let paths = doc.body["paths"].as_object().expect("paths");
    for p in [
        "/products",
        "/products/{x}",
        "/auth/register",
        "/auth/login",
        "/cart",
        "/cart/{id}",
        "/orders",
        "/orders/{number}",
        "/chat/ws",
        "/stock/events",
        "/healthz",
    ] {
        assert!(paths.contains_key(p), "{p} missing from OpenAPI");
    }
    let docs = app.http.get(app.url("/docs/")).send().await.expect("docs");
    assert_eq!(docs.status(), StatusCode::OK);
    let html = docs.text().await.unwrap_or_default();
    assert!(html.contains("swagger"), "docs page");
    assert!(
        !html.contains("https://"),
        "docs page loads nothing from the network"
    );
}
