//! `GET /search`, `GET /search/suggest` and the catalog lists' filters, over HTTP.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

/// Waits (at most a second: the index follows writes within one) until a
/// search for `q` finds `count` products.
async fn indexed(app: &TestApp, q: &str, count: u64) {
    let start = std::time::Instant::now();
    while app.get(&format!("/search?q={q}"), None).await.body["total"] != count {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(1),
            "`{q}` not indexed within 1 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

fn names(body: &serde_json::Value) -> Vec<String> {
    body["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn search_answers_json_with_facets_and_what_matched() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.product(&admin, "Wireless Headphones", "electronics", 8999, 3)
        .await;
    app.product(&admin, "Headlamp", "outdoors", 2999, 0).await;
    let created = app
        .product(&admin, "Café grinder", "kitchen", 4999, 5)
        .await;
    indexed(&app, "grinder", 1).await;

    let r = app
        .get("/search?q=head&utm_source=newsletter&fbclid=x", None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        names(&r.body),
        ["Headlamp", "Wireless Headphones"],
        "prefix, then name order"
    );
    assert_eq!(r.body["total"], 2);
    assert_eq!(r.body["offset"], 0);
    assert_eq!(r.body["limit"], 50);
    assert_eq!(
        r.body["facets"]["category"],
        json!({"electronics": 1, "outdoors": 1})
    );
    assert_eq!(r.body["items"][0]["matched"]["name"], json!(["Headlamp"]));
    assert_eq!(
        r.body["items"][0]["price"], 2999,
        "the usual product fields"
    );

    let r = app
        .get("/search?q=head&in_stock=true&sort=price_desc", None)
        .await;
    assert_eq!(names(&r.body), ["Wireless Headphones"]);
    let r = app.get("/search?q=CAFE", None).await;
    assert_eq!(r.body["items"][0]["id"], created["id"]);
    let r = app.get("/search?q=&category=kitchen", None).await;
    assert_eq!(
        names(&r.body),
        ["Café grinder"],
        "empty q lists the catalog"
    );

    let r = app.get("/search/suggest?q=hea", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let suggested: Vec<&str> = r.body["suggestions"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(suggested, ["Headlamp", "Wireless Headphones"]);

    // The catalog lists take the same filters.
    let r = app
        .get("/products?sort=price_asc&min_price=3000", None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(names(&r.body), ["Café grinder", "Wireless Headphones"]);
    assert_eq!(r.body["total"], 2);
    let r = app.get("/products/outdoors?in_stock=true", None).await;
    assert_eq!(r.body["total"], 0);
    assert_eq!(r.body["category"], "outdoors");
}

#[tokio::test]
async fn bad_search_parameters_are_named() {
    let app = spawn_app().await;
    let long = "a".repeat(201);
    for (path, parameter) in [
        (format!("/search?q={long}"), "q"),
        (
            "/search?q=x&min_price=500&max_price=100".into(),
            "min_price",
        ),
        ("/search?q=x&min_price=-1".into(), "min_price"),
        ("/search?q=x&max_price=ten".into(), "max_price"),
        ("/search?q=x&sort=cheapest".into(), "sort"),
        ("/search?q=x&in_stock=maybe".into(), "in_stock"),
        ("/search?q=x&limit=0".into(), "limit"),
        ("/search?q=x&offset=-3".into(), "offset"),
        ("/search?q=x&category=Not%20A%20Slug".into(), "category"),
        (format!("/search/suggest?q={long}"), "q"),
        ("/products?sort=upside-down".into(), "sort"),
        ("/products/home?max_price=%2B%2B".into(), "max_price"),
    ] {
        let r = app.get(&path, None).await;
        let problem = r.assert_problem(400, "invalid_parameter");
        assert_eq!(problem["parameter"], parameter, "{path}: {}", r.text);
    }
    // Query syntax of other engines is plain text here.
    for q in [
        "%22",
        "*",
        "a%20AND%20(b%20OR%20c)",
        "%7B%22%24gt%22%3A%22%22%7D",
        "'%20OR%201%3D1%20--",
    ] {
        let r = app.get(&format!("/search?q={q}"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.text);
    }
}

#[tokio::test]
async fn results_page_marks_matches_escapes_the_query_and_offers_products_when_empty() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.product(&admin, "Wireless <b>Headphones</b>", "electronics", 8999, 3)
        .await;
    app.product(&admin, "Desk lamp", "office", 3499, 2).await;
    indexed(&app, "lamp", 1).await;

    let (status, page) = app.page("/search?q=headphones").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<mark>Headphones</mark>"), "{page}");
    assert!(page.contains("&lt;b&gt;"), "the name is escaped: {page}");
    assert!(
        !page.contains("<b>Headphones"),
        "no markup from a product name"
    );
    assert!(
        page.contains("electronics <span class=\"count\">(1)</span>"),
        "facet with its count"
    );

    let (status, page) = app
        .page("/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("<script>alert"), "the query is escaped");
    assert!(page.contains("Nothing matches"), "an empty result says so");
    assert!(page.contains("Desk lamp"), "and offers products in stock");

    // Every page carries the search box, a plain form.
    let (_, home) = app.page("/products").await;
    assert!(home.contains("action=\"/search\"") && home.contains("name=\"q\""));
}
