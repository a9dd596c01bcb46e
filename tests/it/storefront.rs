//! The storefront in Chromium as customers meet it: both languages, with and
//! without JavaScript, on a phone and a desktop, by keyboard alone, and
//! checked by axe-core on every page.

use std::time::Duration;

use fantoccini::key::Key;
use serde_json::{json, Value};

use crate::browser::{browser, browser_with, Browser};
use crate::helpers::*;

/// Waits until `script` (returning a boolean) is true.
async fn wait_until(b: &Browser, script: &str, what: &str) {
    for _ in 0..100 {
        if matches!(
            b.client.execute(script, vec![]).await,
            Ok(Value::Bool(true))
        ) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never true: {what}");
}

/// Picks `lang` with the switcher at the foot of the page.
async fn switch_language(b: &Browser, lang: &str) {
    b.find("#language-select")
        .await
        .select_by_value(lang)
        .await
        .expect("select language");
    b.click("#language-form button[type=submit]").await;
    wait_until(
        b,
        &format!("return document.documentElement.lang === '{lang}' && document.readyState === 'complete';"),
        "the page in the picked language",
    )
    .await;
}

/// A guest fills a cart, registers, finds it merged and checks out, in
/// `lang`, with JavaScript on or off.
async fn guest_registers_and_checks_out(javascript: bool, lang: &str, placed: &str) {
    let app = spawn_app_with(|s| s.store.demo_catalog = true).await;
    let product = app.get("/products", None).await.body["items"][0].clone();
    let id = product["id"].as_str().expect("id").to_owned();
    let name = product["name"].as_str().unwrap_or_default().to_owned();
    let b = browser_with(javascript).await;
    b.goto(&app.url(&format!("/products/{id}"))).await;
    // The page's own script ran, or did not (WebDriver's scripts run either
    // way): without it every step below is a plain form post.
    let app_js = b
        .client
        .execute("return typeof window.submitApiForm;", vec![])
        .await
        .expect("webdriver script");
    let expected = if javascript { "function" } else { "undefined" };
    assert_eq!(app_js, json!(expected), "static/app.js ran: {javascript}");
    switch_language(&b, lang).await;
    b.fill("#quantity", "2").await;
    b.click("#add-to-cart button[type=submit]").await;
    b.wait_url("/cart").await;
    b.wait_text("#cart-lines", &name).await;
    assert_eq!(
        b.text("#cart-badge").await,
        "2",
        "the header counts the cart"
    );

    b.register(&app, "Lucía Gómez", "lucia@example.com").await;
    assert!(b.text("#who").await.contains("Lucía Gómez"));
    b.goto(&app.url("/cart")).await;
    b.wait_text("#cart-lines", &name).await;
    let qty = b.find("#cart-lines input[name=quantity]").await;
    assert_eq!(qty.prop("value").await.expect("value"), Some("2".into()));
    assert_eq!(
        b.client
            .execute("return document.documentElement.lang;", vec![])
            .await
            .expect("lang"),
        json!(lang),
        "the language stays picked after registering"
    );

    b.check_out_to("Calle del Prado 5").await;
    let url = b.wait_url("/orders/").await;
    let number = b.text("#order-number").await;
    assert!(url.ends_with(&number), "{url} vs {number}");
    assert_eq!(b.text("#order-status").await, placed);
    let total = b.text("#order-total").await;
    assert!(total.contains('€'), "{total}");
    b.close().await;
}

#[tokio::test]
async fn without_javascript_a_guest_registers_and_checks_out_in_english() {
    guest_registers_and_checks_out(false, "en", "awaiting payment").await;
}

#[tokio::test]
async fn without_javascript_a_guest_registers_and_checks_out_in_spanish() {
    guest_registers_and_checks_out(false, "es", "pendiente de pago").await;
}

#[tokio::test]
async fn with_javascript_a_guest_registers_and_checks_out_in_spanish() {
    guest_registers_and_checks_out(true, "es", "pendiente de pago").await;
}

#[tokio::test]
async fn without_javascript_a_wrong_password_shows_the_login_form_again() {
    let app = spawn_app().await;
    app.register("Known", "known@example.com").await;
    let b = browser_with(false).await;
    b.goto(&app.url("/")).await;
    let app_js = b
        .client
        .execute("return typeof window.submitApiForm;", vec![])
        .await
        .expect("webdriver script");
    assert_eq!(app_js, json!("undefined"), "static/app.js is off");
    b.fill("#login-email", "known@example.com").await;
    b.fill("#login-password", "not-the-password").await;
    b.click("#login-form button[type=submit]").await;
    b.wait_text("#login-form .form-error", "Error id:").await;
    let email = b.find("#login-email").await;
    assert_eq!(
        email.prop("value").await.expect("value"),
        Some("known@example.com".into())
    );
    assert_eq!(
        b.find("#login-password")
            .await
            .prop("value")
            .await
            .expect("value"),
        Some(String::new()),
        "the password is typed again"
    );
    b.close().await;
}

/// Presses Tab until the focused element matches `css` (at most 80 times).
async fn tab_to(b: &Browser, css: &str) {
    for _ in 0..80 {
        let at = b
            .client
            .execute(
                "return document.activeElement && document.activeElement.matches(arguments[0]);",
                vec![json!(css)],
            )
            .await
            .expect("focus");
        if at == json!(true) {
            // Keyboard focus is visible.
            let outline = b
                .client
                .execute(
                    "return getComputedStyle(document.activeElement).outlineStyle;",
                    vec![],
                )
                .await
                .expect("outline");
            assert_ne!(outline, json!("none"), "{css} shows its focus");
            return;
        }
        press(b, Key::Tab).await;
    }
    panic!("Tab never reached {css}");
}

async fn press(b: &Browser, key: Key) {
    // Right after a navigation the focused element can belong to the page
    // being replaced: ask again.
    let mut last = None;
    for _ in 0..20 {
        let focused = b.client.active_element().await.expect("focused element");
        match focused.send_keys(&char::from(key).to_string()).await {
            Ok(()) => return,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("key never pressed: {last:?}");
}

/// Waits until the page at a URL containing `fragment` has loaded.
async fn arrive(b: &Browser, fragment: &str) {
    b.wait_url(fragment).await;
    wait_until(
        b,
        "return document.readyState === 'complete';",
        "the page loaded",
    )
    .await;
}

async fn type_text(b: &Browser, text: &str) {
    let focused = b.client.active_element().await.expect("focused element");
    focused.send_keys(text).await.expect("type");
}

#[tokio::test]
async fn a_keyboard_alone_buys_a_product() {
    let app = spawn_app_with(|s| s.store.demo_catalog = true).await;
    let product = app.get("/products", None).await.body["items"][0].clone();
    let name = product["name"].as_str().unwrap_or_default().to_owned();
    let b = browser().await;
    b.goto(&app.url("/products")).await;

    // The skip link comes first, then the catalog's first product.
    tab_to(&b, "a.skip").await;
    press(&b, Key::Enter).await;
    tab_to(
        &b,
        &format!(
            ".card a[href='/products/{}']",
            product["id"].as_str().expect("id")
        ),
    )
    .await;
    press(&b, Key::Enter).await;
    b.wait_text("h1", &name).await;
    arrive(&b, "/products/").await;
    tab_to(&b, "#add-to-cart button[type=submit]").await;
    press(&b, Key::Enter).await;
    arrive(&b, "/cart").await;

    for (field, text) in [
        ("#address-name", "Rui Keys"),
        ("#address-line1", "Rua Augusta 10"),
        ("#address-postal-code", "1100-053"),
        ("#address-city", "Lisboa"),
    ] {
        tab_to(&b, field).await;
        type_text(&b, text).await;
    }
    tab_to(&b, "#address-country").await;
    // Select what the field holds (the shop's country) and type over it.
    press(&b, Key::End).await;
    press(&b, Key::Backspace).await;
    press(&b, Key::Backspace).await;
    type_text(&b, "PT").await;
    tab_to(&b, "#address-form button[type=submit]").await;
    press(&b, Key::Enter).await;
    b.wait_text("#saved-address", "Rua Augusta 10").await;
    tab_to(&b, "#guest-email").await;
    type_text(&b, "keys@example.com").await;
    tab_to(&b, "#checkout").await;
    press(&b, Key::Enter).await;
    arrive(&b, "/orders/").await;
    assert!(b.text("main").await.contains(&name));
    b.close().await;
}

/// Where axe-core's script is: `TIENDA_TEST_AXE`, else where scripts/test.sh
/// installs it.
fn axe_source() -> String {
    let path = std::env::var("TIENDA_TEST_AXE").unwrap_or_else(|_| {
        format!(
            "{}/target/npm/node_modules/axe-core/axe.min.js",
            env!("CARGO_MANIFEST_DIR")
        )
    });
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("axe-core at {path}: {e} (scripts/test.sh installs it with npm)")
    })
}

/// Serious and critical axe-core violations on the open page.
async fn axe_violations(b: &Browser, axe: &str) -> Value {
    b.client
        .execute(axe, vec![])
        .await
        .expect("inject axe-core");
    b.client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
               .then(r => done(r.violations
                 .filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => ({ id: v.id, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')) }))))
               .catch(e => done([{ id: 'axe-failed', help: String(e) }]));",
            vec![],
        )
        .await
        .expect("axe.run")
}

/// What a phone-width page must not have: horizontal scrolling, and tap
/// targets under 44 px (controls and navigation links).
const PHONE_CHECK: &str = "
  const doc = document.documentElement;
  const problems = [];
  if (doc.scrollWidth > doc.clientWidth) problems.push('scrolls sideways: ' + doc.scrollWidth + ' > ' + doc.clientWidth);
  const targets = document.querySelectorAll('button, select, textarea, input:not([type=hidden]):not([type=checkbox]), header a, nav a, .paging a, footer a');
  for (const el of targets) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || el.closest('[hidden]') || el.classList.contains('skip')) continue;
    if (r.height < 44 || r.width < 44) problems.push((el.id || el.tagName + '.' + el.className) + ' is ' + Math.round(r.width) + 'x' + Math.round(r.height));
  }
  return problems;";

#[tokio::test]
async fn every_page_passes_axe_fits_a_phone_and_is_screenshotted_in_both_languages() {
    let app = spawn_app_with(|s| s.store.demo_catalog = true).await;
    let axe = axe_source();
    let admin = app.admin().await;
    let _ = &admin;
    let customer = app.customer("carla@example.com").await;
    let products = app.get("/products", None).await.body["items"].clone();
    let id = products[0]["id"].as_str().expect("id").to_owned();
    let category = products[0]["category"]
        .as_str()
        .expect("category")
        .to_owned();
    // An order, a chat message and a cart, so no page is empty.
    let line = json!({ "product_id": id, "quantity": 1 });
    app.post("/cart", Some(&admin), line.clone()).await;
    app.put(
        "/cart/address",
        Some(&admin),
        json!({ "delivery_address": "Calle Mayor 1, Madrid" }),
    )
    .await;
    let order = app.post("/orders", Some(&admin), json!(null)).await;
    let number = order.body["number"].to_string();
    app.post("/cart", Some(&admin), line).await;
    app.post(
        "/cart",
        Some(&customer),
        json!({ "product_id": id, "quantity": 2 }),
    )
    .await;

    let shots = format!("{}/screenshots", env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&shots).expect("screenshot folder");
    let anonymous = [
        ("home", "/".to_owned()),
        ("forgot", "/password/forgot".to_owned()),
        ("reset", "/password/reset?token=abc".to_owned()),
    ];
    let signed_in = [
        ("catalog", "/products".to_owned()),
        ("category", format!("/products/{category}")),
        ("product", format!("/products/{id}")),
        ("search", "/search?q=mug".to_owned()),
        ("cart", "/cart".to_owned()),
        ("orders", "/orders".to_owned()),
        ("order", format!("/orders/{number}")),
        ("chat", "/chat".to_owned()),
        ("chat-channel", "/chat/carla@example.com".to_owned()),
        ("admin-products", "/admin/products".to_owned()),
        ("admin-edit", format!("/admin/products/{id}/edit")),
        ("admin-mail", "/admin/mail".to_owned()),
        ("admin-dashboard", "/admin".to_owned()),
        ("admin-catalog-csv", "/admin/catalog".to_owned()),
        ("config", "/config".to_owned()),
        ("account", "/account".to_owned()),
        (
            "not-found",
            "/products/00000000-0000-7000-8000-000000000000".to_owned(),
        ),
    ];

    let b = browser().await;
    let mut failures = Vec::new();
    for lang in ["en", "es"] {
        b.goto(&app.url("/")).await;
        b.client.delete_all_cookies().await.expect("cookies");
        b.goto(&app.url("/")).await;
        switch_language(&b, lang).await;
        for (session, pages) in [(false, &anonymous[..]), (true, &signed_in[..])] {
            if session {
                b.goto(&app.url("/")).await;
                b.fill("#login-email", ADMIN_EMAIL).await;
                b.fill("#login-password", PASSWORD).await;
                b.click("#login-form button[type=submit]").await;
                b.wait_url("/products").await;
            }
            for (name, path) in pages {
                for width in [375u32, 1280] {
                    b.client.set_window_size(width, 900).await.expect("resize");
                    b.goto(&app.url(path)).await;
                    let shown = b
                        .client
                        .execute(
                            "return [document.documentElement.lang, window.innerWidth];",
                            vec![],
                        )
                        .await
                        .expect("page");
                    assert_eq!(shown[0], json!(lang), "{name} in {lang}");
                    assert!(
                        shown[1].as_u64().unwrap_or_default() <= u64::from(width),
                        "{name}: the viewport is {} wide",
                        shown[1]
                    );
                    let png = b.client.screenshot().await.expect("screenshot");
                    std::fs::write(format!("{shots}/{name}-{lang}-{width}.png"), png)
                        .expect("write screenshot");
                    let violations = axe_violations(&b, &axe).await;
                    if violations.as_array().is_none_or(|v| !v.is_empty()) {
                        failures.push(format!("{name} {lang} {width}px axe: {violations}"));
                    }
                    if width == 375 {
                        let phone = b
                            .client
                            .execute(PHONE_CHECK, vec![])
                            .await
                            .expect("phone check");
                        if phone.as_array().is_none_or(|p| !p.is_empty()) {
                            failures.push(format!("{name} {lang} 375px: {phone}"));
                        }
                    }
                }
            }
        }
    }
    b.close().await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
