//! Pages driven in headless Chromium through ChromeDriver.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::helpers::*;

/// A browser session; owns a ChromeDriver process when the test script did
/// not provide one in `TIENDA_TEST_CHROMEDRIVER`.
pub(crate) struct Browser {
    pub(crate) client: Client,
    _driver: Option<DriverProcess>,
    _profile: tempfile::TempDir,
}

struct DriverProcess(Child);

impl Drop for DriverProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) async fn browser() -> Browser {
    browser_with(true).await
}

/// A browser session with JavaScript on or off.
pub(crate) async fn browser_with(javascript: bool) -> Browser {
    let (url, driver) = match std::env::var("TIENDA_TEST_CHROMEDRIVER") {
        Ok(url) => (url, None),
        Err(_) => {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .expect("port");
            let child = Command::new("chromedriver")
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("chromedriver (apt-get install chromium-driver, or run scripts/test.sh)");
            tokio::time::sleep(Duration::from_millis(500)).await;
            (
                format!("http://127.0.0.1:{port}"),
                Some(DriverProcess(child)),
            )
        }
    };
    let profile = tempfile::tempdir().expect("profile dir");
    let caps = json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--window-size=1280,1000",
                     format!("--user-data-dir={}", profile.path().display())],
            // 2 blocks scripts: the shop's forms must work as plain HTML.
            "prefs": { "profile.managed_default_content_settings.javascript": if javascript { 1 } else { 2 } }
        }
    });
    let caps = caps.as_object().cloned().expect("caps");
    let mut last = None;
    for _ in 0..20 {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(client) => {
                return Browser {
                    client,
                    _driver: driver,
                    _profile: profile,
                }
            }
            Err(e) => {
                last = Some(e);
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    }
    panic!("no browser session: {last:?}");
}

impl Browser {
    pub(crate) async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
    }

    pub(crate) async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
    }

    pub(crate) async fn fill(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        el.clear().await.expect("clear");
        el.send_keys(text).await.expect("type");
    }

    pub(crate) async fn click(&self, css: &str) {
        self.find(css).await.click().await.expect("click");
    }

    pub(crate) async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("text")
    }

    pub(crate) async fn wait_url(&self, fragment: &str) -> String {
        for _ in 0..100 {
            let url = self.client.current_url().await.expect("url").to_string();
            if url.contains(fragment) {
                return url;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("never reached a URL with {fragment}");
    }

    /// Waits until `css` has text containing `needle`.
    pub(crate) async fn wait_text(&self, css: &str, needle: &str) {
        for _ in 0..100 {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                if el.text().await.unwrap_or_default().contains(needle) {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} never showed {needle:?}");
    }

    pub(crate) async fn register(&self, app: &TestApp, name: &str, email: &str) {
        self.goto(&app.url("/")).await;
        self.fill("#register-form input[name=name]", name).await;
        self.fill("#register-form input[name=phone]", "+34 600 111 222")
            .await;
        self.fill("#register-form input[name=email]", email).await;
        self.fill("#register-form input[name=password]", PASSWORD)
            .await;
        self.click("#register-form button[type=submit]").await;
        self.wait_url("/products").await;
    }

    /// On the cart page: fills the address form (`street` in Madrid) and
    /// saves it, then waits for the page to come back showing it.
    pub(crate) async fn save_address(&self, street: &str) {
        self.fill("#address-name", "Marta García").await;
        self.fill("#address-line1", street).await;
        self.fill("#address-postal-code", "28014").await;
        self.fill("#address-city", "Madrid").await;
        self.fill("#address-country", "ES").await;
        self.click("#address-form button[type=submit]").await;
        self.wait_text("#saved-address", street).await;
    }

    /// True once `script` (a function body) returns true, within 10 seconds.
    pub(crate) async fn wait_for(&self, script: &str) -> bool {
        for _ in 0..100 {
            let state = self.client.execute(script, vec![]).await;
            if matches!(state, Ok(serde_json::Value::Bool(true))) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// On the cart page: saves an address at `street`, waits for checkout
    /// to open, and places the order.
    pub(crate) async fn check_out_to(&self, street: &str) {
        self.save_address(street).await;
        let ready = "const c = document.getElementById('checkout');
             return !!c && !c.disabled && document.readyState === 'complete';";
        assert!(
            self.wait_for(ready).await,
            "address saved and checkout enabled"
        );
        self.click("#checkout").await;
    }

    pub(crate) async fn close(self) {
        let _ = self.client.close().await;
    }
}

#[tokio::test]
async fn the_product_page_shows_photo_and_a_quantity_selector_bounded_by_stock() {
    let app = spawn_app_with(|s| s.store.demo_catalog = true).await;
    let product = app.get("/products", None).await.body["items"][0].clone();
    let b = browser().await;
    b.goto(&app.url(&format!(
        "/products/{}",
        product["id"].as_str().expect("id")
    )))
    .await;
    assert_eq!(b.text("h1").await, product["name"].as_str().expect("name"));
    let qty = b.find("#quantity").await;
    assert_eq!(
        qty.attr("max").await.expect("max"),
        Some(product["stock"].to_string())
    );
    assert_eq!(qty.attr("min").await.expect("min"), Some("1".into()));
    assert_eq!(qty.attr("type").await.expect("type"), Some("number".into()));
    let width = b
        .client
        .execute(
            "return document.getElementById('product-photo').naturalWidth;",
            vec![],
        )
        .await
        .expect("script");
    assert!(
        width.as_u64().unwrap_or_default() > 0,
        "the photo loaded: {width}"
    );
    b.close().await;
}

#[tokio::test]
async fn a_guest_fills_a_cart_registers_finds_it_merged_and_checks_out() {
    let app = spawn_app_with(|s| s.store.demo_catalog = true).await;
    let product = app.get("/products", None).await.body["items"][0].clone();
    let id = product["id"].as_str().expect("id").to_owned();
    let name = product["name"].as_str().unwrap_or_default().to_owned();
    let b = browser().await;

    // No account yet: the cart fills all the same.
    b.goto(&app.url(&format!("/products/{id}"))).await;
    b.fill("#quantity", "2").await;
    b.click("#add-to-cart button[type=submit]").await;
    b.wait_url("/cart").await;
    b.wait_text("#cart-lines", &name).await;
    b.find("#guest-checkout").await;

    b.register(&app, "Lucía Gómez", "lucia@example.com").await;
    assert!(
        b.text("#who").await.contains("Lucía Gómez"),
        "name in the header"
    );
    assert!(b.text("main").await.contains(&name), "catalog shown");

    // The guest's cart is now the account's.
    b.goto(&app.url("/cart")).await;
    b.wait_text("#cart-lines", &name).await;
    let qty = b.find("#cart-lines input[name=quantity]").await;
    assert_eq!(qty.prop("value").await.expect("value"), Some("2".into()));

    b.check_out_to("Calle del Prado 5, Madrid").await;
    let url = b.wait_url("/orders/").await;
    let number = b.text("#order-number").await;
    assert!(url.ends_with(&number), "{url} vs {number}");
    assert_eq!(b.text("#order-status").await, "awaiting payment");
    let expected_total =
        tienda::templates::format_money(product["price"].as_i64().unwrap_or_default() * 2);
    assert!(b.text("#order-total").await.contains(&expected_total));

    b.goto(&app.url("/orders")).await;
    assert!(
        b.text("#orders").await.contains(&number),
        "the order is in my orders"
    );
    b.click("#logout").await;
    b.wait_url("/").await;
    b.find("#login-form").await;
    b.close().await;
}

#[tokio::test]
async fn admins_create_products_in_the_admin_pages_and_see_the_config() {
    let app = spawn_app_with(|s| {
        s.auth.jwt_secret = tienda::config::Secret::new("browser-test-signing-secret-0123456789")
    })
    .await;
    let b = browser().await;
    b.register(&app, "Boss", ADMIN_EMAIL).await;
    b.goto(&app.url("/admin/products")).await;
    b.fill("#p-name", "Hand-made Basket").await;
    b.fill("#p-description", "Woven willow basket").await;
    b.fill("#p-category", "home").await;
    b.fill("#p-price", "2450").await;
    b.fill("#p-stock", "4").await;
    b.click("#new-product button[type=submit]").await;
    b.wait_url("/products/").await;
    assert_eq!(b.text("h1").await, "Hand-made Basket");
    b.goto(&app.url("/products")).await;
    assert!(b.text("main").await.contains("Hand-made Basket"));
    assert!(b.text("main").await.contains("24.50"));

    // Validation errors show in the form with their error id.
    b.goto(&app.url("/admin/products")).await;
    b.fill("#p-name", "Bad").await;
    b.fill("#p-category", "Not Valid!").await;
    b.fill("#p-price", "1").await;
    b.fill("#p-stock", "1").await;
    b.click("#new-product button[type=submit]").await;
    b.wait_text("#new-product .form-error", "Error id:").await;
    assert!(b
        .text("#new-product .form-error")
        .await
        .contains("category"));

    b.goto(&app.url("/config")).await;
    let page = b.text("main").await;
    assert!(
        page.contains("session.ttl")
            && page.contains("server.port")
            && page.contains("mail.notify")
    );
    assert!(page.contains("***"));
    assert!(!page.contains("browser-test-signing-secret"));
    b.close().await;
}

#[tokio::test]
async fn a_customer_and_staff_talk_on_the_chat_pages() {
    let app = spawn_app().await;
    let customer = browser().await;
    let staff = browser().await;
    customer.register(&app, "Marta", "marta@example.com").await;
    staff.register(&app, "Support", ADMIN_EMAIL).await;
    staff.goto(&app.url("/chat")).await;
    customer.goto(&app.url("/chat")).await;
    for b in [&customer, &staff] {
        for _ in 0..50 {
            if b.find("#chat")
                .await
                .attr("data-connected")
                .await
                .expect("attr")
                .as_deref()
                == Some("true")
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    customer
        .fill("#chat-body", "Do you ship to Portugal?")
        .await;
    customer.click("#chat-send").await;
    staff
        .wait_text("#messages", "Do you ship to Portugal?")
        .await;
    assert!(
        staff.text("#messages").await.contains("marta@example.com"),
        "staff see the email"
    );

    // Staff choose the reply email from the list.
    let select = staff.find("#chat-to").await;
    select
        .select_by_value("marta@example.com")
        .await
        .expect("choose recipient");
    staff.fill("#chat-body", "Yes, in 3 days.").await;
    staff.click("#chat-send").await;
    customer.wait_text("#messages", "Yes, in 3 days.").await;

    // Her own channel shows both, after a reload too.
    customer.goto(&app.url("/chat/marta@example.com")).await;
    customer
        .wait_text("#messages", "Do you ship to Portugal?")
        .await;
    customer.wait_text("#messages", "Yes, in 3 days.").await;
    customer.close().await;
    staff.close().await;
}

#[tokio::test]
async fn search_box_suggests_and_the_results_page_filters_sorts_and_pages() {
    let app = spawn_app_with(|s| s.store.demo_catalog = true).await;
    let admin = app.admin().await;
    for (name, price) in [
        ("Paper lantern", 1500),
        ("Camping lantern", 3500),
        ("Storm lantern", 9900),
    ] {
        app.product(&admin, name, "lighting", price, 5).await;
    }
    // The index follows writes within a second.
    let start = std::time::Instant::now();
    while app.get("/search?q=lantern", None).await.body["total"] != 3 {
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "not indexed within 1 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let b = browser().await;
    b.goto(&app.url("/products")).await;
    // Three letters typed: suggestions appear; picking one opens the product.
    b.fill("#search-q", "hea").await;
    b.wait_text("#search-suggestions", "Wireless Headphones")
        .await;
    b.click("#search-suggestions a").await;
    b.wait_url("/products/").await;
    assert_eq!(b.text("h1").await, "Wireless Headphones");

    // A search, then a facet, a sort by price and the next page.
    b.fill("#search-q", "lantern").await;
    b.click("form.search button[type=submit]").await;
    b.wait_url("/search?q=lantern").await;
    b.wait_text("p.total", "3 products").await;
    b.click("nav.facets a[href*='category=lighting']").await;
    b.wait_url("category=lighting").await;
    let sort = b.find("select[name=sort]").await;
    sort.select_by_value("price_desc").await.expect("sort");
    b.click("form.search-filters button[type=submit]").await;
    b.wait_url("sort=price_desc").await;
    let first = b.text("ul.grid li.card .name").await;
    assert_eq!(first, "Storm lantern", "dearest first");
    b.goto(&app.url("/search?q=lantern&sort=price_asc&limit=2"))
        .await;
    assert_eq!(b.text("ul.grid li.card .name").await, "Paper lantern");
    b.click("p.paging a").await;
    b.wait_url("offset=2").await;
    assert_eq!(b.text("ul.grid li.card .name").await, "Storm lantern");
    b.close().await;
}

#[tokio::test]
async fn a_guest_checks_out_without_an_account_and_lands_on_the_order() {
    let app = spawn_app_with(|s| s.store.demo_catalog = true).await;
    let product = app.get("/products", None).await.body["items"][0].clone();
    let id = product["id"].as_str().expect("id").to_owned();
    let b = browser().await;
    b.goto(&app.url(&format!("/products/{id}"))).await;
    b.click("#add-to-cart button[type=submit]").await;
    b.wait_url("/cart").await;
    // The page reloads with the address kept and the guest's checkout open.
    b.save_address("Calle del Prado 5").await;
    b.fill("#guest-email", "guest@example.com").await;
    b.click("#checkout").await;
    let url = b.wait_url("token=").await;
    let number = b.text("#order-number").await;
    assert!(url.contains(&format!("/orders/{number}?token=")), "{url}");
    assert_eq!(b.text("#order-status").await, "awaiting payment");
    b.close().await;
}

#[tokio::test]
async fn the_product_page_follows_its_stock_live_and_sold_out_disables_the_button() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let product = app.product(&admin, "Lamp", "home", 1000, 3).await;
    let id = product["id"].as_str().expect("id").to_owned();
    let b = browser().await;
    b.goto(&app.url(&format!("/products/{id}"))).await;
    assert_eq!(b.text("#stock").await, "Only 3 left");
    // The page is connected once the current stock came over the stream.
    b.find("html[data-live-stock=connected]").await;
    let set_stock = |stock: i64| {
        let (app, admin, id) = (&app, &admin, &id);
        async move {
            let r = app
                .put(
                    &format!("/products/{id}"),
                    Some(admin),
                    json!({"name": "Lamp", "category": "home", "price": 1000, "photo_url": "", "stock": stock}),
                )
                .await;
            assert_eq!(r.status, reqwest::StatusCode::OK, "{}", r.text);
        }
    };
    set_stock(12).await;
    b.wait_text("#stock", "12 in stock").await;
    let quantity = b.find("#quantity").await;
    assert_eq!(
        quantity.attr("max").await.expect("max").as_deref(),
        Some("12")
    );
    set_stock(0).await;
    b.wait_text("#stock", "Sold out").await;
    let button = b.find("#add-to-cart button[type=submit]").await;
    assert!(
        !button.is_enabled().await.expect("enabled"),
        "sold out disables the button"
    );
    set_stock(2).await;
    b.wait_text("#stock", "Only 2 left").await;
    assert!(button.is_enabled().await.expect("enabled"), "back in stock");

    // In the cart, the line shows when the stock no longer covers it.
    b.fill("#quantity", "2").await;
    button.click().await.expect("add");
    b.wait_url("/cart").await;
    b.find("html[data-live-stock=connected]").await;
    let line = format!("#cart-lines tr[data-product-id='{id}']");
    assert!(b
        .find(&format!("{line} em.warn"))
        .await
        .text()
        .await
        .expect("text")
        .is_empty());
    set_stock(1).await;
    b.wait_text(&format!("{line} em.warn"), "unavailable: 1 in stock")
        .await;
    assert_eq!(
        b.find(&line)
            .await
            .attr("class")
            .await
            .expect("class")
            .as_deref(),
        Some("unavailable")
    );
    set_stock(5).await;
    for _ in 0..100 {
        let class = b.find(&line).await.attr("class").await.expect("class");
        if class.as_deref() == Some("") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        b.find(&line)
            .await
            .attr("class")
            .await
            .expect("class")
            .as_deref(),
        Some("")
    );
    b.close().await;
}

/// The variant rows of the admin's editor: each row's title and element.
async fn variant_rows(b: &Browser) -> Vec<(String, fantoccini::elements::Element)> {
    let rows = b
        .client
        .find_all(Locator::Css("#variant-rows tr"))
        .await
        .expect("variant rows");
    let mut titled = Vec::new();
    for row in rows {
        let title = row
            .find(Locator::Css("th"))
            .await
            .expect("title cell")
            .text()
            .await
            .expect("title");
        titled.push((title, row));
    }
    titled
}

async fn set_field(row: &fantoccini::elements::Element, field: &str, value: &str) {
    let input = row
        .find(Locator::Css(&format!("[data-field={field}]")))
        .await
        .expect("field");
    input.clear().await.expect("clear");
    input.send_keys(value).await.expect("type");
}

#[tokio::test]
async fn an_admin_sells_sizes_and_colours_and_a_customer_buys_m_blue() {
    let app = spawn_app().await;
    let b = browser().await;
    b.register(&app, "Boss", ADMIN_EMAIL).await;
    b.goto(&app.url("/admin/products")).await;
    b.fill("#p-name", "Linen Shirt").await;
    b.fill("#p-category", "clothing").await;
    b.fill("#p-price", "3000").await;
    b.fill("#p-stock", "0").await;
    b.click("#new-product button[type=submit]").await;
    let url = b.wait_url("/products/").await;
    let id = url.rsplit('/').next().expect("id").to_owned();

    // Two photos, uploaded on the edit page (the files are real JPEGs).
    let files = tempfile::tempdir().expect("temp dir");
    let mut paths = Vec::new();
    for (n, colour) in [(1, [230, 230, 220]), (2, [30, 60, 160])] {
        let path = files.path().join(format!("shirt-{n}.jpg"));
        image::RgbImage::from_pixel(900, 600, image::Rgb(colour))
            .save(&path)
            .expect("write a JPEG");
        paths.push(path.display().to_string());
    }
    b.goto(&app.url(&format!("/admin/products/{id}/edit")))
        .await;
    b.find("#photo-input")
        .await
        .send_keys(&paths.join("\n"))
        .await
        .expect("choose the files");
    b.find("#photo-preview img").await;
    b.click("#photo-upload button[type=submit]").await;
    b.find(".photo-list li:nth-of-type(2)").await;
    let photos = app.get(&format!("/products/{id}"), None).await.body["photos"].clone();
    assert_eq!(photos.as_array().map(Vec::len), Some(2), "{photos}");
    let blue_photo = photos[1]["id"].as_str().expect("photo id").to_owned();

    // Size × Colour, made into six variants, each with its stock.
    b.fill(".option-row:nth-of-type(1) [data-option-name]", "Size")
        .await;
    b.fill(".option-row:nth-of-type(1) [data-option-values]", "S, M, L")
        .await;
    b.fill(".option-row:nth-of-type(2) [data-option-name]", "Colour")
        .await;
    b.fill(
        ".option-row:nth-of-type(2) [data-option-values]",
        "white, blue",
    )
    .await;
    b.click("#make-variants").await;
    let rows = variant_rows(&b).await;
    let titles: Vec<&str> = rows.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        titles,
        [
            "S / white",
            "S / blue",
            "M / white",
            "M / blue",
            "L / white",
            "L / blue"
        ]
    );
    for (title, row) in &rows {
        set_field(row, "stock", "5").await;
        if title == "M / blue" {
            set_field(row, "price", "3200").await;
            set_field(row, "sku", "SHIRT-M-BLUE").await;
            row.find(Locator::Css("[data-field=photo_id]"))
                .await
                .expect("photo choice")
                .select_by_value(&blue_photo)
                .await
                .expect("choose its photo");
        }
    }
    b.click("#edit-product button[type=submit]").await;
    // The edit page's URL already holds "/admin/products": wait for the list's form.
    b.find("#new-product").await;
    let product = app.get(&format!("/products/{id}"), None).await.body;
    assert_eq!(product["stock"], 30, "{product}");
    assert_eq!(product["options"][1]["values"], json!(["white", "blue"]));
    let m_blue = product["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .find(|v| v["sku"] == "SHIRT-M-BLUE")
        .cloned()
        .expect("M / blue");
    assert_eq!(m_blue["price"], 3200);
    assert_eq!(m_blue["photo_id"], blue_photo.as_str());
    b.goto(&app.url("/products")).await;
    b.click("#logout").await;
    b.find("#login-form").await;

    // A customer picks M / blue: its price shows; they buy it.
    b.register(&app, "Marta", "marta@example.com").await;
    b.goto(&app.url(&format!("/products/{id}"))).await;
    assert_eq!(
        b.text("#price").await,
        "€30.00",
        "the first variant's price"
    );
    let radio = format!(
        "#variants input[value='{}']",
        m_blue["id"].as_str().expect("id")
    );
    let photo_src = || async {
        b.find("#product-photo")
            .await
            .attr("src")
            .await
            .expect("src")
            .unwrap_or_default()
    };
    assert!(
        !photo_src().await.contains(&blue_photo),
        "the first photo first"
    );
    b.click(&radio).await;
    b.wait_text("#price", "€32.00").await;
    assert!(
        photo_src().await.contains(&blue_photo),
        "M / blue shows its own photo"
    );
    b.click("#add-to-cart button[type=submit]").await;
    b.wait_url("/cart").await;
    b.wait_text("#cart-lines", "M / blue").await;
    b.check_out_to("Calle del Prado 5, Madrid").await;
    b.wait_url("/orders/").await;
    assert!(b.text("main").await.contains("M / blue"));
    assert!(b.text("#order-total").await.contains("32.00"));

    // Only M / blue's stock moved.
    let after = app.get(&format!("/products/{id}"), None).await.body;
    let sold = after["variants"].as_array().expect("variants").iter();
    for v in sold.filter(|v| v["archived"] == false) {
        let expected = if v["id"] == m_blue["id"] { 4 } else { 5 };
        assert_eq!(v["stock"], expected, "{v}");
    }
    b.close().await;
}

/// The whole card road in a browser: a customer pays through the Stripe.js
/// stand-in, the order turns paid when Stripe's webhook lands, and the admin
/// ships it with a tracking number and refunds part of it; the customer got
/// a mail over SMTP at each step.
#[tokio::test]
async fn a_customer_pays_by_card_and_the_admin_ships_and_refunds_part_of_it() {
    use crate::mail::{body, free_port, smtp_settings, to, SmtpSink};
    use crate::stripe_gateway::{unique, Emulator};

    let mail_dir = tempfile::tempdir().expect("mail dir");
    let smtp_port = free_port();
    let sink = SmtpSink::start(smtp_port, mail_dir.path().to_path_buf());
    let secret = unique("whsec");
    let card_secret = secret.clone();
    let app = spawn_app_with(move |s| {
        crate::payments::take_cards(s, &card_secret);
        smtp_settings(s, smtp_port);
    })
    .await;
    crate::payments::register_webhook(&app, &secret).await;
    let admin = app.admin().await;
    let lamp = app.product(&admin, "Paper Lamp", "home", 3000, 5).await;
    let lamp_id = lamp["id"].as_str().expect("id").to_owned();

    // The customer checks out choosing the card.
    let b = browser().await;
    b.register(&app, "Marta", "marta@example.com").await;
    b.goto(&app.url(&format!("/products/{lamp_id}"))).await;
    b.click("#add-to-cart button[type=submit]").await;
    b.wait_url("/cart").await;
    b.save_address("Calle del Prado 5").await;
    b.click("#payment-choice input[value=stripe]").await;
    b.click("#checkout").await;
    b.wait_url("/orders/").await;
    b.find("#card-form #card-element input").await;
    let number: i64 = b.text("#order-number").await.parse().expect("number");
    assert_eq!(b.text("#order-status").await, "awaiting payment");

    // The card needs 3-D Secure: Stripe.js asks, the customer completes it.
    let order = app
        .get(&format!("/orders/{number}"), Some(&admin))
        .await
        .body;
    let intent = order["payment"]["intent_id"].as_str().expect("intent");
    let emulator = Emulator::new();
    let card = emulator.card("4000002500003155").await;
    let (_, confirmed) = emulator.attach_and_confirm(intent, &card).await;
    assert_eq!(confirmed["status"], "requires_action", "{confirmed}");
    b.click("#pay").await;
    b.client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath("//button[text()='Complete authentication']"))
        .await
        .expect("Stripe.js asks for authentication")
        .click()
        .await
        .expect("complete it");
    // The page waits for Stripe's webhook, then shows the order paid.
    // The page reloads under the loop: an element read may go stale.
    let mut status = String::new();
    for _ in 0..150 {
        status = match b.client.find(Locator::Id("order-status")).await {
            Ok(el) => el.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if status == "paid" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, "paid");
    assert!(
        b.client.find(Locator::Id("card-form")).await.is_err(),
        "no card form once paid"
    );
    b.click("#logout").await;
    b.find("#login-form").await;

    // The admin ships it with its tracking, then refunds €10.00 of it.
    b.fill("#login-email", ADMIN_EMAIL).await;
    b.fill("#login-password", PASSWORD).await;
    b.click("#login-form button[type=submit]").await;
    b.wait_url("/products").await;
    b.goto(&app.url(&format!("/orders/{number}"))).await;
    b.fill("#ship-carrier", "Correos").await;
    b.fill("#ship-number", "PK123456ES").await;
    b.fill("#ship-url", "https://www.correos.es/track?n=PK123456ES")
        .await;
    b.click("#ship-form button[type=submit]").await;
    b.wait_text("#order-status", "shipped").await;
    assert!(b.text("#order-tracking").await.contains("PK123456ES"));
    b.client
        .execute("window.confirm = () => true;", vec![])
        .await
        .expect("accept the confirmation");
    b.fill("#refund-amount", "1000").await;
    b.click("#refund-form button[type=submit]").await;
    b.wait_text("#payment-status", "partly refunded").await;
    let after = app
        .get(&format!("/orders/{number}"), Some(&admin))
        .await
        .body;
    assert_eq!(after["payment"]["refunded"], 1000, "{after}");
    assert_eq!(after["payment"]["paid"], after["total"]);
    let at_stripe = crate::payments::stripe_refunds(intent).await;
    assert_eq!(
        crate::payments::refunded_at_stripe(&at_stripe),
        1000,
        "the refund went to Stripe"
    );
    b.close().await;

    // Marta got each mail: the order, its payment, its parcel, her refund.
    let expected = [
        "Thank you for your order",
        "We received the payment",
        "PK123456ES",
        "We refunded money",
    ];
    for _ in 0..100 {
        let hers: Vec<String> = sink
            .messages()
            .iter()
            .filter(|m| to(m) == "marta@example.com")
            .map(body)
            .collect();
        if expected
            .iter()
            .all(|text| hers.iter().any(|m| m.contains(text)))
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let hers: Vec<String> = sink.messages().iter().map(body).collect();
    panic!("marta's mails are missing one of {expected:?}: {hers:#?}");
}
