//! The pages' forms as plain HTML form posts (no JavaScript): each one
//! works, and a refused one comes back as its page with what was typed,
//! the message beside its field and the error id.

use reqwest::StatusCode;

use crate::helpers::*;

/// A browser without JavaScript: keeps cookies, does not follow redirects.
pub(crate) struct FormClient<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
}

/// What a form post got back.
pub(crate) struct Posted {
    pub(crate) status: StatusCode,
    pub(crate) location: String,
    pub(crate) page: String,
}

impl<'a> FormClient<'a> {
    pub(crate) fn new(app: &'a TestApp) -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self { app, http }
    }

    pub(crate) async fn post(&self, path: &str, fields: &[(&str, &str)], lang: &str) -> Posted {
        let r = self
            .http
            .post(self.app.url(path))
            .header("origin", self.app.base.clone())
            .header("accept", "text/html")
            .header("accept-language", lang)
            .form(fields)
            .send()
            .await
            .expect("form post");
        let status = r.status();
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let page = r.text().await.unwrap_or_default();
        Posted {
            status,
            location,
            page,
        }
    }

    pub(crate) async fn page(&self, path: &str, lang: &str) -> (StatusCode, String) {
        let r = self
            .http
            .get(self.app.url(path))
            .header("accept", "text/html")
            .header("accept-language", lang)
            .send()
            .await
            .expect("page");
        (r.status(), r.text().await.unwrap_or_default())
    }
}

/// The refused page shows an error id (a UUID) after `label`.
fn assert_error_id(page: &str, label: &str) {
    let at = page
        .find(&format!("{label} "))
        .unwrap_or_else(|| panic!("no {label:?} on the page: {page}"));
    let id: String = page[at + label.len() + 1..].chars().take(36).collect();
    assert!(
        uuid::Uuid::parse_str(&id).is_ok(),
        "error id after {label:?}: {id:?}"
    );
}

#[tokio::test]
async fn refused_entry_forms_come_back_filled_in_with_the_message_and_error_id() {
    let app = spawn_app().await;
    app.register("Known Person", "known@example.com").await;
    let browser = FormClient::new(&app);

    // A wrong password: the login form again, the email kept, never the password.
    let login = browser
        .post(
            "/auth/login",
            &[
                ("email", "known@example.com"),
                ("password", "wrong-password-42"),
            ],
            "en",
        )
        .await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED);
    assert!(login.page.contains("id=\"login-form\""), "{}", login.page);
    assert!(login.page.contains("value=\"known@example.com\""));
    assert!(
        !login.page.contains("wrong-password-42"),
        "the password is not echoed"
    );
    assert!(login.page.contains("the email or the password is wrong"));
    assert_error_id(&login.page, "Error id:");

    // A taken email: the field says so, the rest is as typed; in Spanish.
    let register = browser
        .post(
            "/auth/register",
            &[
                ("name", "Ana Repetida"),
                ("phone", "+34 600 123 456"),
                ("email", "known@example.com"),
                ("password", PASSWORD),
            ],
            "es",
        )
        .await;
    assert_eq!(register.status, StatusCode::CONFLICT);
    assert!(register.page.contains("<html lang=\"es\">"));
    assert!(register.page.contains("value=\"Ana Repetida\""));
    assert!(register.page.contains("id=\"register-email-error\""));
    assert!(register.page.contains("aria-invalid=\"true\""));
    assert_error_id(&register.page, "Id del error:");

    // A form that does not even decode is shown again too, not an error page.
    let forgot = browser
        .post("/auth/password/forgot", &[("email", "not-an-email")], "en")
        .await;
    assert_eq!(forgot.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        forgot.page.contains("id=\"forgot-email-error\""),
        "{}",
        forgot.page
    );
    assert!(forgot.page.contains("value=\"not-an-email\""));
    let sent = browser
        .post(
            "/auth/password/forgot",
            &[("email", "known@example.com")],
            "en",
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let (_, notice) = browser.page(&sent.location, "en").await;
    assert!(notice.contains("a reset link is on its way"), "{notice}");

    let reset = browser
        .post(
            "/auth/password/reset",
            &[("token", "not-a-real-token"), ("password", PASSWORD)],
            "en",
        )
        .await;
    assert!(reset.status.is_client_error(), "{}", reset.status);
    assert!(reset.page.contains("id=\"reset-form\""));
    assert!(
        reset.page.contains("value=\"not-a-real-token\""),
        "the link's token stays"
    );
    assert_error_id(&reset.page, "Error id:");

    // Registration that works logs straight in.
    let fresh = browser
        .post(
            "/auth/register",
            &[
                ("name", "New Person"),
                ("phone", "+34 600 123 457"),
                ("email", "new@example.com"),
                ("password", PASSWORD),
            ],
            "en",
        )
        .await;
    assert_eq!(fresh.status, StatusCode::SEE_OTHER, "{}", fresh.page);
    let (_, catalog) = browser.page("/products", "en").await;
    assert!(
        catalog.contains("New Person"),
        "logged in: the header names them"
    );
}

#[tokio::test]
async fn a_guest_buys_with_plain_forms_and_refusals_keep_the_cart_page() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let product = app.product(&admin, "Clay Pot", "garden", 1250, 3).await;
    let id = product["id"].as_str().expect("id");
    let browser = FormClient::new(&app);

    // More than the stock: the product page again, the quantity as typed.
    let greedy = browser
        .post("/cart", &[("product_id", id), ("quantity", "9")], "en")
        .await;
    assert!(greedy.status.is_client_error(), "{}", greedy.status);
    assert!(
        greedy.page.contains("id=\"add-to-cart\""),
        "{}",
        greedy.page
    );
    assert!(greedy.page.contains("value=\"9\""));
    assert!(greedy.page.contains("Clay Pot"));
    assert_error_id(&greedy.page, "Error id:");
    let typo = browser
        .post("/cart", &[("product_id", id), ("quantity", "two")], "en")
        .await;
    assert_eq!(
        typo.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        typo.page
    );
    assert!(typo.page.contains("value=\"two\""));

    let added = browser
        .post("/cart", &[("product_id", id), ("quantity", "2")], "en")
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.page);
    assert_eq!(added.location, "/cart");
    let (_, cart) = browser.page("/cart", "en").await;
    assert!(cart.contains("Clay Pot"));
    assert!(cart.contains("id=\"cart-badge\">2<"), "the badge counts 2");

    // A line's quantity beyond stock: that line says why.
    let line = format!("/cart/{id}");
    let over = browser.post(&line, &[("quantity", "7")], "en").await;
    assert!(over.status.is_client_error(), "{}", over.status);
    assert!(over.page.contains("id=\"cart-lines\""));
    assert_error_id(&over.page, "Error id:");
    let changed = browser.post(&line, &[("quantity", "3")], "en").await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);

    // An address without a city and in no country: the cart again, with
    // what was typed and each bad part named.
    let mut parts = vec![
        ("name", "Ana Guest"),
        ("line1", "Calle Mayor 1"),
        ("postal_code", "28013"),
        ("city", ""),
        ("country", "XX"),
    ];
    let short = browser.post("/cart/address", &parts, "en").await;
    assert_eq!(
        short.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        short.page
    );
    assert!(short.page.contains("value=\"Calle Mayor 1\""));
    assert!(short.page.contains("value=\"XX\""));
    assert!(short.page.contains("id=\"address-error\""));
    assert!(
        short.page.contains("delivery_address.city"),
        "{}",
        short.page
    );
    assert!(short.page.contains("delivery_address.country"));
    parts[3] = ("city", "Madrid");
    parts[4] = ("country", "es");
    let saved = browser.post("/cart/address", &parts, "en").await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.page);
    // A client's one line of text is still an address, in the shop's country.
    let one_line = browser
        .post(
            "/cart/address",
            &[("delivery_address", "Calle Mayor 1, Madrid")],
            "en",
        )
        .await;
    assert_eq!(one_line.status, StatusCode::SEE_OTHER);
    let one_line = browser
        .post("/cart/address", &[("delivery_address", "x")], "en")
        .await;
    assert_eq!(one_line.status, StatusCode::UNPROCESSABLE_ENTITY);
    let saved = browser.post("/cart/address", &parts, "en").await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);

    // A guest checkout with a bad email: the cart again, the email as typed.
    let bad = browser.post("/orders", &[("email", "nope")], "en").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.page);
    assert!(bad.page.contains("id=\"checkout-email-error\""));
    assert!(bad.page.contains("value=\"nope\""));
    let placed = browser
        .post("/orders", &[("email", "guest@example.com")], "en")
        .await;
    assert_eq!(placed.status, StatusCode::SEE_OTHER, "{}", placed.page);
    assert!(
        placed.location.starts_with("/orders/"),
        "{}",
        placed.location
    );
    let (status, order) = browser.page(&placed.location, "en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        order.contains("Clay Pot") && order.contains("guest@example.com"),
        "{order}"
    );
    let (_, empty) = browser.page("/cart", "en").await;
    assert!(empty.contains("id=\"cart-badge\">0<"));

    // The remove button is a form too.
    let again = browser
        .post("/cart", &[("product_id", id), ("quantity", "0")], "en")
        .await;
    assert!(
        again.status.is_client_error(),
        "0 units is refused: {}",
        again.status
    );
}

#[tokio::test]
async fn the_remove_button_removes_the_line_without_javascript() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let product = app.product(&admin, "Bird Bath", "garden", 3000, 5).await;
    let id = product["id"].as_str().expect("id");
    let browser = FormClient::new(&app);
    let added = browser
        .post("/cart", &[("product_id", id), ("quantity", "1")], "en")
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let removed = browser
        .post(&format!("/cart/{id}"), &[("quantity", "0")], "en")
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let (_, cart) = browser.page("/cart", "en").await;
    assert!(!cart.contains("Bird Bath"), "the line is gone");
    assert!(cart.contains("Your cart is empty"));
}
