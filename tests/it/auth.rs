use std::time::Duration;

use base64::Engine;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn register_login_me_logout() {
    let app = spawn_app().await;
    let r = app.register("Ana Pérez", "Ana@Example.com").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["email"], "ana@example.com");
    assert_eq!(r.body["name"], "Ana Pérez");
    assert_eq!(r.body["role"], "customer");
    assert!(r.body.get("password").is_none() && r.body.get("password_hash").is_none());
    assert!(!r.text.contains(PASSWORD) && !r.text.contains("argon2"));

    let l = app.login("ANA@example.com", PASSWORD).await;
    assert_eq!(l.status, StatusCode::OK, "{}", l.text);
    assert_eq!(l.body["token_type"], "Bearer");
    assert!(l.body["expires_at"].is_string());
    assert_eq!(l.body["user"]["email"], "ana@example.com");
    let cookie = l
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok())
        .find(|c| c.starts_with("tienda_session="))
        .expect("session cookie")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "development cookies are not Secure"
    );
    let token = l.body["token"].as_str().expect("token").to_owned();

    let me = app.get("/auth/me", Some(&token)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["email"], "ana@example.com");

    // The cookie alone also works.
    let by_cookie = app
        .http
        .get(app.url("/auth/me"))
        .header("cookie", format!("tienda_session={token}"))
        .send()
        .await
        .expect("me");
    assert_eq!(by_cookie.status(), StatusCode::OK);

    let out = app
        .call(reqwest::Method::POST, "/auth/logout", Some(&token), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    app.get("/auth/me", Some(&token))
        .await
        .assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn duplicate_email_in_another_case_is_409() {
    let app = spawn_app().await;
    assert_eq!(
        app.register("A", "dup@example.com").await.status,
        StatusCode::CREATED
    );
    let r = app.register("B", "DUP@Example.COM").await;
    let body = r.assert_problem(409, "already_exists");
    assert!(body["errors"]["email"].is_array());
}

#[tokio::test]
async fn registration_validation_names_each_field() {
    let app = spawn_app().await;
    let good = json!({"name": "Ana", "phone": "+34600000000", "email": "a@example.com", "password": PASSWORD});
    let cases = [
        ("name", json!("")),
        ("name", json!("x".repeat(101))),
        ("phone", json!("call me")),
        ("phone", json!("123")),
        ("email", json!("not-an-email")),
        ("email", json!("аna@example.com")),
        ("password", json!("short")),
        ("password", json!("p".repeat(129))),
        ("email", json!(null)),
    ];
    for (field, value) in cases {
        let mut body = good.clone();
        body[field] = value.clone();
        let r = app.post("/auth/register", None, body).await;
        let p = r.assert_problem(422, "validation_failed");
        assert!(
            p["errors"].get(field).is_some(),
            "{field}={value}: {}",
            r.text
        );
    }
    let mut extra = good.clone();
    extra["role"] = json!("admin");
    app.post("/auth/register", None, extra)
        .await
        .assert_problem(422, "validation_failed");
    let mut missing = good.clone();
    missing.as_object_mut().map(|o| o.remove("phone"));
    let r = app.post("/auth/register", None, missing).await;
    assert!(r.assert_problem(422, "validation_failed")["errors"]
        .get("phone")
        .is_some());
}

#[tokio::test]
async fn wrong_password_and_unknown_email_look_the_same() {
    let app = spawn_app().await;
    app.register("A", "a@example.com").await;
    let wrong = app.login("a@example.com", "not the password").await;
    let unknown = app.login("nobody@example.com", "not the password").await;
    wrong.assert_problem(401, "invalid_credentials");
    unknown.assert_problem(401, "invalid_credentials");
    assert_eq!(wrong.body["detail"], unknown.body["detail"]);
}

#[tokio::test]
async fn sessions_expire() {
    let app = spawn_app_with(|s| s.session.ttl = tienda::config::Seconds(1)).await;
    let token = app.customer("short@example.com").await;
    assert_eq!(
        app.get("/auth/me", Some(&token)).await.status,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    app.get("/auth/me", Some(&token))
        .await
        .assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn admins_list_and_revoke_sessions_and_delete_accounts() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let token = app.customer("c@example.com").await;
    let sessions = app
        .get("/admin/users/c@example.com/sessions", Some(&admin))
        .await;
    assert_eq!(sessions.status, StatusCode::OK, "{}", sessions.text);
    let id = sessions.body["items"][0]["id"]
        .as_str()
        .expect("session id")
        .to_owned();
    app.get("/admin/users/c@example.com/sessions", Some(&token))
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(
        app.delete(&format!("/auth/sessions/{id}"), Some(&admin))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    app.get("/auth/me", Some(&token))
        .await
        .assert_problem(401, "unauthorized");

    let token = app.customer("d@example.com").await;
    assert_eq!(
        app.delete("/admin/users/d@example.com", Some(&admin))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    app.get("/auth/me", Some(&token))
        .await
        .assert_problem(401, "unauthorized");
    app.delete("/admin/users/d@example.com", Some(&admin))
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn forged_tokens_are_refused() {
    let app = spawn_app().await;
    let token = app.customer("f@example.com").await;
    let parts: Vec<&str> = token.split('.').collect();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    // Tampered signature.
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        b64.encode(b"not the signature at all.......")
    );
    // alg: none.
    let none = format!(
        "{}.{}.",
        b64.encode(br#"{"alg":"none","typ":"JWT"}"#),
        parts[1]
    );
    // Payload changed to admin with the old signature.
    let mut claims: serde_json::Value =
        serde_json::from_slice(&b64.decode(parts[1]).expect("b64")).expect("claims");
    claims["role"] = json!("admin");
    let escalated = format!(
        "{}.{}.{}",
        parts[0],
        b64.encode(claims.to_string()),
        parts[2]
    );
    // Signed with another key.
    let other = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(b"some-other-secret-that-is-long-enough"),
    )
    .expect("sign");
    // An injected kid header.
    let kid = format!(
        "{}.{}.{}",
        b64.encode(br#"{"alg":"HS256","typ":"JWT","kid":"../../etc/passwd"}"#),
        parts[1],
        parts[2]
    );
    for bad in [
        tampered,
        none,
        escalated,
        other,
        kid,
        "".into(),
        "a.b".into(),
    ] {
        app.get("/auth/me", Some(&bad))
            .await
            .assert_problem(401, "unauthorized");
    }
}

#[tokio::test]
async fn login_and_register_are_rate_limited() {
    let app = spawn_app_with(|s| {
        s.rate_limit.enabled = true;
        s.rate_limit.login_per_account = 3;
        s.rate_limit.register_per_address = 2;
    })
    .await;
    app.register("A", "r1@example.com").await;
    app.register("B", "r2@example.com").await;
    let r = app.register("C", "r3@example.com").await;
    r.assert_problem(429, "rate_limited");
    assert!(r.headers.get("retry-after").is_some());
    for _ in 0..3 {
        app.login("r1@example.com", "wrong password")
            .await
            .assert_problem(401, "invalid_credentials");
    }
    let r = app.login("r1@example.com", PASSWORD).await;
    r.assert_problem(429, "rate_limited");
    assert!(r.headers["retry-after"]
        .to_str()
        .unwrap_or_default()
        .parse::<u64>()
        .is_ok());
}

#[tokio::test]
async fn password_reset_works_once_and_ends_sessions() {
    let app = spawn_app().await;
    let old = app.customer("p@example.com").await;
    let r = app
        .post(
            "/auth/password/forgot",
            None,
            json!({"email": "p@example.com"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let unknown = app
        .post(
            "/auth/password/forgot",
            None,
            json!({"email": "ghost@example.com"}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::ACCEPTED);
    assert_eq!(unknown.body, r.body);

    let link = wait_for_mail(&app, "p@example.com", "Reset your").await;
    let token = link
        .split("token=")
        .nth(1)
        .and_then(|t| {
            t.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                .next()
        })
        .expect("token in mail")
        .to_owned();
    let new_password = "a brand new password";
    // In use right up to the reset, so a cached session must be dropped by it.
    assert_eq!(app.get("/auth/me", Some(&old)).await.status, StatusCode::OK);
    let reset = app
        .post(
            "/auth/password/reset",
            None,
            json!({"token": token, "password": new_password}),
        )
        .await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT, "{}", reset.text);
    app.get("/auth/me", Some(&old))
        .await
        .assert_problem(401, "unauthorized");
    assert_eq!(
        app.login("p@example.com", new_password).await.status,
        StatusCode::OK
    );
    app.login("p@example.com", PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
    let again = app
        .post(
            "/auth/password/reset",
            None,
            json!({"token": token, "password": "yet another one"}),
        )
        .await;
    assert!(again.assert_problem(422, "validation_failed")["errors"]
        .get("token")
        .is_some());
}

/// Waits for a file-transport email to `to` whose text contains `needle`;
/// returns its decoded text.
pub async fn wait_for_mail(app: &TestApp, to: &str, needle: &str) -> String {
    let dir = app.settings.mail.outbox_dir.clone();
    for _ in 0..100 {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for entry in entries.flatten() {
                let raw = std::fs::read_to_string(entry.path()).unwrap_or_default();
                let text = decode_quoted_printable(&raw);
                let to_them =
                    text.contains(&format!("To: {to}")) || text.contains(&format!("<{to}>"));
                if to_them && text.contains(needle) {
                    return text;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no mail to {to} containing {needle:?} in {}", dir.display());
}

/// Undoes quoted-printable soft breaks and =XX escapes, enough to read links.
pub fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn entry_page_forms_log_in_with_a_cookie_and_cross_site_posts_are_refused() {
    let app = spawn_app().await;
    let home = app
        .http
        .get(app.url("/"))
        .header("accept", "text/html")
        .send()
        .await
        .expect("home");
    let text = home.text().await.unwrap_or_default();
    assert!(text.contains("id=\"login-form\"") && text.contains("id=\"register-form\""));

    let form = [
        ("name", "Form User"),
        ("phone", "600000000"),
        ("email", "form@example.com"),
        ("password", PASSWORD),
    ];
    let r = app
        .http
        .post(app.url("/auth/register"))
        .form(&form)
        .header("origin", app.base.clone())
        .send()
        .await
        .expect("form");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/products");
    assert!(r.headers().get_all("set-cookie").iter().any(|c| c
        .to_str()
        .unwrap_or_default()
        .starts_with("tienda_session=")));

    let evil = app
        .http
        .post(app.url("/auth/login"))
        .form(&[("email", "form@example.com"), ("password", PASSWORD)])
        .header("origin", "https://evil.example")
        .send()
        .await
        .expect("evil");
    assert_eq!(evil.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = evil.json().await.expect("problem");
    assert_eq!(body["code"], "csrf_rejected");
}

#[tokio::test]
async fn customers_get_403_on_admin_routes() {
    let app = spawn_app().await;
    let token = app.customer("c@example.com").await;
    for path in [
        "/config",
        "/admin/mail",
        "/admin/products",
        "/admin/users/c@example.com/sessions",
    ] {
        app.get(path, Some(&token))
            .await
            .assert_problem(403, "forbidden");
        app.get(path, None)
            .await
            .assert_problem(401, "unauthorized");
    }
}

#[tokio::test]
async fn config_view_masks_secrets() {
    let app = spawn_app_with(|s| {
        s.auth.jwt_secret = tienda::config::Secret::new("super-secret-signing-key-0123456789");
        s.mail.smtp.password = tienda::config::Secret::new("smtp-pass-xyz");
    })
    .await;
    let admin = app.admin().await;
    let json = app.get("/config", Some(&admin)).await;
    assert_eq!(json.status, StatusCode::OK);
    assert_eq!(json.body["auth"]["jwt_secret"], "***");
    assert_eq!(json.body["server"]["port"], 0);
    let page = app
        .http
        .get(app.url("/config"))
        .bearer_auth(&admin)
        .header("accept", "text/html")
        .send()
        .await
        .expect("page");
    let html = page.text().await.unwrap_or_default();
    assert!(html.contains("session.ttl") && html.contains("mail.notify"));
    assert!(!html.contains("super-secret-signing-key") && !html.contains("smtp-pass-xyz"));
}

#[test]
fn store_urls_hide_credentials() {
    assert_eq!(
        tienda::config::mask_url_credentials("mongodb://shop:hunter2@db1:27017/tienda"),
        "mongodb://shop:***@db1:27017/tienda"
    );
    assert_eq!(
        tienda::config::mask_url_credentials("sqlite://data/t.db"),
        "sqlite://data/t.db"
    );
}

#[tokio::test]
async fn cookie_requests_from_another_site_are_refused_but_bearer_calls_pass() {
    let app = spawn_app().await;
    let token = app.customer("csrf@example.com").await;
    let body = json!({"delivery_address": "Calle Mayor 1, Madrid"});
    let by_cookie = app
        .http
        .put(app.url("/cart/address"))
        .header("cookie", format!("tienda_session={token}"))
        .header("origin", "https://evil.example")
        .json(&body)
        .send()
        .await
        .expect("send");
    TestApp::answer(by_cookie)
        .await
        .assert_problem(403, "csrf_rejected");
    let same_site = app
        .http
        .put(app.url("/cart/address"))
        .header("cookie", format!("tienda_session={token}"))
        .header("origin", app.base.clone())
        .json(&body)
        .send()
        .await
        .expect("send");
    assert_eq!(same_site.status(), StatusCode::OK);
    let by_bearer = app
        .http
        .put(app.url("/cart/address"))
        .bearer_auth(&token)
        .header("origin", "https://elsewhere.example")
        .json(&body)
        .send()
        .await
        .expect("send");
    assert_eq!(by_bearer.status(), StatusCode::OK);
}
