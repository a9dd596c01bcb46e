use async_trait::async_trait;
use futures_util::TryStreamExt;
use mongodb::bson::{doc, DateTime, Document};
use mongodb::options::ReturnDocument;
use mongodb::{ClientSession, Collection};
use serde::{Deserialize, Serialize};

use super::outbox::MailDoc;
use super::{bson_time, limit, race_on_duplicate, time, MongoStore, WriteRace};
use crate::domain::accounts::Erasure;
use crate::domain::cart::Cart;
use crate::domain::catalog::Product;
use crate::domain::checkout::{self, CheckoutTx, StatusTx, FIRST_ORDER_NUMBER};
use crate::domain::mail::OutboxMail;
use crate::domain::orders::{Order, OrderFilter, OrderItem, OrderStatus, StatusChange};
use crate::domain::{Page, Timestamp};
use crate::store::{decode_stored, CorruptValue};
use crate::store::{Checkout, LineRef, OrderStore, Placed, StoreError, StoreResult};

pub(super) const COUNTERS: &str = "counters";
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
    total: i64,
    currency: String,
    delivery_address: String,
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
            total: o.total,
            currency: o.currency.clone(),
            delivery_address: o.delivery_address.clone(),
            created_at: bson_time(o.created_at),
            history: history_docs(&o.history),
            idempotency_key,
        }
    }
}

impl TryFrom<OrderDoc> for Order {
    type Error = CorruptValue;

    fn try_from(d: OrderDoc) -> Result<Self, CorruptValue> {
        Ok(Self {
            number: d.number,
            email: d.email,
            status: status_of(d.number, &d.status)?,
            items: d.items,
            total: d.total,
            currency: d.currency,
            delivery_address: d.delivery_address,
            created_at: time(d.created_at),
            history: d
                .history
                .into_iter()
                .map(|c| {
                    Ok(StatusChange {
                        status: status_of(d.number, &c.status)?,
                        at: time(c.at),
                        by: c.by,
                    })
                })
                .collect::<Result<_, CorruptValue>>()?,
        })
    }
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
}

impl StatusTx for SessionTx<'_> {
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
        Ok(())
    }

    async fn save_status(&mut self, order: &Order) -> StoreResult<()> {
        let history = mongodb::bson::to_bson(&history_docs(&order.history))?;
        self.store
            .orders()
            .update_one(
                doc! { "_id": order.number },
                doc! { "$set": { "status": order.status.as_str(), "history": history } },
            )
            .session(&mut *self.s)
            .await?;
        Ok(())
    }
}

#[async_trait]
impl OrderStore for MongoStore {
    async fn place_order(&self, checkout: Checkout) -> StoreResult<Placed> {
        self.transact(&checkout, |store, s, c| {
            Box::pin(async move { checkout::place_order(&mut SessionTx { store, s }, c).await })
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
        let mut query = doc! {};
        if let Some(email) = &filter.email {
            query.insert("email", email);
        }
        if let Some(status) = filter.status {
            query.insert("status", status.as_str());
        }
        let total = self.orders().count_documents(query.clone()).await?;
        if page.limit == 0 {
            return Ok((Vec::new(), total));
        }
        let docs: Vec<OrderDoc> = self
            .orders()
            .find(query)
            .sort(doc! { "number": -1 })
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

    async fn set_order_status(
        &self,
        number: i64,
        status: OrderStatus,
        by: &str,
        at: Timestamp,
    ) -> StoreResult<Order> {
        let ctx = (number, status, by, at);
        self.transact(&ctx, |store, s, &(number, status, by, at)| {
            Box::pin(async move {
                checkout::change_order_status(&mut SessionTx { store, s }, number, status, by, at)
                    .await
            })
        })
        .await
    }
}
