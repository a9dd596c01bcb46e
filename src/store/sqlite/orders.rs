use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use super::outbox::insert_mail;
use super::{
    address_column, address_from_column, cart, catalog, low_stock, ms, run_without_waiting,
    stored_enum, ts, SqliteStore,
};
use crate::domain::accounts::Erasure;
use crate::domain::address::Address;
use crate::domain::cart::Cart;
use crate::domain::catalog::Product;
use crate::domain::checkout::{self, CheckoutTx, StatusTx, FIRST_ORDER_NUMBER};
use crate::domain::mail::OutboxMail;
use crate::domain::orders::{legacy_payment, Order, OrderFilter, OrderStatus, StatusChange};
use crate::domain::payments::{Payment, Tracking};
use crate::domain::pricing::TaxLine;
use crate::domain::shipping::{ShippingMethod, ShippingQuote};
use crate::domain::stats::day_of;
use crate::domain::stats::SalesDelta;
use crate::domain::{Page, Timestamp};
use crate::i18n::Locale;
use crate::store::{Checkout, LineRef, OrderStore, OrderUpdate, Placed, StoreResult, Updated};

const COLUMNS: &str =
    "number, email, status, items, total, currency, delivery_address, created_at, history, details";

/// The `details` column: what an order holds beyond the first release's
/// columns. Orders from before it have `{}` and read as they were then.
#[derive(Serialize, Deserialize)]
struct Details {
    #[serde(default)]
    subtotal: Option<i64>,
    #[serde(default)]
    shipping: ShippingQuote,
    #[serde(default)]
    taxes: Vec<TaxLine>,
    #[serde(default)]
    prices_include_tax: bool,
    #[serde(default)]
    payment: Option<Payment>,
    #[serde(default)]
    tracking: Option<Tracking>,
    #[serde(default)]
    locale: Locale,
}

impl Details {
    fn of(o: &Order) -> Self {
        Self {
            subtotal: Some(o.subtotal),
            shipping: o.shipping.clone(),
            taxes: o.taxes.clone(),
            prices_include_tax: o.prices_include_tax,
            payment: Some(o.payment.clone()),
            tracking: o.tracking.clone(),
            locale: o.locale,
        }
    }
}

/// An order row's columns that still need decoding.
struct Encoded {
    order: Order,
    items: String,
    history: String,
    details: String,
    address: String,
}

fn order_from_row(row: &Row) -> rusqlite::Result<Encoded> {
    Ok(Encoded {
        order: Order {
            number: row.get(0)?,
            email: row.get(1)?,
            status: stored_enum(row, 2, 0, "orders", "status")?,
            items: Vec::new(),
            subtotal: 0,
            shipping: ShippingQuote::default(),
            taxes: Vec::new(),
            prices_include_tax: false,
            total: row.get(4)?,
            currency: row.get(5)?,
            delivery_address: Address::default(),
            payment: Payment::default(),
            tracking: None,
            locale: Locale::default(),
            created_at: ts(row.get(7)?),
            history: Vec::new(),
        },
        items: row.get(3)?,
        address: row.get(6)?,
        history: row.get(8)?,
        details: row.get(9)?,
    })
}

fn decode(row: Encoded) -> StoreResult<Order> {
    let Encoded {
        mut order,
        items,
        history,
        details,
        address,
    } = row;
    order.items = serde_json::from_str(&items)?;
    order.history = serde_json::from_str(&history)?;
    order.delivery_address = address_from_column(&address)?;
    let details: Details = serde_json::from_str(&details)?;
    order.subtotal = details.subtotal.unwrap_or(order.total);
    order.shipping = details.shipping;
    order.taxes = details.taxes;
    order.prices_include_tax = details.prices_include_tax;
    order.payment = details
        .payment
        .unwrap_or_else(|| legacy_payment(order.number, order.status, order.total));
    order.tracking = details.tracking;
    order.locale = details.locale;
    Ok(order)
}

/// The shop's shipping methods, in their order.
fn shipping_methods(c: &Connection) -> StoreResult<Vec<ShippingMethod>> {
    c.prepare_cached("SELECT method FROM shipping_methods ORDER BY position, id")?
        .query_map([], |r| r.get::<_, String>(0))?
        .map(|json| Ok(serde_json::from_str(&json?)?))
        .collect()
}

fn get(c: &Connection, number: i64) -> StoreResult<Option<Order>> {
    c.prepare_cached(&format!("SELECT {COLUMNS} FROM orders WHERE number = ?1"))?
        .query_row([number], order_from_row)
        .optional()?
        .map(decode)
        .transpose()
}

/// The `WHERE` clause of an order listing, its values, and its order. Only
/// the filters given appear in the text, so SQLite sees plain equalities
/// and ranges and picks the index for them (an `?1 IS NULL OR …` term
/// would keep it on a scan); each combination is its own cached statement.
/// A date range reads `orders_by_created` in its order, so a page stops
/// after its rows instead of sorting every match.
fn list_query(filter: &OrderFilter) -> (String, Vec<Value>, &'static str) {
    let mut terms = Vec::new();
    let mut values = Vec::new();
    if let Some(email) = &filter.email {
        terms.push("email = ?");
        values.push(Value::Text(email.clone()));
    }
    if let Some(status) = filter.status {
        terms.push("status = ?");
        values.push(Value::Text(status.as_str().to_owned()));
    }
    if let Some(number) = filter.number {
        terms.push("number = ?");
        values.push(Value::Integer(number));
    }
    let (start, end) = filter.created_between();
    if let Some(start) = start {
        terms.push("created_at >= ?");
        values.push(Value::Integer(ms(start)));
    }
    if let Some(end) = end {
        terms.push("created_at < ?");
        values.push(Value::Integer(ms(end)));
    }
    let where_clause = if terms.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", terms.join(" AND "))
    };
    let by_date = (start.is_some() || end.is_some()) && filter.email.is_none();
    let order_by = if by_date {
        "created_at DESC, number DESC"
    } else {
        "number DESC"
    };
    (where_clause, values, order_by)
}

/// Where an order list's total comes from. The back office's commonest
/// views (every order, one status, some days) read a few rows of the rolled-up
/// figures that checkout and status changes keep in their own transactions
/// (stats.sql), instead of counting up to a million orders.
enum TotalBy {
    /// One status, or every order (`None`): the per-status counts.
    Status(Option<OrderStatus>),
    /// Whole UTC days, either end open: the orders placed on each day.
    Days(Option<i64>, Option<i64>),
    /// Any other filter: the matching orders, counted.
    Counting,
}

impl TotalBy {
    fn of(filter: &OrderFilter) -> Self {
        if filter.email.is_some() || filter.number.is_some() {
            return Self::Counting;
        }
        match (filter.status, filter.created_between()) {
            (status, (None, None)) => Self::Status(status),
            // Day filters start and end at UTC midnight, as stats days do.
            (None, (start, end)) => Self::Days(start.map(day_of), end.map(|e| day_of(e) - 1)),
            _ => Self::Counting,
        }
    }
}

/// Takes an erased customer out of the orders (see [`Erasure`]): their own
/// orders lose email, address and idempotency key; every history entry they
/// made, on any order, names the placeholder. Runs inside the erasure's
/// transaction.
pub(super) fn erase_customer(c: &Connection, e: &Erasure) -> StoreResult<()> {
    // History is JSON text: `instr` on the email as JSON writes it finds the
    // candidates without parsing every order; each is checked exactly below.
    let quoted = serde_json::to_string(&e.email)?;
    let named: Vec<(i64, String, String)> = c
        .prepare(
            "SELECT number, email, history FROM orders WHERE email = ?1 OR instr(history, ?2) > 0",
        )?
        .query_map(params![e.email, quoted], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<Result<_, _>>()?;
    for (number, email, history) in named {
        let mut history: Vec<StatusChange> = serde_json::from_str(&history)?;
        for change in history.iter_mut().filter(|h| h.by == e.email) {
            change.by = e.placeholder.clone();
        }
        let history = serde_json::to_string(&history)?;
        if email == e.email {
            c.execute(
                "UPDATE orders SET email = ?2, delivery_address = ?3, idempotency_key = NULL,
                   history = ?4 WHERE number = ?1",
                params![number, e.placeholder, Erasure::ADDRESS, history],
            )?;
        } else {
            c.execute(
                "UPDATE orders SET history = ?2 WHERE number = ?1",
                params![number, history],
            )?;
        }
    }
    Ok(())
}

/// The checkout and status steps on the writer's transaction.
struct WriterTx<'c>(&'c Connection);

impl CheckoutTx for WriterTx<'_> {
    async fn order_for_key(&mut self, email: &str, key: &str) -> StoreResult<Option<Order>> {
        let earlier: Option<i64> = self
            .0
            .prepare_cached("SELECT number FROM orders WHERE email = ?1 AND idempotency_key = ?2")?
            .query_row(params![email, key], |r| r.get(0))
            .optional()?;
        match earlier {
            Some(number) => get(self.0, number),
            None => Ok(None),
        }
    }

    async fn cart(&mut self, email: &str) -> StoreResult<Option<Cart>> {
        cart::load(self.0, email)
    }

    async fn product(&mut self, id: &str) -> StoreResult<Option<Product>> {
        catalog::get(self.0, id)
    }

    async fn take_stock(&mut self, line: LineRef<'_>, quantity: i64) -> StoreResult<bool> {
        let changed = self
            .0
            .prepare_cached(
                "UPDATE variants SET stock = stock - ?3
                 WHERE id = ?2 AND product_id = ?1 AND archived = 0 AND stock >= ?3",
            )?
            .execute(params![line.product_id, line.variant_id, quantity])?;
        if changed != 1 {
            return Ok(false);
        }
        self.0
            .prepare_cached("UPDATE products SET stock = stock - ?2 WHERE id = ?1")?
            .execute(params![line.product_id, quantity])?;
        Ok(true)
    }

    async fn next_order_number(&mut self) -> StoreResult<i64> {
        Ok(self
            .0
            .prepare_cached(
                "INSERT INTO counters (name, value) VALUES ('order_number', ?1)
                 ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
            )?
            .query_row([FIRST_ORDER_NUMBER], |r| r.get(0))?)
    }

    async fn shipping_methods(&mut self) -> StoreResult<Vec<ShippingMethod>> {
        shipping_methods(self.0)
    }

    async fn insert_order(&mut self, order: &Order, key: Option<&str>) -> StoreResult<()> {
        self.0
            .prepare_cached(&format!(
                "INSERT INTO orders ({COLUMNS}, idempotency_key, intent_id, hold_until)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
            ))?
            .execute(params![
                order.number,
                order.email,
                order.status.as_str(),
                serde_json::to_string(&order.items)?,
                order.total,
                order.currency,
                address_column(&order.delivery_address)?,
                ms(order.created_at),
                serde_json::to_string(&order.history)?,
                serde_json::to_string(&Details::of(order))?,
                key,
                order.payment.intent_id,
                order.payment.hold_until.map(ms),
            ])?;
        Ok(())
    }

    async fn delete_cart(&mut self, email: &str) -> StoreResult<()> {
        self.0
            .prepare_cached("DELETE FROM cart WHERE email = ?1")?
            .execute([email])?;
        Ok(())
    }

    async fn queue_mail(&mut self, mails: &[OutboxMail]) -> StoreResult<()> {
        mails.iter().try_for_each(|mail| insert_mail(self.0, mail))
    }

    async fn record_sales(&mut self, delta: &SalesDelta) -> StoreResult<()> {
        super::stats::record(self.0, delta)
    }
}

impl StatusTx for WriterTx<'_> {
    async fn record_event(
        &mut self,
        event_id: &str,
        number: i64,
        at: Timestamp,
    ) -> StoreResult<bool> {
        let recorded = self
            .0
            .prepare_cached(
                "INSERT INTO payment_events (id, order_number, at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO NOTHING",
            )?
            .execute(params![event_id, number, ms(at)])?;
        Ok(recorded == 1)
    }

    async fn queue_mail(&mut self, mails: &[OutboxMail]) -> StoreResult<()> {
        mails.iter().try_for_each(|mail| insert_mail(self.0, mail))
    }

    async fn record_sales(&mut self, delta: &SalesDelta) -> StoreResult<()> {
        super::stats::record(self.0, delta)
    }

    async fn order(&mut self, number: i64) -> StoreResult<Option<Order>> {
        get(self.0, number)
    }

    async fn put_back_stock(&mut self, line: LineRef<'_>, quantity: i64) -> StoreResult<()> {
        let sold: Option<bool> = self
            .0
            .prepare_cached(
                "UPDATE variants SET stock = stock + ?3 WHERE id = ?2 AND product_id = ?1
                 RETURNING archived = 0",
            )?
            .query_row(params![line.product_id, line.variant_id, quantity], |r| {
                r.get(0)
            })
            .optional()?;
        // The product's stock counts sold variants only.
        if sold == Some(true) {
            self.0
                .prepare_cached("UPDATE products SET stock = stock + ?2 WHERE id = ?1")?
                .execute(params![line.product_id, quantity])?;
        }
        low_stock::clear_restocked(self.0, line.product_id)
    }

    async fn save_order(&mut self, order: &Order) -> StoreResult<()> {
        self.0
            .prepare_cached(
                "UPDATE orders SET status = ?2, history = ?3, details = ?4, intent_id = ?5,
                   hold_until = ?6 WHERE number = ?1",
            )?
            .execute(params![
                order.number,
                order.status.as_str(),
                serde_json::to_string(&order.history)?,
                serde_json::to_string(&Details::of(order))?,
                order.payment.intent_id,
                order.payment.hold_until.map(ms),
            ])?;
        Ok(())
    }
}

#[async_trait]
impl OrderStore for SqliteStore {
    async fn place_order(&self, checkout: Checkout) -> StoreResult<Placed> {
        let placed = self
            .write(move |c| {
                let placed =
                    run_without_waiting(checkout::place_order(&mut WriterTx(c), &checkout))?;
                low_stock::alert(c, &checkout, &placed)?;
                Ok(placed)
            })
            .await?;
        if !placed.replayed {
            self.products_changed(placed.order.items.iter().map(|i| i.product_id.as_str()));
        }
        Ok(placed)
    }

    async fn get_order(&self, number: i64) -> StoreResult<Option<Order>> {
        self.run(move |c| get(c, number)).await
    }

    async fn list_orders(
        &self,
        filter: &OrderFilter,
        page: Page,
    ) -> StoreResult<(Vec<Order>, u64)> {
        let (where_clause, values, order_by) = list_query(filter);
        let total_by = TotalBy::of(filter);
        self.run(move |c| {
            let mut page_values = values.clone();
            page_values.push(Value::Integer(page.limit as i64));
            page_values.push(Value::Integer(page.offset as i64));
            let orders = c
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM orders {where_clause} ORDER BY {order_by} LIMIT ? OFFSET ?"
                ))?
                .query_map(params_from_iter(page_values), order_from_row)?
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .map(decode)
                .collect::<StoreResult<Vec<_>>>()?;
            let total: i64 = match total_by {
                TotalBy::Status(status) => c
                    .prepare_cached(
                        "SELECT COALESCE(SUM(orders), 0) FROM stats_statuses
                         WHERE ?1 IS NULL OR status = ?1",
                    )?
                    .query_row(params![status.map(OrderStatus::as_str)], |r| r.get(0))?,
                TotalBy::Days(first, last) => c
                    .prepare_cached(
                        "SELECT COALESCE(SUM(placed), 0) FROM stats_days
                         WHERE (?1 IS NULL OR day >= ?1) AND (?2 IS NULL OR day <= ?2)",
                    )?
                    .query_row(params![first, last], |r| r.get(0))?,
                TotalBy::Counting => c
                    .prepare_cached(&format!("SELECT COUNT(*) FROM orders {where_clause}"))?
                    .query_row(params_from_iter(values), |r| r.get(0))?,
            };
            Ok((orders, total as u64))
        })
        .await
    }

    async fn update_order(&self, update: OrderUpdate) -> StoreResult<Updated> {
        let updated = self
            .write(move |c| run_without_waiting(checkout::update_order(&mut WriterTx(c), &update)))
            .await?;
        if updated.changed {
            // A cancellation puts the stock back.
            self.products_changed(updated.order.items.iter().map(|i| i.product_id.as_str()));
        }
        Ok(updated)
    }

    async fn order_for_intent(&self, intent_id: &str) -> StoreResult<Option<i64>> {
        let intent_id = intent_id.to_owned();
        self.run(move |c| {
            Ok(
                c.prepare_cached("SELECT number FROM orders WHERE intent_id = ?1")?
                    .query_row([intent_id], |r| r.get(0))
                    .optional()?,
            )
        })
        .await
    }

    async fn orders_to_expire(&self, now: Timestamp, limit: u64) -> StoreResult<Vec<i64>> {
        self.run(move |c| {
            Ok(c.prepare_cached(
                "SELECT number FROM orders
                 WHERE hold_until IS NOT NULL AND hold_until <= ?1 AND status = 'awaiting_payment'
                 ORDER BY hold_until LIMIT ?2",
            )?
            .query_map(params![ms(now), limit as i64], |r| r.get(0))?
            .collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn shipping_methods(&self) -> StoreResult<Vec<ShippingMethod>> {
        self.run(shipping_methods).await
    }

    async fn put_shipping_method(&self, method: &ShippingMethod) -> StoreResult<()> {
        let json = serde_json::to_string(method)?;
        let (id, position) = (method.id.clone(), method.position);
        self.write(move |c| {
            c.prepare_cached(
                "INSERT INTO shipping_methods (id, position, method) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET position = ?2, method = ?3",
            )?
            .execute(params![id, position, json])?;
            Ok(())
        })
        .await
    }

    async fn delete_shipping_method(&self, id: &str) -> StoreResult<bool> {
        let id = id.to_owned();
        self.write(move |c| {
            Ok(
                c.prepare_cached("DELETE FROM shipping_methods WHERE id = ?1")?
                    .execute([id])?
                    == 1,
            )
        })
        .await
    }

    async fn scan_orders(&self, after: i64, limit: u64) -> StoreResult<Vec<Order>> {
        self.run(move |c| {
            c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM orders WHERE number > ?1 ORDER BY number LIMIT ?2"
            ))?
            .query_map(params![after, limit as i64], order_from_row)?
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .map(decode)
            .collect()
        })
        .await
    }
}
