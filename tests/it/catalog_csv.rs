//! Catalog CSV: the import (dry run and apply, every bad input named by
//! line and column, nothing written when any line is bad), the page's form
//! without JavaScript, and the streamed exports (headers, BOM, formula cells
//! neutralised, an export imported back gives the same catalog).

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{spawn_app, Answer, TestApp};
use crate::roles::staff;

const IMPORT: &str = "/admin/catalog/import";
const HEAD: &str = "sku,name,category,price,stock,option1_name,option1_value\n";

async fn import(app: &TestApp, token: &str, dry_run: bool, file: &[u8]) -> Answer {
    app.raw(
        Method::POST,
        &format!("{IMPORT}?dry_run={dry_run}"),
        Some(token),
        "text/csv",
        file.to_vec(),
    )
    .await
}

/// The `(line, field)` pairs a refused import names.
fn problems(answer: &Answer) -> Vec<(u64, String)> {
    answer.assert_problem(422, "validation_failed");
    answer.body["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| {
            (
                p["line"].as_u64().expect("line"),
                p["field"].as_str().expect("field").to_owned(),
            )
        })
        .collect()
}

async fn product_count(app: &TestApp) -> u64 {
    let list = app.get("/products", None).await;
    list.body["total"].as_u64().expect("total")
}

async fn download(
    app: &TestApp,
    token: &str,
    path: &str,
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let r = app
        .http
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("export");
    let (status, headers) = (r.status(), r.headers().clone());
    (status, headers, r.bytes().await.expect("body").to_vec())
}

#[tokio::test]
async fn every_role_gets_its_answer() {
    let app = spawn_app().await;
    let customer = app.customer("ana@example.com").await;
    let staff = staff(&app).await;
    let admin = app.admin().await;
    let file = format!("{HEAD}A1,Lamp,home,1,1,,\n").into_bytes();
    for path in [
        "/admin/catalog",
        "/admin/export/products.csv",
        "/admin/export/orders.csv",
        "/admin/export/customers.csv",
    ] {
        app.get(path, None)
            .await
            .assert_problem(401, "unauthorized");
        for token in [&customer, &staff] {
            app.get(path, Some(token))
                .await
                .assert_problem(403, "forbidden");
        }
        let (status, _, _) = download(&app, &admin, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    app.raw(Method::POST, IMPORT, None, "text/csv", file.clone())
        .await
        .assert_problem(401, "unauthorized");
    for token in [&customer, &staff] {
        import(&app, token, true, &file)
            .await
            .assert_problem(403, "forbidden");
    }
    let checked = import(&app, &admin, true, &file).await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.text);
    let doc = app.get("/openapi.json", None).await;
    for path in [IMPORT, "/admin/export/orders.csv"] {
        assert!(
            doc.body["paths"][path].is_object(),
            "{path} missing from OpenAPI"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn a_dry_run_reports_every_bad_line_and_the_apply_writes_all_or_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let long = "x".repeat(201);
    let bad = format!(
        "{HEAD}TEE-S,Tee,apparel,10.00,5,Size,S\nTEE-M,Tee,apparel,10.00,-1,Size,M\nLAMP,{long},home,19.99,3,,\nMUG,Mug,kitchen,4.5,7,,\n"
    );
    let refused = import(&app, &admin, true, bad.as_bytes()).await;
    assert_eq!(
        problems(&refused),
        [(3, "stock".to_owned()), (4, "name".to_owned())]
    );
    assert_eq!(refused.body["dry_run"], true);
    assert!(
        refused.body["errors"]["line 3: stock"].is_array(),
        "{}",
        refused.text
    );
    // The apply of the same file refuses the same way and writes nothing.
    let applied = import(&app, &admin, false, bad.as_bytes()).await;
    assert_eq!(problems(&applied), problems(&refused));
    assert_eq!(product_count(&app).await, 0);

    let good = bad.replace(",-1,", ",1,").replace(&long, "Lamp");
    let checked = import(&app, &admin, true, good.as_bytes()).await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.text);
    assert_eq!(
        checked.body,
        json!({"dry_run": true, "rows": 4, "products_created": 3, "products_updated": 0,
               "variants_created": 4, "variants_updated": 0})
    );
    assert_eq!(product_count(&app).await, 0, "a dry run changes nothing");

    let done = import(&app, &admin, false, good.as_bytes()).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(done.body["products_created"], 3);
    assert_eq!(product_count(&app).await, 3);

    // One audit entry for the apply (none for the checks and the refusals).
    let audit = app.get("/admin/audit?action=catalog.", Some(&admin)).await;
    assert_eq!(audit.body["total"], 1, "{}", audit.text);
    let entry = &audit.body["items"][0];
    assert_eq!(
        (&entry["action"], &entry["target"], &entry["actor"]),
        (
            &json!("catalog.import"),
            &json!("catalog"),
            &json!(crate::helpers::ADMIN_EMAIL)
        )
    );
    assert_eq!(entry["after"]["products_created"], 3);
    assert_eq!(
        entry["after"]["created_skus"],
        json!(["TEE-S", "TEE-M", "LAMP", "MUG"])
    );
    let list = app.get("/products?limit=10", None).await;
    let tee = list.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|p| p["name"] == "Tee")
        .expect("tee")
        .clone();
    assert_eq!(tee["variants"].as_array().expect("variants").len(), 2);
    assert_eq!(tee["stock"], 6);
    assert_eq!(tee["price"], 1000);

    // A known SKU updates its variant; the product keeps its id.
    let restock = format!("{HEAD}TEE-M,Tee,apparel,12.00,9,Size,M\n");
    let updated = import(&app, &admin, false, restock.as_bytes()).await;
    assert_eq!(updated.body["products_updated"], 1, "{}", updated.text);
    assert_eq!(updated.body["variants_updated"], 1);
    let tee = app
        .get(
            &format!("/products/{}", tee["id"].as_str().expect("id")),
            None,
        )
        .await;
    assert_eq!(tee.body["stock"], 14);
    assert_eq!(product_count(&app).await, 3);

    // The search index follows the import as it follows any product write.
    let start = std::time::Instant::now();
    while app.get("/search?q=mug", None).await.body["total"] != 1 {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(5),
            "the imported mug is not searchable"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    app.stop().await;
}

/// What a bad file is, its bytes, and the `(line, field)` pairs it gets.
type Case = (&'static str, Vec<u8>, Vec<(u64, &'static str)>);

#[tokio::test]
async fn bad_files_get_a_clear_problem_naming_line_and_column() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let cases: Vec<Case> = vec![
        ("empty", b"".to_vec(), vec![(1, "file")]),
        ("header only", HEAD.as_bytes().to_vec(), vec![(1, "file")]),
        (
            "unknown and missing columns",
            b"sku,name,colour,price\nA1,Lamp,red,1\n".to_vec(),
            vec![(1, "category"), (1, "colour"), (1, "stock")],
        ),
        (
            "duplicate SKUs",
            format!("{HEAD}A1,Lamp,home,1,1,,\na1,Mug,home,1,1,,\n").into_bytes(),
            vec![(3, "sku")],
        ),
        (
            "bad numbers",
            format!("{HEAD}A1,Lamp,home,1.999,x,,\nA2,Mug,home,-3,1,,\n").into_bytes(),
            vec![(2, "price"), (2, "stock"), (3, "price")],
        ),
        (
            "invalid UTF-8",
            [format!("{HEAD}A1,").as_bytes(), b"L\xffmp,home,1,1,,\n"].concat(),
            vec![(2, "name")],
        ),
        (
            "a quoted newline before a bad line",
            "sku,name,description,category,price,stock\nA1,Lamp,\"two\nlines\",home,1,1\nA2,Mug,,home,1,-5\n"
                .as_bytes()
                .to_vec(),
            vec![(4, "stock")],
        ),
    ];
    for (what, file, expected) in cases {
        let refused = import(&app, &admin, true, &file).await;
        let expected: Vec<(u64, String)> = expected
            .into_iter()
            .map(|(l, f)| (l, f.to_owned()))
            .collect();
        assert_eq!(problems(&refused), expected, "{what}: {}", refused.text);
    }

    // A 10 MB line is refused by its line, without reading it as a product.
    let mut huge = format!("{HEAD}A1,Lamp,home,1,1,,\nA2,").into_bytes();
    huge.extend(std::iter::repeat_n(b'x', 10 << 20));
    huge.extend_from_slice(b",home,1,1,,\n");
    let refused = import(&app, &admin, true, &huge).await;
    assert_eq!(problems(&refused), [(3, "file".to_owned())]);

    // BOM, semicolons and CRLF are a spreadsheet's CSV: accepted.
    let excel = "\u{feff}sku;name;category;price;stock\r\nA1;Lamp;home;19,99;3\r\n";
    let ok = import(&app, &admin, true, excel.as_bytes()).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);

    // Over the size limit, not CSV, or a dry_run that is not a boolean.
    let too_big = vec![b'x'; 65 << 20];
    import(&app, &admin, true, &too_big)
        .await
        .assert_problem(413, "payload_too_large");
    app.raw(
        Method::POST,
        IMPORT,
        Some(&admin),
        "application/json",
        b"{}".to_vec(),
    )
    .await
    .assert_problem(415, "unsupported_media_type");
    let maybe = app
        .raw(
            Method::POST,
            &format!("{IMPORT}?dry_run=maybe&utm_source=x"),
            Some(&admin),
            "text/csv",
            excel.as_bytes().to_vec(),
        )
        .await;
    maybe.assert_problem(400, "invalid_parameter");
    assert_eq!(product_count(&app).await, 0);
    app.stop().await;
}

#[tokio::test]
async fn exports_stream_csv_with_formulas_neutralised_and_import_back_unchanged() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let names = ["=HYPERLINK(\"http://evil\")", "+cmd", "@SUM(A1)", "-2+3"];
    for name in names {
        app.product(&admin, name, "home", 1999, 4).await;
    }
    let (status, headers, first) = download(&app, &admin, "/admin/export/products.csv").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"products.csv\""
    );
    assert!(first.starts_with(b"\xEF\xBB\xBFsku,product_id,name,description,"));
    let text = String::from_utf8(first.clone()).expect("UTF-8");
    assert!(text.contains("\r\n"), "CRLF line ends");
    assert_eq!(text.lines().count(), 1 + names.len());
    for name in names {
        let quoted = format!("'{name}").replace('"', "\"\"");
        assert!(text.contains(&quoted), "{name} not neutralised: {text}");
    }
    assert!(text.contains(",19.99,4,"), "prices as decimals: {text}");

    // Imported back, the export changes nothing: the next export is the same.
    let back = import(&app, &admin, false, &first).await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.text);
    assert_eq!(
        (
            &back.body["products_updated"],
            &back.body["products_created"]
        ),
        (&json!(4), &json!(0))
    );
    let list = app.get("/products", None).await;
    let mut stored: Vec<&str> = list.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    stored.sort();
    let mut expected = names.to_vec();
    expected.sort();
    assert_eq!(stored, expected);
    let (_, _, second) = download(&app, &admin, "/admin/export/products.csv").await;
    assert_eq!(
        String::from_utf8(second).expect("UTF-8"),
        text,
        "round trip"
    );

    // Orders and customers: a customer named like a formula is neutralised.
    let buyer = app.customer("buyer@example.com").await;
    let me = app.get("/auth/me", Some(&buyer)).await;
    let product = list.body["items"][0]["id"].clone();
    app.post(
        "/cart",
        Some(&buyer),
        json!({ "product_id": product, "quantity": 2 }),
    )
    .await;
    app.put(
        "/cart/address",
        Some(&buyer),
        json!({ "delivery_address": "Calle Mayor 1" }),
    )
    .await;
    let order = app.post("/orders", Some(&buyer), json!(null)).await;
    assert_eq!(order.status, StatusCode::CREATED, "{}", order.text);
    let (status, headers, orders) = download(&app, &admin, "/admin/export/orders.csv").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"orders.csv\""
    );
    let orders = String::from_utf8(orders).expect("UTF-8");
    let lines: Vec<&str> = orders.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "\u{feff}number,created_at,email,status,payment_method,payment_status,subtotal,shipping,tax,total,refunded,currency,country,items"
    );
    assert_eq!(lines.len(), 2, "{orders}");
    let number = order.body["number"].as_i64().expect("number");
    assert!(
        lines[1].starts_with(&format!("{number},")) && lines[1].contains(",buyer@example.com,"),
        "{orders}"
    );
    assert!(lines[1].ends_with(",2"), "units: {orders}");

    let (_, _, customers) = download(&app, &admin, "/admin/export/customers.csv").await;
    let customers = String::from_utf8(customers).expect("UTF-8");
    assert!(customers.starts_with("\u{feff}id,email,name,role,created_at\r\n"));
    assert!(customers.contains(&format!(
        "{},buyer@example.com,buyer,customer,",
        me.body["id"].as_str().expect("id")
    )));
    app.register("=HYPERLINK(\"x\")", "formula@example.com")
        .await;
    let (_, _, customers) = download(&app, &admin, "/admin/export/customers.csv").await;
    let customers = String::from_utf8(customers).expect("UTF-8");
    assert!(
        customers.contains(",formula@example.com,\"'=HYPERLINK(\"\"x\"\")\",customer,"),
        "{customers}"
    );
    app.stop().await;
}

/// A `multipart/form-data` body with the file as its `file` part.
fn form(file: &[u8]) -> (String, Vec<u8>) {
    const BOUNDARY: &str = "csvboundary7MA4YWxkTrZu0gW";
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"products.csv\"\r\nContent-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

async fn post_form(app: &TestApp, token: &str, dry_run: bool, file: &[u8]) -> (StatusCode, String) {
    let (kind, body) = form(file);
    let r = app
        .http
        .post(app.url(&format!("{IMPORT}?dry_run={dry_run}")))
        .bearer_auth(token)
        .header("accept", "text/html")
        .header("content-type", kind)
        .body(body)
        .send()
        .await
        .expect("form post");
    (r.status(), r.text().await.unwrap_or_default())
}

#[tokio::test]
async fn the_page_form_checks_and_imports_without_javascript() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let r = app
        .http
        .get(app.url("/admin/catalog"))
        .bearer_auth(&admin)
        .header("accept", "text/html")
        .send()
        .await
        .expect("page");
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap_or_default();
    assert!(page.contains("enctype=\"multipart/form-data\""), "{page}");
    assert!(page.contains("/admin/export/orders.csv"));

    let bad = format!("{HEAD}A1,Lamp,home,x,1,,\nA2,Mug,home,1,-1,,\nA3,Cup,home,1,1,,\n");
    let (status, page) = post_form(&app, &admin, true, bad.as_bytes()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("id=\"csv-problems\""), "{page}");
    assert!(page.contains("<tr><td>2</td><td>price</td>"), "{page}");
    assert!(page.contains("<tr><td>3</td><td>stock</td>"), "{page}");

    let good = bad.replace(",x,", ",1,").replace(",-1,", ",1,");
    let (status, page) = post_form(&app, &admin, false, good.as_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("<td id=\"csv-products-created\">3</td>"),
        "{page}"
    );
    assert_eq!(product_count(&app).await, 3);

    // In Spanish too.
    let (kind, body) = form(good.as_bytes());
    let r = app
        .http
        .post(app.url(&format!("{IMPORT}?dry_run=true")))
        .bearer_auth(&admin)
        .header("accept", "text/html")
        .header("accept-language", "es")
        .header("content-type", kind)
        .body(body)
        .send()
        .await
        .expect("form post");
    let page = r.text().await.unwrap_or_default();
    assert!(page.contains("Productos actualizados"), "{page}");
    app.stop().await;
}
