//! Personal data over HTTP: a customer downloads everything the shop keeps
//! about them and deletes their account; the shop keeps anonymised orders.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message as Frame;

use crate::helpers::*;

const ANA: &str = "ana@example.com";
const BOB: &str = "bob@example.com";

/// Puts `quantity` of `product` in the customer's cart and checks out to
/// `address`; returns the order.
async fn order(app: &TestApp, token: &str, product: &Value, quantity: i64, address: &str) -> Value {
    let added = app
        .post(
            "/cart",
            Some(token),
            json!({ "product_id": product["id"], "quantity": quantity }),
        )
        .await;
    assert!(added.status.is_success(), "{}", added.text);
    let placed = app
        .post(
            "/orders",
            Some(token),
            json!({ "delivery_address": address }),
        )
        .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    placed.body
}

/// Sends one chat message over a socket and waits for its echo.
async fn say(app: &TestApp, token: &str, frame: Value) {
    let (mut ws, _) = tokio_tungstenite::connect_async(app.chat_request(Some(token), ""))
        .await
        .expect("chat socket");
    ws.send(Frame::Text(frame.to_string().into()))
        .await
        .expect("send");
    let echo = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .expect("an echo in time");
    assert!(matches!(echo, Some(Ok(Frame::Text(_)))), "{echo:?}");
}

/// Deletes the caller's account through the API.
async fn erase(app: &TestApp, token: &str, body: Value) -> Answer {
    app.call(Method::DELETE, "/account", Some(token), Some(body))
        .await
}

#[tokio::test]
async fn the_export_holds_the_profile_addresses_orders_and_messages() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let lamp = app.product(&admin, "Lamp", "home", 1999, 20).await;
    let ana = app.customer(ANA).await;
    let bob = app.customer(BOB).await;
    let first = order(&app, &ana, &lamp, 1, "1 Calle Mayor, Madrid").await;
    let second = order(&app, &ana, &lamp, 2, "9 Rue de la Paix, Paris").await;
    order(&app, &bob, &lamp, 1, "5 Bob Street, Leeds").await;
    let cart_address = app
        .put(
            "/cart/address",
            Some(&ana),
            json!({ "delivery_address": "1 Calle Mayor, Madrid" }),
        )
        .await;
    assert_eq!(cart_address.status, StatusCode::OK, "{}", cart_address.text);
    say(&app, &ana, json!({ "body": "Is the lamp dimmable?" })).await;
    say(&app, &admin, json!({ "body": "Yes it is", "to": ANA })).await;
    say(&app, &bob, json!({ "body": "bob's own question" })).await;

    let r = app.get("/account/export", Some(&ana)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.headers
            .get("content-disposition")
            .and_then(|v| v.to_str().ok()),
        Some("attachment; filename=\"tienda-account-export.json\"")
    );
    assert_eq!(
        r.headers.get("cache-control").and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let export = &r.body;
    assert!(export["exported_at"].is_string());
    assert_eq!(export["profile"]["email"], ANA);
    assert_eq!(export["profile"]["name"], "ana");
    assert_eq!(export["profile"]["phone"], "+34600000000");
    assert_eq!(export["profile"]["role"], "customer");
    let streets: Vec<&str> = export["addresses"]
        .as_array()
        .expect("addresses")
        .iter()
        .filter_map(|a| a["line1"].as_str())
        .collect();
    assert_eq!(
        streets,
        ["1 Calle Mayor, Madrid", "9 Rue de la Paix, Paris"],
        "once each"
    );
    assert_eq!(
        export["orders"],
        json!([second, first]),
        "whole orders, as the API answers them, newest first"
    );
    let bodies: Vec<&str> = export["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["body"].as_str())
        .collect();
    assert_eq!(bodies, vec!["Is the lamp dimmable?", "Yes it is"]);
    assert!(!export["sessions"].as_array().expect("sessions").is_empty());
    assert!(!r.text.contains("argon2"), "never the password hash");
    assert!(
        !r.text.contains(BOB) && !r.text.contains("Leeds"),
        "only hers"
    );

    app.get("/account/export", None)
        .await
        .assert_problem(401, "unauthorized");
    let profile = app.get("/account", Some(&ana)).await;
    assert_eq!(profile.status, StatusCode::OK);
    assert_eq!(profile.body["email"], ANA);
    assert!(profile.body.get("password_hash").is_none());
}

#[tokio::test]
async fn deleting_needs_the_password_and_a_refusal_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let lamp = app.product(&admin, "Lamp", "home", 1999, 20).await;
    let ana = app.customer(ANA).await;
    let placed = order(&app, &ana, &lamp, 1, "1 Calle Mayor, Madrid").await;

    let wrong = erase(&app, &ana, json!({ "password": "not my password" })).await;
    let problem = wrong.assert_problem(403, "forbidden");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("password")),
        "{problem}"
    );
    erase(&app, &ana, json!({}))
        .await
        .assert_problem(422, "validation_failed")["errors"]["password"]
        .as_array()
        .expect("the password field is named");
    erase(&app, &ana, json!({ "password": PASSWORD, "extra": 1 }))
        .await
        .assert_problem(422, "validation_failed");
    app.call(
        Method::DELETE,
        "/account",
        None,
        Some(json!({ "password": PASSWORD })),
    )
    .await
    .assert_problem(401, "unauthorized");

    // Nothing changed: still logged in, the order still hers.
    assert_eq!(app.get("/auth/me", Some(&ana)).await.status, StatusCode::OK);
    let number = placed["number"].as_i64().expect("number");
    let still = app.get(&format!("/orders/{number}"), Some(&ana)).await;
    assert_eq!(still.status, StatusCode::OK);
    assert_eq!(still.body, placed);

    // An admin does not delete their own account this way.
    erase(&app, &admin, json!({ "password": PASSWORD }))
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(
        app.get("/auth/me", Some(&admin)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn deleting_ends_every_session_and_keeps_the_orders_anonymised() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let lamp = app.product(&admin, "Lamp", "home", 1999, 20).await;
    let phone = app.customer(ANA).await;
    let laptop = app.customer(ANA).await;
    let bob = app.customer(BOB).await;
    let anas = order(&app, &phone, &lamp, 2, "1 Calle Mayor, Madrid").await;
    let number = anas["number"].as_i64().expect("number");
    let paid = app
        .put(
            &format!("/orders/{number}/status"),
            Some(&admin),
            json!({ "status": "paid" }),
        )
        .await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.text);
    let bobs = order(&app, &bob, &lamp, 1, "5 Bob Street, Leeds").await;
    say(&app, &phone, json!({ "body": "call me on 600 000 000" })).await;
    let (mut socket, _) = tokio_tungstenite::connect_async(app.chat_request(Some(&laptop), ""))
        .await
        .expect("ana's open chat");

    let r = erase(&app, &phone, json!({ "password": PASSWORD })).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let cookie = r
        .headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        cookie.starts_with("tienda_session=;") && cookie.contains("Max-Age=0"),
        "{cookie}"
    );

    // Every device is logged out at once, and the open chat closes.
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
    app.login(ANA, PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");

    // The admin still has the order for the books, without the person.
    let kept = app.get(&format!("/orders/{number}"), Some(&admin)).await;
    assert_eq!(kept.status, StatusCode::OK);
    let placeholder = kept.body["email"].as_str().expect("email").to_owned();
    assert!(
        placeholder.starts_with("deleted-") && placeholder.ends_with("@invalid"),
        "{placeholder}"
    );
    assert_eq!(kept.body["delivery_address"]["line1"], "");
    assert_eq!(kept.body["status"], "paid");
    assert_eq!(kept.body["items"], anas["items"]);
    assert_eq!(kept.body["total"], anas["total"]);
    assert_eq!(kept.body["history"].as_array().map(Vec::len), Some(2));
    assert!(!kept.text.contains(ANA) && !kept.text.contains("Calle Mayor"));
    let listed = app
        .get(&format!("/orders?email={placeholder}"), Some(&admin))
        .await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));
    let chat = app.get("/messages", Some(&admin)).await;
    assert!(!chat.text.contains(ANA), "{}", chat.text);
    assert!(!chat.text.contains("600 000 000"), "{}", chat.text);

    // Bob is untouched.
    assert_eq!(app.get("/auth/me", Some(&bob)).await.status, StatusCode::OK);
    let bobs_number = bobs["number"].as_i64().expect("number");
    let bobs_now = app.get(&format!("/orders/{bobs_number}"), Some(&bob)).await;
    assert_eq!(bobs_now.body, bobs);

    // The email registers again, as a new, empty account.
    let again = app.register("Ana Again", ANA).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    let token = app.customer(ANA).await;
    let mine = app.get("/orders", Some(&token)).await;
    assert_eq!(mine.body["items"], json!([]));
    let export = app.get("/account/export", Some(&token)).await;
    assert_eq!(export.body["orders"], json!([]));
    assert_eq!(export.body["messages"], json!([]));
}

#[tokio::test]
async fn the_admins_delete_is_the_same_erasure() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let lamp = app.product(&admin, "Lamp", "home", 1999, 20).await;
    let ana = app.customer(ANA).await;
    let anas = order(&app, &ana, &lamp, 1, "1 Calle Mayor, Madrid").await;
    let r = app
        .delete(&format!("/admin/users/{ANA}"), Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    app.get("/auth/me", Some(&ana))
        .await
        .assert_problem(401, "unauthorized");
    let number = anas["number"].as_i64().expect("number");
    let kept = app.get(&format!("/orders/{number}"), Some(&admin)).await;
    assert_eq!(kept.body["items"], anas["items"]);
    assert_eq!(kept.body["delivery_address"]["line1"], "");
    assert!(!kept.text.contains(ANA));
    app.delete(&format!("/admin/users/{ANA}"), Some(&admin))
        .await
        .assert_problem(404, "not_found");
    // Not their own: the shop keeps an admin who can act.
    app.delete(&format!("/admin/users/{ADMIN_EMAIL}"), Some(&admin))
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(
        app.get("/auth/me", Some(&admin)).await.status,
        StatusCode::OK
    );

    let doc = app.get("/openapi.json", None).await;
    let paths = &doc.body["paths"];
    assert!(paths["/account"]["get"].is_object());
    assert!(paths["/account"]["delete"].is_object());
    assert!(paths["/account/export"]["get"].is_object());
}

/// The account page and its delete form as plain HTML, in `lang`: the
/// texts it must show are given in that language.
async fn delete_with_the_form(lang: &str, texts: [&str; 4]) {
    let [export_link, wrong_password, heading, deleted] = texts;
    let app = spawn_app().await;
    let browser = crate::forms::FormClient::new(&app);
    let registered = browser
        .post(
            "/auth/register",
            &[
                ("name", "Ana Form"),
                ("phone", "+34 600 123 456"),
                ("email", ANA),
                ("password", PASSWORD),
            ],
            lang,
        )
        .await;
    assert_eq!(registered.status, StatusCode::SEE_OTHER);

    let (status, html) = browser.page("/products", lang).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("href=\"/account\""), "the header links it");
    let (status, html) = browser.page("/account", lang).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains(heading), "{html}");
    assert!(html.contains(ANA) && html.contains("Ana Form"), "{html}");
    assert!(html.contains("href=\"/account/export\""));
    assert!(html.contains(export_link), "{html}");
    assert!(html.contains("method=\"post\" action=\"/account/delete\""));

    // A wrong password: the page again, with the message and the error id.
    let refused = browser
        .post("/account/delete", &[("password", "not my password")], lang)
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let html = refused.page;
    assert!(html.contains("id=\"erase-form\""), "{html}");
    assert!(html.contains(wrong_password), "{html}");
    assert!(
        !html.contains("not my password"),
        "the password is not echoed"
    );
    let id_at = html.find("class=\"error-id\"").expect("an error id");
    assert!(html[id_at..].chars().take(120).any(|c| c == '-'));
    assert_eq!(browser.page("/account", lang).await.0, StatusCode::OK);

    let done = browser
        .post("/account/delete", &[("password", PASSWORD)], lang)
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location, "/?account=deleted");
    let (status, html) = browser.page("/?account=deleted", lang).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(deleted), "{html}");
    let (status, _) = browser.page("/account", lang).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "logged out");
    app.login(ANA, PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
}

#[tokio::test]
async fn the_account_form_deletes_without_javascript_in_english() {
    delete_with_the_form(
        "en",
        [
            "Download my data",
            "the password is wrong",
            "My account",
            "Your account is deleted.",
        ],
    )
    .await;
}

#[tokio::test]
async fn the_account_form_deletes_without_javascript_in_spanish() {
    delete_with_the_form(
        "es",
        [
            "Descargar mis datos",
            "la contraseña no es correcta",
            "Mi cuenta",
            "Tu cuenta está borrada.",
        ],
    )
    .await;
}

#[tokio::test]
async fn with_javascript_the_account_page_deletes_the_account() {
    let app = spawn_app().await;
    let b = crate::browser::browser().await;
    b.register(&app, "Ana Script", ANA).await;
    b.click("#account-link").await;
    b.wait_url("/account").await;
    b.fill("#erase-password", "not my password").await;
    b.click("#erase-button").await;
    b.wait_text("#erase-form .form-error", "the password is wrong")
        .await;
    assert!(b.client.current_url().await.expect("url").path() == "/account");
    b.fill("#erase-password", PASSWORD).await;
    b.click("#erase-button").await;
    b.wait_url("/?account=deleted").await;
    b.wait_text("#account-deleted", "Your account is deleted.")
        .await;
    assert!(
        b.text("header").await.contains("Log in"),
        "the session cookie is gone"
    );
    b.close().await;
    app.login(ANA, PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
}
