//! Pages, error answers and the switcher in English and Spanish.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

async fn page_in(app: &TestApp, path: &str, accept: &str, cookie: Option<&str>) -> String {
    let mut req = app
        .http
        .get(app.url(path))
        .header("accept", "text/html")
        .header("accept-language", accept);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let r = req.send().await.expect("page");
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.text().await.unwrap_or_default()
}

#[tokio::test]
async fn pages_speak_the_browsers_language_until_the_visitor_picks_another() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let lamp = app.product(&admin, "Lamp", "home", 8999, 2).await;
    let id = lamp["id"].as_str().expect("id").to_owned();

    let es = page_in(&app, &format!("/products/{id}"), "es-MX,es;q=0.9", None).await;
    assert!(es.contains("<html lang=\"es\">"), "{es}");
    assert!(es.contains("89,99\u{a0}€"), "Spanish money");
    // Two left is low stock: "only 2 left".
    assert!(es.contains("Solo quedan 2") && es.contains("Añadir al carrito"));
    assert!(es.contains("Lamp"), "product texts stay as written");
    let en = page_in(&app, &format!("/products/{id}"), "en-GB", None).await;
    assert!(
        en.contains("<html lang=\"en\">") && en.contains("€89.99") && en.contains("Add to cart")
    );
    let fallback = page_in(&app, "/products", "fr-FR,de;q=0.8", None).await;
    assert!(
        fallback.contains("<html lang=\"en\">"),
        "the shop's default"
    );

    // The switcher: a plain form back to the page it was on, remembered.
    let r = app
        .http
        .post(app.url("/locale"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("referer", app.url("/products/home?offset=0"))
        .body("lang=es")
        .send()
        .await
        .expect("switch");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/products/home?offset=0");
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_owned();
    assert!(cookie.starts_with("tienda_lang=es"), "{cookie}");
    let chosen = page_in(&app, "/cart", "en-US", Some("tienda_lang=es")).await;
    assert!(
        chosen.contains("Tu carrito"),
        "the cookie beats the browser"
    );
    let r = app
        .http
        .post(app.url("/locale"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("lang=en")
        .send()
        .await
        .expect("switch");
    assert_eq!(
        r.headers()["location"],
        "/products",
        "no page to go back to"
    );
    let r = app
        .http
        .post(app.url("/locale"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("referer", "https://elsewhere.example/phish")
        .body("lang=en")
        .send()
        .await
        .expect("switch");
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "another site's form is refused"
    );
    app.post("/locale", None, json!({"lang": "fr"}))
        .await
        .assert_problem(422, "validation_failed");
    let ok = app.post("/locale", None, json!({"lang": "es"})).await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn error_titles_speak_the_visitors_language_while_codes_stay_english() {
    let app = spawn_app().await;
    let missing = "/products/00000000-0000-4000-8000-000000000000";
    let r = app
        .http
        .get(app.url(missing))
        .header("accept-language", "es")
        .send()
        .await
        .expect("sent");
    let answer = TestApp::answer(r).await;
    let body = answer.assert_problem(404, "product_not_found");
    assert_eq!(body["title"], "Producto no encontrado");
    let english = app.get(missing, None).await;
    assert_eq!(english.body["title"], "Product not found");
    let page = app
        .http
        .get(app.url(missing))
        .header("accept", "text/html")
        .header("accept-language", "es")
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .unwrap_or_default();
    assert!(page.contains("404 Producto no encontrado") && page.contains("Id del error:"));
}

#[tokio::test]
async fn a_shop_may_offer_one_language_only() {
    let app = spawn_app_with(|s| {
        s.shop.locales = vec![tienda::i18n::Locale::Es];
        s.shop.default_locale = tienda::i18n::Locale::Es;
    })
    .await;
    let page = page_in(&app, "/products", "en-US", Some("tienda_lang=en")).await;
    assert!(page.contains("<html lang=\"es\">") && page.contains("Catálogo"));
    app.post("/locale", None, json!({"lang": "en"}))
        .await
        .assert_problem(422, "validation_failed");
}

/// The language cookie a login answer sets, if any.
fn language_set_by(answer: &Answer) -> Option<String> {
    answer
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("tienda_lang="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn the_account_remembers_its_language_for_a_new_device() {
    let app = spawn_app().await;
    let r = app
        .http
        .post(app.url("/auth/register"))
        .header("accept-language", "es")
        .json(&json!({"name": "Lucía", "phone": "600000000", "email": "lucia@example.com", "password": PASSWORD}))
        .send()
        .await
        .expect("register");
    assert_eq!(r.status(), StatusCode::CREATED);
    // A new device, no language picked: the login hands it the account's.
    let login = app.login("lucia@example.com", PASSWORD).await;
    assert_eq!(language_set_by(&login).as_deref(), Some("tienda_lang=es"));
    // She switches to English while logged in: the account follows.
    let token = login.body["token"].as_str().expect("token").to_owned();
    let r = app
        .http
        .post(app.url("/locale"))
        .bearer_auth(&token)
        .json(&json!({"lang": "en"}))
        .send()
        .await
        .expect("switch");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let login = app.login("lucia@example.com", PASSWORD).await;
    assert_eq!(language_set_by(&login).as_deref(), Some("tienda_lang=en"));
    // A device that picked one keeps it.
    let r = app
        .http
        .post(app.url("/auth/login"))
        .header("cookie", "tienda_lang=es")
        .json(&json!({"email": "lucia@example.com", "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(language_set_by(&TestApp::answer(r).await), None);
}

/// `POST path` with `body` and, if given, `Accept-Language: lang`.
async fn post_in(app: &TestApp, path: &str, lang: Option<&str>, body: Value) -> Answer {
    let mut req = app.http.post(app.url(path)).json(&body);
    if let Some(lang) = lang {
        req = req.header("accept-language", lang);
    }
    TestApp::answer(req.send().await.expect("sent")).await
}

#[tokio::test]
async fn error_details_and_field_messages_speak_the_visitors_language() {
    let app = spawn_app().await;
    let bad =
        json!({"name": " ", "phone": "+34 600 123 456", "email": "ana@", "password": "short"});

    let es = post_in(&app, "/auth/register", Some("es-ES,es;q=0.9"), bad.clone()).await;
    let body = es.assert_problem(422, "validation_failed");
    assert_eq!(body["title"], "Datos no válidos");
    assert_eq!(body["detail"], "valor no válido en email, name, password");
    assert_eq!(body["errors"]["name"], json!(["no debe estar vacío"]));
    assert_eq!(
        body["errors"]["email"],
        json!(["debe ser una dirección de correo válida, como nombre@example.com"])
    );
    assert_eq!(
        body["errors"]["password"],
        json!(["debe tener al menos 8 caracteres"])
    );

    let en = post_in(&app, "/auth/register", None, bad).await;
    let body = en.assert_problem(422, "validation_failed");
    assert_eq!(body["detail"], "invalid value for email, name, password");
    assert_eq!(body["errors"]["name"], json!(["must not be empty"]));
    assert_eq!(
        body["errors"]["email"],
        json!(["must be a valid email address such as name@example.com"])
    );
    assert_eq!(
        body["errors"]["password"],
        json!(["must be at least 8 characters"])
    );

    let id = "00000000-0000-4000-8000-000000000000";
    let missing = format!("/products/{id}");
    let r = app
        .http
        .get(app.url(&missing))
        .header("accept-language", "es")
        .send()
        .await
        .expect("sent");
    let es = TestApp::answer(r).await;
    assert_eq!(
        es.assert_problem(404, "product_not_found")["detail"],
        format!("el producto {id} no existe")
    );
    let en = app.get(&missing, None).await;
    assert_eq!(
        en.assert_problem(404, "product_not_found")["detail"],
        format!("product {id} does not exist")
    );
    // The picked language beats the browser's, and the error page says the same.
    let page = app
        .http
        .get(app.url(&missing))
        .header("accept", "text/html")
        .header("accept-language", "en-US")
        .header("cookie", "tienda_lang=es")
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .unwrap_or_default();
    assert!(
        page.contains(&format!("el producto {id} no existe")),
        "{page}"
    );
}
