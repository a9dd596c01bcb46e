//! Roles: what anonymous callers, customers, staff and admins get on every
//! guarded route (401, 403 in the error model, or the route's own answer),
//! the header each sees, and `tienda admin grant EMAIL --role staff`.

use std::process::Command;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

const STAFF_EMAIL: &str = "staff@example.com";
const CUSTOMER_EMAIL: &str = "ana@example.com";
/// A well-formed id nothing has.
const NO_ID: &str = "00000000-0000-7000-8000-000000000000";

/// Runs `tienda admin ARGS…` on the app's store; returns (success, stdout, stderr).
fn tienda_admin(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tienda"))
        .arg("--config")
        .arg(
            std::env::current_dir()
                .expect("cwd")
                .join("config/tienda.toml"),
        )
        .arg("admin")
        .args(args)
        .env(
            "TIENDA_STORE__URL",
            format!("\"{}\"", app.settings.store.url.expose()),
        )
        .output()
        .expect("tienda admin runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Registers the staff account, grants it staff with the command line, logs it in.
pub(crate) async fn staff(app: &TestApp) -> String {
    let token = app.customer(STAFF_EMAIL).await;
    let (ok, out, err) = tienda_admin(app, &["grant", STAFF_EMAIL, "--role", "staff"]);
    assert!(ok, "grant staff: {err}");
    assert!(out.contains("is now staff"), "{out}");
    token
}

/// What a role gets on a route: the guard's refusal, or the route's answer.
#[derive(Clone, Copy, Debug)]
enum Gets {
    Unauthorized,
    Forbidden,
    Status(u16),
}
use Gets::{Forbidden as F, Status as S, Unauthorized as U};

fn check(answer: &crate::helpers::Answer, gets: Gets, who: &str, route: &str) {
    match gets {
        U => {
            assert_eq!(
                answer.status.as_u16(),
                401,
                "{who} {route}: {}",
                answer.text
            );
            answer.assert_problem(401, "unauthorized");
        }
        F => {
            assert_eq!(
                answer.status.as_u16(),
                403,
                "{who} {route}: {}",
                answer.text
            );
            answer.assert_problem(403, "forbidden");
        }
        S(status) => assert_eq!(
            answer.status.as_u16(),
            status,
            "{who} {route}: {}",
            answer.text
        ),
    }
}

struct World {
    app: TestApp,
    customer: String,
    staff: String,
    admin: String,
    product: String,
    order: i64,
}

async fn world() -> World {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let product = app.product(&admin, "Lamp", "home", 1000, 10).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let customer = app.customer(CUSTOMER_EMAIL).await;
    app.post(
        "/cart",
        Some(&customer),
        json!({"product_id": product, "quantity": 1}),
    )
    .await;
    let placed = app
        .post(
            "/orders",
            Some(&customer),
            json!({"delivery_address": "Somewhere 1, Town"}),
        )
        .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    let order = placed.body["number"].as_i64().expect("number");
    let staff = staff(&app).await;
    World {
        app,
        customer,
        staff,
        admin,
        product,
        order,
    }
}

#[tokio::test]
async fn every_guarded_route_answers_each_role_as_the_table_says() {
    let w = world().await;
    let p = &w.product;
    let customer_sessions = format!("/admin/users/{CUSTOMER_EMAIL}/sessions");
    let bad_method = json!({"name": ""});
    // Routes whose answer does not depend on who called before: each role in
    // turn (anonymous, customer, staff, admin).
    let table: Vec<(Method, String, Option<Value>, [Gets; 4])> = vec![
        (Method::GET, "/config".into(), None, [U, F, F, S(200)]),
        (Method::GET, "/admin/mail".into(), None, [U, F, F, S(200)]),
        (Method::GET, "/admin/audit".into(), None, [U, F, F, S(200)]),
        (
            Method::POST,
            format!("/admin/mail/{NO_ID}/retry"),
            Some(json!({})),
            [U, F, F, S(404)],
        ),
        (
            Method::GET,
            "/admin/products".into(),
            None,
            [U, F, F, S(200)],
        ),
        (
            Method::GET,
            format!("/admin/products/{p}/edit"),
            None,
            [U, F, F, S(200)],
        ),
        (
            Method::GET,
            "/admin/shipping".into(),
            None,
            [U, F, F, S(200)],
        ),
        (Method::GET, customer_sessions, None, [U, F, F, S(200)]),
        (
            Method::POST,
            "/products".into(),
            Some(json!({"name": ""})),
            [U, F, F, S(422)],
        ),
        (
            Method::PUT,
            format!("/products/{p}"),
            Some(json!({"name": ""})),
            [U, F, F, S(422)],
        ),
        (
            Method::DELETE,
            format!("/products/{NO_ID}"),
            None,
            [U, F, F, S(404)],
        ),
        (
            Method::POST,
            format!("/products/{p}/photos/order"),
            Some(json!({"order": []})),
            [U, F, F, S(200)],
        ),
        (
            Method::PUT,
            "/shipping-methods/standard".into(),
            Some(bad_method),
            [U, F, F, S(422)],
        ),
        (
            Method::DELETE,
            "/shipping-methods/no-such-method".into(),
            None,
            [U, F, F, S(404)],
        ),
        (
            Method::GET,
            "/orders".into(),
            None,
            [U, S(200), S(200), S(200)],
        ),
        (
            Method::GET,
            format!("/orders/{}", w.order),
            None,
            [U, S(200), S(200), S(200)],
        ),
        (
            Method::GET,
            format!("/messages?channel={CUSTOMER_EMAIL}"),
            None,
            [U, S(200), S(200), S(200)],
        ),
        (
            Method::GET,
            "/messages?channel=someone-else@example.com".into(),
            None,
            [U, F, S(200), S(200)],
        ),
        (
            Method::PUT,
            "/orders/999999/status".into(),
            Some(json!({"status": "paid"})),
            [U, F, S(404), S(404)],
        ),
        (
            Method::POST,
            "/orders/999999/refunds".into(),
            Some(json!({})),
            [U, F, F, S(404)],
        ),
        (
            Method::DELETE,
            "/admin/users/nobody@example.com".into(),
            None,
            [U, F, F, S(404)],
        ),
    ];
    let tokens = [None, Some(&w.customer), Some(&w.staff), Some(&w.admin)];
    let names = ["anonymous", "customer", "staff", "admin"];
    for (method, path, body, gets) in &table {
        for ((token, name), gets) in tokens.iter().zip(names).zip(gets) {
            let answer = w
                .app
                .call(
                    method.clone(),
                    path,
                    token.map(String::as_str),
                    body.clone(),
                )
                .await;
            check(&answer, *gets, name, &format!("{method} {path}"));
        }
    }
}

#[tokio::test]
async fn staff_move_orders_but_only_admins_refund() {
    let w = world().await;
    let (app, n) = (&w.app, w.order);
    let status = format!("/orders/{n}/status");
    let refunds = format!("/orders/{n}/refunds");
    // Staff read every order, the customer's among them.
    let all = app.get("/orders", Some(&w.staff)).await;
    assert_eq!(all.body["total"], 1, "{}", all.text);
    assert_eq!(all.body["items"][0]["email"], CUSTOMER_EMAIL);
    let one = app.get(&format!("/orders/{n}"), Some(&w.staff)).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.text);
    // Customers may not move their order; staff mark the transfer paid.
    app.put(&status, Some(&w.customer), json!({"status": "paid"}))
        .await
        .assert_problem(403, "forbidden");
    let paid = app
        .put(&status, Some(&w.staff), json!({"status": "paid"}))
        .await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.text);
    assert_eq!(paid.body["status"], "paid");
    // A refund is the admin's: staff get 403 in the error model.
    let refused = app.post(&refunds, Some(&w.staff), json!({})).await;
    let problem = refused.assert_problem(403, "forbidden");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("admin")),
        "{problem}"
    );
    app.post(&refunds, Some(&w.customer), json!({}))
        .await
        .assert_problem(403, "forbidden");
    let refunded = app.post(&refunds, Some(&w.admin), json!({})).await;
    assert_eq!(refunded.status, StatusCode::OK, "{}", refunded.text);
    // Staff ship and deliver another order, and cancel a third.
    for target in ["shipped", "delivered"] {
        let order = place(app, &w.customer, &w.product).await;
        let url = format!("/orders/{order}/status");
        app.put(&url, Some(&w.staff), json!({"status": "paid"}))
            .await;
        let r = app
            .put(&url, Some(&w.staff), json!({"status": "shipped"}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        if target == "delivered" {
            let r = app
                .put(&url, Some(&w.staff), json!({"status": "delivered"}))
                .await;
            assert_eq!(r.body["status"], "delivered", "{}", r.text);
        }
    }
    let order = place(app, &w.customer, &w.product).await;
    let r = app
        .put(
            &format!("/orders/{order}/status"),
            Some(&w.staff),
            json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(r.body["status"], "cancelled", "{}", r.text);
    // Deleting an account and ending another's session are the admin's.
    app.delete(&format!("/admin/users/{CUSTOMER_EMAIL}"), Some(&w.staff))
        .await
        .assert_problem(403, "forbidden");
    let sessions = app
        .get(
            &format!("/admin/users/{CUSTOMER_EMAIL}/sessions"),
            Some(&w.admin),
        )
        .await;
    let sid = sessions.body["items"][0]["id"]
        .as_str()
        .expect("session id")
        .to_owned();
    app.delete(&format!("/auth/sessions/{sid}"), Some(&w.staff))
        .await
        .assert_problem(404, "not_found");
    assert_eq!(
        app.get("/orders", Some(&w.customer)).await.status,
        StatusCode::OK,
        "the customer's session lives on"
    );
}

async fn place(app: &TestApp, customer: &str, product: &str) -> i64 {
    app.post(
        "/cart",
        Some(customer),
        json!({"product_id": product, "quantity": 1}),
    )
    .await;
    let r = app
        .post(
            "/orders",
            Some(customer),
            json!({"delivery_address": "Somewhere 1, Town"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["number"].as_i64().expect("number")
}

/// The page `path` as `token` sees it.
async fn page_as(app: &TestApp, path: &str, token: &str) -> String {
    let r = app
        .http
        .get(app.url(path))
        .header("accept", "text/html")
        .bearer_auth(token)
        .send()
        .await
        .expect("page");
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.expect("html")
}

#[tokio::test]
async fn the_header_shows_each_role_the_links_it_may_use() {
    let w = world().await;
    let admin_only = [
        "href=\"/admin/products\"",
        "href=\"/admin/mail\"",
        "href=\"/admin/shipping\"",
        "href=\"/config\"",
        "href=\"/admin\"",
    ];
    let staff_page = page_as(&w.app, "/orders", &w.staff).await;
    assert!(
        staff_page.contains("href=\"/admin/orders\""),
        "the back office's order list"
    );
    assert!(staff_page.contains("href=\"/admin/customers\""));
    assert!(staff_page.contains("href=\"/chat\""));
    assert!(staff_page.contains("(staff)"), "the role beside the name");
    for link in admin_only {
        assert!(!staff_page.contains(link), "staff see no {link}");
    }
    assert!(
        staff_page.contains(CUSTOMER_EMAIL),
        "staff see every order with its customer"
    );
    let admin_page = page_as(&w.app, "/orders", &w.admin).await;
    for link in admin_only {
        assert!(admin_page.contains(link), "admins see {link}");
    }
    let customer_page = page_as(&w.app, "/orders", &w.customer).await;
    assert!(
        customer_page.contains("href=\"/orders\""),
        "their own orders"
    );
    assert!(!customer_page.contains("href=\"/admin/customers\""));
    for link in admin_only {
        assert!(!customer_page.contains(link), "customers see no {link}");
    }
    assert!(!customer_page.contains("(staff)"));
    // Staff get the order's status actions, but not the refund form.
    let order_page = page_as(&w.app, &format!("/orders/{}", w.order), &w.staff).await;
    assert!(order_page.contains("id=\"order-actions\""));
    assert!(!order_page.contains("id=\"refund-form\""));
}

#[tokio::test]
async fn tienda_admin_grant_gives_a_role_and_revoke_takes_it_away() {
    let app = spawn_app().await;
    let bea = app.customer("bea@example.com").await;
    let (ok, _, err) = tienda_admin(&app, &["grant", "BEA@example.com", "--role", "staff"]);
    assert!(ok, "{err}");
    let me = app.get("/auth/me", Some(&bea)).await;
    assert_eq!(me.body["role"], "staff", "{}", me.text);
    app.get("/admin/mail", Some(&bea))
        .await
        .assert_problem(403, "forbidden");
    // Without --role: admin, as before.
    let (ok, out, err) = tienda_admin(&app, &["grant", "bea@example.com"]);
    assert!(ok && out.contains("is now admin"), "{out}{err}");
    assert_eq!(
        app.get("/admin/mail", Some(&bea)).await.status,
        StatusCode::OK
    );
    let (ok, out, _) = tienda_admin(&app, &["revoke", "bea@example.com"]);
    assert!(ok && out.contains("is now customer"), "{out}");
    let me = app.get("/auth/me", Some(&bea)).await;
    assert_eq!(me.body["role"], "customer", "{}", me.text);
    // A role that cannot be granted, and an unknown account.
    let (ok, _, err) = tienda_admin(&app, &["grant", "bea@example.com", "--role", "customer"]);
    assert!(
        !ok && err.contains("admin") && err.contains("staff"),
        "{err}"
    );
    let (ok, _, err) = tienda_admin(&app, &["grant", "nobody@example.com", "--role", "staff"]);
    assert!(!ok && err.contains("no account"), "{err}");
}
