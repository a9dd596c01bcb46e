//! Product photo uploads: real images made here with the `image` crate, and
//! the hostile ones (a decompression bomb, a polyglot, a ZIP named .png,
//! EXIF with a GPS position that must not survive). Every refusal must
//! leave nothing stored.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, RgbImage, RgbaImage};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, Answer, TestApp};

const BOUNDARY: &str = "tienda-test-boundary-7MA4YWxkTrZu0gW";

/// A `w`×`h` picture (a gradient, so it compresses like a photo would not).
fn picture(w: u32, h: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([
            (x * 255 / w) as u8,
            (y * 255 / h) as u8,
            ((x + y) % 256) as u8,
        ])
    }))
}

fn encoded(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).expect("encode");
    out.into_inner()
}

pub(crate) fn jpeg(w: u32, h: u32) -> Vec<u8> {
    encoded(&picture(w, h), ImageFormat::Jpeg)
}

/// A JPEG with an APP1 Exif segment right after SOI whose GPS IFD holds a
/// latitude reference and a marker string to look for afterwards.
fn jpeg_with_gps(w: u32, h: u32) -> Vec<u8> {
    let plain = jpeg(w, h);
    // TIFF, big-endian: IFD0 at 8 with one entry (GPSInfo → 26), then the
    // GPS IFD at 26 with GPSLatitudeRef "N" and GPSMapDatum "GPS-SECRET".
    let mut tiff = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    tiff.extend_from_slice(&[0, 1, 0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 26, 0, 0, 0, 0]);
    tiff.extend_from_slice(&[0, 2]);
    tiff.extend_from_slice(&[0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]);
    tiff.extend_from_slice(&[0, 0x12, 0, 2, 0, 0, 0, 11, 0, 0, 0, 56]);
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    assert_eq!(tiff.len(), 56);
    tiff.extend_from_slice(b"GPS-SECRET\0");
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let len = (app1.len() + 2) as u16;
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&plain[2..]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
}

/// A tiny PNG whose header claims `w`×`h` pixels.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// A `multipart/form-data` body of `photo` parts (name, content type, bytes).
fn multipart(parts: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, content_type, bytes) in parts {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"{name}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub(crate) async fn upload(
    app: &TestApp,
    token: Option<&str>,
    id: &str,
    parts: &[(&str, &str, &[u8])],
) -> Answer {
    app.raw(
        Method::POST,
        &format!("/products/{id}/photos"),
        token,
        &format!("multipart/form-data; boundary={BOUNDARY}"),
        multipart(parts),
    )
    .await
}

/// Photo files the store holds: folders under `photos/` beside the SQLite
/// file, or files in the GridFS bucket.
async fn stored_files(app: &TestApp) -> usize {
    let url = app.settings.store.url.expose().to_owned();
    if url.starts_with("mongodb") {
        let options = mongodb::options::ClientOptions::parse(&url)
            .await
            .expect("url");
        let db = options.default_database.clone().expect("a database");
        let client = mongodb::Client::with_options(options).expect("client");
        let count = client
            .database(&db)
            .collection::<mongodb::bson::Document>("photos.files")
            .count_documents(mongodb::bson::doc! {})
            .await
            .expect("count");
        count as usize
    } else {
        match std::fs::read_dir(app.dir.path().join("photos")) {
            Ok(entries) => entries.count() * 2,
            Err(_) => 0,
        }
    }
}

async fn fetch(app: &TestApp, path: &str, etag: Option<&str>) -> reqwest::Response {
    let mut req = app.http.get(app.url(path));
    if let Some(tag) = etag {
        req = req.header("if-none-match", tag);
    }
    req.send().await.expect("photo request")
}

fn photo_ids(product: &Value) -> Vec<String> {
    product["photos"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|p| p["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn shop() -> (TestApp, String, String) {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = app.product(&admin, "Lamp", "home", 1999, 5).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    (app, admin, id)
}

#[tokio::test]
async fn jpeg_png_and_webp_are_stored_in_two_sizes_and_served_immutable() {
    let (app, admin, id) = shop().await;
    let png = encoded(
        &DynamicImage::ImageRgba8(RgbaImage::from_pixel(500, 300, image::Rgba([0, 0, 0, 0]))),
        ImageFormat::Png,
    );
    let webp = encoded(&picture(300, 200), ImageFormat::WebP);
    let big = jpeg(1600, 1000);
    let r = upload(
        &app,
        Some(&admin),
        &id,
        &[
            ("a.jpg", "image/jpeg", &big),
            ("b.png", "image/png", &png),
            ("c.webp", "image/webp", &webp),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let ids = photo_ids(&r.body);
    assert_eq!(ids.len(), 3, "{}", r.text);
    assert_eq!(r.body["photos"][0]["width"], 1200);
    assert_eq!(r.body["photos"][0]["height"], 750);
    assert_eq!(r.body["photos"][2]["width"], 300, "never upscaled");
    assert_eq!(r.body["photo_url"], format!("/photos/{}/1200.jpg", ids[0]));
    assert_eq!(stored_files(&app).await, 6);

    for (n, (photo, widths)) in ids
        .iter()
        .zip([(400, 1200), (400, 500), (300, 300)])
        .enumerate()
    {
        for (file, width) in [("400.jpg", widths.0), ("1200.jpg", widths.1)] {
            let path = format!("/photos/{photo}/{file}");
            let resp = fetch(&app, &path, None).await;
            assert_eq!(resp.status(), StatusCode::OK, "{path}");
            let header = |name: &str| {
                resp.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned()
            };
            assert_eq!(header("content-type"), "image/jpeg");
            assert_eq!(
                header("cache-control"),
                "public, max-age=31536000, immutable"
            );
            let etag = header("etag");
            assert!(
                etag.starts_with('"') && !etag.starts_with("W/"),
                "strong: {etag}"
            );
            let bytes = resp.bytes().await.expect("bytes");
            let served =
                image::load_from_memory_with_format(&bytes, ImageFormat::Jpeg).expect("a JPEG");
            assert_eq!(served.width(), width, "photo {n} {file}");
            if n == 1 {
                // Transparent PNG: flattened onto white.
                let px = served.to_rgb8().get_pixel(10, 10).0;
                assert!(px.iter().all(|&c| c > 240), "{px:?}");
            }
            let again = fetch(&app, &path, Some(&etag)).await;
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        }
    }
    let page = app.get(&format!("/products/{id}"), None).await;
    assert_eq!(photo_ids(&page.body), ids);

    // Pages use both sizes with srcset; products without uploads keep their URL.
    let admin_product = app.product(&admin, "Mug", "home", 999, 5).await;
    let srcset = format!(
        "srcset=\"/photos/{0}/400.jpg 400w, /photos/{0}/1200.jpg 1200w\"",
        ids[0]
    );
    let (status, html) = app.page(&format!("/products/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&srcset), "{html}");
    assert!(html.contains("sizes=\""));
    for list in ["/products", "/products/home"] {
        let (status, html) = app.page(list).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert!(html.contains(&srcset), "{list}: {html}");
        assert!(
            html.contains("/static/photos/ceramic-mug.svg"),
            "{list}: {admin_product}"
        );
    }
    // The search index follows the change shortly after.
    let mut found = false;
    for _ in 0..50 {
        let (_, html) = app.page("/search?q=lamp").await;
        if html.contains(&srcset) {
            found = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(found, "search results show the uploaded photo");
}

#[tokio::test]
async fn exif_with_a_gps_position_is_gone_after_upload() {
    let (app, admin, id) = shop().await;
    let original = jpeg_with_gps(640, 480);
    assert!(
        image::load_from_memory(&original).is_ok(),
        "the test JPEG decodes"
    );
    let r = upload(
        &app,
        Some(&admin),
        &id,
        &[("gps.jpg", "image/jpeg", &original)],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let photo = photo_ids(&r.body).pop().expect("a photo");
    for file in ["400.jpg", "1200.jpg"] {
        let bytes = fetch(&app, &format!("/photos/{photo}/{file}"), None)
            .await
            .bytes()
            .await
            .expect("bytes");
        let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        assert!(!has(b"Exif"), "{file} still has an Exif segment");
        assert!(!has(b"GPS-SECRET"), "{file} still has the GPS data");
        assert!(!has(&[0xFF, 0xE1]), "{file} still has an APP1 segment");
    }
}

#[tokio::test]
async fn hostile_and_broken_files_are_refused_and_nothing_is_stored() {
    let (app, admin, id) = shop().await;
    let good = jpeg(200, 100);
    let mut polyglot = good.clone();
    polyglot.extend_from_slice(b"<script>alert(document.cookie)</script>");
    let zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00payload.txt and more zip bytes".to_vec();
    let truncated = good[..good.len() / 2].to_vec();
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9" height="9"/></svg>"#.to_vec();
    let bomb = png_claiming(100_000, 100_000);
    let too_many_pixels = png_claiming(10_000, 10_000);
    let cases: Vec<(&str, &str, Vec<u8>)> = vec![
        ("polyglot.jpg", "image/jpeg", polyglot),
        ("archive.png", "image/png", zip),
        ("half.jpg", "image/jpeg", truncated),
        ("drawing.svg", "image/svg+xml", svg),
        ("bomb.png", "image/png", bomb),
        ("huge.png", "image/png", too_many_pixels),
        ("empty.jpg", "image/jpeg", Vec::new()),
    ];
    for (name, content_type, bytes) in &cases {
        // Alone, and after a good photo in the same upload (all or nothing).
        for parts in [
            vec![(*name, *content_type, bytes.as_slice())],
            vec![
                ("good.jpg", "image/jpeg", good.as_slice()),
                (*name, *content_type, bytes.as_slice()),
            ],
        ] {
            let r = upload(&app, Some(&admin), &id, &parts).await;
            assert!(
                r.status.is_client_error(),
                "{name}: {} {}",
                r.status,
                r.text
            );
            if r.status == StatusCode::UNPROCESSABLE_ENTITY {
                r.assert_problem(422, "validation_failed");
                assert!(r.body["errors"]["photo"].is_array(), "{name}: {}", r.text);
            }
            assert_eq!(stored_files(&app).await, 0, "{name} left files behind");
        }
    }
    let product = app.get(&format!("/products/{id}"), None).await;
    assert_eq!(product.body["photo_url"], "/static/photos/ceramic-mug.svg");
    assert_eq!(photo_ids(&product.body).len(), 0);
}

#[tokio::test]
async fn a_photo_over_the_size_limit_is_413_and_not_stored() {
    let app = spawn_app_with(|s| s.photos.max_upload = 20_000).await;
    let admin = app.admin().await;
    let id = app.product(&admin, "Lamp", "home", 1999, 5).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let big = jpeg(1600, 1200);
    assert!(big.len() > 20_000);
    let r = upload(&app, Some(&admin), &id, &[("big.jpg", "image/jpeg", &big)]).await;
    r.assert_problem(413, "payload_too_large");
    assert_eq!(r.body["limit"], 20_000);
    assert_eq!(stored_files(&app).await, 0);
}

#[tokio::test]
async fn a_product_has_at_most_twelve_photos() {
    let (app, admin, id) = shop().await;
    let small = jpeg(40, 30);
    let thirteen: Vec<(&str, &str, &[u8])> = (0..13)
        .map(|_| ("p.jpg", "image/jpeg", small.as_slice()))
        .collect();
    let r = upload(&app, Some(&admin), &id, &thirteen).await;
    r.assert_problem(422, "validation_failed");
    assert!(r.body["errors"]["photo"].is_array(), "{}", r.text);
    assert_eq!(stored_files(&app).await, 0);

    let r = upload(&app, Some(&admin), &id, &thirteen[..12]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = upload(&app, Some(&admin), &id, &thirteen[..1]).await;
    r.assert_problem(422, "validation_failed");
    assert!(r.body["errors"]["photo"].is_array(), "{}", r.text);
    assert_eq!(stored_files(&app).await, 24);
}

#[tokio::test]
async fn delete_and_reorder() {
    let (app, admin, id) = shop().await;
    let (a, b, c) = (jpeg(50, 40), jpeg(60, 40), jpeg(70, 40));
    let r = upload(
        &app,
        Some(&admin),
        &id,
        &[
            ("a.jpg", "image/jpeg", &a),
            ("b.jpg", "image/jpeg", &b),
            ("c.jpg", "image/jpeg", &c),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let ids = photo_ids(&r.body);

    let order = json!({ "order": [ids[2], ids[0], ids[1]] });
    let r = app
        .put(&format!("/products/{id}/photos"), Some(&admin), order)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        photo_ids(&r.body),
        vec![ids[2].clone(), ids[0].clone(), ids[1].clone()]
    );
    assert_eq!(r.body["photo_url"], format!("/photos/{}/1200.jpg", ids[2]));
    for bad in [
        json!({ "order": [ids[0], ids[1]] }),
        json!({ "order": [ids[0], ids[0], ids[1]] }),
    ] {
        let r = app
            .put(&format!("/products/{id}/photos"), Some(&admin), bad)
            .await;
        r.assert_problem(422, "validation_failed");
        assert!(r.body["errors"]["order"].is_array(), "{}", r.text);
    }

    let r = app
        .delete(&format!("/products/{id}/photos/{}", ids[2]), Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(photo_ids(&r.body), vec![ids[0].clone(), ids[1].clone()]);
    assert_eq!(r.body["photo_url"], format!("/photos/{}/1200.jpg", ids[0]));
    assert_eq!(stored_files(&app).await, 4);
    for file in ["400.jpg", "1200.jpg"] {
        let gone = app.get(&format!("/photos/{}/{file}", ids[2]), None).await;
        gone.assert_problem(404, "not_found");
    }
    let again = app
        .delete(&format!("/products/{id}/photos/{}", ids[2]), Some(&admin))
        .await;
    again.assert_problem(404, "not_found");
    app.get(&format!("/photos/{}/800.jpg", ids[0]), None)
        .await
        .assert_problem(404, "not_found");
    app.get("/photos/not-an-id/400.jpg", None)
        .await
        .assert_problem(404, "not_found");

    for photo in &ids[..2] {
        let r = app
            .delete(&format!("/products/{id}/photos/{photo}"), Some(&admin))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let product = app.get(&format!("/products/{id}"), None).await;
    assert_eq!(product.body["photo_url"], "", "no uploaded photo left");
    assert_eq!(stored_files(&app).await, 0);
}

#[tokio::test]
async fn only_admins_change_photos() {
    let (app, admin, id) = shop().await;
    let photo = jpeg(50, 40);
    let customer = app.customer("shopper@tienda.test").await;
    let r = upload(&app, None, &id, &[("a.jpg", "image/jpeg", &photo)]).await;
    r.assert_problem(401, "unauthorized");
    let r = upload(
        &app,
        Some(&customer),
        &id,
        &[("a.jpg", "image/jpeg", &photo)],
    )
    .await;
    r.assert_problem(403, "forbidden");
    assert_eq!(stored_files(&app).await, 0);

    let r = upload(&app, Some(&admin), &id, &[("a.jpg", "image/jpeg", &photo)]).await;
    let photo_id = photo_ids(&r.body).pop().expect("uploaded");
    let path = format!("/products/{id}/photos/{photo_id}");
    app.delete(&path, Some(&customer))
        .await
        .assert_problem(403, "forbidden");
    app.put(
        &format!("/products/{id}/photos"),
        Some(&customer),
        json!({ "order": [photo_id] }),
    )
    .await
    .assert_problem(403, "forbidden");
    assert_eq!(stored_files(&app).await, 2);
    // Anyone may look at it.
    assert_eq!(
        fetch(&app, &format!("/photos/{photo_id}/400.jpg"), None)
            .await
            .status(),
        StatusCode::OK
    );
    let missing = upload(
        &app,
        Some(&admin),
        &uuid::Uuid::now_v7().to_string(),
        &[("a.jpg", "image/jpeg", &photo)],
    )
    .await;
    missing.assert_problem(404, "product_not_found");
}

#[tokio::test]
async fn the_admin_page_uploads_without_javascript() {
    let (app, admin, id) = shop().await;
    let photo = jpeg(500, 400);
    // A browser form: no bearer header, the session cookie, HTML accepted.
    let resp = app
        .http
        .post(app.url(&format!("/products/{id}/photos")))
        .header("cookie", format!("tienda_session={admin}"))
        .header("accept", "text/html")
        .header("origin", app.base.clone())
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart(&[("a.jpg", "image/jpeg", &photo)]))
        .send()
        .await
        .expect("form post");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        resp.headers().get("location").and_then(|v| v.to_str().ok()),
        Some(format!("/admin/products/{id}/edit").as_str())
    );
    let page = app
        .http
        .get(app.url(&format!("/admin/products/{id}/edit")))
        .header("cookie", format!("tienda_session={admin}"))
        .header("accept", "text/html")
        .send()
        .await
        .expect("edit page")
        .text()
        .await
        .expect("html");
    assert!(page.contains("enctype=\"multipart/form-data\""), "{page}");
    assert!(page.contains("/static/photo-preview.js"));
    let ids = photo_ids(&app.get(&format!("/products/{id}"), None).await.body);
    assert_eq!(ids.len(), 1);
    assert!(page.contains(&format!("/photos/{}/400.jpg", ids[0])));
    assert!(page.contains(&format!("/products/{id}/photos/{}/delete", ids[0])));

    // The up/down and delete buttons are plain forms too.
    let r = upload(&app, Some(&admin), &id, &[("b.jpg", "image/jpeg", &photo)]).await;
    let ids = photo_ids(&r.body);
    let form = |path: String, body: String| {
        app.http
            .post(app.url(&path))
            .header("cookie", format!("tienda_session={admin}"))
            .header("accept", "text/html")
            .header("origin", app.base.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let moved = form(
        format!("/products/{id}/photos/order"),
        format!("order={}%2C{}", ids[1], ids[0]),
    )
    .await
    .expect("order form");
    assert_eq!(moved.status(), StatusCode::SEE_OTHER);
    let now = photo_ids(&app.get(&format!("/products/{id}"), None).await.body);
    assert_eq!(now, vec![ids[1].clone(), ids[0].clone()]);
    let deleted = form(
        format!("/products/{id}/photos/{}/delete", ids[1]),
        String::new(),
    )
    .await
    .expect("delete form");
    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
    let now = photo_ids(&app.get(&format!("/products/{id}"), None).await.body);
    assert_eq!(now, vec![ids[0].clone()]);
}
