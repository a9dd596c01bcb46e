//! Themes (`shop.theme_dir`): an owner's templates and static files replace
//! the embedded ones by name, and a theme that is wrong stops start-up
//! naming the file (or the key, when the folder is missing).

use std::path::Path;

use reqwest::StatusCode;
use tienda::app::Application;

use crate::helpers::{spawn_app_with, test_settings};

/// Writes `data` at `relative` under `root`, making the folders.
fn write(root: &Path, relative: &str, data: &str) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("folders");
    std::fs::write(path, data).expect("theme file");
}

/// The error that refuses to build a shop whose theme folder holds `files`.
async fn refusal(files: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let theme = dir.path().join("theme");
    std::fs::create_dir_all(&theme).expect("theme folder");
    for (relative, data) in files {
        write(&theme, relative, data);
    }
    let mut settings = test_settings(&dir);
    settings.shop.theme_dir = Some(theme);
    let err = Application::build(settings).await.err().expect("refused");
    format!("{err:#}")
}

#[tokio::test]
async fn the_theme_product_page_and_static_files_are_served() {
    let theme = tempfile::tempdir().expect("theme");
    write(
        theme.path(),
        "templates/product.hbs",
        "{{#> layout}}<h1 class=\"themed\">{{product.name}} · {{t \"product-add\"}}</h1>{{/layout}}",
    );
    write(
        theme.path(),
        "static/style.css",
        "body { color: rebeccapurple }",
    );
    write(
        theme.path(),
        "static/fonts/brand.woff2",
        "not really a font",
    );
    let root = theme.path().to_path_buf();
    let app = spawn_app_with(|s| s.shop.theme_dir = Some(root)).await;
    let admin = app.admin().await;
    let product = app.product(&admin, "Mug", "kitchen", 1200, 3).await;

    let (status, html) = app
        .page(&format!(
            "/products/{}",
            product["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("<h1 class=\"themed\">Mug · Add to cart</h1>"),
        "{html}"
    );
    // The layout around it is still the embedded one.
    assert!(html.contains("/static/style.css"), "{html}");

    let css = app
        .http
        .get(app.url("/static/style.css"))
        .send()
        .await
        .expect("css");
    assert_eq!(css.status(), StatusCode::OK);
    assert_eq!(css.headers()["content-type"], "text/css");
    assert_eq!(css.headers()["cache-control"], "public, max-age=3600");
    let etag = css.headers()["etag"].clone();
    assert_eq!(
        css.text().await.expect("css"),
        "body { color: rebeccapurple }"
    );
    let again = app
        .http
        .get(app.url("/static/style.css"))
        .header("if-none-match", etag)
        .send()
        .await
        .expect("css");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    let font = app
        .http
        .get(app.url("/static/fonts/brand.woff2"))
        .send()
        .await
        .expect("font");
    assert_eq!(font.status(), StatusCode::OK);
    assert_eq!(font.headers()["content-type"], "font/woff2");
    // Files the theme leaves alone are still the embedded ones.
    let js = app
        .http
        .get(app.url("/static/app.js"))
        .send()
        .await
        .expect("js");
    assert_eq!(js.status(), StatusCode::OK);
    // The same path rule as for embedded files (an encoded `/` is not
    // folded away by the client as `..` would be).
    let (status, _) = app.page("/static/fonts%2f..%2fstyle.css").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_override_that_does_not_compile_stops_start_up_naming_the_file() {
    let err = refusal(&[(
        "templates/cart.hbs",
        "{{#> layout}}{{#if items}}{{/layout}}",
    )])
    .await;
    assert!(err.contains("templates/cart.hbs"), "{err}");
    assert!(err.contains("theme"), "{err}");
}

#[tokio::test]
async fn an_override_in_another_encoding_stops_start_up_naming_the_file() {
    let dir = tempfile::tempdir().expect("dir");
    let theme = dir.path().join("theme");
    std::fs::create_dir_all(theme.join("templates")).expect("folders");
    std::fs::write(theme.join("templates/home.hbs"), b"caf\xe9").expect("latin-1 file");
    let mut settings = test_settings(&dir);
    settings.shop.theme_dir = Some(theme);
    let err = Application::build(settings).await.err().expect("refused");
    let err = format!("{err:#}");
    assert!(
        err.contains("templates/home.hbs") && err.contains("UTF-8"),
        "{err}"
    );
}

#[tokio::test]
async fn an_unknown_template_name_is_refused() {
    let err = refusal(&[("templates/prodcut.hbs", "{{product.name}}")]).await;
    assert!(err.contains("templates/prodcut.hbs"), "{err}");
    assert!(err.contains("not one of the built-in templates"), "{err}");
    let err = refusal(&[("templats/product.hbs", "{{product.name}}")]).await;
    assert!(err.contains("templats"), "{err}");
}

#[tokio::test]
async fn an_unknown_message_id_in_an_override_is_refused() {
    let err = refusal(&[("templates/mail/welcome.subject.hbs", "{{t \"no-such-id\"}}")]).await;
    assert!(err.contains("templates/mail/welcome.subject.hbs"), "{err}");
    assert!(err.contains("no-such-id"), "{err}");
}

#[tokio::test]
async fn a_missing_theme_folder_is_refused_naming_the_key() {
    let dir = tempfile::tempdir().expect("dir");
    let mut settings = test_settings(&dir);
    settings.shop.theme_dir = Some(dir.path().join("no-such-theme"));
    let err = Application::build(settings).await.err().expect("refused");
    let err = format!("{err:#}");
    assert!(err.contains("shop.theme_dir"), "{err}");
    assert!(err.contains("no-such-theme"), "{err}");
}

#[test]
fn the_readme_lists_every_template_a_theme_can_override() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let themes = readme
        .split("## Themes")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("a Themes section");
    for name in tienda::templates::embedded_names() {
        // Mail templates are listed by kind (`mail/welcome.html` → `welcome`).
        let listed = match name.strip_prefix("mail/") {
            Some(mail) => mail.split('.').next().unwrap_or(mail).to_owned(),
            None => name.clone(),
        };
        assert!(
            themes.contains(&format!("| `{listed}` |")),
            "README's Themes section does not list `{name}`"
        );
    }
}
