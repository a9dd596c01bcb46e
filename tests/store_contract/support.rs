//! Fresh stores for each case and small builders for domain values.

use std::sync::Arc;

use serde_json::json;
use tienda::domain::accounts::{Role, User};
use tienda::domain::address::Address;
use tienda::domain::catalog::{Product, ProductFields, Variant};
use tienda::domain::chat::{Message, MessageType};
use tienda::domain::checkout::CheckoutRules;
use tienda::domain::mail::{MailKind, MailPayload, OutboxMail};
use tienda::domain::orders::{Order, OrderAction, OrderMailKind, OrderStatus};
use tienda::domain::payments::PaymentMethod;
use tienda::domain::shipping::{ShippingMethod, ShippingZone};
use tienda::domain::tax::TaxClass;
use tienda::domain::{from_millis, new_id, Timestamp};
use tienda::i18n::Locale;
use tienda::store::{Checkout, LineRef, OrderUpdate, Store, StoreResult, Updated};

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
        open_shop(&store).await;
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
        open_shop(&store).await;
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

/// The shipping method every fresh store starts with (as a shop that opens
/// has one): free, to every country. Checkouts need a method that ships to
/// the address; a free one leaves the order's total the goods' sum.
pub const STANDARD: &str = "standard";

/// [`STANDARD`]: one catch-all zone at price 0.
pub fn standard_shipping() -> ShippingMethod {
    ShippingMethod {
        id: STANDARD.to_owned(),
        name: "Standard".to_owned(),
        zones: vec![ShippingZone {
            name: "Everywhere".to_owned(),
            countries: Vec::new(),
            price: 0,
            free_above: None,
            weight_bands: Vec::new(),
        }],
        position: 0,
    }
}

/// Makes a fresh store a shop that can take orders: its [`STANDARD`] method.
async fn open_shop(store: &Arc<dyn Store>) {
    store
        .put_shipping_method(&standard_shipping())
        .await
        .expect("put the standard shipping method");
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
        tax_class: TaxClass::Standard,
        weight: None,
        options: Vec::new(),
        variants: vec![Variant {
            sku: format!("SKU-{}", &id[24..]).to_ascii_uppercase(),
            id,
            options: Default::default(),
            price,
            stock,
            weight: None,
            photo_id: None,
            archived: false,
        }],
        photos: Vec::new(),
        low_stock_threshold: None,
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
        tax_class: p.tax_class,
        weight: p.weight,
        options: p.options.clone(),
        variants,
        low_stock_threshold: p.low_stock_threshold,
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
        disabled_at: None,
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

/// The one-line address [`ready_cart`] sets, as the store keeps it.
pub fn home() -> Address {
    Address::from_legacy("1 Calle Mayor, Madrid", "ES")
}

/// A checkout that writes a confirmation and a notice per order: paid by
/// bank transfer (marked paid by an admin), shipped by the default method,
/// in a shop without tax rates, so the order's total is its goods' sum.
pub fn checkout(email: &str, key: Option<&str>, at: Timestamp) -> Checkout {
    Checkout {
        cart: email.to_owned(),
        email: email.to_owned(),
        delivery_address: None,
        shipping_method: None,
        payment_method: PaymentMethod::BankTransfer,
        rules: Arc::new(CheckoutRules {
            default_country: "ES".to_owned(),
            ..CheckoutRules::default()
        }),
        hold_until: at + time::Duration::minutes(30),
        locale: Locale::En,
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
        // No product crosses 0 by default: cases that test alerts set their own.
        low_stock: tienda::domain::catalog::LowStockAlerts::new(0, ""),
    }
}

/// A customer with `quantity` of `product` in the cart and an address.
pub async fn ready_cart(store: &Arc<dyn Store>, email: &str, product: &Product, quantity: i64) {
    store
        .add_to_cart(email, line(&product.id), quantity, t(1))
        .await
        .expect("add to cart");
    store
        .set_delivery_address(email, &home(), t(2))
        .await
        .expect("set address");
}

/// Writes one outbox mail per order change, naming the change and the order.
pub fn order_mails(at: Timestamp) -> tienda::store::OrderMailer {
    Arc::new(move |order: &Order, kind: OrderMailKind| {
        let kind: &'static str = kind.into();
        Ok(vec![OutboxMail::new(
            MailKind::OrderUpdate,
            &order.email,
            None,
            payload(json!({ "number": order.number, "kind": kind })),
            at,
        )])
    })
}

/// Applies `action` to order `number`, by `by` at `at`, for webhook event
/// `event_id` if one is given, with [`order_mails`].
pub async fn update(
    store: &Arc<dyn Store>,
    number: i64,
    action: OrderAction,
    by: &str,
    at: Timestamp,
    event_id: Option<&str>,
) -> StoreResult<Updated> {
    store
        .update_order(OrderUpdate {
            number,
            action,
            by: by.to_owned(),
            at,
            event_id: event_id.map(str::to_owned),
            mails: order_mails(at),
        })
        .await
}

/// What `set_order_status` was: an admin moves an order to `status`
/// (without tracking); the order as saved.
pub async fn set_status(
    store: &Arc<dyn Store>,
    number: i64,
    status: OrderStatus,
    by: &str,
    at: Timestamp,
) -> StoreResult<Order> {
    let action = OrderAction::SetStatus {
        status,
        tracking: None,
    };
    update(store, number, action, by, at, None)
        .await
        .map(|u| u.order)
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
