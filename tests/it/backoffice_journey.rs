//! The back office in Chromium, as an owner uses it on a morning: imports a
//! catalog CSV (the dry run names two bad lines; the fixed file imports),
//! sees the dashboard change after a purchase, ships the order, and disables
//! the customer, whose open page is then logged out.

use serde_json::{json, Value};

use crate::browser::{browser, Browser};
use crate::helpers::*;

const HEADER: &str = "sku,name,category,price,stock\n";
/// Line 3 has a price that is not an amount, line 4 a stock that is not a
/// whole number (line 1 is the header).
const ROWS: &str = "MUG-BLUE,Blue mug,kitchen,12.50,30\n\
                    MUG-RED,Red mug,kitchen,twelve,30\n\
                    MUG-GREEN,Green mug,kitchen,12.50,lots\n";

/// Writes `csv` to a file, picks it in the import form and presses `button`
/// (`check` or `apply`); the page that answers has the report.
async fn submit_csv(b: &Browser, dir: &std::path::Path, csv: &str, button: &str) {
    let path = dir.join(format!("{button}.csv"));
    std::fs::write(&path, csv).expect("write the CSV");
    b.find("#csv-file")
        .await
        .send_keys(&path.display().to_string())
        .await
        .expect("pick the file");
    // The page before may hold a report too: wait for the one the post answers.
    b.client
        .execute("document.body.dataset.before = 'yes';", vec![])
        .await
        .expect("mark the page");
    b.click(&format!("#csv-import button[name={button}]")).await;
    assert!(
        b.wait_for(
            "return document.readyState === 'complete' && !document.body.dataset.before \
             && !!document.getElementById('csv-report');"
        )
        .await,
        "the import answered with its report"
    );
}

/// The `(line, column)` of each row of the report's problem table.
async fn problems(b: &Browser) -> Value {
    b.client
        .execute(
            "return [...document.querySelectorAll('#csv-problems tbody tr')]
                .map(r => [r.cells[0].textContent.trim(), r.cells[1].textContent.trim()]);",
            vec![],
        )
        .await
        .expect("problem rows")
}

async fn count_in(b: &Browser, css: &str) -> i64 {
    b.text(css).await.trim().parse().expect("a count")
}

#[tokio::test]
async fn an_admin_imports_sells_ships_and_disables_in_the_browser() {
    let app = spawn_app().await;
    app.admin().await;
    let files = tempfile::tempdir().expect("dir");

    // The admin signs in and checks the file: two bad lines, nothing written.
    let b = browser().await;
    b.goto(&app.url("/")).await;
    b.fill("#login-email", ADMIN_EMAIL).await;
    b.fill("#login-password", PASSWORD).await;
    b.click("#login-form button[type=submit]").await;
    b.wait_url("/products").await;
    b.goto(&app.url("/admin/products")).await;
    b.click("a[href='/admin/catalog']").await;
    b.wait_url("/admin/catalog").await;
    let bad = format!("{HEADER}{ROWS}");
    submit_csv(&b, files.path(), &bad, "check").await;
    assert_eq!(
        problems(&b).await,
        json!([["3", "price"], ["4", "stock"]]),
        "the dry run names both bad lines by line and column"
    );
    let listed = app.get("/products", None).await.body;
    assert_eq!(listed["items"], json!([]), "a refused file imports nothing");

    // Fixed, it checks clean, then imports.
    let good = bad.replace(",twelve,", ",12.00,").replace(",lots", ",30");
    submit_csv(&b, files.path(), &good, "check").await;
    assert_eq!(problems(&b).await, json!([]));
    submit_csv(&b, files.path(), &good, "apply").await;
    assert_eq!(count_in(&b, "#csv-products-created").await, 3);
    let listed = app.get("/products", None).await.body;
    let blue = listed["items"]
        .as_array()
        .and_then(|items| items.iter().find(|p| p["name"] == "Blue mug"))
        .and_then(|p| p["id"].as_str())
        .expect("the imported blue mug")
        .to_owned();

    // The dashboard before and after a customer's purchase.
    b.goto(&app.url("/admin")).await;
    let orders_before = count_in(&b, "#orders").await;
    let lucia = app.customer("lucia@example.com").await;
    let order = crate::dashboard::buy(&app, &lucia, &blue, 2).await;
    let number = order["number"].as_i64().expect("number");
    b.goto(&app.url("/admin")).await;
    assert_eq!(count_in(&b, "#orders").await, orders_before + 1);
    b.find(&format!("#top-products tr[data-id='{blue}']")).await;
    assert_eq!(
        b.text(&format!("#top-products tr[data-id='{blue}'] td"))
            .await,
        "2",
        "two units of the blue mug sold"
    );

    // The admin finds the order in the list and ships it.
    b.click("nav a[href='/admin/orders']").await;
    b.wait_url("/admin/orders").await;
    b.click(&format!("#admin-orders tr[data-number='{number}'] a"))
        .await;
    b.wait_url(&format!("/orders/{number}")).await;
    // Paid by transfer first, when the order waits for its money.
    if order["status"] == "awaiting_payment" && order["payment"]["method"] != "cash_on_delivery" {
        b.click("#mark-paid").await;
        b.wait_text("#order-status", "paid").await;
    }
    b.fill("#ship-carrier", "Correos").await;
    b.fill("#ship-number", "PK765432ES").await;
    b.click("#ship-form button[type=submit]").await;
    b.wait_text("#order-status", "shipped").await;

    // Lucía has the chat open when the admin disables her account.
    let c = browser().await;
    c.goto(&app.url("/")).await;
    c.fill("#login-email", "lucia@example.com").await;
    c.fill("#login-password", PASSWORD).await;
    c.click("#login-form button[type=submit]").await;
    c.wait_url("/products").await;
    c.goto(&app.url("/chat")).await;
    assert!(
        c.wait_for("const r = document.querySelector('[data-connected]'); return !!r && r.dataset.connected === 'true';")
            .await,
        "her chat is connected"
    );
    b.click("nav a[href='/admin/customers']").await;
    b.fill(
        "form[action='/admin/customers'] input[name=search]",
        "lucia",
    )
    .await;
    b.click("form[action='/admin/customers'] button[type=submit]")
        .await;
    // The unfiltered list has her link too: click it on the search's answer.
    b.wait_url("search=lucia").await;
    b.click("a[href='/admin/customers/lucia@example.com']")
        .await;
    b.wait_url("/admin/customers/lucia").await;
    b.client
        .execute("window.confirm = () => true;", vec![])
        .await
        .expect("accept the confirmation");
    b.click("#customer-disable").await;
    b.find("#customer-enable").await;
    assert!(
        c.wait_for("return location.pathname === '/' && !!document.getElementById('login-form');")
            .await,
        "her open page went to the login"
    );
    app.get("/auth/me", Some(&lucia))
        .await
        .assert_problem(401, "unauthorized");
    c.close().await;
    b.close().await;
}
