//! Start-up refuses bad configuration, naming the key.

use tienda::config::Settings;

fn write(dir: &tempfile::TempDir, text: &str) -> std::path::PathBuf {
    let path = dir.path().join("tienda.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

const BASE: &str = "[default.server]\nport = 9000\n[development.log]\nlevel = \"warn\"\n[production.session]\nttl = \"30m\"\n";

#[test]
fn the_shipped_file_loads_in_development_and_production_needs_a_secret() {
    let path = std::path::Path::new("config/tienda.toml");
    let dev = Settings::load(path, Some("development")).expect("development loads");
    assert_eq!(dev.server.port, 8080);
    assert_eq!(dev.session.ttl.0, 3600);
    let err = Settings::load(path, Some("production")).expect_err("production needs a secret");
    assert!(err.to_string().contains("auth.jwt_secret"), "{err}");
}

#[test]
fn profiles_layer_over_default() {
    let dir = tempfile::tempdir().expect("dir");
    let path = write(&dir, BASE);
    let s = Settings::load(&path, Some("development")).expect("loads");
    assert_eq!(s.server.port, 9000);
    assert_eq!(s.log.level, "warn");
    assert_eq!(s.profile, "development");
}

#[test]
fn bad_files_name_the_file_and_key() {
    let dir = tempfile::tempdir().expect("dir");
    let missing = dir.path().join("nope.toml");
    let err = Settings::load(&missing, None).expect_err("missing file");
    assert!(err.to_string().contains("nope.toml"), "{err}");

    let path = write(&dir, BASE);
    let err = Settings::load(&path, Some("staging")).expect_err("unknown profile");
    assert!(err.to_string().contains("staging"), "{err}");

    let path = write(&dir, "[default.server]\nprot = 1\n[development.server]\n");
    let err = Settings::load(&path, Some("development")).expect_err("unknown key");
    assert!(err.to_string().contains("prot"), "{err}");

    let path = write(
        &dir,
        "[default.server]\nport = \"eighty\"\n[development.server]\n",
    );
    let err = Settings::load(&path, Some("development")).expect_err("malformed value");
    assert!(
        err.to_string().contains("port") && err.to_string().contains("tienda.toml"),
        "{err}"
    );

    let path = write(
        &dir,
        // Durations are humantime ("5 weeks" is one); this is not.
        "[default.session]\nttl = \"5 fortnights\"\n[development.server]\n",
    );
    let err = Settings::load(&path, Some("development")).expect_err("bad duration");
    assert!(err.to_string().contains("ttl"), "{err}");

    let path = write(
        &dir,
        "[default.shop]\ncurrency = \"euros\"\n[development.server]\n",
    );
    let err = Settings::load(&path, Some("development")).expect_err("bad currency");
    assert!(err.to_string().contains("shop.currency"), "{err}");

    let path = write(
        &dir,
        "[default.mail]\ntransport = \"pigeon\"\n[development.server]\n",
    );
    let err = Settings::load(&path, Some("development")).expect_err("bad transport");
    assert!(err.to_string().contains("transport"), "{err}");

    for colour in ["blue", "#12", "#1234567", "#ggg", "#fff;color:red"] {
        let path = write(
            &dir,
            &format!("[default.shop]\nprimary_color = \"{colour}\"\n[development.server]\n"),
        );
        let err = Settings::load(&path, Some("development")).expect_err("bad colour");
        assert!(
            err.to_string().contains("shop.primary_color"),
            "{colour}: {err}"
        );
    }
    for logo in [
        "//evil.example/logo.png",
        "http://cdn.example/logo.png",
        "/static/a\"b.svg",
        "logo.svg",
    ] {
        let path = write(
            &dir,
            &format!("[default.shop]\nlogo = {logo:?}\n[development.server]\n"),
        );
        let err = Settings::load(&path, Some("development")).expect_err("bad logo");
        assert!(err.to_string().contains("shop.logo"), "{logo}: {err}");
    }
    let path = write(
        &dir,
        "[default.shop]\nprimary_color = \"#fe0\"\nlogo = \"https://cdn.example/logo.svg\"\n[development.server]\n",
    );
    let s = Settings::load(&path, Some("development")).expect("a light colour and a remote logo");
    assert_eq!(s.shop.primary_color, "#fe0");
}

#[test]
fn production_refuses_weak_secrets() {
    let dir = tempfile::tempdir().expect("dir");
    let path = write(
        &dir,
        "[default.server]\n[production.auth]\njwt_secret = \"short\"\n",
    );
    let err = Settings::load(&path, Some("production")).expect_err("short secret");
    assert!(err.to_string().contains("auth.jwt_secret"), "{err}");
    let path = write(
        &dir,
        &format!(
            "[default.server]\n[production.auth]\njwt_secret = \"{}\"\n",
            "k".repeat(40)
        ),
    );
    let s = Settings::load(&path, Some("production")).expect("long secret is fine");
    assert!(s.is_production());
    assert_eq!(format!("{:?}", s.auth.jwt_secret), "***");
    assert_eq!(s.masked()["auth"]["jwt_secret"], "***");
}

#[test]
fn card_payments_need_every_stripe_key_and_the_keys_are_masked() {
    let dir = tempfile::tempdir().expect("dir");
    let secret = "k".repeat(40);
    let base = format!(
        "[default.server]\n[production.auth]\njwt_secret = \"{secret}\"\n\
         [production.payment]\nmethods = [\"bank_transfer\", \"stripe\"]\n"
    );
    let path = write(&dir, &base);
    let err = Settings::load(&path, Some("production")).expect_err("no Stripe key");
    assert!(
        err.to_string().contains("payment.stripe.secret_key"),
        "{err}"
    );
    let path = write(
        &dir,
        &format!("{base}[production.payment.stripe]\nsecret_key = \"sk_live_abc\"\n"),
    );
    let err = Settings::load(&path, Some("production")).expect_err("no webhook secret");
    assert!(
        err.to_string().contains("payment.stripe.webhook_secret"),
        "{err}"
    );
    let path = write(
        &dir,
        &format!(
            "{base}[production.payment.stripe]\nsecret_key = \"sk_live_abc\"\n\
             webhook_secret = \"whsec_abc\"\npublishable_key = \"pk_live_abc\"\n"
        ),
    );
    let s = Settings::load(&path, Some("production")).expect("every key given");
    let masked = s.masked();
    assert_eq!(masked["payment"]["stripe"]["secret_key"], "***");
    assert_eq!(masked["payment"]["stripe"]["webhook_secret"], "***");
    assert_eq!(
        masked["payment"]["stripe"]["publishable_key"],
        "pk_live_abc"
    );
    assert!(!masked.to_string().contains("sk_live_abc"));
    assert!(!masked.to_string().contains("whsec_abc"));
    // The default method must be one the shop offers.
    let path = write(
        &dir,
        "[default.payment]\nmethods = [\"cash_on_delivery\"]\ndefault_method = \"bank_transfer\"\n",
    );
    let err = Settings::load(&path, Some("default")).expect_err("default not offered");
    assert!(err.to_string().contains("payment.default_method"), "{err}");
}
