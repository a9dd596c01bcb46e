use async_trait::async_trait;
use futures_util::TryStreamExt;
use mongodb::bson::{doc, DateTime, Document};
use mongodb::options::ReturnDocument;
use mongodb::{ClientSession, Collection};
use serde::{Deserialize, Serialize};

use super::outbox::MailDoc;
use super::{bson_time, limit, race_on_duplicate, time, MongoStore, WriteRace};
use crate::domain::orders::{Order, OrderFilter, OrderItem, OrderStatus, StatusChange};
use crate::domain::{Page, Timestamp};
use crate::store::rules::{self, FIRST_ORDER_NUMBER};
use crate::store::{Checkout, OrderStore, Placed, StoreError, StoreResult};

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

fn status_of(text: &str) -> OrderStatus {
    OrderStatus::parse(text).unwrap_or(OrderStatus::Placed)
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

impl From<OrderDoc> for Order {
    fn from(d: OrderDoc) -> Self {
        Self {
            number: d.number,
            email: d.email,
            status: status_of(&d.status),
            items: d.items,
            total: d.total,
            currency: d.currency,
            delivery_address: d.delivery_address,
            created_at: time(d.created_at),
            history: d
                .history
                .into_iter()
                .map(|c| StatusChange {
                    status: status_of(&c.status),
                    at: time(c.at),
                    by: c.by,
                })
                .collect(),
        }
    }
}

impl MongoStore {
    fn orders(&self) -> Collection<OrderDoc> {
        self.coll("orders")
    }

    async fn order_in(&self, s: &mut ClientSession, number: i64) -> StoreResult<Option<Order>> {
        Ok(self
            .orders()
            .find_one(doc! { "_id": number })
            .session(s)
            .await?
            .map(Order::from))
    }

    /// Takes the next order number inside the checkout transaction, so a
    /// refused checkout gives its number back with the rollback.
    async fn next_number(&self, s: &mut ClientSession) -> StoreResult<i64> {
        let counter = self
            .coll::<Document>(COUNTERS)
            .find_one_and_update(
                doc! { "_id": ORDER_COUNTER },
                doc! { "$inc": { "value": 1_i64 } },
            )
            .upsert(true)
            .return_document(ReturnDocument::After)
            .session(s)
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

    async fn place_order_in(&self, s: &mut ClientSession, c: &Checkout) -> StoreResult<Placed> {
        if let Some(key) = &c.idempotency_key {
            let earlier = self
                .orders()
                .find_one(doc! { "email": &c.email, "idempotency_key": key })
                .session(&mut *s)
                .await?;
            if let Some(order) = earlier {
                return Ok(Placed {
                    order: order.into(),
                    replayed: true,
                });
            }
        }
        let cart = self
            .cart_in(s, &c.email)
            .await?
            .ok_or(StoreError::CartEmpty)?;
        let mut products = Vec::with_capacity(cart.items.len());
        for line in &cart.items {
            products.push(self.product_in(s, &line.product_id).await?);
        }
        // Validate before taking a number so a refused checkout burns none.
        let draft = rules::build_order(
            0,
            &cart,
            &products,
            c.delivery_address.clone(),
            &c.currency,
            c.at,
        )?;
        for item in &draft.items {
            // The stock condition makes overselling impossible even if the
            // read above were stale; a concurrent change is a write conflict.
            let result = self
                .products()
                .update_one(
                    doc! { "_id": &item.product_id, "stock": { "$gte": item.quantity } },
                    doc! { "$inc": { "stock": -item.quantity } },
                )
                .session(&mut *s)
                .await?;
            if result.matched_count == 0 {
                return Err(StoreError::InsufficientStock {
                    product_id: item.product_id.clone(),
                    available: 0,
                    requested: item.quantity,
                });
            }
        }
        let number = self.next_number(s).await?;
        let order = Order { number, ..draft };
        self.orders()
            .insert_one(OrderDoc::new(&order, c.idempotency_key.clone()))
            .session(&mut *s)
            .await?;
        self.carts()
            .delete_one(doc! { "_id": &order.email })
            .session(&mut *s)
            .await?;
        let mails = MailDoc::many(&(c.mails)(&order)?)?;
        self.insert_mails(s, &mails).await?;
        Ok(Placed {
            order,
            replayed: false,
        })
    }
}

#[async_trait]
impl OrderStore for MongoStore {
    async fn place_order(&self, checkout: Checkout) -> StoreResult<Placed> {
        self.transact(&checkout, |store, s, c| {
            Box::pin(store.place_order_in(s, c))
        })
        .await
    }

    async fn get_order(&self, number: i64) -> StoreResult<Option<Order>> {
        Ok(self
            .orders()
            .find_one(doc! { "_id": number })
            .await?
            .map(Order::from))
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
        Ok((docs.into_iter().map(Order::from).collect(), total))
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
                let mut order = store
                    .order_in(s, number)
                    .await?
                    .ok_or(StoreError::OrderNotFound { number })?;
                rules::change_status(&mut order, status, by, at)?;
                if status == OrderStatus::Cancelled {
                    for item in &order.items {
                        // A product deleted since the sale has nothing to restock.
                        store
                            .products()
                            .update_one(
                                doc! { "_id": &item.product_id },
                                doc! { "$inc": { "stock": item.quantity } },
                            )
                            .session(&mut *s)
                            .await?;
                    }
                }
                let history = mongodb::bson::to_bson(&history_docs(&order.history))?;
                store
                    .orders()
                    .update_one(
                        doc! { "_id": number },
                        doc! { "$set": { "status": status.as_str(), "history": history } },
                    )
                    .session(&mut *s)
                    .await?;
                Ok(order)
            })
        })
        .await
    }
}
