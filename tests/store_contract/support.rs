//! Fresh stores for each case and small builders for domain values.

use std::sync::Arc;

use serde_json::json;
use tienda::domain::accounts::{Role, User};
use tienda::domain::catalog::{Product, ProductFields, Variant};
use tienda::domain::chat::{Message, MessageType};
use tienda::domain::mail::{MailKind, MailPayload, OutboxMail};
use tienda::domain::orders::Order;
use tienda::domain::{from_millis, new_id, Timestamp};
use tienda::store::{Checkout, LineRef, Store};

/// Env var naming the MongoDB-wire server the Mongo variants run against.
pub const MONGO_URL_VAR: &str = "TIENDA_TEST_MONGO_URL";

/// One store for one test, and what must be cleaned up after it.
pub struct Backend {
    store: Arc<dyn Store>,
    url: String,
    _dir: Option<tempfile::TempDir>,
    mongo: Option<(String, String)>,
}

impl Backend {
    /// SQLite on a fresh file in a fresh temp folder.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("tienda.db");
        let url = format!("sqlite://{}", path.display());
        let store = tienda::store::open(&url, 4)
            .await
            .expect("open SQLite store");
        Self {
            store,
            url,
            _dir: Some(dir),
            mongo: None,
        }
    }

    /// MongoDB on a fresh database (unique name) at `TIENDA_TEST_MONGO_URL`.
    pub async fn mongo() -> Self {
        let base = std::env::var(MONGO_URL_VAR).unwrap_or_else(|_| {
            panic!(
                "{MONGO_URL_VAR} is not set: the MongoDB variants of the storage contract \
                 need a MongoDB-wire server (replica set), e.g. \
                 {MONGO_URL_VAR}=mongodb://127.0.0.1:27117/ cargo test --test store_contract"
            )
        });
        let db = format!("tienda_test_{}", uuid::Uuid::new_v4().simple());
        let url = with_database(&base, &db);
        let store = tienda::store::open(&url, 8)
            .await
            .unwrap_or_else(|e| panic!("open MongoDB store at {url}: {e:#}"));
        Self {
            store,
            url,
            _dir: None,
            mongo: Some((base, db)),
        }
    }

    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    /// The store URL this backend was opened with.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A plain driver handle on the Mongo test database, to look at what the
    /// store wrote.
    pub async fn raw_mongo(&self) -> mongodb::Database {
        let (base, db) = self.mongo.as_ref().expect("a MongoDB backend");
        mongodb::Client::with_uri_str(base)
            .await
            .expect("connect")
            .database(db)
    }

    /// Closes the store and drops a Mongo test database (only reached when
    /// the case passed; a failed case leaves its database to inspect).
    pub async fn finish(self) {
        self.store.close().await;
        if let Some((base, db)) = &self.mongo {
            let client = mongodb::Client::with_uri_str(base)
                .await
                .expect("connect to drop test database");
            client
                .database(db)
                .drop()
                .await
                .expect("drop test database");
        }
    }
}

/// `base` with its path replaced by `/db`, keeping any `?options`.
fn with_database(base: &str, db: &str) -> String {
    let (head, query) = match base.split_once('?') {
        Some((head, query)) => (head, Some(query)),
        None => (base, None),
    };
    let (scheme, rest) = head.split_once("://").expect("URL has a scheme");
    let hosts = rest.split('/').next().unwrap_or(rest);
    match query {
        Some(q) => format!("{scheme}://{hosts}/{db}?{q}"),
        None => format!("{scheme}://{hosts}/{db}"),
    }
}

/// A fixed instant plus `ms` milliseconds, so cases control ordering.
pub fn t(ms: i64) -> Timestamp {
    from_millis(1_750_000_000_000 + ms)
}

/// A product sold one way. Its one variant has the product's id (as a
/// migrated product's has), so [`line`] names it from the product id alone.
pub fn product(name: &str, category: &str, price: i64, stock: i64, at: Timestamp) -> Product {
    let id = new_id();
    Product {
        id: id.clone(),
        name: name.to_owned(),
        description: format!("{name}, described"),
        category: category.to_owned(),
        price,
        currency: "EUR".to_owned(),
        photo_url: "/static/photos/kite.svg".to_owned(),
        stock,
        options: Vec::new(),
        variants: vec![Variant {
            sku: format!("SKU-{}", &id[24..]).to_ascii_uppercase(),
            id,
            options: Default::default(),
            price,
            stock,
            photo_id: None,
            archived: false,
        }],
        photos: Vec::new(),
        created_at: at,
        updated_at: at,
    }
}

/// `p`'s fields for a replace, its one variant at `price` and `stock`.
pub fn fields(p: &Product, price: i64, stock: i64) -> ProductFields {
    let mut variants = p.variants.clone();
    variants[0].price = price;
    variants[0].stock = stock;
    ProductFields {
        name: p.name.clone(),
        description: p.description.clone(),
        category: p.category.clone(),
        price,
        currency: p.currency.clone(),
        photo_url: p.photo_url.clone(),
        stock,
        options: p.options.clone(),
        variants,
    }
}

/// The cart line of a product sold one way (see [`product`]).
pub fn line(id: &str) -> LineRef<'_> {
    LineRef {
        product_id: id,
        variant_id: id,
    }
}

/// Inserts a product and returns it.
pub async fn stocked(store: &Arc<dyn Store>, name: &str, price: i64, stock: i64) -> Product {
    let p = product(name, "misc", price, stock, t(0));
    store.insert_product(&p).await.expect("insert product");
    p
}

pub fn user(email: &str) -> User {
    User {
        id: new_id(),
        name: format!("Name of {email}"),
        phone: "+34600123456".to_owned(),
        email: email.to_owned(),
        role: Role::Customer,
        password_hash: "$argon2id$fake".to_owned(),
        created_at: t(0),
        locale: None,
    }
}

pub fn payload(data: serde_json::Value) -> MailPayload {
    MailPayload::new(&data).expect("a JSON value serializes")
}

pub fn mail(kind: MailKind, to: &str, at: Timestamp) -> OutboxMail {
    OutboxMail::new(
        kind,
        to,
        Some("Someone"),
        payload(json!({ "k": [1, "two"] })),
        at,
    )
}

/// A checkout that writes a confirmation and a notice per order.
pub fn checkout(email: &str, key: Option<&str>, at: Timestamp) -> Checkout {
    Checkout {
        cart: email.to_owned(),
        email: email.to_owned(),
        delivery_address: None,
        idempotency_key: key.map(str::to_owned),
        currency: "EUR".to_owned(),
        at,
        mails: Arc::new(move |order: &Order| {
            Ok(vec![
                OutboxMail::new(
                    MailKind::OrderConfirmation,
                    &order.email,
                    None,
                    payload(json!({ "number": order.number })),
                    at,
                ),
                OutboxMail::new(
                    MailKind::OrderNotice,
                    "notify@shop.test",
                    None,
                    payload(json!({ "number": order.number })),
                    at,
                ),
            ])
        }),
    }
}

/// A customer with `quantity` of `product` in the cart and an address.
pub async fn ready_cart(store: &Arc<dyn Store>, email: &str, product: &Product, quantity: i64) {
    store
        .add_to_cart(email, line(&product.id), quantity, t(1))
        .await
        .expect("add to cart");
    store
        .set_delivery_address(email, "1 Calle Mayor, Madrid", t(2))
        .await
        .expect("set address");
}

/// A product as the store answers it now.
pub async fn read_product(store: &Arc<dyn Store>, id: &str) -> Option<Product> {
    store
        .get_product(id)
        .await
        .expect("get product")
        .map(|p| p.value().clone())
}

/// A page of the catalog: its products and the total.
pub async fn list(
    store: &Arc<dyn Store>,
    category: Option<&str>,
    page: tienda::domain::Page,
) -> (Vec<Product>, u64) {
    let page = store
        .list_products(category, page)
        .await
        .expect("list products");
    (page.items.clone(), page.total)
}

/// Current stock of a product.
pub async fn stock_of(store: &Arc<dyn Store>, id: &str) -> i64 {
    store
        .get_product(id)
        .await
        .expect("get product")
        .expect("product exists")
        .stock
}

/// How many outbox rows exist.
pub async fn outbox_count(store: &Arc<dyn Store>) -> u64 {
    store
        .list_mail(None, tienda::domain::Page::default())
        .await
        .expect("list mail")
        .1
}

/// A chat message by `email` at `at` ms (see [`t`]).
pub fn message(email: &str, kind: MessageType, to: Option<&str>, body: &str, at: i64) -> Message {
    Message {
        id: new_id(),
        author: format!("Author {email}"),
        email: email.to_owned(),
        kind,
        body: body.to_owned(),
        to: to.map(str::to_owned),
        created_at: t(at),
    }
}
