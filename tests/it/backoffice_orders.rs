//! The back office's orders over HTTP: the filtered list (API and page) for
//! every role, bad filters, resending an order's email, the packing slip.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::roles::staff;

const ANA: &str = "ana@example.com";
const BOB: &str = "bob@example.com";

struct Shop {
    app: TestApp,
    admin: String,
    staff: String,
    ana: String,
    /// Ana's order of two M/blue tees, then Bob's order of one lamp.
    anas: i64,
    bobs: i64,
}

async fn order(app: &TestApp, token: &str, line: Value) -> i64 {
    let added = app.post("/cart", Some(token), line).await;
    assert!(added.status.is_success(), "{}", added.text);
    let placed = app
        .post(
            "/orders",
            Some(token),
            json!({"delivery_address": "1 Calle Mayor, Madrid"}),
        )
        .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    placed.body["number"].as_i64().expect("number")
}

async fn shop() -> Shop {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let tee = app
        .post(
            "/products",
            Some(&admin),
            json!({
                "name": "Tee", "description": "Cotton", "category": "clothing", "price": 1700,
                "options": [{"name": "Size", "values": ["S", "M"]}],
                "variants": [
                    {"sku": "TEE-S", "options": {"Size": "S"}, "stock": 5},
                    {"sku": "TEE-M", "options": {"Size": "M"}, "stock": 5}
                ]
            }),
        )
        .await;
    assert_eq!(tee.status, StatusCode::CREATED, "{}", tee.text);
    let medium = tee.body["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .find(|v| v["sku"] == "TEE-M")
        .expect("M")["id"]
        .clone();
    let lamp = app.product(&admin, "Lamp", "home", 2300, 10).await["id"].clone();
    let ana = app.customer(ANA).await;
    let bob = app.customer(BOB).await;
    let anas = order(
        &app,
        &ana,
        json!({"product_id": tee.body["id"], "variant_id": medium, "quantity": 2}),
    )
    .await;
    let bobs = order(&app, &bob, json!({"product_id": lamp, "quantity": 1})).await;
    let staff = staff(&app).await;
    Shop {
        app,
        admin,
        staff,
        ana,
        anas,
        bobs,
    }
}

fn numbers(answer: &Answer) -> Vec<i64> {
    answer.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {}", answer.text))
        .iter()
        .map(|o| o["number"].as_i64().expect("number"))
        .collect()
}

fn today() -> String {
    let now = time::OffsetDateTime::now_utc().date();
    format!(
        "{:04}-{:02}-{:02}",
        now.year(),
        u8::from(now.month()),
        now.day()
    )
}

/// Attribute text as a browser reads it.
pub(crate) fn unescape(html: &str) -> String {
    html.replace("&#x3D;", "=").replace("&amp;", "&")
}

#[tokio::test]
async fn new_order_routes_answer_each_role() {
    let s = shop().await;
    let customer = s.ana.clone();
    let n = s.anas;
    let routes: Vec<(Method, String, [u16; 4])> = vec![
        (Method::GET, "/admin/orders".into(), [401, 403, 200, 200]),
        (
            Method::GET,
            format!("/orders/{n}/packing-slip"),
            [401, 403, 200, 200],
        ),
        (
            Method::POST,
            format!("/orders/{n}/resend"),
            [401, 403, 202, 202],
        ),
    ];
    for (method, path, expected) in routes {
        for (who, token, status) in [
            ("anonymous", None, expected[0]),
            ("customer", Some(customer.as_str()), expected[1]),
            ("staff", Some(s.staff.as_str()), expected[2]),
            ("admin", Some(s.admin.as_str()), expected[3]),
        ] {
            let body = (method == Method::POST).then(|| json!({}));
            let r = s.app.call(method.clone(), &path, token, body).await;
            assert_eq!(
                r.status.as_u16(),
                status,
                "{who} {method} {path}: {}",
                r.text
            );
            match status {
                401 => {
                    r.assert_problem(401, "unauthorized");
                }
                403 => {
                    r.assert_problem(403, "forbidden");
                }
                _ => {}
            }
        }
    }
    // The filtered API list: a customer sees only their own orders, whatever
    // email they name; staff and admins see everyone's.
    let mine = s
        .app
        .get(
            &format!("/orders?email={BOB}&from={}", today()),
            Some(&customer),
        )
        .await;
    assert_eq!(numbers(&mine), vec![s.anas]);
    for token in [&s.staff, &s.admin] {
        let all = s.app.get("/orders", Some(token)).await;
        assert_eq!(numbers(&all), vec![s.bobs, s.anas]);
    }
    s.app
        .get("/orders?from=2026-01-01", None)
        .await
        .assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn filters_narrow_the_list_and_bad_ones_are_named() {
    let s = shop().await;
    let (app, staff) = (&s.app, s.staff.as_str());
    let today = today();
    for (query, expected) in [
        (format!("?number={}", s.anas), vec![s.anas]),
        (format!("?email={BOB}"), vec![s.bobs]),
        (format!("?email={}", BOB.to_uppercase()), vec![s.bobs]),
        (format!("?from={today}&to={today}"), vec![s.bobs, s.anas]),
        ("?to=2000-01-01".to_owned(), vec![]),
        ("?from=2100-12-31".to_owned(), vec![]),
        (
            format!("?status=awaiting_payment&email={ANA}&from={today}"),
            vec![s.anas],
        ),
        ("?status=paid".to_owned(), vec![]),
        (format!("?number={}&email={ANA}", s.bobs), vec![]),
        // Unknown parameters (tracking links) are ignored.
        (format!("?utm_source=mail&number={}", s.bobs), vec![s.bobs]),
    ] {
        let r = app.get(&format!("/orders{query}"), Some(staff)).await;
        assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.text);
        assert_eq!(numbers(&r), expected, "{query}");
        assert_eq!(r.body["total"], json!(expected.len()), "{query}");
    }
    let second = app.get("/orders?limit=1&offset=1", Some(staff)).await;
    assert_eq!(
        (numbers(&second), &second.body["total"]),
        (vec![s.anas], &json!(2))
    );
    let paged = app.get("/orders?limit=1", Some(staff)).await;
    assert_eq!(
        (numbers(&paged), &paged.body["total"]),
        (vec![s.bobs], &json!(2))
    );

    // Bad filters: 422 naming each field (the API and the page alike).
    for (query, fields) in [
        ("from=2026-02-02&to=2026-02-01", vec!["to"]),
        ("from=1999-12-31", vec!["from"]),
        ("to=2101-01-01&from=02/01/2026", vec!["from", "to"]),
        ("number=abc", vec!["number"]),
        ("number=0&from=2026-13-01", vec!["from", "number"]),
    ] {
        for path in ["/orders", "/admin/orders"] {
            let r = app.get(&format!("{path}?{query}"), Some(staff)).await;
            let problem = r.assert_problem(422, "validation_failed");
            let named: Vec<&str> = problem["errors"]
                .as_object()
                .expect("errors")
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(named, fields, "{path}?{query}");
        }
    }
    // Status and paging are checked as on every list: 400 naming them.
    for (query, parameter) in [
        ("status=lost", "status"),
        ("limit=100000", "limit"),
        ("limit=0", "limit"),
    ] {
        for path in ["/orders", "/admin/orders"] {
            let r = app.get(&format!("{path}?{query}"), Some(staff)).await;
            let problem = r.assert_problem(400, "invalid_parameter");
            assert_eq!(problem["parameter"], parameter, "{path}?{query}");
        }
    }
}

#[tokio::test]
async fn the_admin_order_page_filters_and_pages() {
    let s = shop().await;
    let (status, html) = s
        .app
        .page_as(
            "/admin/orders?limit=1&status=awaiting_payment&utm=x",
            &s.staff,
        )
        .await;
    let html = unescape(&html);
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains(&format!("href=\"/orders/{}\"", s.bobs)),
        "{html}"
    );
    assert!(!html.contains(&format!("href=\"/orders/{}\"", s.anas)));
    assert!(html.contains(BOB));
    // The next page keeps the filter.
    assert!(
        html.contains("/admin/orders?status=awaiting_payment&offset=1&limit=1"),
        "{html}"
    );
    assert!(html.contains("<option value=\"awaiting_payment\" selected>"));
    let (status, html) = s
        .app
        .page_as(&format!("/admin/orders?email={ANA}"), &s.admin)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("href=\"/orders/{}\"", s.anas)));
    assert!(!html.contains(&format!("href=\"/orders/{}\"", s.bobs)));
    let (status, _) = s
        .app
        .page_as("/admin/orders?from=2026-02-02&to=2026-02-01", &s.admin)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn resend_queues_the_confirmation_again() {
    let s = shop().await;
    let r = s
        .app
        .post(
            &format!("/orders/{}/resend", s.anas),
            Some(&s.staff),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let id = r.body["mail_id"].as_str().expect("mail id").to_owned();
    let outbox = s.app.get("/admin/mail?limit=200", Some(&s.admin)).await;
    let mail = outbox.body["items"]
        .as_array()
        .expect("mails")
        .iter()
        .find(|m| m["id"] == id.as_str())
        .unwrap_or_else(|| panic!("the resent mail is in the outbox: {}", outbox.text))
        .clone();
    assert_eq!(mail["kind"], "order_confirmation");
    assert_eq!(mail["to"], ANA);
    let confirmations = outbox.body["items"]
        .as_array()
        .expect("mails")
        .iter()
        .filter(|m| m["kind"] == "order_confirmation" && m["to"] == ANA)
        .count();
    assert_eq!(confirmations, 2, "checkout's and the one sent again");
    let log = s
        .app
        .get(
            "/admin/audit?action=order.resend_confirmation",
            Some(&s.admin),
        )
        .await;
    let entry = &log.body["items"][0];
    assert_eq!(entry["target"], format!("order:{}", s.anas), "{}", log.text);
    assert_eq!(entry["actor"], "staff@example.com");
    assert_eq!(entry["after"]["mail_id"], id.as_str());

    s.app
        .post("/orders/99999/resend", Some(&s.admin), json!({}))
        .await
        .assert_problem(404, "order_not_found");
    s.app
        .post("/orders/nope/resend", Some(&s.admin), json!({}))
        .await
        .assert_problem(400, "invalid_parameter");
}

#[tokio::test]
async fn the_order_page_shows_what_the_viewer_may_do_and_the_slip_has_no_prices() {
    let s = shop().await;
    let path = format!("/orders/{}", s.anas);
    let (_, staff_page) = s.app.page_as(&path, &s.staff).await;
    assert!(staff_page.contains("id=\"resend\""), "{staff_page}");
    assert!(staff_page.contains("id=\"packing-slip-link\""));
    assert!(staff_page.contains("id=\"mark-paid\""));
    let (_, customer_page) = s.app.page_as(&path, &s.ana).await;
    for action in ["id=\"resend\"", "packing-slip", "id=\"mark-", "refund-form"] {
        assert!(!customer_page.contains(action), "customer sees {action}");
    }

    let (status, slip) = s
        .app
        .page_as(&format!("{path}/packing-slip"), &s.staff)
        .await;
    assert_eq!(status, StatusCode::OK, "{slip}");
    for shown in [
        "TEE-M",
        "Tee",
        ">M<",
        ">2<",
        "Calle Mayor",
        &s.anas.to_string(),
    ] {
        assert!(slip.contains(shown), "the slip shows {shown}: {slip}");
    }
    for price in ["17.00", "17,00", "34.00", "34,00", "€"] {
        assert!(!slip.contains(price), "the slip shows a price ({price})");
    }
    s.app
        .get("/orders/99999/packing-slip", Some(&s.admin))
        .await
        .assert_problem(404, "order_not_found");
}
