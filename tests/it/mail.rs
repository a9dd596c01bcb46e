//! Email over real SMTP (an aiosmtpd server on loopback), through the outbox.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};
use tienda::config::{MailTransportKind, Seconds, Settings};

use crate::helpers::*;

/// A real SMTP server process; received messages land as JSON files.
pub(crate) struct SmtpSink {
    child: Child,
    dir: PathBuf,
}

impl SmtpSink {
    pub(crate) fn start(port: u16, dir: PathBuf) -> Self {
        let python = std::env::var("TIENDA_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let mut child = Command::new(python)
            .arg("tests/support/smtp_sink.py")
            .arg(port.to_string())
            .arg(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the SMTP sink (needs aiosmtpd: run scripts/test.sh)");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout");
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)
            .expect("sink ready");
        assert_eq!(line.trim(), "ready", "SMTP sink did not start");
        Self { child, dir }
    }

    pub(crate) fn messages(&self) -> Vec<Value> {
        let mut out = Vec::new();
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            let mut paths: Vec<_> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect();
            paths.sort();
            for p in paths {
                if let Ok(text) = std::fs::read_to_string(&p) {
                    if let Ok(v) = serde_json::from_str::<Value>(&text) {
                        out.push(v);
                    }
                }
            }
        }
        out
    }

    pub(crate) async fn wait_for(&self, n: usize) -> Vec<Value> {
        for _ in 0..150 {
            let m = self.messages();
            if m.len() >= n {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("expected {n} messages, got {}", self.messages().len());
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

pub(crate) fn smtp_settings(s: &mut Settings, port: u16) {
    s.mail.transport = MailTransportKind::Smtp;
    s.mail.smtp.host = "127.0.0.1".into();
    s.mail.smtp.port = port;
    s.mail.smtp.timeout = Seconds(2);
    s.mail.notify = "owner@shop.test".into();
    s.mail.from = "Tienda Ñandú <shop@shop.test>".into();
    s.mail.retry_base_delay = Seconds(1);
    s.mail.retry_max_delay = Seconds(1);
}

pub(crate) fn to(m: &Value) -> String {
    m["rcpt_tos"][0].as_str().unwrap_or_default().to_owned()
}

pub(crate) fn body(m: &Value) -> String {
    crate::auth::decode_quoted_printable(m["data"].as_str().unwrap_or_default())
}

async fn register_and_order(app: &TestApp) -> (i64, String) {
    let admin = app.admin().await;
    // Stocked well above the low-stock level: these cases count the
    // registration and order mails alone (tests/it/low_stock.rs has the alert).
    let lamp = app.product(&admin, "Lámpara", "home", 1999, 50).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let r = app.post("/auth/register", None, json!({"name": "José Núñez", "phone": "600000000", "email": "jose@example.com", "password": PASSWORD})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let t = app.login("jose@example.com", PASSWORD).await.body["token"]
        .as_str()
        .expect("token")
        .to_owned();
    app.post(
        "/cart",
        Some(&t),
        json!({"product_id": lamp, "quantity": 2}),
    )
    .await;
    let o = app
        .post(
            "/orders",
            Some(&t),
            json!({"delivery_address": "Calle Ñ 1, Madrid"}),
        )
        .await;
    assert_eq!(o.status, StatusCode::CREATED, "{}", o.text);
    (o.body["number"].as_i64().expect("number"), t)
}

#[tokio::test]
async fn registration_and_order_emails_arrive_over_smtp() {
    let port = free_port();
    let sink_dir = tempfile::tempdir().expect("dir");
    let sink = SmtpSink::start(port, sink_dir.path().to_path_buf());
    let app = spawn_app_with(|s| smtp_settings(s, port)).await;
    let (number, _) = register_and_order(&app).await;
    // admin: welcome + notice; José: welcome + notice; order: confirmation + notice.
    let messages = sink.wait_for(6).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(sink.messages().len(), 6, "each email exactly once");

    let welcome = messages
        .iter()
        .find(|m| to(m) == "jose@example.com" && body(m).contains("Welcome"))
        .expect("welcome");
    let w = body(welcome);
    assert!(
        w.contains("From: =?utf-8?b?") || w.contains("From: \"Tienda"),
        "{w}"
    );
    assert!(w.contains("Message-ID: <") && w.contains("@shop.test>"));
    assert!(w.contains("Date: "));
    assert!(w.contains("text/plain") && w.contains("text/html"));
    assert!(w.contains("José Núñez"), "non-ASCII name survives: {w}");

    let notices: Vec<_> = messages
        .iter()
        .filter(|m| to(m) == "owner@shop.test")
        .collect();
    assert_eq!(
        notices.len(),
        3,
        "registration notices for both accounts and the order notice"
    );
    assert!(notices
        .iter()
        .any(|m| body(m).contains("jose@example.com") && body(m).contains("registered")));

    let confirmation = messages
        .iter()
        .find(|m| to(m) == "jose@example.com" && body(m).contains(&format!("order {number}")))
        .expect("confirmation");
    let c = body(confirmation);
    for needle in [
        "Lámpara",
        "2 x €19.99",
        "Total: €39.98",
        "Calle Ñ 1, Madrid",
        "Subject: ",
        &number.to_string(),
    ] {
        assert!(c.contains(needle), "confirmation lacks {needle:?}: {c}");
    }
    let order_notice = notices
        .iter()
        .find(|m| body(m).contains(&format!("Order {number}")))
        .expect("order notice");
    assert!(body(order_notice).contains("€39.98"));
}

#[tokio::test]
async fn smtp_down_delays_mail_but_never_fails_or_slows_requests() {
    let port = free_port();
    let app = spawn_app_with(|s| smtp_settings(s, port)).await;
    let started = Instant::now();
    let (number, _) = register_and_order(&app).await;
    // argon2 dominates; nothing waits for SMTP.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let admin = app.admin().await;
    let pending = app.get("/admin/mail?status=pending", Some(&admin)).await;
    assert!(
        pending.body["total"].as_u64().unwrap_or_default() >= 6,
        "{}",
        pending.text
    );
    assert!(pending.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|m| m["attempts"].as_u64() >= Some(1) && m["last_error"].is_string()));

    let sink_dir = tempfile::tempdir().expect("dir");
    let sink = SmtpSink::start(port, sink_dir.path().to_path_buf());
    let messages = sink.wait_for(6).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let messages_after = sink.messages();
    assert_eq!(messages_after.len(), messages.len(), "no duplicates");
    let mut ids: Vec<String> = messages_after
        .iter()
        .filter_map(|m| {
            body(m)
                .lines()
                .find(|l| l.starts_with("Message-ID:"))
                .map(str::to_owned)
        })
        .collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "each email once");
    assert!(messages_after
        .iter()
        .any(|m| body(m).contains(&format!("order {number}"))));
    let sent = app.get("/admin/mail?status=sent", Some(&admin)).await;
    assert_eq!(
        sent.body["total"].as_u64(),
        Some(messages_after.len() as u64)
    );
}

#[tokio::test]
async fn pending_mail_survives_a_restart() {
    let port = free_port();
    let app = spawn_app_with(|s| smtp_settings(s, port)).await;
    let r = app.register("Rita", "rita@example.com").await;
    assert_eq!(r.status, StatusCode::CREATED);
    let (dir, settings) = app.stop().await;
    let sink_dir = tempfile::tempdir().expect("dir");
    let sink = SmtpSink::start(port, sink_dir.path().to_path_buf());
    let _app = start(dir, settings).await;
    let messages = sink.wait_for(2).await;
    assert!(messages.iter().any(|m| to(m) == "rita@example.com"));
}

#[tokio::test]
async fn failed_mail_is_kept_and_admins_can_retry_it() {
    let port = free_port();
    let app = spawn_app_with(|s| {
        smtp_settings(s, port);
        s.mail.max_attempts = 1;
    })
    .await;
    let admin = app.admin().await;
    let mut failed = Value::Null;
    for _ in 0..50 {
        failed = app
            .get("/admin/mail?status=failed", Some(&admin))
            .await
            .body;
        if failed["total"].as_u64() >= Some(2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(failed["total"].as_u64() >= Some(2), "{failed}");
    let row = &failed["items"][0];
    assert_eq!(row["attempts"], 1);
    assert!(row["last_error"].as_str().is_some_and(|e| !e.is_empty()));
    let page = app
        .http
        .get(app.url("/admin/mail"))
        .bearer_auth(&admin)
        .header("accept", "text/html")
        .send()
        .await
        .expect("page");
    assert!(page.text().await.unwrap_or_default().contains("failed"));

    let sink_dir = tempfile::tempdir().expect("dir");
    let sink = SmtpSink::start(port, sink_dir.path().to_path_buf());
    let id = row["id"].as_str().expect("id");
    let r = app
        .call(
            reqwest::Method::POST,
            &format!("/admin/mail/{id}/retry"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    app.call(
        reqwest::Method::POST,
        &format!("/admin/mail/{id}/retry"),
        Some(&admin),
        None,
    )
    .await
    .assert_problem(404, "not_found");
    sink.wait_for(1).await;
}

#[tokio::test]
async fn a_bad_smtp_setting_stops_start_up_naming_the_key() {
    let dir = tempfile::tempdir().expect("dir");
    let mut s = test_settings(&dir);
    s.mail.transport = MailTransportKind::Smtp;
    s.mail.smtp.host = "not a host name".into();
    s.mail.smtp.tls = tienda::config::SmtpTls::Tls;
    let err = tienda::app::Application::build(s)
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("mail.smtp.host"), "{err}");
}

#[tokio::test]
async fn a_resent_email_is_the_same_email() {
    let i18n = std::sync::Arc::new(tienda::i18n::I18n::load().expect("languages"));
    let registry = tienda::templates::registry(i18n, &Default::default()).expect("templates");
    let user = tienda::domain::accounts::User {
        id: "u".into(),
        name: "Ana".into(),
        phone: "600000000".into(),
        email: "ana@example.com".into(),
        role: tienda::domain::accounts::Role::Customer,
        password_hash: String::new(),
        created_at: tienda::domain::now(),
        locale: None,
        disabled_at: None,
    };
    let mail = tienda::domain::mail::compose::registration(
        &user,
        "",
        tienda::domain::now(),
        tienda::i18n::Locale::En,
    )
    .expect("compose")
    .remove(0);
    let from = "shop <shop@shop.test>".parse().expect("from");
    let header = |m: &lettre::Message, name: &str| {
        String::from_utf8_lossy(&m.formatted())
            .lines()
            .find(|l| l.starts_with(name))
            .map(str::to_owned)
    };
    let shop = tienda::services::mail::render::MailShop {
        name: "tienda",
        public_url: "http://x",
        currency: "EUR",
        default_locale: tienda::i18n::Locale::En,
    };
    let a = tienda::services::mail::render::render(&registry, &mail, &from, &shop).expect("render");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let b = tienda::services::mail::render::render(&registry, &mail, &from, &shop).expect("render");
    assert_eq!(header(&a, "Message-ID"), header(&b, "Message-ID"));
    assert_eq!(header(&a, "Date"), header(&b, "Date"));
    assert!(header(&a, "Message-ID").is_some_and(|h| h.contains(&mail.id)));
}

#[tokio::test]
async fn a_guest_checks_out_with_an_email_whose_link_opens_that_order_only() {
    let port = free_port();
    let sink_dir = tempfile::tempdir().expect("dir");
    let sink = SmtpSink::start(port, sink_dir.path().to_path_buf());
    let app = spawn_app_with(|s| smtp_settings(s, port)).await;
    let admin = app.admin().await;
    let lamp = app.product(&admin, "Lámpara", "home", 1999, 5).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let added = app
        .post("/cart", None, json!({"product_id": lamp, "quantity": 2}))
        .await;
    let cookie = added
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("tienda_guest="))
        .and_then(|v| v.split(';').next())
        .expect("guest cookie")
        .to_owned();
    let checkout = |body: Value| {
        app.http
            .post(app.url("/orders"))
            .header("cookie", &cookie)
            .json(&body)
            .send()
    };

    let r = TestApp::answer(
        checkout(json!({"delivery_address": "Calle Ñ 1, Madrid"}))
            .await
            .expect("sent"),
    )
    .await;
    assert!(r.body["errors"]["email"].is_array(), "{}", r.text);
    r.assert_problem(422, "validation_failed");
    let r = TestApp::answer(
        checkout(json!({"delivery_address": "Calle Ñ 1, Madrid", "email": "not-an-email"}))
            .await
            .expect("sent"),
    )
    .await;
    r.assert_problem(422, "validation_failed");
    let placed = TestApp::answer(
        checkout(json!({"delivery_address": "Calle Ñ 1, Madrid", "email": "Guest@Example.com"}))
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    assert_eq!(placed.body["email"], "guest@example.com");
    let number = placed.body["number"].as_i64().expect("number");
    let location = placed.headers["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(
        location.starts_with(&format!("/orders/{number}?token=")),
        "{location}"
    );

    // The confirmation carries the same link; it opens this order, without a session.
    // The admin's welcome and notice, then the confirmation and its notice.
    let messages = sink.wait_for(4).await;
    let confirmation = messages
        .iter()
        .find(|m| to(m) == "guest@example.com")
        .expect("confirmation to the guest");
    let base = app.settings.server.public_url.trim_end_matches('/');
    assert!(
        body(confirmation).contains(&format!("{base}{location}")),
        "{}",
        body(confirmation)
    );
    let path = location.clone();
    let opened = app.get(&path, None).await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.text);
    assert_eq!(opened.body["number"], number);
    let (status, page) = app.page(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Lámpara"));

    // Another order number, a changed token, or none: nothing to see.
    let token = path.split("token=").nth(1).expect("token");
    app.get(&format!("/orders/{}?token={token}", number + 1), None)
        .await
        .assert_problem(404, "order_not_found");
    app.get(&format!("/orders/{number}?token=x{token}"), None)
        .await
        .assert_problem(404, "order_not_found");
    app.get(&format!("/orders/{number}"), None)
        .await
        .assert_problem(401, "unauthorized");
    let cart = TestApp::answer(
        app.http
            .get(app.url("/cart"))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(
        cart.body["items"],
        json!([]),
        "the guest cart became the order"
    );

    // A customer may not pass an email: the order is the account's.
    let token = app.customer("ana@example.com").await;
    app.post(
        "/cart",
        Some(&token),
        json!({"product_id": lamp, "quantity": 1}),
    )
    .await;
    app.post(
        "/orders",
        Some(&token),
        json!({"delivery_address": "Calle Ñ 1, Madrid", "email": "other@example.com"}),
    )
    .await
    .assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn customers_get_their_emails_in_the_language_they_shop_in() {
    let port = free_port();
    let sink_dir = tempfile::tempdir().expect("dir");
    let sink = SmtpSink::start(port, sink_dir.path().to_path_buf());
    let app = spawn_app_with(|s| smtp_settings(s, port)).await;
    let admin = app.admin().await;
    let lamp = app.product(&admin, "Lámpara", "home", 1999, 5).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let spanish = |method: reqwest::Method, path: &str| {
        app.http
            .request(method, app.url(path))
            .header("accept-language", "es-ES,es;q=0.9,en;q=0.5")
    };
    let r = spanish(reqwest::Method::POST, "/auth/register")
        .json(&json!({"name": "José Núñez", "phone": "600000000", "email": "jose@example.com", "password": PASSWORD}))
        .send()
        .await
        .expect("register");
    assert_eq!(r.status(), StatusCode::CREATED);
    let token = app.login("jose@example.com", PASSWORD).await.body["token"]
        .as_str()
        .expect("token")
        .to_owned();
    app.post(
        "/cart",
        Some(&token),
        json!({"product_id": lamp, "quantity": 2}),
    )
    .await;
    let o = spanish(reqwest::Method::POST, "/orders")
        .bearer_auth(&token)
        .json(&json!({"delivery_address": "Calle Ñ 1, Madrid"}))
        .send()
        .await
        .expect("checkout");
    assert_eq!(o.status(), StatusCode::CREATED);
    // admin: welcome + notice; José: welcome + notice; order: confirmation + notice.
    let messages = sink.wait_for(6).await;
    let to_jose: Vec<String> = messages
        .iter()
        .filter(|m| to(m) == "jose@example.com")
        .map(body)
        .collect();
    assert_eq!(to_jose.len(), 2);
    assert!(
        to_jose
            .iter()
            .any(|b| b.contains("Hola, José Núñez:") && b.contains("Tu cuenta de")),
        "a Spanish welcome: {to_jose:?}"
    );
    assert!(
        to_jose.iter().any(|b| b.contains("Gracias por tu pedido")
            && b.contains("2 x 19,99\u{a0}€")
            && b.contains("Total: 39,98\u{a0}€")),
        "a Spanish confirmation with Spanish amounts: {to_jose:?}"
    );
    // The shop's own notices stay in its language.
    assert!(messages
        .iter()
        .filter(|m| to(m) == "owner@shop.test")
        .map(body)
        .any(|b| b.contains("was placed at") && b.contains("€39.98")));
}
