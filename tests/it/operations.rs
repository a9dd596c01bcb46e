//! The operator's commands on the real binary: `tienda backup` while
//! checkouts run, `tienda restore` (refused while a server holds the store),
//! one server per SQLite file, and `tienda check-config`. Always SQLite,
//! whichever store the suite runs on: backups of MongoDB are MongoDB's tools.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::process::{free_port, output, tienda, wait_healthy, Remote};

/// Runs one `tienda` command to its end with the shipped config file, the
/// store at `store_url` and `env` overrides; exit code, stdout, stderr.
fn run_cli(store_url: &str, env: &[(&str, &str)], args: &[&str]) -> (Option<i32>, String, String) {
    let mut cmd = crate::process::tienda_command();
    cmd.args(args)
        .env("TIENDA_STORE__URL", format!("\"{store_url}\""))
        .env("TIENDA_LOG__LEVEL", "\"warn\"")
        .env_remove("TIENDA_PROFILE")
        .env_remove("RUST_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run tienda");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// What one SQLite store file holds, read straight from it: each product's
/// stock, the units each product sold over all orders, and the orders.
struct Contents {
    stock: HashMap<String, i64>,
    sold: HashMap<String, i64>,
    orders: usize,
}

/// Reads `path` and checks that every order in it is whole: it has the two
/// lines every checkout of the load put in it, each line's total is its
/// price times its quantity, and the lines add up to the order's total.
fn read_whole_orders(path: &Path) -> Contents {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open the copy");
    let mut stock = HashMap::new();
    let mut st = conn
        .prepare("SELECT id, stock FROM products")
        .expect("products");
    for row in st
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .expect("query")
    {
        let (id, n) = row.expect("product row");
        stock.insert(id, n);
    }
    let mut sold: HashMap<String, i64> = HashMap::new();
    let mut st = conn
        .prepare("SELECT number, items, json_extract(details, '$.subtotal') FROM orders")
        .expect("orders");
    let mut orders = 0;
    for row in st
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .expect("query")
    {
        let (number, items, total) = row.expect("order row");
        let items: Vec<Value> = serde_json::from_str(&items).expect("items are JSON");
        assert_eq!(
            items.len(),
            2,
            "order {number} has both its lines: {items:?}"
        );
        let mut sum = 0;
        for item in &items {
            let (price, quantity, line) = (
                item["unit_price"].as_i64().expect("unit_price"),
                item["quantity"].as_i64().expect("quantity"),
                item["line_total"].as_i64().expect("line_total"),
            );
            assert!(quantity >= 1, "order {number}: {item}");
            assert_eq!(line, price * quantity, "order {number}: {item}");
            sum += line;
            *sold
                .entry(item["product_id"].as_str().expect("id").to_owned())
                .or_default() += quantity;
        }
        assert_eq!(sum, total, "order {number}'s lines add up to its subtotal");
        orders += 1;
    }
    Contents {
        stock,
        sold,
        orders,
    }
}

/// The products of the load and their stock before it.
const INITIAL: [(&str, i64); 2] = [("Kettle", 2_000), ("Teapot", 3_000)];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_during_checkouts_restores_a_whole_store() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("shop.db");
    let store_url = format!("sqlite://{}", db.display());
    let port = free_port();
    let env = [("TIENDA_STORE__URL", format!("\"{store_url}\""))];
    let server = tienda(dir.path(), port, &env, &[]);
    let remote = Arc::new(Remote {
        base: format!("http://127.0.0.1:{port}"),
        http: reqwest::Client::new(),
    });
    wait_healthy(&remote.base).await;
    let admin = remote.token(ADMIN_EMAIL).await;
    let mut ids = Vec::new();
    for (name, stock) in INITIAL {
        let (s, p) = remote
            .send(
                Method::POST,
                "/products",
                Some(&admin),
                Some(json!({"name": name, "category": "kitchen", "price": 1_250, "stock": stock})),
            )
            .await
            .expect("product");
        assert_eq!(s, StatusCode::CREATED, "{p}");
        ids.push(p["id"].as_str().expect("id").to_owned());
    }
    let initial: HashMap<String, i64> = ids
        .iter()
        .cloned()
        .zip(INITIAL.iter().map(|(_, n)| *n))
        .collect();

    // Customers check out two-line orders until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let mut buyers = Vec::new();
    for b in 0..4 {
        let token = remote.token(&format!("buyer{b}@example.com")).await;
        let (remote, ids, stop) = (remote.clone(), ids.clone(), stop.clone());
        buyers.push(tokio::spawn(async move {
            let mut placed = 0;
            let mut round = 0_i64;
            while !stop.load(Ordering::Relaxed) {
                round += 1;
                for (id, quantity) in [(&ids[0], 1), (&ids[1], 1 + round % 3)] {
                    let (s, body) = remote
                        .send(
                            Method::POST,
                            "/cart",
                            Some(&token),
                            Some(json!({"product_id": id, "quantity": quantity})),
                        )
                        .await
                        .expect("add to cart");
                    assert_eq!(s, StatusCode::CREATED, "{body}");
                }
                let (s, body) = remote
                    .send(
                        Method::POST,
                        "/orders",
                        Some(&token),
                        Some(json!({"delivery_address": "1 Calle Mayor, Madrid"})),
                    )
                    .await
                    .expect("checkout");
                assert_eq!(s, StatusCode::CREATED, "{body}");
                placed += 1;
            }
            placed
        }));
    }
    tokio::time::sleep(Duration::from_millis(1_500)).await;

    // The backup, mid-load, from another process.
    let backup = dir.path().join("backups/mid-load.db");
    let started = Instant::now();
    let (code, stdout, stderr) = {
        let (url, path) = (store_url.clone(), backup.display().to_string());
        tokio::task::spawn_blocking(move || run_cli(&url, &[], &["backup", &path]))
            .await
            .expect("backup ran")
    };
    let took = started.elapsed();
    assert_eq!(code, Some(0), "backup: {stdout}{stderr}");
    assert!(
        stdout.contains("backup written and verified") && stdout.contains("integrity ok"),
        "{stdout}"
    );
    // Another backup to the same name is refused; the first stays.
    let (code, _, stderr) = run_cli(&store_url, &[], &["backup", &backup.display().to_string()]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("never overwrites"), "{stderr}");

    // While the server holds the store: no restore, no second server.
    let (code, _, stderr) = run_cli(&store_url, &[], &["restore", &backup.display().to_string()]);
    assert_eq!(code, Some(1), "restore refused while serving");
    assert!(
        stderr.contains("in use by a running tienda") && stderr.contains("shop.db"),
        "{stderr}"
    );
    let second = tienda(dir.path(), free_port(), &env, &[]);
    let (code, text) = output(second);
    assert_ne!(
        code,
        Some(0),
        "a second server on one SQLite file is refused"
    );
    assert!(text.contains("in use by a running tienda"), "{text}");

    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    let mut placed = 0;
    for b in buyers {
        placed += b.await.expect("buyer");
    }
    crate::process::terminate(server);

    let copy = read_whole_orders(&backup);
    let live = read_whole_orders(&db);
    assert_eq!(
        live.orders, placed,
        "every acknowledged checkout is in the store"
    );
    assert!(
        copy.orders > 0 && copy.orders < live.orders,
        "the backup is a moment of the load: {} of {} orders",
        copy.orders,
        live.orders
    );
    for contents in [&copy, &live] {
        for (id, initial) in &initial {
            assert_eq!(
                contents.stock[id] + contents.sold.get(id).copied().unwrap_or(0),
                *initial,
                "stock + units sold = initial stock for {id}"
            );
        }
    }
    eprintln!(
        "backup in {took:?} during the load: {} of {} orders",
        copy.orders, live.orders
    );

    // Restored once the server stopped, the store is the backup's moment,
    // and a server opens it and sells on from there.
    let (code, stdout, stderr) =
        run_cli(&store_url, &[], &["restore", &backup.display().to_string()]);
    assert_eq!(code, Some(0), "restore: {stdout}{stderr}");
    assert!(stdout.contains("store restored and verified"), "{stdout}");
    let restored = read_whole_orders(&db);
    assert_eq!(restored.orders, copy.orders);
    assert_eq!(restored.stock, copy.stock);
    let server = tienda(dir.path(), port, &env, &[]);
    wait_healthy(&remote.base).await;
    let admin = remote.token(ADMIN_EMAIL).await;
    let (s, orders) = remote
        .send(Method::GET, "/orders?limit=1", Some(&admin), None)
        .await
        .expect("orders");
    assert_eq!(s, StatusCode::OK, "{orders}");
    assert_eq!(orders["total"].as_u64(), Some(copy.orders as u64));
    for id in &ids {
        let (s, product) = remote
            .send(Method::GET, &format!("/products/{id}"), None, None)
            .await
            .expect("product");
        assert_eq!(s, StatusCode::OK, "{product}");
        assert_eq!(product["stock"].as_i64(), Some(copy.stock[id]));
    }
    crate::process::terminate(server);
}

#[test]
fn backup_of_a_mongodb_store_points_to_mongodump() {
    let (code, stdout, stderr) = run_cli(
        "mongodb://127.0.0.1:9/tienda",
        &[],
        &["backup", "/tmp/never-written.db"],
    );
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stderr.contains("mongodump") && stderr.contains("--oplog"),
        "{stderr}"
    );
    assert!(!Path::new("/tmp/never-written.db").exists());
}

#[test]
fn check_config_passes_a_good_config_and_names_the_wrong_key() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("never-opened.db").display());
    let (code, stdout, stderr) = run_cli(&url, &[], &["check-config"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.starts_with("config ok (profile development"),
        "{stdout}"
    );
    let strong = "a-production-secret-of-more-than-32-bytes";
    let secret = format!("\"{strong}\"");
    let (code, stdout, stderr) = run_cli(
        &url,
        &[("TIENDA_AUTH__JWT_SECRET", &secret)],
        &["check-config", "--profile", "production"],
    );
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("profile production"), "{stdout}");
    assert!(!stdout.contains(strong), "secrets stay out: {stdout}");
    assert!(
        !dir.path().join("never-opened.db").exists(),
        "the store is not touched"
    );

    let missing_theme = dir.path().join("no-theme");
    let theme = format!("\"{}\"", missing_theme.display());
    for (key, value, args) in [
        ("TIENDA_SHOP__CURRENCY", "\"euro\"", &["check-config"][..]),
        ("TIENDA_SESSION__TTL", "\"forever\"", &["check-config"][..]),
        (
            "TIENDA_SHOP__THEME_DIR",
            theme.as_str(),
            &["check-config"][..],
        ),
        (
            "TIENDA_MAIL__SMTP__TLS",
            "\"sometimes\"",
            &["check-config"][..],
        ),
        (
            "TIENDA_AUTH__JWT_SECRET",
            "\"short\"",
            &["check-config", "--profile", "production"][..],
        ),
    ] {
        let (code, stdout, stderr) = run_cli(&url, &[(key, value)], args);
        assert_eq!(code, Some(1), "{key}={value}: {stdout}{stderr}");
        let named = key
            .trim_start_matches("TIENDA_")
            .to_ascii_lowercase()
            .replace("__", ".");
        assert!(
            stderr.to_ascii_lowercase().contains(&named),
            "{key}={value} names {named}: {stderr}"
        );
        assert!(!stdout.contains("config ok"), "{stdout}");
    }
    let (code, _, stderr) = run_cli(&url, &[], &["check-config", "--profile", "staging"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("staging"), "{stderr}");

    // The example the systemd unit runs with is a valid production config.
    let deployed = Command::new(env!("CARGO_BIN_EXE_tienda"))
        .args(["check-config", "--config", "deploy/tienda.toml"])
        .env("TIENDA_PROFILE", "production")
        .env("TIENDA_AUTH__JWT_SECRET", &secret)
        .output()
        .expect("run tienda");
    let stdout = String::from_utf8_lossy(&deployed.stdout);
    assert!(
        deployed.status.success() && stdout.contains("profile production"),
        "{stdout}{}",
        String::from_utf8_lossy(&deployed.stderr)
    );
}

/// `deploy/tienda.service` sets `MemoryDenyWriteExecute=yes`: the binary must
/// never need memory that is both writable and executable (a JIT). The
/// kernel's own switch for that, `PR_SET_MDWE` (Linux 6.3+), is set on the
/// process before it starts; the shop then serves pages, search, a
/// registration (argon2) and a login, and stops cleanly.
#[tokio::test]
async fn the_binary_serves_without_writable_executable_memory() {
    use std::os::unix::process::CommandExt;
    const PR_SET_MDWE: libc::c_int = 65;
    const PR_MDWE_REFUSE_EXEC_GAIN: libc::c_ulong = 1;

    let dir = tempfile::tempdir().expect("dir");
    let port = free_port();
    let mut cmd = crate::process::tienda_command();
    cmd.arg("serve")
        .env("TIENDA_SERVER__PORT", port.to_string())
        .env(
            "TIENDA_STORE__URL",
            format!("\"sqlite://{}\"", dir.path().join("shop.db").display()),
        )
        .env(
            "TIENDA_MAIL__OUTBOX_DIR",
            format!("\"{}\"", dir.path().join("outbox").display()),
        )
        .env("TIENDA_RATE_LIMIT__ENABLED", "false")
        .env("TIENDA_LOG__LEVEL", "\"warn\"")
        .env_remove("TIENDA_PROFILE")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    // SAFETY: prctl only sets a flag on the child about to exec; it takes
    // no pointers and allocates nothing.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd
        .spawn()
        .expect("start tienda with PR_SET_MDWE (needs Linux 6.3 or later)");
    let remote = Remote {
        base: format!("http://127.0.0.1:{port}"),
        http: reqwest::Client::new(),
    };
    wait_healthy(&remote.base).await;
    for (path, accept) in [
        ("/", "text/html"),
        ("/products", "text/html"),
        ("/search?q=headphones", "application/json"),
        ("/openapi.json", "application/json"),
    ] {
        let answer = remote
            .http
            .get(format!("{}{path}", remote.base))
            .header("accept", accept)
            .send()
            .await
            .expect("page");
        assert_eq!(answer.status(), StatusCode::OK, "{path}");
    }
    remote.token("mdwe@example.com").await;
    let pid = child.id().to_string();
    let term = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(term.success());
    let out = child.wait_with_output().expect("exit");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
