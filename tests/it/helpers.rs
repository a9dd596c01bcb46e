//! Spawns the real application on a random port against a fresh store, and
//! a small client with one method per common call.

use std::sync::atomic::{AtomicU32, Ordering};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tempfile::TempDir;
use tienda::app::Application;

pub type ChatRequest = tokio_tungstenite::tungstenite::handshake::client::Request;
use tienda::config::{MailTransportKind, Secret, Settings};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

pub const ADMIN_EMAIL: &str = "admin@tienda.test";
pub const PASSWORD: &str = "correct horse battery";

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The store the suite runs against: `TIENDA_TEST_STORE=mongo` uses a fresh
/// database on `TIENDA_TEST_MONGO_URL`; anything else a fresh SQLite file.
pub fn store_url(dir: &TempDir) -> String {
    if std::env::var("TIENDA_TEST_STORE").as_deref() == Ok("mongo") {
        let base = std::env::var("TIENDA_TEST_MONGO_URL")
            .expect("TIENDA_TEST_STORE=mongo needs TIENDA_TEST_MONGO_URL");
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let db = format!("it_{}_{}", std::process::id(), n);
        let (base, query) = match base.split_once('?') {
            Some((b, q)) => (b.to_owned(), format!("?{q}")),
            None => (base.clone(), String::new()),
        };
        format!("{}/{db}{query}", base.trim_end_matches('/'))
    } else {
        format!("sqlite://{}", dir.path().join("tienda.db").display())
    }
}

/// Settings for a test instance: port 0, a fresh store, mail to files in a
/// temp folder, rate limits off, no demo catalog.
pub fn test_settings(dir: &TempDir) -> Settings {
    let mut s = Settings {
        profile: "development".into(),
        ..Settings::default()
    };
    s.server.port = 0;
    s.store.url = Secret::new(store_url(dir));
    s.store.pool_size = 4;
    s.store.demo_catalog = false;
    s.mail.transport = MailTransportKind::File;
    s.mail.outbox_dir = dir.path().join("outbox");
    s.mail.poll_interval = tienda::config::Seconds(1);
    s.rate_limit.enabled = false;
    s.admin.emails = vec![ADMIN_EMAIL.into()];
    s
}

pub struct TestApp {
    pub base: String,
    #[allow(dead_code)]
    pub port: u16,
    pub dir: TempDir,
    pub settings: Settings,
    pub http: reqwest::Client,
    /// Dropping it (with the TestApp) shuts the instance down.
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = test_settings(&dir);
    configure(&mut settings);
    start(dir, settings).await
}

/// Starts an instance on `dir` with `settings` (also used to restart one).
pub async fn start(dir: TempDir, settings: Settings) -> TestApp {
    let app = Application::build(settings.clone())
        .await
        .expect("application builds");
    let port = app.port();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        let _ = app
            .run_until(async move {
                let _ = rx.await;
            })
            .await;
    });
    TestApp {
        base: format!("http://127.0.0.1:{port}"),
        port,
        dir,
        settings,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        stop: Some(tx),
        handle: Some(handle),
    }
}

/// A decoded answer.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    /// Asserts this is an error in the model: problem+json with an id, the
    /// status, and `code`.
    pub fn assert_problem(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        assert_eq!(
            self.headers
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json"),
            "{}",
            self.text
        );
        assert_eq!(self.body["code"], code, "body: {}", self.text);
        assert_eq!(self.body["status"], status);
        assert!(
            self.body["id"].as_str().is_some_and(|id| id.len() == 36),
            "error id missing: {}",
            self.text
        );
        assert!(self.body["detail"].as_str().is_some_and(|d| !d.is_empty()));
        &self.body
    }
}

impl TestApp {
    /// The chat WebSocket's upgrade request (`query` starts with `?` or is
    /// empty), with a bearer token if given.
    pub fn chat_request(&self, token: Option<&str>, query: &str) -> ChatRequest {
        let mut req = format!("ws://127.0.0.1:{}/chat/ws{query}", self.port)
            .into_client_request()
            .expect("chat request");
        if let Some(t) = token {
            req.headers_mut().insert(
                "authorization",
                format!("Bearer {t}").parse().expect("header"),
            );
        }
        req
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request sent");
        Self::answer(resp).await
    }

    pub async fn answer(resp: reqwest::Response) -> Answer {
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    /// The page a browser gets at `path` (no session): status and HTML.
    pub async fn page(&self, path: &str) -> (StatusCode, String) {
        let r = self
            .http
            .get(self.url(path))
            .header("accept", "text/html")
            .send()
            .await
            .expect("page");
        (r.status(), r.text().await.unwrap_or_default())
    }

    /// The page a browser signed in with `token` gets at `path`: status and HTML.
    pub async fn page_as(&self, path: &str, token: &str) -> (StatusCode, String) {
        let r = self
            .http
            .get(self.url(path))
            .header("accept", "text/html")
            .bearer_auth(token)
            .send()
            .await
            .expect("page");
        (r.status(), r.text().await.unwrap_or_default())
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.call(Method::PUT, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Answer {
        self.call(Method::DELETE, path, token, None).await
    }

    /// Sends raw bytes with a content type.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> Answer {
        let mut req = self
            .http
            .request(method, self.url(path))
            .header("content-type", content_type)
            .body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        Self::answer(req.send().await.expect("request sent")).await
    }

    pub async fn register(&self, name: &str, email: &str) -> Answer {
        self.post(
            "/auth/register",
            None,
            json!({ "name": name, "phone": "+34 600 000 000", "email": email, "password": PASSWORD }),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Answer {
        self.post(
            "/auth/login",
            None,
            json!({ "email": email, "password": password }),
        )
        .await
    }

    /// Registers (if needed) and logs in; returns the bearer token.
    pub async fn customer(&self, email: &str) -> String {
        let name = email.split('@').next().unwrap_or("customer");
        let r = self.register(name, email).await;
        assert!(
            r.status == StatusCode::CREATED || r.status == StatusCode::CONFLICT,
            "register {email}: {}",
            r.text
        );
        let l = self.login(email, PASSWORD).await;
        assert_eq!(l.status, StatusCode::OK, "login {email}: {}", l.text);
        l.body["token"].as_str().expect("token").to_owned()
    }

    pub async fn admin(&self) -> String {
        self.customer(ADMIN_EMAIL).await
    }

    /// Creates a product as admin; returns its JSON.
    pub async fn product(
        &self,
        admin: &str,
        name: &str,
        category: &str,
        price: i64,
        stock: i64,
    ) -> Value {
        let r = self
            .post(
                "/products",
                Some(admin),
                json!({ "name": name, "description": format!("{name} description"), "category": category,
                        "price": price, "photo_url": "/static/photos/ceramic-mug.svg", "stock": stock }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.body
    }

    /// Stops the instance gracefully and hands back its folder (to restart).
    pub async fn stop(mut self) -> (TempDir, Settings) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.handle.take() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(10), handle).await;
        }
        let TestApp { dir, settings, .. } = self;
        (dir, settings)
    }
}
