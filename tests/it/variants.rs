//! Products in sizes and colours over HTTP: the API's shapes and refusals,
//! the cart's lines per variant, the product page's plain form.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::forms::FormClient;
use crate::helpers::*;

/// A T-shirt in S/red, M/blue and M/red (M dearer), 3 of each.
fn tee_body(sku: &str) -> Value {
    json!({
        "name": "Tee", "description": "Cotton", "category": "clothing", "price": 1500,
        "options": [{"name": "Size", "values": ["S", "M"]}, {"name": "Colour", "values": ["red", "blue"]}],
        "variants": [
            {"sku": format!("{sku}-s-red"), "options": {"Size": "S", "Colour": "red"}, "stock": 3},
            {"sku": format!("{sku}-m-blue"), "options": {"Size": "M", "Colour": "blue"}, "price": 1700, "stock": 3},
            {"sku": format!("{sku}-m-red"), "options": {"Size": "M", "Colour": "red"}, "price": 1700, "stock": 3}
        ]
    })
}

async fn tee(app: &TestApp, admin: &str, sku: &str) -> Value {
    let r = app.post("/products", Some(admin), tee_body(sku)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body
}

fn variant_id(product: &Value, size: &str, colour: &str) -> String {
    product["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .find(|v| v["options"]["Size"] == size && v["options"]["Colour"] == colour)
        .and_then(|v| v["id"].as_str())
        .expect("that variant")
        .to_owned()
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn a_product_with_options_is_created_listed_and_shown() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let tee = tee(&app, &admin, "tee").await;
    assert_eq!(tee["stock"], 9, "the variants' sum");
    assert_eq!(tee["variants"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        tee["variants"][0]["sku"], "TEE-S-RED",
        "SKUs are kept upper case"
    );
    assert_eq!(
        tee["variants"][0]["price"], 1500,
        "the product's price by default"
    );
    assert_eq!(tee["variants"][1]["price"], 1700);

    let (status, page) = app.page(&format!("/products/{}", id(&tee))).await;
    assert_eq!(status, StatusCode::OK);
    for v in tee["variants"].as_array().expect("variants") {
        let radio = format!(
            "name=\"variant_id\" value=\"{}\"",
            v["id"].as_str().expect("id")
        );
        assert!(page.contains(&radio), "a choice per variant: {radio}");
    }
    assert!(page.contains("M / blue"), "choices read in option order");
    let (_, list) = app.page("/products/clothing").await;
    assert!(
        list.contains("from €15.00"),
        "a card shows where prices start"
    );
    // A product sold one way shows its price alone, and no choices.
    let mug = app.product(&admin, "Mug", "home", 900, 4).await;
    let (_, page) = app.page(&format!("/products/{}", id(&mug))).await;
    assert!(!page.contains("name=\"variant_id\""));
    let (_, list) = app.page("/products/home").await;
    assert!(list.contains("€9.00") && !list.contains("from €9.00"));
}

#[tokio::test]
async fn the_cart_takes_a_variant_and_refuses_a_missing_or_foreign_one() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let ana = app.customer("ana@example.com").await;
    let tee = tee(&app, &admin, "tee").await;
    let other = self::tee(&app, &admin, "other").await;
    let path = "/cart";

    let r = app
        .post(
            path,
            Some(&ana),
            json!({"product_id": id(&tee), "quantity": 1}),
        )
        .await;
    let problem = r.assert_problem(422, "validation_failed");
    assert!(problem["errors"]["variant_id"].is_array(), "{}", r.text);

    for bad in [variant_id(&other, "S", "red"), "not-a-variant".to_owned()] {
        let r = app
            .post(
                path,
                Some(&ana),
                json!({"product_id": id(&tee), "variant_id": bad, "quantity": 1}),
            )
            .await;
        let problem = r.assert_problem(422, "validation_failed");
        assert!(problem["errors"]["variant_id"].is_array(), "{}", r.text);
    }

    let m_blue = variant_id(&tee, "M", "blue");
    let s_red = variant_id(&tee, "S", "red");
    for v in [&m_blue, &s_red] {
        let r = app
            .post(
                path,
                Some(&ana),
                json!({"product_id": id(&tee), "variant_id": v, "quantity": 2}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let cart = app.get("/cart", Some(&ana)).await.body;
    assert_eq!(cart["items"][0]["variant"], "M / blue");
    assert_eq!(cart["items"][0]["unit_price"], 1700);
    assert_eq!(cart["items"][0]["sku"], "TEE-M-BLUE");
    assert_eq!(cart["total"], 2 * 1700 + 2 * 1500);

    // Over the variant's stock, though the product has more.
    let r = app
        .post(
            path,
            Some(&ana),
            json!({"product_id": id(&tee), "variant_id": m_blue, "quantity": 2}),
        )
        .await;
    let problem = r.assert_problem(409, "insufficient_stock");
    assert_eq!(problem["variant_id"], m_blue.as_str());
    assert_eq!(problem["available"], 3);

    // Two lines of one product: the product id is ambiguous.
    let r = app
        .put(
            &format!("/cart/{}", id(&tee)),
            Some(&ana),
            json!({"quantity": 1}),
        )
        .await;
    let problem = r.assert_problem(409, "ambiguous_line");
    assert_eq!(problem["variant_ids"], json!([m_blue, s_red]));
    let r = app
        .put(
            &format!("/cart/{m_blue}"),
            Some(&ana),
            json!({"quantity": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app.delete(&format!("/cart/{s_red}"), Some(&ana)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // One line left: the product id names it again.
    let r = app.delete(&format!("/cart/{}", id(&tee)), Some(&ana)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["items"], json!([]));
}

#[tokio::test]
async fn bad_options_and_variants_name_each_field_and_store_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    tee(&app, &admin, "taken").await;
    let cases: Vec<(Value, &[&str])> = vec![
        (
            json!({"variants": [
                {"sku": "A", "options": {"Size": "S", "Colour": "red"}, "stock": 1},
                {"sku": "a", "options": {"Size": "S", "Colour": "red"}, "stock": 1}
            ]}),
            &["variants[1].sku", "variants[1].options"],
        ),
        (
            json!({"options": [{"name": "Size", "values": ["S", "s"]}], "variants": [{"options": {"Size": "S"}, "stock": 1}]}),
            &["options[0].values[1]"],
        ),
        (
            json!({"variants": [{"options": {"Size": "XL", "Colour": "red"}, "stock": 1}]}),
            &["variants[0].options"],
        ),
        (
            json!({"variants": [{"options": {"Size": "S"}, "stock": 1}]}),
            &["variants[0].options"],
        ),
        (
            json!({"variants": [{"options": {"Size": "S", "Colour": "red"}, "stock": -1, "price": 10_000_000_001_i64, "sku": "no spaces"}]}),
            &["variants[0].stock", "variants[0].price", "variants[0].sku"],
        ),
        (
            json!({"options": [
                {"name": "A", "values": ["1"]}, {"name": "B", "values": ["1"]},
                {"name": "C", "values": ["1"]}, {"name": "D", "values": ["1"]}
            ], "variants": [{"options": {"A": "1", "B": "1", "C": "1", "D": "1"}, "stock": 1}]}),
            &["options"],
        ),
        (
            json!({"options": [{"name": "N", "values": (0..31).map(|i| i.to_string()).collect::<Vec<_>>()}],
                   "variants": [{"options": {"N": "0"}, "stock": 1}]}),
            &["options[0].values"],
        ),
        (json!({"variants": []}), &["variants"]),
        (
            json!({"variants": [{"id": "00000000-0000-7000-8000-000000000000", "options": {"Size": "S", "Colour": "red"}, "stock": 1}]}),
            &["variants[0].id"],
        ),
        (
            json!({"variants": [{"options": {"Size": "S", "Colour": "red"}, "stock": 1, "photo_id": "nope"}]}),
            &["variants[0].photo_id"],
        ),
    ];
    for (change, fields) in cases {
        let mut body = tee_body("x");
        for (k, v) in change.as_object().expect("object") {
            body[k] = v.clone();
        }
        let r = app.post("/products", Some(&admin), body.clone()).await;
        let problem = r.assert_problem(422, "validation_failed");
        for field in fields {
            assert!(
                problem["errors"][field].is_array(),
                "{field} not named for {change}: {}",
                r.text
            );
        }
    }
    // Too many variants.
    let mut body = tee_body("x");
    body["options"] = json!([{"name": "N", "values": (0..30).map(|i| i.to_string()).collect::<Vec<_>>()},
                             {"name": "M", "values": (0..4).map(|i| i.to_string()).collect::<Vec<_>>()}]);
    body["variants"] = json!((0..30)
        .flat_map(|n| (0..4)
            .map(move |m| json!({"options": {"N": n.to_string(), "M": m.to_string()}, "stock": 1})))
        .collect::<Vec<_>>());
    let r = app.post("/products", Some(&admin), body).await;
    assert!(r.assert_problem(422, "validation_failed")["errors"]["variants"].is_array());
    // A SKU another product has.
    let r = app.post("/products", Some(&admin), tee_body("taken")).await;
    let problem = r.assert_problem(409, "already_exists");
    assert_eq!(problem["sku"], "TAKEN-S-RED");
    assert!(problem["errors"]["variants"].is_array());
    // Nothing was stored by any refusal.
    let list = app.get("/products/clothing", None).await.body;
    assert_eq!(list["total"], 1, "{list}");
}

#[tokio::test]
async fn a_removed_variant_is_archived_carts_show_it_and_orders_keep_it() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let ana = app.customer("ana@example.com").await;
    let tee = tee(&app, &admin, "tee").await;
    let s_red = variant_id(&tee, "S", "red");
    let line = json!({"product_id": id(&tee), "variant_id": s_red, "quantity": 1});
    app.post("/cart", Some(&ana), line.clone()).await;
    app.put(
        "/cart/address",
        Some(&ana),
        json!({"delivery_address": "1 Calle Mayor, Madrid"}),
    )
    .await;
    let order = app.post("/orders", Some(&ana), json!({})).await;
    assert_eq!(order.status, StatusCode::CREATED, "{}", order.text);
    assert_eq!(order.body["items"][0]["variant"], "S / red");
    assert_eq!(order.body["items"][0]["sku"], "TEE-S-RED");
    app.post("/cart", Some(&ana), line.clone()).await;

    // The admin drops S/red; the other two keep their ids.
    let mut body = tee_body("tee");
    body["variants"] = json!([
        {"options": {"Size": "M", "Colour": "blue"}, "price": 1700, "stock": 3, "sku": "tee-m-blue"},
        {"options": {"Size": "M", "Colour": "red"}, "price": 1700, "stock": 3, "sku": "tee-m-red"}
    ]);
    let r = app
        .put(&format!("/products/{}", id(&tee)), Some(&admin), body)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let archived = r.body["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .find(|v| v["id"] == s_red.as_str())
        .cloned()
        .expect("kept");
    assert_eq!(archived["archived"], true);
    assert_eq!(
        variant_id(&r.body, "M", "blue"),
        variant_id(&tee, "M", "blue")
    );

    let cart = app.get("/cart", Some(&ana)).await.body;
    assert_eq!(cart["items"][0]["available"], false, "{cart}");
    assert_eq!(cart["ready"], false);
    let again = app.post("/cart", Some(&ana), line).await;
    assert!(again.assert_problem(422, "validation_failed")["errors"]["variant_id"].is_array());
    let (_, page) = app.page(&format!("/products/{}", id(&tee))).await;
    assert!(!page.contains(&s_red), "an archived variant is not offered");
    let kept = app
        .get(&format!("/orders/{}", order.body["number"]), Some(&ana))
        .await;
    assert_eq!(
        kept.body["items"], order.body["items"],
        "the order keeps its snapshot"
    );
}

#[tokio::test]
async fn the_product_pages_plain_form_adds_the_chosen_variant() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let tee = tee(&app, &admin, "tee").await;
    let browser = FormClient::new(&app);
    let m_red = variant_id(&tee, "M", "red");
    let fields = [
        ("product_id", id(&tee)),
        ("variant_id", m_red.clone()),
        ("quantity", "2".to_owned()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let posted = browser.post("/cart", &fields, "en").await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.page);
    let (_, cart) = browser.page("/cart", "en").await;
    assert!(cart.contains("M / red"), "the cart names the variant");
    assert!(cart.contains(&format!("action=\"/cart/{m_red}\"")));
    // Without a choice the form comes back with the message by its field.
    let posted = browser
        .post(
            "/cart",
            &[("product_id", &id(&tee)), ("quantity", "1")],
            "es",
        )
        .await;
    assert_eq!(posted.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        posted
            .page
            .contains("role=\"alert\">valor no válido en variant_id"),
        "{}",
        posted.page
    );
}
