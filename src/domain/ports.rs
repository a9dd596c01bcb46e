//! The storage the shop rules need, in domain terms: the traits that
//! `store/sqlite` and `store/mongo` implement (and the cache wraps), and what
//! they can refuse. Declared here so the domain depends on no backend.

use std::sync::Arc;

use async_trait::async_trait;
use futures_util::stream::BoxStream;

use super::accounts::{CustomerSummary, Erasure, PasswordReset, Role, Session, User};
use super::address::Address;
use super::audit::{AuditEntry, AuditFilter};
use super::cart::Cart;
use super::catalog::{
    LowStockAlerts, LowStockVariant, Product, ProductFields, Variant, VariantChange,
};
use super::chat::{Message, MessageFilter};
use super::checkout::CheckoutRules;
use super::mail::{MailStatus, OutboxMail};
use super::orders::{Order, OrderAction, OrderFilter, OrderMailKind, OrderStatus};
use super::payments::PaymentMethod;
use super::photos::{PhotoSize, ProductPhoto};
use super::shared::Shared;
use super::shipping::ShippingMethod;
use super::stats::{SalesFigures, StatsRange};
use super::{Page, Timestamp};

/// The result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// What a store operation can refuse, in domain terms, plus backend failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique value is taken (`what` names it, e.g. `email`).
    #[error("{what} is already taken")]
    Duplicate {
        /// The field whose value is taken.
        what: &'static str,
    },
    /// A cart change or checkout names a product that does not exist (any more).
    #[error("product {product_id} does not exist")]
    ProductNotFound {
        /// The id asked for.
        product_id: String,
    },
    /// A line asks for more units than the variant has in stock.
    #[error("product {product_id} has {available} in stock, {requested} requested")]
    InsufficientStock {
        /// The product short of stock.
        product_id: String,
        /// Its variant short of stock.
        variant_id: String,
        /// Units in stock as read (0 when a checkout's conditional take
        /// found too few).
        available: i64,
        /// Units the line asks for.
        requested: i64,
    },
    /// A cart change or checkout names a variant the product does not sell
    /// (unknown, or archived).
    #[error("product {product_id} does not sell variant {variant_id}")]
    VariantNotSold {
        /// The product.
        product_id: String,
        /// The variant asked for.
        variant_id: String,
    },
    /// A SKU is taken by another product's variant.
    #[error("SKU {sku} is already taken")]
    SkuTaken {
        /// The SKU.
        sku: String,
    },
    /// A product id names several lines of the cart: the variant must be named.
    #[error("the cart has several lines of product {product_id}")]
    AmbiguousLine {
        /// The product asked for.
        product_id: String,
        /// Its variants in the cart.
        variant_ids: Vec<String>,
    },
    /// The cart (if there is one) has no line for the variant or product.
    #[error("the cart has no line for {product_id}")]
    CartLineNotFound {
        /// The variant or product id asked for.
        product_id: String,
    },
    /// A new line would take the cart past its most lines.
    #[error("the cart already has {max} lines")]
    CartFull {
        /// Most lines a cart holds ([`MAX_LINES`](super::cart::MAX_LINES)).
        max: usize,
    },
    /// Checkout without a cart, or of a cart with no lines.
    #[error("the cart is empty")]
    CartEmpty,
    /// Checkout with no address given and none set on the cart.
    #[error("no delivery address")]
    NoDeliveryAddress,
    /// No order has this number.
    #[error("order {number} does not exist")]
    OrderNotFound {
        /// The number asked for.
        number: i64,
    },
    /// The lifecycle does not allow this status change
    /// ([`OrderStatus::can_become`]).
    #[error("an order cannot go from {from:?} to {to:?}")]
    InvalidTransition {
        /// The order's status now.
        from: OrderStatus,
        /// The status asked for.
        to: OrderStatus,
    },
    /// A card payment event that does not match its order (another
    /// PaymentIntent, another amount, or an order not paid by card).
    #[error("the payment does not match order {number}")]
    PaymentMismatch {
        /// The order named.
        number: i64,
    },
    /// A refund of more than what is left to give back.
    #[error("order {number} has {refundable} left to refund")]
    RefundTooLarge {
        /// The order.
        number: i64,
        /// What can still be refunded, minor units.
        refundable: i64,
    },
    /// No shipping method (or not the one asked for) ships this cart there.
    #[error("no shipping method ships to {country}")]
    NoShipping {
        /// The method asked for, if one was.
        method: Option<String>,
        /// The destination country.
        country: String,
    },
    /// A webhook event seen before: its effect happened once already.
    #[error("event {event_id} was handled before")]
    EventSeen {
        /// The event.
        event_id: String,
    },
    /// The backend failed (I/O, a transaction that kept conflicting, a
    /// missing referenced row) or a stored value did not decode.
    #[error("store backend failed")]
    Backend(#[source] anyhow::Error),
}

/// A stored value that does not decode, with the row it came from: never
/// replaced by a default, which would hide the damage.
#[derive(Debug, thiserror::Error)]
#[error("{table} row {id}: the stored {field} `{value}` is not valid")]
pub struct CorruptValue {
    /// Table or collection.
    pub table: &'static str,
    /// The row's id (or order number).
    pub id: String,
    /// The column or field.
    pub field: &'static str,
    /// What was stored.
    pub value: String,
}

/// Decodes an enum stored as text (role, order status, message type…).
pub fn decode_stored<T: std::str::FromStr>(
    table: &'static str,
    id: &str,
    field: &'static str,
    value: &str,
) -> Result<T, CorruptValue> {
    value.parse().map_err(|_| CorruptValue {
        table,
        id: id.to_owned(),
        field,
        value: value.to_owned(),
    })
}

impl From<CorruptValue> for StoreError {
    fn from(err: CorruptValue) -> Self {
        StoreError::backend(err)
    }
}

impl StoreError {
    /// Wraps a backend failure.
    pub fn backend(err: impl Into<anyhow::Error>) -> Self {
        StoreError::Backend(err.into())
    }
}

/// What the running parts of the shop must hear after a write: the mail
/// sender, and the chat's open sockets. Domain operations call it; the
/// application wires it to those services.
pub trait ShopEvents: Send + Sync {
    /// Mail was queued in the outbox: send it without waiting for the next poll.
    fn mail_queued(&self);
    /// A session ended (logout, revocation): its sockets close.
    fn session_ended(&self, session_id: &str);
    /// Every session of a user ended (deletion, password reset).
    fn user_ended(&self, user_id: &str);
}

/// Builds the outbox rows for a new order, inside the checkout transaction.
pub type OrderMails = Arc<dyn Fn(&Order) -> serde_json::Result<Vec<OutboxMail>> + Send + Sync>;

/// What a checkout produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// The new order, or when replayed the one the key placed first.
    pub order: Order,
    /// The idempotency key had placed this order before; nothing changed now.
    pub replayed: bool,
}

/// A checkout request: everything `place_order` needs.
pub struct Checkout {
    /// Whose cart becomes the order ([`CartOwner::key`](super::cart::CartOwner::key)).
    pub cart: String,
    /// Whose order it is: the customer's email, or the one a guest gave.
    pub email: String,
    /// Overrides the cart's delivery address (already validated).
    pub delivery_address: Option<Address>,
    /// The shipping method asked for; the default (or the first that ships
    /// there) when `None`.
    pub shipping_method: Option<String>,
    /// How the customer pays (one the shop offers).
    pub payment_method: PaymentMethod,
    /// The shop's prices, taxes and shipping methods.
    pub rules: Arc<CheckoutRules>,
    /// Until when a card order holds its stock unpaid.
    pub hold_until: Timestamp,
    /// The language of the customer's mails.
    pub locale: crate::i18n::Locale,
    /// The client's key: one this customer used before replays that order.
    pub idempotency_key: Option<String>,
    /// The shop's currency, recorded on the order.
    pub currency: String,
    /// When the order is placed: its `created_at` and first history entry.
    pub at: Timestamp,
    /// The order's mails, queued in the same transaction.
    pub mails: OrderMails,
    /// The low-stock level of products without their own, and the alert
    /// mails queued in the same transaction when the order takes variants
    /// to it.
    pub low_stock: LowStockAlerts,
}

/// A change to one order (see [`Order::apply`]), applied in one
/// transaction with its stock, its mails and, for a webhook, its event id.
pub struct OrderUpdate {
    /// The order.
    pub number: i64,
    /// What happens to it.
    pub action: OrderAction,
    /// Who does it (an email, `stripe`, or `shop`).
    pub by: String,
    /// When.
    pub at: Timestamp,
    /// The webhook event that causes it: recorded in the same transaction,
    /// so a replay of the event changes nothing ([`StoreError::EventSeen`]).
    pub event_id: Option<String>,
    /// The mails of the change.
    pub mails: OrderMailer,
}

/// Builds the outbox rows that follow an order's change.
pub type OrderMailer =
    Arc<dyn Fn(&Order, OrderMailKind) -> serde_json::Result<Vec<OutboxMail>> + Send + Sync>;

/// What an order update did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Updated {
    /// The order as saved (or as it was, when nothing changed).
    pub order: Order,
    /// False when the action changed nothing.
    pub changed: bool,
}

/// One page of the catalog, as `GET /products` answers it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ProductPage {
    /// The products on this page, oldest first.
    pub items: Vec<Product>,
    /// Products in the whole list (every page).
    pub total: u64,
    /// Products skipped before this page.
    pub offset: u64,
    /// Most products on one page.
    pub limit: u64,
    /// Set when the list is one category.
    pub category: Option<String>,
}

/// The catalog: products and their stock.
#[async_trait]
pub trait CatalogStore: Send + Sync {
    /// One page of products in creation order (oldest first), optionally of
    /// one category, with the count of the whole list.
    async fn list_products(
        &self,
        category: Option<&str>,
        page: Page,
    ) -> StoreResult<Arc<Shared<ProductPage>>>;
    /// One product; `None` when it does not exist.
    async fn get_product(&self, id: &str) -> StoreResult<Option<Arc<Shared<Product>>>>;
    /// The products that exist among `ids`, in `ids` order (missing ones skipped).
    async fn get_products(&self, ids: &[String]) -> StoreResult<Vec<Product>>;
    /// Every category some product is in, once each, sorted.
    async fn categories(&self) -> StoreResult<Vec<String>>;
    /// Adds a new product; `SkuTaken` when a variant's SKU is another's; an
    /// id already in use fails as a backend error.
    async fn insert_product(&self, product: &Product) -> StoreResult<()>;
    /// Replaces a product's fields and variants (the list is whole: archived
    /// ones included, none dropped) and sets its `updated_at` to `at`;
    /// returns the product as stored, `None` when it does not exist.
    /// `SkuTaken` when a variant's SKU is another product's.
    async fn replace_product(
        &self,
        id: &str,
        fields: &ProductFields,
        at: Timestamp,
    ) -> StoreResult<Option<Product>>;
    /// Sets a product's uploaded photos (in order) and its `photo_url`;
    /// returns the product as stored, `None` when it does not exist.
    async fn set_product_photos(
        &self,
        id: &str,
        photos: &[ProductPhoto],
        photo_url: &str,
        at: Timestamp,
    ) -> StoreResult<Option<Product>>;
    /// Deletes a product; `false` when it did not exist. Cart lines naming it
    /// stay (shown as unavailable); orders keep their own copy.
    async fn delete_product(&self, id: &str) -> StoreResult<bool>;
    /// Inserts `products` only if the catalog is empty, atomically (instances
    /// seeding at once fill it once); `true` if it did.
    async fn seed_products(&self, products: &[Product]) -> StoreResult<bool>;
    /// Up to `limit` products with ids after `after`, in id order: the whole
    /// catalog in bounded pieces (the search index reads it this way).
    async fn scan_products(&self, after: Option<&str>, limit: u64) -> StoreResult<Vec<Product>>;
    /// The id of every product a write creates, changes, restocks (orders,
    /// cancellations) or deletes from now on, through any instance where the
    /// store is shared. An `Err` item means changes may have been missed:
    /// the listener reads the catalog again.
    async fn watch_products(&self) -> StoreResult<BoxStream<'static, StoreResult<String>>>;
    /// Up to `limit` sold variants at or below their product's low-stock
    /// level (`default_threshold` where the product sets none), lowest stock
    /// first (then product name and SKU). Indexed by stock: it reads only
    /// variants at or below the highest level in use.
    async fn low_stock_variants(
        &self,
        default_threshold: i64,
        limit: u64,
    ) -> StoreResult<Vec<LowStockVariant>>;
    /// Sets the price and/or stock of one sold variant (and its product's
    /// stock; a product without options takes the price too), and the
    /// product's `updated_at`, in one atomic write that leaves every other
    /// field as another writer left it. A stock back above the level a
    /// low-stock alert was raised at clears the alert. Returns the variant as
    /// it was and the product as stored; `None` when the product does not
    /// exist; `VariantNotSold` when it has no such sold variant.
    async fn set_variant(
        &self,
        product_id: &str,
        variant_id: &str,
        change: &VariantChange,
        at: Timestamp,
    ) -> StoreResult<Option<(Variant, Product)>>;
    /// One page of the products whose name or a variant's SKU contains
    /// `text` (ASCII case-insensitive; every product when empty), oldest
    /// first, and how many match in all: the admin's product list.
    async fn find_products(&self, text: &str, page: Page) -> StoreResult<(Vec<Product>, u64)>;
    /// A catalog import in one transaction: inserts `creates` and replaces
    /// each of `updates` (id, whole fields; `updated_at` set to `at`), all or
    /// nothing. `SkuTaken` when a SKU is another product's; `ProductNotFound`
    /// when an updated product is gone.
    async fn import_products(
        &self,
        creates: Vec<Product>,
        updates: Vec<(String, ProductFields)>,
        at: Timestamp,
    ) -> StoreResult<()>;
}

/// Accounts: users, their sessions and password resets.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Inserts the user and its outbox mails in one transaction;
    /// `Duplicate { what: "email" }` when the email is taken.
    async fn create_user(&self, user: &User, mails: &[OutboxMail]) -> StoreResult<()>;
    /// The user with this id; `None` when there is none.
    async fn get_user(&self, id: &str) -> StoreResult<Option<User>>;
    /// The user with exactly this email (callers lowercase it); `None` when
    /// there is none.
    async fn get_user_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    /// Sets the stored role of the user with this email; `false` when no
    /// such user.
    async fn set_role(&self, email: &str, role: Role) -> StoreResult<bool>;
    /// Remembers the language of the user with this id; `false` when no
    /// such user.
    async fn set_locale(&self, user_id: &str, locale: crate::i18n::Locale) -> StoreResult<bool>;
    /// Erases an account as [`Erasure`] says, in one transaction: deletes
    /// the user, their sessions, password resets, cart and outbox mails;
    /// anonymises their orders and chat messages. `false` (and nothing
    /// changed) when no such user.
    async fn erase_account(&self, erasure: &Erasure) -> StoreResult<bool>;

    /// Stores a new session; its user must exist (a backend error otherwise).
    async fn create_session(&self, session: &Session) -> StoreResult<()>;
    /// The session with this id, live or not (see [`Session::is_live`]);
    /// `None` when there is none.
    async fn get_session(&self, id: &str) -> StoreResult<Option<Session>>;
    /// The session and its user, as every authenticated request needs them
    /// (one round trip where the store can); `None` when either is missing.
    /// The session may have ended: callers check it.
    async fn get_session_user(&self, session_id: &str) -> StoreResult<Option<(Session, User)>> {
        let Some(session) = self.get_session(session_id).await? else {
            return Ok(None);
        };
        Ok(self
            .get_user(&session.user_id)
            .await?
            .map(|user| (session, user)))
    }
    /// Every session of the user, revoked and expired ones too, newest first.
    async fn list_sessions(&self, user_id: &str) -> StoreResult<Vec<Session>>;
    /// Marks the session revoked at `at`; `false` when no unrevoked session
    /// has that id.
    async fn revoke_session(&self, id: &str, at: Timestamp) -> StoreResult<bool>;
    /// Revokes every unrevoked session of the user at `at`; returns how many.
    async fn revoke_user_sessions(&self, user_id: &str, at: Timestamp) -> StoreResult<u64>;
    /// Deletes sessions, and password resets, that expired before `before`;
    /// returns how many sessions.
    async fn purge_sessions(&self, before: Timestamp) -> StoreResult<u64>;

    /// Stores a reset and its email in one transaction; the user must exist
    /// (a backend error otherwise).
    async fn create_password_reset(
        &self,
        reset: &PasswordReset,
        mail: &OutboxMail,
    ) -> StoreResult<()>;
    /// Uses the reset with this token hash, if unused and unexpired at `at`:
    /// marks it used, sets the new password hash and revokes every session of
    /// the user, in one transaction. Returns the user id, or `None` for an
    /// unknown, used or expired token (nothing changes then).
    async fn consume_password_reset(
        &self,
        token_hash: &str,
        password_hash: &str,
        at: Timestamp,
    ) -> StoreResult<Option<String>>;

    /// Disables the account with this email as of `Some(at)`, revoking every
    /// unrevoked session of it at `at` in the same transaction, or enables it
    /// (`None`). Returns the account as stored now; `None` (and nothing
    /// changed) when no such user.
    async fn set_disabled(&self, email: &str, at: Option<Timestamp>) -> StoreResult<Option<User>>;
    /// One page of accounts, newest first (then by id), whose email or name
    /// contains `search` with ASCII letters in either case (the caller
    /// lowercases it), and how many match in all.
    async fn list_customers(
        &self,
        search: Option<&str>,
        page: Page,
    ) -> StoreResult<(Vec<CustomerSummary>, u64)>;
    /// Up to `limit` users with ids after `after`, in id order: every
    /// account in bounded pieces (the customers export reads them so).
    async fn scan_users(&self, after: Option<&str>, limit: u64) -> StoreResult<Vec<User>>;
}

/// A product's variant, as a cart line names it.
#[derive(Debug, Clone, Copy)]
pub struct LineRef<'a> {
    /// The product.
    pub product_id: &'a str,
    /// Its variant.
    pub variant_id: &'a str,
}

/// Carts, one per customer email. Every change reads the cart, applies the
/// rule in [`cart::lines`](super::cart::lines) and saves it in one
/// transaction, and returns the cart as saved; a refused change saves nothing.
#[async_trait]
pub trait CartStore: Send + Sync {
    /// The customer's cart; `None` when they have none (never changed one,
    /// or checked it out).
    async fn get_cart(&self, email: &str) -> StoreResult<Option<Cart>>;
    /// Adds `quantity` units of a product's variant (or raises its line),
    /// creating the cart if needed. Refuses `ProductNotFound`,
    /// `VariantNotSold`, `InsufficientStock` when the new line quantity
    /// exceeds the variant's stock, and `CartFull` for a new line past
    /// [`MAX_LINES`](super::cart::MAX_LINES).
    async fn add_to_cart(
        &self,
        email: &str,
        line: LineRef<'_>,
        quantity: i64,
        at: Timestamp,
    ) -> StoreResult<Cart>;
    /// Sets the quantity of the line of variant `variant_id`, checked
    /// against stock; 0 removes it (also for a deleted product or an
    /// archived variant). Refuses `CartLineNotFound` when there is no such
    /// line, else `ProductNotFound`, `VariantNotSold` or `InsufficientStock`.
    async fn set_cart_quantity(
        &self,
        email: &str,
        variant_id: &str,
        quantity: i64,
        at: Timestamp,
    ) -> StoreResult<Cart>;
    /// Removes the line of variant `variant_id`; `CartLineNotFound` when
    /// there is none.
    async fn remove_from_cart(
        &self,
        email: &str,
        variant_id: &str,
        at: Timestamp,
    ) -> StoreResult<Cart>;
    /// Sets the cart's delivery address, creating the cart if needed; never
    /// refuses.
    async fn set_delivery_address(
        &self,
        email: &str,
        address: &Address,
        at: Timestamp,
    ) -> StoreResult<Cart>;
    /// Moves the cart filed under `guest` into the one under `into` by
    /// [`cart::lines::merge`](super::cart::lines::merge) and deletes it, in
    /// one transaction. `None` when there is no guest cart (never filled, or
    /// a concurrent login merged it first): then nothing changes.
    async fn merge_carts(
        &self,
        guest: &str,
        into: &str,
        at: Timestamp,
    ) -> StoreResult<Option<Cart>>;
}

/// Orders: checkout and the status lifecycle.
#[async_trait]
pub trait OrderStore: Send + Sync {
    /// The whole checkout in one transaction: idempotency check, stock
    /// decrement (never below zero), order with the next number, cart emptied,
    /// outbox rows written. A key this customer used before returns that
    /// order, replayed, changing nothing. Refuses `CartEmpty`,
    /// `NoDeliveryAddress`, `ProductNotFound` or `InsufficientStock`; a
    /// refused checkout takes no stock and uses no order number.
    async fn place_order(&self, checkout: Checkout) -> StoreResult<Placed>;
    /// The order with this number, whoever placed it; `None` when there is none.
    async fn get_order(&self, number: i64) -> StoreResult<Option<Order>>;
    /// One page of the orders matching `filter`, newest (highest number)
    /// first, and how many match in all.
    async fn list_orders(&self, filter: &OrderFilter, page: Page)
        -> StoreResult<(Vec<Order>, u64)>;
    /// Applies one change to an order ([`Order::apply`]) in one transaction:
    /// the order saved, its stock put back when it asks, its mails queued,
    /// and the event that caused it recorded (a seen event refuses
    /// `EventSeen`, changing nothing). Refuses `OrderNotFound` and what the
    /// lifecycle forbids.
    async fn update_order(&self, update: OrderUpdate) -> StoreResult<Updated>;
    /// The order whose card payment is this Stripe PaymentIntent.
    async fn order_for_intent(&self, intent_id: &str) -> StoreResult<Option<i64>>;
    /// Up to `limit` unpaid card orders whose hold ran out at `now`, oldest first.
    async fn orders_to_expire(&self, now: Timestamp, limit: u64) -> StoreResult<Vec<i64>>;
    /// The shop's shipping methods, in their order.
    async fn shipping_methods(&self) -> StoreResult<Vec<ShippingMethod>>;
    /// Stores a shipping method (new, or replacing the one with its id).
    async fn put_shipping_method(&self, method: &ShippingMethod) -> StoreResult<()>;
    /// Deletes a shipping method; false when there was none.
    async fn delete_shipping_method(&self, id: &str) -> StoreResult<bool>;
    /// Up to `limit` orders numbered after `after`, lowest first: every
    /// order in bounded pieces (the orders export reads them so).
    async fn scan_orders(&self, after: i64, limit: u64) -> StoreResult<Vec<Order>>;
}

/// The support chat's messages.
#[async_trait]
pub trait ChatStore: Send + Sync {
    /// Stores a message. On a shared store it reaches every instance through
    /// [`ChatStore::watch_messages`]; otherwise the caller publishes it.
    async fn insert_message(&self, message: &Message) -> StoreResult<()>;
    /// Oldest first: the `limit` newest messages matching `filter` (those
    /// before `filter.before` when it names a message; an unknown id pages
    /// from the newest).
    async fn list_messages(&self, filter: &MessageFilter) -> StoreResult<Vec<Message>>;
    /// A feed of messages inserted by any instance; only a shared store
    /// ([`Store::is_shared`]) has one, and the embedded one answers an error.
    async fn watch_messages(&self) -> StoreResult<BoxStream<'static, StoreResult<Message>>>;
}

/// The mail outbox: mails queued in the same transaction as the writes that
/// cause them, delivered later by the sender.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Takes up to `limit` pending mails due at `now`, earliest due first, and
    /// leases them until `lease_until` (their next attempt moves there), so no
    /// other sender picks them meanwhile. Each claim is atomic: two senders
    /// never take the same mail.
    async fn claim_mail(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u64,
    ) -> StoreResult<Vec<OutboxMail>>;
    /// Marks every mail in `ids` sent at `at`, counting the attempt and
    /// clearing the last error (one write for a whole round).
    async fn mark_mail_sent(&self, ids: &[String], at: Timestamp) -> StoreResult<()>;
    /// Records a failed attempt and its error: retried at `retry_at`, or
    /// failed for good when `None`.
    async fn mark_mail_failed(
        &self,
        id: &str,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> StoreResult<()>;
    /// One page of the outbox, newest first, optionally of one status, and
    /// how many match in all.
    async fn list_mail(
        &self,
        status: Option<MailStatus>,
        page: Page,
    ) -> StoreResult<(Vec<OutboxMail>, u64)>;
    /// Puts a failed mail back to pending, due at `at` (its attempts kept);
    /// `false` if no failed mail has that id.
    async fn retry_mail(&self, id: &str, at: Timestamp) -> StoreResult<bool>;
    /// Queues mails written on their own, not as part of another write (an
    /// order's confirmation sent again), in one transaction.
    async fn queue_mail(&self, mails: &[OutboxMail]) -> StoreResult<()>;
}

/// Fixed-window hit counters behind the rate limits, shared by every
/// instance on the store.
#[async_trait]
pub trait LimitStore: Send + Sync {
    /// Counts one hit for `key` in the fixed window starting at `window_start`
    /// (created by its first hit, to expire at `expires_at`); returns the hits
    /// in that window including this one.
    async fn hit(
        &self,
        key: &str,
        window_start: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<u64>;
    /// The hits counted so far in `key`'s window starting at `window_start`
    /// (0 for none), without counting one.
    async fn hits(&self, key: &str, window_start: Timestamp) -> StoreResult<u64>;
    /// Drops rate-limit windows that expired before `before`; returns how many.
    async fn purge_limits(&self, before: Timestamp) -> StoreResult<u64>;
}

/// The files of uploaded product photos (which photos a product shows is
/// the catalog's: [`Product`]'s list). SQLite keeps them on disk beside the
/// database, MongoDB in GridFS (bucket `photos`) so every instance serves
/// every photo. A photo's files never change once stored.
#[async_trait]
pub trait PhotoStore: Send + Sync {
    /// Stores every size of photo `id` at once: a reader finds all of them
    /// or none, never a partly written file.
    async fn put_photo(&self, id: &str, files: Vec<(PhotoSize, Vec<u8>)>) -> StoreResult<()>;
    /// The file of photo `id` in `size`; `None` when there is none.
    async fn photo_file(&self, id: &str, size: PhotoSize) -> StoreResult<Option<bytes::Bytes>>;
    /// Deletes every file of photo `id`; `false` when there was none.
    async fn delete_photo(&self, id: &str) -> StoreResult<bool>;
}

/// The audit log: appended to, listed, never changed.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends one entry.
    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()>;
    /// One page of the entries matching `filter`, newest first, and how
    /// many match in all.
    async fn list_audit(
        &self,
        filter: &AuditFilter,
        page: Page,
    ) -> StoreResult<(Vec<AuditEntry>, u64)>;
}

/// The sales dashboard's rolled-up figures (see [`super::stats`]), which
/// checkout and status changes keep current in their own transactions
/// ([`CheckoutTx::record_sales`](super::checkout::CheckoutTx::record_sales)).
#[async_trait]
pub trait StatsStore: Send + Sync {
    /// The sums of the days in `range`, the orders in each status now, the
    /// range's best sellers and the accounts created in it.
    async fn sales_figures(&self, range: &StatsRange) -> StoreResult<SalesFigures>;
}

/// Everything tienda keeps.
#[async_trait]
pub trait Store:
    CatalogStore
    + AccountStore
    + CartStore
    + OrderStore
    + ChatStore
    + OutboxStore
    + LimitStore
    + PhotoStore
    + AuditStore
    + StatsStore
{
    /// `sqlite` or `mongodb`, for logs and the config page.
    fn backend(&self) -> &'static str;
    /// Whether other tienda instances write to this store too. Then nothing
    /// read from it may be kept in this process, and chat messages from the
    /// others arrive through [`ChatStore::watch_messages`].
    fn is_shared(&self) -> bool;
    /// Cheap round trip, for `/readyz`.
    async fn ping(&self) -> StoreResult<()>;
    /// Flushes and closes; called once at shutdown.
    async fn close(&self);

    /// The cart and the products its lines name (those that still exist),
    /// read together where the store can, so prices and stock match the lines.
    async fn get_cart_with_products(
        &self,
        email: &str,
    ) -> StoreResult<(Option<Cart>, Vec<Product>)> {
        let Some(cart) = self.get_cart(email).await? else {
            return Ok((None, Vec::new()));
        };
        let products = self.get_products(&cart.product_ids()).await?;
        Ok((Some(cart), products))
    }
}
