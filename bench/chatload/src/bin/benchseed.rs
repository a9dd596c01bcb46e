//! Seeds the generated benchmark data set straight into a tienda store,
//! through the `tienda` library's storage interface (no HTTP, no argon2 per
//! user): `--products` products over `--categories` categories, `--users`
//! customers sharing one password (hashed once, argon2id as the shop does),
//! and `--orders` orders placed through `Store::place_order`, the same
//! transaction checkout uses. Seeded users and orders queue no outbox mail,
//! so the mail sender has no backlog to work through during the benchmark.
//!
//! Run it on a store no server is using; it prints one JSON line.

use std::sync::Arc;
use std::time::Instant;

use clap::Parser;
use serde_json::json;
use tienda::domain::accounts::{hash_password, Role, User};
use tienda::domain::address::Address;
use tienda::domain::catalog::{Product, ProductInput};
use tienda::domain::checkout::CheckoutRules;
use tienda::domain::payments::PaymentMethod;
use tienda::domain::shipping::{ShippingMethod, ShippingZone};
use tienda::domain::{new_id, now};
use tienda::store::{self, Checkout, LineRef, Store};

#[derive(Parser, Debug)]
#[command(
    name = "benchseed",
    about = "Seed tienda's generated benchmark data set"
)]
struct Args {
    /// Store to seed, e.g. sqlite:///tmp/x/tienda.db.
    #[arg(long)]
    store_url: String,
    #[arg(long, default_value_t = 10_000)]
    products: usize,
    #[arg(long, default_value_t = 10)]
    categories: usize,
    #[arg(long, default_value_t = 500)]
    users: usize,
    #[arg(long, default_value_t = 20_000)]
    orders: usize,
    /// Every seeded user's password.
    #[arg(long, default_value = "bench-password-1")]
    password: String,
    /// Seeded emails are `<prefix><n>@bench.test`, n from 0.
    #[arg(long, default_value = "bench-user-")]
    email_prefix: String,
    #[arg(long, default_value = "EUR")]
    currency: String,
    /// Units in stock of each product before the orders.
    #[arg(long, default_value_t = 1_000)]
    stock: i64,
    /// Concurrent order writers (each owns a disjoint set of customers).
    #[arg(long, default_value_t = 4)]
    workers: usize,
}

const CATEGORY_NAMES: &[&str] = &[
    "electronics",
    "books",
    "home-garden",
    "toys",
    "sports",
    "kitchen",
    "music",
    "fashion",
    "health",
    "office",
    "outdoors",
    "pets",
    "tools",
    "games",
    "garden",
    "beauty",
];

const PHOTOS: &[&str] = &[
    "/static/photos/wireless-headphones.svg",
    "/static/photos/bluetooth-speaker.svg",
    "/static/photos/a-field-guide-to-birds.svg",
    "/static/photos/atlas-of-remote-islands.svg",
];

// Names and descriptions from word lists, so a search word matches a share of
// the catalog as in a real shop (not every product, as "Bench product N" did).
const ADJECTIVES: &[&str] = &[
    "wooden",
    "steel",
    "linen",
    "ceramic",
    "leather",
    "glass",
    "cotton",
    "bamboo",
    "copper",
    "woollen",
    "compact",
    "portable",
    "classic",
    "modern",
    "rustic",
    "vintage",
    "folding",
    "wireless",
    "heavy",
    "light",
    "waterproof",
    "handmade",
    "organic",
    "electric",
];
const NOUNS: &[&str] = &[
    "lamp",
    "chair",
    "table",
    "kettle",
    "headphones",
    "speaker",
    "backpack",
    "jacket",
    "mug",
    "notebook",
    "blanket",
    "pillow",
    "shelf",
    "clock",
    "camera",
    "bicycle",
    "tent",
    "knife",
    "bottle",
    "basket",
    "mirror",
    "scarf",
    "candle",
    "teapot",
    "wallet",
    "umbrella",
    "radio",
    "stool",
    "vase",
    "boots",
    "gloves",
    "planter",
    "skillet",
    "blender",
    "keyboard",
    "monitor",
    "binoculars",
    "hammock",
    "lantern",
    "toaster",
];

fn product_name(i: usize) -> String {
    let adjective = ADJECTIVES[i % ADJECTIVES.len()];
    let noun = NOUNS[(i / ADJECTIVES.len()) % NOUNS.len()];
    let mut name = format!("{adjective} {noun} {i:05}");
    name[..1].make_ascii_uppercase();
    name
}

fn category(i: usize, categories: usize) -> String {
    let n = i % categories.max(1);
    match CATEGORY_NAMES.get(n) {
        Some(name) => (*name).to_owned(),
        None => format!("category-{n}"),
    }
}

fn email(prefix: &str, n: usize) -> String {
    format!("{prefix}{n}@bench.test")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let started = Instant::now();
    let store = store::open(&args.store_url, 8).await?;

    let t = Instant::now();
    let mut product_ids = Vec::with_capacity(args.products);
    for i in 0..args.products {
        let input = ProductInput {
            name: product_name(i),
            description: format!(
                "A {} for every day: sturdy, useful and fairly priced (bench product {i}).",
                NOUNS[(i * 7) % NOUNS.len()]
            ),
            category: category(i, args.categories),
            price: 199 + ((i as i64 * 3_797) % 49_800),
            currency: None,
            photo_url: PHOTOS[i % PHOTOS.len()].to_owned(),
            stock: Some(args.stock),
            tax_class: None,
            weight: None,
            options: Vec::new(),
            variants: Vec::new(),
            low_stock_threshold: None,
        };
        let fields = input
            .validate(&args.currency, None)
            .map_err(|e| anyhow::anyhow!("bench product {i} is invalid: {e:?}"))?;
        let product = Product::from_fields(new_id(), fields, now());
        store.insert_product(&product).await?;
        let variant = product.variants[0].id.clone();
        product_ids.push((product.id, variant));
    }
    let products_secs = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let hash = hash_password(args.password.clone()).await?;
    let mut emails = Vec::with_capacity(args.users);
    for n in 0..args.users {
        let user = User {
            id: new_id(),
            name: format!("Bench Customer {n}"),
            phone: format!("+3460{n:07}"),
            email: email(&args.email_prefix, n),
            role: Role::Customer,
            password_hash: hash.clone(),
            created_at: now(),
            locale: None,
            disabled_at: None,
        };
        store.create_user(&user, &[]).await?;
        emails.push(user.email);
    }
    let users_secs = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let placed = if args.users > 0 && !product_ids.is_empty() {
        place_orders(
            store.clone(),
            &args,
            Arc::new(emails),
            Arc::new(product_ids),
        )
        .await?
    } else {
        0
    };
    let orders_secs = t.elapsed().as_secs_f64();
    store.close().await;
    println!(
        "{}",
        json!({
            "products": args.products,
            "categories": args.categories,
            "users": args.users,
            "orders": placed,
            "products_secs": products_secs,
            "users_secs": users_secs,
            "orders_secs": orders_secs,
            "total_secs": started.elapsed().as_secs_f64(),
        })
    );
    Ok(())
}

/// Places `args.orders` orders: order `j` belongs to customer `j % users`
/// and has 1-3 lines of 1-2 units; worker `w` owns customers `u % workers == w`.
async fn place_orders(
    store: Arc<dyn Store>,
    args: &Args,
    emails: Arc<Vec<String>>,
    products: Arc<Vec<(String, String)>>,
) -> anyhow::Result<usize> {
    let workers = args.workers.clamp(1, args.users);
    // The shop's own starter method (what `tienda` creates on an empty store).
    store
        .put_shipping_method(&ShippingMethod {
            id: "standard".into(),
            name: "Standard delivery".into(),
            zones: vec![ShippingZone {
                name: "Everywhere".into(),
                countries: Vec::new(),
                price: 495,
                free_above: Some(5000),
                weight_bands: Vec::new(),
            }],
            position: 0,
        })
        .await?;
    let rules = Arc::new(CheckoutRules {
        prices_include_tax: true,
        default_country: "ES".into(),
        ..CheckoutRules::default()
    });
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..workers {
        let store = store.clone();
        let emails = emails.clone();
        let products = products.clone();
        let rules = rules.clone();
        let (orders, currency) = (args.orders, args.currency.clone());
        tasks.spawn(async move {
            let mut placed = 0usize;
            for j in (0..orders).filter(|j| (j % emails.len()) % workers == w) {
                let email = &emails[j % emails.len()];
                for k in 0..(1 + j % 3) {
                    let (product_id, variant_id) =
                        &products[(j * 7_919 + k * 104_729) % products.len()];
                    let line = LineRef {
                        product_id,
                        variant_id,
                    };
                    store
                        .add_to_cart(email, line, 1 + (k as i64 % 2), now())
                        .await?;
                }
                store
                    .place_order(Checkout {
                        cart: email.clone(),
                        email: email.clone(),
                        delivery_address: Some(Address::from_legacy(
                            &format!("{} Benchmark Street, 28001 Madrid", j % 97 + 1),
                            "ES",
                        )),
                        shipping_method: None,
                        payment_method: PaymentMethod::BankTransfer,
                        rules: rules.clone(),
                        hold_until: now(),
                        locale: Default::default(),
                        idempotency_key: None,
                        currency: currency.clone(),
                        at: now(),
                        mails: Arc::new(|_| Ok(Vec::new())),
                        // Seeding mails nobody: no low-stock alerts.
                        low_stock: tienda::domain::catalog::LowStockAlerts::new(0, ""),
                    })
                    .await?;
                placed += 1;
            }
            anyhow::Ok(placed)
        });
    }
    let mut placed = 0;
    while let Some(done) = tasks.join_next().await {
        placed += done??;
    }
    Ok(placed)
}
