//! The back office's customers over HTTP: the list and the customer page for
//! every role, disabling an account (its sessions and chat end at once,
//! login refused) and enabling it again.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message as Frame;

use crate::helpers::*;
use crate::roles::staff;

const ANA: &str = "ana@example.com";
const CARL: &str = "carl@example.com";

#[tokio::test]
async fn customer_routes_answer_each_role() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let ana = app.customer(ANA).await;
    app.customer(CARL).await;
    let staff = staff(&app).await;
    let routes: Vec<(Method, String, [u16; 4])> = vec![
        (Method::GET, "/admin/customers".into(), [401, 403, 200, 200]),
        (
            Method::GET,
            format!("/admin/customers/{CARL}"),
            [401, 403, 200, 200],
        ),
        (
            Method::POST,
            format!("/admin/customers/{CARL}/disable"),
            [401, 403, 403, 200],
        ),
        (
            Method::POST,
            format!("/admin/customers/{CARL}/enable"),
            [401, 403, 403, 200],
        ),
    ];
    for (method, path, expected) in routes {
        for (who, token, status) in [
            ("anonymous", None, expected[0]),
            ("customer", Some(ana.as_str()), expected[1]),
            ("staff", Some(staff.as_str()), expected[2]),
            ("admin", Some(admin.as_str()), expected[3]),
        ] {
            let body = (method == Method::POST).then(|| json!({}));
            let r = app.call(method.clone(), &path, token, body).await;
            assert_eq!(
                r.status.as_u16(),
                status,
                "{who} {method} {path}: {}",
                r.text
            );
            match status {
                401 => {
                    r.assert_problem(401, "unauthorized");
                }
                403 => {
                    r.assert_problem(403, "forbidden");
                }
                _ => {}
            }
        }
    }
    // Both pages render for staff; only an admin gets the disable button.
    for (token, button) in [(&staff, false), (&admin, true)] {
        let (status, html) = app.page_as("/admin/customers?search=carl", token).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(
            html.contains(&format!("href=\"/admin/customers/{CARL}\"")),
            "{html}"
        );
        assert!(!html.contains(ANA), "the search narrows the list");
        let (status, html) = app
            .page_as(&format!("/admin/customers/{CARL}"), token)
            .await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert_eq!(html.contains("id=\"customer-disable\""), button, "{html}");
    }
}

#[tokio::test]
async fn the_list_searches_and_pages_and_the_customer_page_adds_up() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let ana = app.customer(ANA).await;
    app.customer(CARL).await;
    let lamp = app.product(&admin, "Lamp", "home", 1500, 10).await["id"].clone();
    for _ in 0..2 {
        app.post(
            "/cart",
            Some(&ana),
            json!({"product_id": lamp, "quantity": 1}),
        )
        .await;
        let placed = app
            .post(
                "/orders",
                Some(&ana),
                json!({"delivery_address": "1 Calle Mayor, Madrid"}),
            )
            .await;
        assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    }
    // One is called off: it no longer counts as spent.
    let cancelled = app
        .put(
            "/orders/1001/status",
            Some(&admin),
            json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.text);

    let emails = |a: &Answer| -> Vec<String> {
        a.body["items"]
            .as_array()
            .unwrap_or_else(|| panic!("a list: {}", a.text))
            .iter()
            .map(|c| c["email"].as_str().expect("email").to_owned())
            .collect()
    };
    let all = app.get("/admin/customers", Some(&admin)).await;
    assert_eq!(emails(&all), vec![CARL, ANA, ADMIN_EMAIL], "newest first");
    assert_eq!(all.body["total"], 3);
    assert!(all.body["items"][0]["disabled_at"].is_null());
    assert!(all.body["items"][0].get("password_hash").is_none());
    let found = app
        .get("/admin/customers?search=ANA&ref=x", Some(&admin))
        .await;
    assert_eq!(emails(&found), vec![ANA]);
    let paged = app
        .get("/admin/customers?offset=1&limit=1", Some(&admin))
        .await;
    assert_eq!(
        (emails(&paged), &paged.body["total"]),
        (vec![ANA.to_owned()], &json!(3))
    );
    let long = "x".repeat(101);
    let problem = app
        .get(&format!("/admin/customers?search={long}"), Some(&admin))
        .await;
    assert!(problem.assert_problem(422, "validation_failed")["errors"]["search"].is_array());
    app.get("/admin/customers?limit=100000", Some(&admin))
        .await
        .assert_problem(400, "invalid_parameter");

    let detail = app
        .get(&format!("/admin/customers/{ANA}"), Some(&admin))
        .await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.text);
    assert_eq!(detail.body["account"]["email"], ANA);
    assert_eq!(detail.body["order_count"], 2);
    assert_eq!(
        detail.body["total_spent"],
        detail.body["orders"][0]["total"]
    );
    assert_eq!(detail.body["orders"][0]["number"], 1002, "newest first");
    assert!(detail.body["messages"].is_array());
    let upper = app
        .get(
            &format!("/admin/customers/{}", ANA.to_uppercase()),
            Some(&admin),
        )
        .await;
    assert_eq!(upper.status, StatusCode::OK);
    app.get("/admin/customers/nobody@example.com", Some(&admin))
        .await
        .assert_problem(404, "not_found");
    let (status, html) = app
        .page_as(&format!("/admin/customers/{ANA}"), &admin)
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let html = crate::backoffice_orders::unescape(&html);
    assert!(
        html.contains("/admin/orders?email=ana%40example.com"),
        "{html}"
    );
}

#[tokio::test]
async fn disabling_ends_every_session_at_once_and_enabling_lets_them_back() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let staff = staff(&app).await;
    let phone = app.customer(ANA).await;
    let laptop = app.login(ANA, PASSWORD).await.body["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let (mut socket, _) = tokio_tungstenite::connect_async(app.chat_request(Some(&laptop), ""))
        .await
        .expect("ana's open chat");

    let r = app
        .post(
            &format!("/admin/customers/{ANA}/disable"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.body["disabled_at"].is_string(), "{}", r.text);

    // At once: every token is refused on its next request, and the open
    // chat socket is closed.
    for token in [&phone, &laptop] {
        app.get("/auth/me", Some(token))
            .await
            .assert_problem(401, "unauthorized");
    }
    let mut code = None;
    while let Ok(Some(frame)) = tokio::time::timeout(Duration::from_secs(5), socket.next()).await {
        if let Ok(Frame::Close(Some(c))) = frame {
            code = Some(u16::from(c.code));
            break;
        }
        if frame.is_err() {
            break;
        }
    }
    assert_eq!(code, Some(4401), "the chat socket closes");
    // The right password is told the account is disabled; a wrong one is
    // just wrong.
    app.login(ANA, PASSWORD)
        .await
        .assert_problem(403, "account_disabled");
    app.login(ANA, "not the password")
        .await
        .assert_problem(401, "invalid_credentials");
    let listed = app.get("/admin/customers?search=ana", Some(&staff)).await;
    assert!(listed.body["items"][0]["disabled_at"].is_string());

    // Nobody disables themself or an admin.
    let own = app
        .post(
            &format!("/admin/customers/{ADMIN_EMAIL}/disable"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert!(own.assert_problem(422, "validation_failed")["errors"]["email"].is_array());
    app.post(
        "/admin/customers/nobody@example.com/disable",
        Some(&admin),
        json!({}),
    )
    .await
    .assert_problem(404, "not_found");

    let r = app
        .post(
            &format!("/admin/customers/{ANA}/enable"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.body["disabled_at"].is_null());
    app.get("/auth/me", Some(&phone))
        .await
        .assert_problem(401, "unauthorized");
    let back = app.login(ANA, PASSWORD).await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.text);
    let token = back.body["token"].as_str().expect("token");
    assert_eq!(
        app.get("/auth/me", Some(token)).await.status,
        StatusCode::OK
    );

    // Both writes are in the audit log, with who made them.
    for (action, after) in [("customer.disable", true), ("customer.enable", false)] {
        let log = app
            .get(&format!("/admin/audit?action={action}"), Some(&admin))
            .await;
        let entry = &log.body["items"][0];
        assert_eq!(entry["target"], format!("customer:{ANA}"), "{}", log.text);
        assert_eq!(entry["actor"], ADMIN_EMAIL);
        assert_eq!(entry["after"]["disabled"], after);
    }
}
