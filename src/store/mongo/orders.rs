use async_trait::async_trait;
use futures_util::TryStreamExt;
use mongodb::bson::{doc, DateTime, Document};
use mongodb::options::ReturnDocument;
use mongodb::{ClientSession, Collection};
use serde::{Deserialize, Serialize};

use super::outbox::MailDoc;
use super::{bson_time, limit, race_on_duplicate, time, MongoStore, StoredAddress, WriteRace};
use crate::domain::accounts::Erasure;
use crate::domain::cart::Cart;
use crate::domain::catalog::Product;
use crate::domain::checkout::{self, CheckoutTx, StatusTx, FIRST_ORDER_NUMBER};
use crate::domain::mail::OutboxMail;
use crate::domain::orders::{
    legacy_payment, Order, OrderFilter, OrderItem, OrderStatus, StatusChange,
};
use crate::domain::payments::{Payment, Tracking};
use crate::domain::pricing::TaxLine;
use crate::domain::shipping::{ShippingMethod, ShippingQuote};
use crate::domain::stats::SalesDelta;
use crate::domain::{Page, Timestamp};
use crate::i18n::Locale;
use crate::store::{decode_stored, CorruptValue};
use crate::store::{
    Checkout, LineRef, OrderStore, OrderUpdate, Placed, StoreError, StoreResult, Updated,
};

pub(super) const COUNTERS: &str = "counters";
/// Webhook events acted on, by id.
pub(super) const PAYMENT_EVENTS: &str = "payment_events";
/// The shop's shipping methods, by id.
pub(super) const SHIPPING_METHODS: &str = "shipping_methods";
/// The `counters` document numbering orders. Its `value` counts the numbers
/// handed out, so the n-th order gets `FIRST_ORDER_NUMBER + n - 1`: one
/// atomic `$inc` with upsert both creates and advances it.
const ORDER_COUNTER: &str = "order_number";

/// An `orders` document; `_id` is the order number (also kept as `number`).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct OrderDoc {
    #[serde(rename = "_id")]
    id: i64,
    number: i64,
    email: String,
    status: String,
    items: Vec<OrderItem>,
    /// Absent on orders from before shipping and taxes: their total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    subtotal: Option<i64>,
    #[serde(default)]
    shipping: ShippingQuote,
    #[serde(default)]
    taxes: Vec<TaxLine>,
    #[serde(default)]
    prices_include_tax: bool,
    total: i64,
    currency: String,
    delivery_address: StoredAddress,
    /// Absent on orders from before payments: see [`legacy_payment`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    payment: Option<Payment>,
    /// The payment's PaymentIntent and hold, as top-level fields the
    /// webhook and the expiry search by (indexed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    intent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hold_until: Option<DateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tracking: Option<Tracking>,
    #[serde(default)]
    locale: Locale,
    created_at: DateTime,
    history: Vec<ChangeDoc>,
    /// Absent (not null) without a key, so the partial unique index skips it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    idempotency_key: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ChangeDoc {
    status: String,
    at: DateTime,
    by: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    note: String,
}

fn status_of(number: i64, text: &str) -> Result<OrderStatus, CorruptValue> {
    decode_stored("orders", &number.to_string(), "status", text)
}

fn history_docs(history: &[StatusChange]) -> Vec<ChangeDoc> {
    history
        .iter()
        .map(|c| ChangeDoc {
            status: c.status.as_str().to_owned(),
            at: bson_time(c.at),
            by: c.by.clone(),
            note: c.note.clone(),
        })
        .collect()
}

impl OrderDoc {
    fn new(o: &Order, idempotency_key: Option<String>) -> Self {
        Self {
            id: o.number,
            number: o.number,
            email: o.email.clone(),
            status: o.status.as_str().to_owned(),
            items: o.items.clone(),
            subtotal: Some(o.subtotal),
            shipping: o.shipping.clone(),
            taxes: o.taxes.clone(),
            prices_include_tax: o.prices_include_tax,
            total: o.total,
            currency: o.currency.clone(),
            delivery_address: StoredAddress(o.delivery_address.clone()),
            payment: Some(o.payment.clone()),
            intent_id: o.payment.intent_id.clone(),
            hold_until: o.payment.hold_until.map(bson_time),
            tracking: o.tracking.clone(),
            locale: o.locale,
            created_at: bson_time(o.created_at),
            history: history_docs(&o.history),
            idempotency_key,
        }
    }
}

impl TryFrom<OrderDoc> for Order {
    type Error = CorruptValue;

    fn try_from(d: OrderDoc) -> Result<Self, CorruptValue> {
        let status = status_of(d.number, &d.status)?;
        Ok(Self {
            number: d.number,
            email: d.email,
            status,
            items: d.items,
            subtotal: d.subtotal.unwrap_or(d.total),
            shipping: d.shipping,
            taxes: d.taxes,
            prices_include_tax: d.prices_include_tax,
            total: d.total,
            currency: d.currency,
            delivery_address: d.delivery_address.0,
            payment: d
                .payment
                .unwrap_or_else(|| legacy_payment(d.number, status, d.total)),
            tracking: d.tracking,
            locale: d.locale,
            created_at: time(d.created_at),
            history: d
                .history
                .into_iter()
                .map(|c| {
                    Ok(StatusChange {
                        status: status_of(d.number, &c.status)?,
                        at: time(c.at),
                        by: c.by,
                        note: c.note,
                    })
                })
                .collect::<Result<_, CorruptValue>>()?,
        })
    }
}

/// The query of an order listing and its sort: newest first, by the
/// `by_created` index when a date range (and no customer) is given, as the
/// SQLite store does, so a page stops after its rows.
fn list_query(filter: &OrderFilter) -> (Document, Document) {
    let mut query = doc! {};
    if let Some(email) = &filter.email {
        query.insert("email", email);
    }
    if let Some(status) = filter.status {
        query.insert("status", status.as_str());
    }
    if let Some(number) = filter.number {
        query.insert("number", number);
    }
    let (start, end) = filter.created_between();
    let mut created = doc! {};
    if let Some(start) = start {
        created.insert("$gte", bson_time(start));
    }
    if let Some(end) = end {
        created.insert("$lt", bson_time(end));
    }
    let by_date = !created.is_empty() && filter.email.is_none();
    if !created.is_empty() {
        query.insert("created_at", created);
    }
    let sort = if by_date {
        doc! { "created_at": -1, "number": -1 }
    } else {
        doc! { "number": -1 }
    };
    (query, sort)
}

/// An `orders` document read as a raw document (the schema steps).
pub(super) fn decode_document(d: Document) -> StoreResult<Order> {
    let doc: OrderDoc = mongodb::bson::from_document(d)?;
    Ok(Order::try_from(doc)?)
}

impl MongoStore {
    fn orders(&self) -> Collection<OrderDoc> {
        self.coll("orders")
    }

    /// Takes an erased customer out of the orders (see [`Erasure`]): their
    /// own orders lose email, address and idempotency key; every history
    /// entry they made, on any order, names the placeholder.
    pub(super) async fn erase_customer_in(
        &self,
        s: &mut ClientSession,
        e: &Erasure,
    ) -> StoreResult<()> {
        let named: Vec<OrderDoc> = self
            .orders()
            .find(doc! { "$or": [{ "email": &e.email }, { "history.by": &e.email }] })
            .session(&mut *s)
            .await?
            .stream(&mut *s)
            .try_collect()
            .await?;
        for mut order in named {
            for change in order.history.iter_mut().filter(|h| h.by == e.email) {
                change.by = e.placeholder.clone();
            }
            let history = mongodb::bson::to_bson(&order.history)?;
            let update = if order.email == e.email {
                doc! {
                    "$set": {
                        "email": &e.placeholder,
                        "delivery_address": Erasure::ADDRESS,
                        "history": history,
                    },
                    "$unset": { "idempotency_key": "" },
                }
            } else {
                doc! { "$set": { "history": history } }
            };
            self.orders()
                .update_one(doc! { "_id": order.id }, update)
                .session(&mut *s)
                .await?;
        }
        Ok(())
    }
}

/// The checkout and status steps inside one transaction's session.
struct SessionTx<'a> {
    store: &'a MongoStore,
    s: &'a mut ClientSession,
}

impl CheckoutTx for SessionTx<'_> {
    async fn order_for_key(&mut self, email: &str, key: &str) -> StoreResult<Option<Order>> {
        Ok(self
            .store
            .orders()
            .find_one(doc! { "email": email, "idempotency_key": key })
            .session(&mut *self.s)
            .await?
            .map(Order::try_from)
            .transpose()?)
    }

    async fn cart(&mut self, email: &str) -> StoreResult<Option<Cart>> {
        self.store.cart_in(self.s, email).await
    }

    async fn product(&mut self, id: &str) -> StoreResult<Option<Product>> {
        self.store.product_in(self.s, id).await
    }

    async fn shipping_methods(&mut self) -> StoreResult<Vec<ShippingMethod>> {
        self.store.shipping_methods_in(Some(&mut *self.s)).await
    }

    async fn take_stock(&mut self, line: LineRef<'_>, quantity: i64) -> StoreResult<bool> {
        // A concurrent change to the same stock is a write conflict, which
        // retries the whole transaction. The product's own `stock` (the sum
        // over its sold variants) moves with the variant's.
        let sold = doc! { "id": line.variant_id, "archived": false, "stock": { "$gte": quantity } };
        let result = self
            .store
            .products()
            .update_one(
                doc! { "_id": line.product_id, "variants": { "$elemMatch": sold } },
                doc! { "$inc": { "variants.$.stock": -quantity, "stock": -quantity } },
            )
            .session(&mut *self.s)
            .await?;
        Ok(result.matched_count == 1)
    }

    /// Inside the transaction, so a refused checkout gives its number back
    /// with the rollback.
    async fn next_order_number(&mut self) -> StoreResult<i64> {
        let counter = self
            .store
            .coll::<Document>(COUNTERS)
            .find_one_and_update(
                doc! { "_id": ORDER_COUNTER },
                doc! { "$inc": { "value": 1_i64 } },
            )
            .upsert(true)
            .return_document(ReturnDocument::After)
            .session(&mut *self.s)
            .await
            .map_err(race_on_duplicate)?
            // MongoDB always returns the upserted document here; a wire
            // server that loses a race may not: retry the transaction.
            .ok_or_else(|| StoreError::backend(WriteRace))?;
        let issued = counter
            .get_i64("value")
            .or_else(|_| counter.get_i32("value").map(i64::from))
            .map_err(StoreError::backend)?;
        Ok(FIRST_ORDER_NUMBER + issued - 1)
    }

    async fn insert_order(&mut self, order: &Order, key: Option<&str>) -> StoreResult<()> {
        self.store
            .orders()
            .insert_one(OrderDoc::new(order, key.map(str::to_owned)))
            .session(&mut *self.s)
            .await?;
        Ok(())
    }

    async fn delete_cart(&mut self, email: &str) -> StoreResult<()> {
        self.store
            .carts()
            .delete_one(doc! { "_id": email })
            .session(&mut *self.s)
            .await?;
        Ok(())
    }

    async fn queue_mail(&mut self, mails: &[OutboxMail]) -> StoreResult<()> {
        self.store
            .insert_mails(self.s, &MailDoc::many(mails)?)
            .await
    }

    async fn record_sales(&mut self, delta: &SalesDelta) -> StoreResult<()> {
        self.store.record_sales_in(self.s, delta).await
    }
}

impl StatusTx for SessionTx<'_> {
    async fn record_event(
        &mut self,
        event_id: &str,
        number: i64,
        at: Timestamp,
    ) -> StoreResult<bool> {
        let events = self.store.coll::<Document>(PAYMENT_EVENTS);
        let seen = events
            .find_one(doc! { "_id": event_id })
            .session(&mut *self.s)
            .await?;
        if seen.is_some() {
            return Ok(false);
        }
        // The event's id is the document's: a transaction racing this one
        // with the same event makes this insert a duplicate key, and the
        // retry then finds the event seen.
        events
            .insert_one(doc! { "_id": event_id, "order_number": number, "at": bson_time(at) })
            .session(&mut *self.s)
            .await
            .map_err(race_on_duplicate)?;
        Ok(true)
    }

    async fn queue_mail(&mut self, mails: &[OutboxMail]) -> StoreResult<()> {
        self.store
            .insert_mails(self.s, &MailDoc::many(mails)?)
            .await
    }

    async fn record_sales(&mut self, delta: &SalesDelta) -> StoreResult<()> {
        self.store.record_sales_in(self.s, delta).await
    }

    async fn order(&mut self, number: i64) -> StoreResult<Option<Order>> {
        Ok(self
            .store
            .orders()
            .find_one(doc! { "_id": number })
            .session(&mut *self.s)
            .await?
            .map(Order::try_from)
            .transpose()?)
    }

    async fn put_back_stock(&mut self, line: LineRef<'_>, quantity: i64) -> StoreResult<()> {
        let sold = doc! { "id": line.variant_id, "archived": false };
        let restocked = self
            .store
            .products()
            .update_one(
                doc! { "_id": line.product_id, "variants": { "$elemMatch": sold } },
                doc! { "$inc": { "variants.$.stock": quantity, "stock": quantity } },
            )
            .session(&mut *self.s)
            .await?;
        if restocked.matched_count == 0 {
            // An archived variant takes its units back; the product's stock
            // counts sold variants only.
            self.store
                .products()
                .update_one(
                    doc! { "_id": line.product_id, "variants.id": line.variant_id },
                    doc! { "$inc": { "variants.$.stock": quantity } },
                )
                .session(&mut *self.s)
                .await?;
        }
        self.store
            .clear_restocked(Some(&mut *self.s), line.product_id)
            .await
    }

    async fn save_order(&mut self, order: &Order) -> StoreResult<()> {
        let doc = OrderDoc::new(order, None);
        let mut set = doc! {
            "status": &doc.status,
            "history": mongodb::bson::to_bson(&doc.history)?,
            "payment": mongodb::bson::to_bson(&doc.payment)?,
            "tracking": mongodb::bson::to_bson(&doc.tracking)?,
        };
        let mut unset = doc! {};
        match &doc.intent_id {
            Some(id) => set.insert("intent_id", id),
            None => unset.insert("intent_id", ""),
        };
        match doc.hold_until {
            Some(until) => set.insert("hold_until", until),
            None => unset.insert("hold_until", ""),
        };
        let mut update = doc! { "$set": set };
        if !unset.is_empty() {
            update.insert("$unset", unset);
        }
        self.store
            .orders()
            .update_one(doc! { "_id": order.number }, update)
            .session(&mut *self.s)
            .await?;
        Ok(())
    }
}

#[async_trait]
impl OrderStore for MongoStore {
    async fn place_order(&self, checkout: Checkout) -> StoreResult<Placed> {
        self.transact(&checkout, |store, s, c| {
            Box::pin(async move {
                let placed = checkout::place_order(&mut SessionTx { store, s: &mut *s }, c).await?;
                store.low_stock_alert(s, c, &placed).await?;
                Ok(placed)
            })
        })
        .await
    }

    async fn get_order(&self, number: i64) -> StoreResult<Option<Order>> {
        Ok(self
            .orders()
            .find_one(doc! { "_id": number })
            .await?
            .map(Order::try_from)
            .transpose()?)
    }

    async fn list_orders(
        &self,
        filter: &OrderFilter,
        page: Page,
    ) -> StoreResult<(Vec<Order>, u64)> {
        let (query, sort) = list_query(filter);
        let total = self.orders().count_documents(query.clone()).await?;
        if page.limit == 0 {
            return Ok((Vec::new(), total));
        }
        let docs: Vec<OrderDoc> = self
            .orders()
            .find(query)
            .sort(sort)
            .skip(page.offset)
            .limit(limit(page.limit))
            .await?
            .try_collect()
            .await?;
        let orders = docs
            .into_iter()
            .map(Order::try_from)
            .collect::<Result<_, _>>()?;
        Ok((orders, total))
    }

    async fn update_order(&self, update: OrderUpdate) -> StoreResult<Updated> {
        self.transact(&update, |store, s, update| {
            Box::pin(
                async move { checkout::update_order(&mut SessionTx { store, s }, update).await },
            )
        })
        .await
    }

    async fn order_for_intent(&self, intent_id: &str) -> StoreResult<Option<i64>> {
        Ok(self
            .orders()
            .find_one(doc! { "intent_id": intent_id })
            .await?
            .map(|d| d.number))
    }

    async fn orders_to_expire(&self, now: Timestamp, limit_to: u64) -> StoreResult<Vec<i64>> {
        let due: Vec<OrderDoc> = self
            .orders()
            .find(doc! {
                "hold_until": { "$lte": bson_time(now) },
                "status": OrderStatus::AwaitingPayment.as_str(),
            })
            .sort(doc! { "hold_until": 1 })
            .limit(limit(limit_to))
            .await?
            .try_collect()
            .await?;
        Ok(due.into_iter().map(|d| d.number).collect())
    }

    async fn shipping_methods(&self) -> StoreResult<Vec<ShippingMethod>> {
        self.shipping_methods_in(None).await
    }

    async fn put_shipping_method(&self, method: &ShippingMethod) -> StoreResult<()> {
        let mut document = mongodb::bson::to_document(method)?;
        document.insert("_id", &method.id);
        self.coll::<Document>(SHIPPING_METHODS)
            .replace_one(doc! { "_id": &method.id }, document)
            .upsert(true)
            .await?;
        Ok(())
    }

    async fn delete_shipping_method(&self, id: &str) -> StoreResult<bool> {
        let deleted = self
            .coll::<Document>(SHIPPING_METHODS)
            .delete_one(doc! { "_id": id })
            .await?;
        Ok(deleted.deleted_count == 1)
    }

    async fn scan_orders(&self, after: i64, limit_to: u64) -> StoreResult<Vec<Order>> {
        let found: Vec<OrderDoc> = self
            .orders()
            .find(doc! { "_id": { "$gt": after } })
            .sort(doc! { "_id": 1 })
            .limit(limit(limit_to))
            .await?
            .try_collect()
            .await?;
        Ok(found
            .into_iter()
            .map(Order::try_from)
            .collect::<Result<_, _>>()?)
    }
}

impl MongoStore {
    /// The shop's shipping methods in their order, inside a transaction's
    /// session when there is one.
    async fn shipping_methods_in(
        &self,
        s: Option<&mut ClientSession>,
    ) -> StoreResult<Vec<ShippingMethod>> {
        let coll = self.coll::<Document>(SHIPPING_METHODS);
        let find = coll.find(doc! {}).sort(doc! { "position": 1, "_id": 1 });
        let docs: Vec<Document> = match s {
            Some(s) => find.session(&mut *s).await?.stream(s).try_collect().await?,
            None => find.await?.try_collect().await?,
        };
        docs.into_iter()
            .map(|mut d| {
                d.remove("_id");
                Ok(mongodb::bson::from_document(d)?)
            })
            .collect()
    }
}
