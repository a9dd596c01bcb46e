use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn product_crud_by_admin() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let p = app.product(&admin, "Lamp", "home", 1999, 5).await;
    let id = p["id"].as_str().expect("id");
    for field in [
        "id",
        "name",
        "description",
        "category",
        "price",
        "currency",
        "photo_url",
        "stock",
        "created_at",
        "updated_at",
    ] {
        assert!(p.get(field).is_some(), "missing {field}");
    }
    assert_eq!(p["currency"], "EUR");

    let got = app.get(&format!("/products/{id}"), None).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body["name"], "Lamp");

    let put = app
        .put(
            &format!("/products/{id}"),
            Some(&admin),
            json!({"name": "Lamp XL", "description": "bigger", "category": "home", "price": 2999, "photo_url": "", "stock": 7}),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    assert_eq!(put.body["price"], 2999);
    assert_eq!(put.body["created_at"], p["created_at"]);

    let del = app.delete(&format!("/products/{id}"), Some(&admin)).await;
    assert_eq!(del.status, StatusCode::NO_CONTENT);
    let gone = app.get(&format!("/products/{id}"), None).await;
    let body = gone.assert_problem(404, "product_not_found");
    assert!(body["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("does not exist"));
    assert_eq!(body["product_id"], id);
    app.delete(&format!("/products/{id}"), Some(&admin))
        .await
        .assert_problem(404, "product_not_found");
}

#[tokio::test]
async fn listing_categories_and_paging() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for i in 0..5 {
        app.product(&admin, &format!("Book {i}"), "books", 1000 + i, 3)
            .await;
    }
    app.product(&admin, "Kite", "toys", 500, 1).await;
    let all = app.get("/products", None).await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(all.body["total"], 6);
    let names: Vec<_> = all.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| p["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        names,
        ["Book 0", "Book 1", "Book 2", "Book 3", "Book 4", "Kite"]
    );

    let page = app.get("/products?offset=2&limit=2", None).await;
    let names: Vec<_> = page.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| p["name"].clone())
        .collect();
    assert_eq!(names, [json!("Book 2"), json!("Book 3")]);

    let books = app.get("/products/books", None).await;
    assert_eq!(books.status, StatusCode::OK);
    assert_eq!(books.body["items"].as_array().map(Vec::len), Some(5));
    assert_eq!(books.body["category"], "books");
    let none = app.get("/products/garden", None).await;
    assert_eq!(none.status, StatusCode::OK);
    assert_eq!(none.body["items"], json!([]));

    app.get("/products?limit=0", None)
        .await
        .assert_problem(400, "invalid_parameter");
    app.get("/products?limit=abc", None)
        .await
        .assert_problem(400, "invalid_parameter");
    app.get("/products?limit=100000", None)
        .await
        .assert_problem(400, "invalid_parameter");
    // Unknown parameters (tracking links) are ignored; known ones still count.
    let tagged = app.get("/products?bogus=1&limit=1", None).await;
    assert_eq!(tagged.status, StatusCode::OK, "{}", tagged.text);
    assert_eq!(tagged.body["limit"], 1);
    app.get("/products?utm_source=news&limit=0", None)
        .await
        .assert_problem(400, "invalid_parameter");
    app.get("/products/Not%20A%20Category", None)
        .await
        .assert_problem(400, "invalid_parameter");
}

#[tokio::test]
async fn unknown_product_id_says_it_does_not_exist() {
    let app = spawn_app().await;
    let id = "01900000-0000-7000-8000-000000000000";
    let r = app.get(&format!("/products/{id}"), None).await;
    let body = r.assert_problem(404, "product_not_found");
    assert_eq!(body["detail"], format!("product {id} does not exist"));
}

#[tokio::test]
async fn product_writes_need_an_admin() {
    let app = spawn_app().await;
    let body = json!({"name": "X", "category": "toys", "price": 1, "stock": 1});
    app.post("/products", None, body.clone())
        .await
        .assert_problem(401, "unauthorized");
    app.post("/products", Some("garbage.token.here"), body.clone())
        .await
        .assert_problem(401, "unauthorized");
    let customer = app.customer("ana@example.com").await;
    app.post("/products", Some(&customer), body.clone())
        .await
        .assert_problem(403, "forbidden");
    let id = "01900000-0000-7000-8000-000000000000";
    app.put(&format!("/products/{id}"), Some(&customer), body)
        .await
        .assert_problem(403, "forbidden");
    app.delete(&format!("/products/{id}"), Some(&customer))
        .await
        .assert_problem(403, "forbidden");
    app.delete(&format!("/products/{id}"), None)
        .await
        .assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn product_validation_names_each_field() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let cases = [
        (
            json!({"name": "", "category": "toys", "price": 1, "stock": 1}),
            "name",
        ),
        (
            json!({"name": "A", "category": "Bad Cat!", "price": 1, "stock": 1}),
            "category",
        ),
        (
            json!({"name": "A", "category": "toys", "price": -1, "stock": 1}),
            "price",
        ),
        (
            json!({"name": "A", "category": "toys", "price": 1, "stock": -5}),
            "stock",
        ),
        (
            json!({"name": "A", "category": "toys", "price": 1, "stock": 1, "photo_url": "javascript:alert(1)"}),
            "photo_url",
        ),
        (
            json!({"name": "A", "category": "toys", "price": 1, "stock": 1, "currency": "USD"}),
            "currency",
        ),
        (
            json!({"name": "A", "category": "toys", "price": 1, "stock": 1, "colour": "red"}),
            "colour",
        ),
        (
            json!({"name": "A", "category": "toys", "price": 1.5, "stock": 1}),
            "price",
        ),
        (
            json!({"name": "A", "category": "toys", "price": "1", "stock": 1}),
            "price",
        ),
        (
            json!({"name": "A", "category": "toys", "stock": 1}),
            "price",
        ),
        (
            json!({"name": null, "category": "toys", "price": 1, "stock": 1}),
            "name",
        ),
    ];
    for (body, field) in cases {
        let r = app.post("/products", Some(&admin), body.clone()).await;
        let problem = r.assert_problem(422, "validation_failed");
        assert!(
            problem["errors"].get(field).is_some(),
            "{field} not named for {body}: {}",
            r.text
        );
    }
    // Beyond i64.
    let r = app
        .raw(
            reqwest::Method::POST,
            "/products",
            Some(&admin),
            "application/json",
            br#"{"name":"A","category":"toys","price":99999999999999999999,"stock":1}"#.to_vec(),
        )
        .await;
    assert!(r.assert_problem(422, "validation_failed")["errors"]
        .get("price")
        .is_some());
    // Nothing was stored.
    assert_eq!(app.get("/products", None).await.body["total"], 0);
}

#[tokio::test]
async fn demo_catalog_is_seeded_once_and_photos_are_served() {
    let app = spawn_app_with(|s| s.store.demo_catalog = true).await;
    let all = app.get("/products?limit=200", None).await;
    let total = all.body["total"].as_u64().expect("total");
    assert!(total >= 30, "{total}");
    let photo = all.body["items"][0]["photo_url"]
        .as_str()
        .expect("photo")
        .to_owned();
    let img = app.http.get(app.url(&photo)).send().await.expect("photo");
    assert_eq!(img.status(), StatusCode::OK);
    assert_eq!(img.headers()["content-type"], "image/svg+xml");
    assert!(img.headers()["cache-control"]
        .to_str()
        .unwrap_or_default()
        .contains("max-age"));
    let etag = img.headers()["etag"].clone();
    let again = app
        .http
        .get(app.url(&photo))
        .header("if-none-match", etag)
        .send()
        .await
        .expect("photo");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    // A restart does not seed again.
    let (dir, settings) = app.stop().await;
    let app = start(dir, settings).await;
    assert_eq!(
        app.get("/products", None).await.body["total"].as_u64(),
        Some(total)
    );
}

#[tokio::test]
async fn browsers_get_pages_from_the_same_urls() {
    let app = spawn_app_with(|s| s.store.demo_catalog = true).await;
    let html = app
        .http
        .get(app.url("/products"))
        .header("accept", "text/html")
        .send()
        .await
        .expect("page");
    assert_eq!(html.status(), StatusCode::OK);
    assert!(html.headers()["content-type"]
        .to_str()
        .unwrap_or_default()
        .starts_with("text/html"));
    let csp = html.headers()["content-security-policy"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    let text = html.text().await.unwrap_or_default();
    assert!(text.contains("class=\"grid\"") && text.contains("Wireless Headphones"));
    assert!(!text.contains("<script>"), "no inline script");

    let first = app.get("/products", None).await.body["items"][0].clone();
    let page = app
        .http
        .get(app.url(&format!(
            "/products/{}",
            first["id"].as_str().unwrap_or_default()
        )))
        .header("accept", "text/html")
        .send()
        .await
        .expect("page")
        .text()
        .await
        .unwrap_or_default();
    assert!(
        page.contains(&format!("max=\"{}\"", first["stock"])),
        "quantity selector bounded by stock"
    );
    assert!(page.contains(first["photo_url"].as_str().unwrap_or_default()));
}

#[tokio::test]
async fn cached_catalog_answers_follow_every_change() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let p = app.product(&admin, "Lamp", "home", 1000, 5).await;
    let id = p["id"].as_str().expect("id").to_owned();
    // Warm every cached answer.
    assert_eq!(
        app.get("/products", None).await.body["items"][0]["price"],
        1000
    );
    assert_eq!(
        app.get("/products/home", None).await.body["items"][0]["price"],
        1000
    );
    assert_eq!(
        app.get(&format!("/products/{id}"), None).await.body["stock"],
        5
    );

    app.put(
        &format!("/products/{id}"),
        Some(&admin),
        json!({"name": "Lamp", "category": "home", "price": 1500, "stock": 5}),
    )
    .await;
    assert_eq!(
        app.get("/products", None).await.body["items"][0]["price"],
        1500
    );
    assert_eq!(
        app.get("/products/home", None).await.body["items"][0]["price"],
        1500
    );

    let t = app.customer("c@example.com").await;
    app.post("/cart", Some(&t), json!({"product_id": id, "quantity": 2}))
        .await;
    let o = app
        .post(
            "/orders",
            Some(&t),
            json!({"delivery_address": "Calle 1, Madrid"}),
        )
        .await;
    assert_eq!(
        app.get(&format!("/products/{id}"), None).await.body["stock"],
        3,
        "checkout shows at once"
    );
    let n = o.body["number"].as_i64().expect("number");
    app.put(
        &format!("/orders/{n}/status"),
        Some(&admin),
        json!({"status": "cancelled"}),
    )
    .await;
    assert_eq!(
        app.get("/products", None).await.body["items"][0]["stock"],
        5,
        "cancellation shows at once"
    );

    app.delete(&format!("/products/{id}"), Some(&admin)).await;
    app.get(&format!("/products/{id}"), None)
        .await
        .assert_problem(404, "product_not_found");
    assert_eq!(app.get("/products", None).await.body["total"], 0);
}

/// Links from newsletters and ads carry tracking parameters: every GET route
/// answers them as it would without, for API clients and browsers alike.
#[tokio::test]
async fn tracking_parameters_are_ignored_on_every_get_route() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let ana = app.customer("ana@example.com").await;
    let p = app.product(&admin, "Lamp", "home", 1999, 5).await;
    let id = p["id"].as_str().expect("id");
    let tracking =
        "utm_source=newsletter&utm_medium=email&utm_campaign=winter&fbclid=IwAR0abc&gclid=xyz";
    for (path, who) in &get_routes(id) {
        let token = match *who {
            "ana" => Some(ana.as_str()),
            "admin" => Some(admin.as_str()),
            _ => None,
        };
        let plain = app.get(path, token).await;
        let joiner = if path.contains('?') { '&' } else { '?' };
        let tagged = app.get(&format!("{path}{joiner}{tracking}"), token).await;
        assert_eq!(plain.status, tagged.status, "{path}: {}", tagged.text);
        assert!(
            tagged.status.is_success(),
            "{path}: {} {}",
            tagged.status,
            tagged.text
        );
        for accept in ["text/html", "application/json"] {
            let mut request = app
                .http
                .get(app.url(&format!("{path}{joiner}{tracking}")))
                .header("accept", accept);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let resp = request.send().await.expect("request sent");
            assert!(
                resp.status().is_success(),
                "{path} as {accept}: {}",
                resp.status()
            );
        }
    }
}

/// Every GET route a browser or client may follow, with who calls it
/// (`""` anonymous, `ana` a customer, `admin`), for product `id`.
fn get_routes(id: &str) -> Vec<(String, &'static str)> {
    vec![
        ("/".into(), ""),
        ("/healthz".into(), ""),
        ("/readyz".into(), ""),
        ("/products".into(), ""),
        (format!("/products/{id}"), ""),
        ("/products/home".into(), ""),
        ("/search?q=lamp".into(), ""),
        ("/search/suggest?q=la".into(), ""),
        ("/cart".into(), "ana"),
        ("/orders".into(), "ana"),
        ("/messages".into(), "ana"),
        ("/chat".into(), "ana"),
        ("/auth/me".into(), "ana"),
        ("/password/forgot".into(), ""),
        ("/password/reset".into(), ""),
        ("/chat/ana@example.com".into(), "ana"),
        ("/docs/".into(), ""),
        ("/config".into(), "admin"),
        ("/admin/products".into(), "admin"),
        (format!("/admin/products/{id}/edit"), "admin"),
        ("/admin/mail".into(), "admin"),
        ("/openapi.json".into(), ""),
        ("/static/style.css".into(), ""),
        ("/favicon.ico".into(), ""),
        ("/robots.txt".into(), ""),
        ("/sitemap.xml".into(), ""),
    ]
}

#[tokio::test]
async fn trailing_slashes_redirect_to_the_one_canonical_url() {
    let app = spawn_app().await;
    for (from, to) in [
        ("/products/", "/products"),
        (
            "/products/?utm_source=x&limit=5",
            "/products?utm_source=x&limit=5",
        ),
        ("/cart//", "/cart"),
        // Never a redirect to another host.
        ("//evil.example/", "/evil.example"),
    ] {
        let r = app.get(from, None).await;
        assert_eq!(
            r.status,
            StatusCode::PERMANENT_REDIRECT,
            "{from}: {}",
            r.text
        );
        assert_eq!(r.headers["location"], to, "{from}");
    }
    let root = app.get("/", None).await;
    assert_eq!(root.status, StatusCode::OK, "the root keeps its slash");
}

#[tokio::test]
async fn head_answers_every_get_route_without_a_body() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let ana = app.customer("ana@example.com").await;
    let p = app.product(&admin, "Lamp", "home", 1999, 5).await;
    let id = p["id"].as_str().expect("id");
    for (path, who) in get_routes(id) {
        let token = match who {
            "ana" => Some(ana.as_str()),
            "admin" => Some(admin.as_str()),
            _ => None,
        };
        let get = app.get(&path, token).await;
        let mut head = app.http.head(app.url(&path));
        if let Some(token) = token {
            head = head.bearer_auth(token);
        }
        let head = head.send().await.expect("head sent");
        assert_eq!(head.status(), get.status, "{path}");
        assert_eq!(
            head.headers().get("content-type"),
            get.headers.get("content-type"),
            "{path}"
        );
        assert!(
            head.bytes().await.expect("body").is_empty(),
            "{path}: HEAD has no body"
        );
    }
}

#[tokio::test]
async fn favicon_and_robots_are_served() {
    let app = spawn_app().await;
    let icon = app.get("/favicon.ico", None).await;
    assert_eq!(icon.status, StatusCode::OK);
    assert_eq!(icon.headers["content-type"], "image/svg+xml");
    assert!(icon.text.starts_with("<svg"));
    let robots = app.get("/robots.txt", None).await;
    assert_eq!(robots.status, StatusCode::OK);
    assert!(robots.headers["content-type"]
        .to_str()
        .unwrap_or_default()
        .starts_with("text/plain"));
    assert!(robots.text.contains("Disallow: /admin"), "{}", robots.text);
    assert!(robots.text.contains("Sitemap: "), "{}", robots.text);
}

#[tokio::test]
async fn the_sitemap_robots_names_lists_every_product_and_category() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let lamp = app.product(&admin, "Lamp", "home", 1999, 5).await;
    let kite = app.product(&admin, "Kite", "outdoors", 4500, 0).await;
    let robots = app.get("/robots.txt", None).await;
    let named = robots
        .text
        .lines()
        .find_map(|l| l.strip_prefix("Sitemap: "))
        .expect("robots.txt names the sitemap")
        .to_owned();
    let path = named
        .strip_prefix(app.settings.server.public_url.trim_end_matches('/'))
        .expect("the sitemap is on this shop")
        .to_owned();
    let map = app.get(&path, None).await;
    assert_eq!(map.status, StatusCode::OK, "{}", map.text);
    assert!(map.headers["content-type"]
        .to_str()
        .unwrap_or_default()
        .starts_with("application/xml"));
    assert!(map.text.starts_with("<?xml") && map.text.trim_end().ends_with("</urlset>"));
    let base = app.settings.server.public_url.trim_end_matches('/');
    for product in [&lamp, &kite] {
        let loc = format!(
            "<loc>{base}/products/{}</loc>",
            product["id"].as_str().expect("id")
        );
        assert!(map.text.contains(&loc), "{loc} missing: {}", map.text);
    }
    for category in ["home", "outdoors"] {
        let loc = format!("<loc>{base}/products/{category}</loc>");
        assert!(map.text.contains(&loc), "{loc} missing");
    }
    assert_eq!(
        map.text.matches("<url>").count(),
        1 + 2 + 2,
        "catalog, 2 categories, 2 products"
    );
}

/// The JSON-LD blocks of a page, parsed.
fn json_ld(page: &str) -> Vec<serde_json::Value> {
    let open = "<script type=\"application/ld+json\">";
    page.split(open)
        .skip(1)
        .filter_map(|rest| rest.split("</script>").next())
        .map(|block| serde_json::from_str(block).expect("JSON-LD parses"))
        .collect()
}

/// The content of `<meta property="NAME" …>` (or `name="NAME"`).
fn meta<'a>(page: &'a str, attr: &str, name: &str) -> Option<&'a str> {
    let start = format!("<meta {attr}=\"{name}\" content=\"");
    let rest = page.split(&start).nth(1)?;
    rest.split('"').next()
}

#[tokio::test]
async fn product_pages_describe_themselves_to_search_engines_and_link_previews() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let base = app
        .settings
        .server
        .public_url
        .trim_end_matches('/')
        .to_owned();
    let lamp = app
        .post(
            "/products",
            Some(&admin),
            json!({"name": "Lamp </script><script>alert(1)</script>", "description": "A warm & bright <b>lamp</b>.",
                   "category": "home", "price": 8999, "photo_url": "/static/placeholder.svg", "stock": 3}),
        )
        .await;
    assert_eq!(lamp.status, StatusCode::CREATED, "{}", lamp.text);
    let id = lamp.body["id"].as_str().expect("id").to_owned();

    // Tracking parameters do not split the page: the canonical URL is bare.
    let (status, page) = app
        .page(&format!("/products/{id}?utm_source=news&fbclid=x"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let url = format!("{base}/products/{id}");
    assert!(
        page.contains(&format!("<link rel=\"canonical\" href=\"{url}\">")),
        "{page}"
    );
    assert!(!page.contains("<script>alert"), "names stay text");
    let blocks = json_ld(&page);
    assert_eq!(blocks.len(), 1, "one Product block");
    let product = &blocks[0];
    assert_eq!(product["@context"], "https://schema.org");
    assert_eq!(product["@type"], "Product");
    assert_eq!(product["name"], "Lamp </script><script>alert(1)</script>");
    assert_eq!(product["description"], "A warm & bright <b>lamp</b>.");
    assert_eq!(
        product["image"][0],
        format!("{base}/static/placeholder.svg")
    );
    let offer = &product["offers"];
    assert_eq!(offer["@type"], "Offer");
    assert_eq!(offer["price"], "89.99");
    assert_eq!(offer["priceCurrency"], "EUR");
    assert_eq!(offer["availability"], "https://schema.org/InStock");
    assert_eq!(offer["url"], url.as_str());
    assert_eq!(meta(&page, "property", "og:type"), Some("product"));
    assert_eq!(
        meta(&page, "property", "product:price:amount"),
        Some("89.99")
    );
    assert_eq!(meta(&page, "property", "og:url"), Some(url.as_str()));
    assert!(meta(&page, "name", "description").is_some_and(|d| d.contains("bright")));

    // Sold out: the offer says so.
    let put = app
        .put(
            &format!("/products/{id}"),
            Some(&admin),
            json!({"name": "Lamp", "category": "home", "price": 8999, "photo_url": "", "stock": 0}),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let (_, page) = app.page(&format!("/products/{id}")).await;
    let offer = &json_ld(&page)[0]["offers"];
    assert_eq!(offer["availability"], "https://schema.org/OutOfStock");
    assert_eq!(
        json_ld(&page)[0]["description"],
        "Lamp",
        "no description: the name"
    );

    // Every page has a title and a description; lists know their canonical URL.
    for path in [
        "/",
        "/products",
        "/products/home",
        "/search?q=lamp",
        "/password/forgot",
    ] {
        let (status, page) = app.page(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            page.contains("<title>") && !page.contains("<title> ·"),
            "{path}"
        );
        let description = meta(&page, "name", "description").unwrap_or_default();
        assert!(!description.trim().is_empty(), "{path} has a description");
    }
    let (_, category) = app.page("/products/home?offset=0&gclid=1").await;
    assert!(category.contains(&format!(
        "<link rel=\"canonical\" href=\"{base}/products/home\">"
    )));
    assert!(meta(&category, "name", "description")
        .is_some_and(|d| d.starts_with("home at ") && d.contains("Lamp")));
}

#[tokio::test]
async fn kept_product_pages_follow_every_change_and_never_show_another_visitors_header() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let p = app.product(&admin, "Teapot", "home", 2500, 9).await;
    let path = format!("/products/{}", p["id"].as_str().expect("id"));
    let (_, first) = app.page(&path).await;
    let (_, again) = app.page(&path).await;
    assert_eq!(first, again, "a plain visitor gets the same page");
    assert!(first.contains("Teapot") && first.contains("9 in stock"));

    let put = app
        .put(
            &path,
            Some(&admin),
            json!({"name": "Teapot Grande", "description": "bigger", "category": "home", "price": 2600, "photo_url": "", "stock": 8}),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let (_, changed) = app.page(&path).await;
    assert!(
        changed.contains("Teapot Grande") && changed.contains("8 in stock"),
        "{changed}"
    );

    // A checkout moves the stock: the page follows.
    let buyer = app.customer("buyer@example.com").await;
    let line = json!({ "product_id": p["id"], "quantity": 3 });
    app.post("/cart", Some(&buyer), line).await;
    app.put(
        "/cart/address",
        Some(&buyer),
        json!({ "delivery_address": "Calle Mayor 1" }),
    )
    .await;
    let order = app.post("/orders", Some(&buyer), json!(null)).await;
    assert_eq!(order.status, StatusCode::CREATED, "{}", order.text);
    let (_, bought) = app.page(&path).await;
    assert!(
        bought.contains("Only 5 left"),
        "stock after the checkout: {bought}"
    );

    // A logged-in visitor gets their own header, the plain one again after.
    let r = app
        .http
        .get(app.url(&path))
        .header("accept", "text/html")
        .header("cookie", format!("tienda_session={buyer}"))
        .send()
        .await
        .expect("page");
    let mine = r.text().await.unwrap_or_default();
    assert!(
        mine.contains("id=\"who\""),
        "the buyer's name in the header"
    );
    let (_, plain) = app.page(&path).await;
    assert!(
        !plain.contains("id=\"who\""),
        "no one's name for a plain visitor"
    );
    let (_, spanish) = {
        let r = app
            .http
            .get(app.url(&path))
            .header("accept", "text/html")
            .header("accept-language", "es")
            .send()
            .await
            .expect("page");
        (r.status(), r.text().await.unwrap_or_default())
    };
    assert!(
        spanish.contains("<html lang=\"es\">"),
        "each language has its page"
    );
}
