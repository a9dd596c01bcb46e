use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::outbox::insert_mail;
use super::{cart, catalog, ms, run_without_waiting, stored_enum, ts, SqliteStore};
use crate::domain::accounts::Erasure;
use crate::domain::cart::Cart;
use crate::domain::catalog::Product;
use crate::domain::checkout::{self, CheckoutTx, StatusTx, FIRST_ORDER_NUMBER};
use crate::domain::mail::OutboxMail;
use crate::domain::orders::{Order, OrderFilter, OrderStatus, StatusChange};
use crate::domain::{Page, Timestamp};
use crate::store::{Checkout, LineRef, OrderStore, Placed, StoreResult};

const COLUMNS: &str =
    "number, email, status, items, total, currency, delivery_address, created_at, history";

fn order_from_row(row: &Row) -> rusqlite::Result<(Order, String, String)> {
    Ok((
        Order {
            number: row.get(0)?,
            email: row.get(1)?,
            status: stored_enum(row, 2, 0, "orders", "status")?,
            items: Vec::new(),
            total: row.get(4)?,
            currency: row.get(5)?,
            delivery_address: row.get(6)?,
            created_at: ts(row.get(7)?),
            history: Vec::new(),
        },
        row.get(3)?,
        row.get(8)?,
    ))
}

fn decode(parts: (Order, String, String)) -> StoreResult<Order> {
    let (mut order, items, history) = parts;
    order.items = serde_json::from_str(&items)?;
    order.history = serde_json::from_str(&history)?;
    Ok(order)
}

fn get(c: &Connection, number: i64) -> StoreResult<Option<Order>> {
    c.prepare_cached(&format!("SELECT {COLUMNS} FROM orders WHERE number = ?1"))?
        .query_row([number], order_from_row)
        .optional()?
        .map(decode)
        .transpose()
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

    async fn insert_order(&mut self, order: &Order, key: Option<&str>) -> StoreResult<()> {
        self.0
            .prepare_cached(&format!(
                "INSERT INTO orders ({COLUMNS}, idempotency_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
            ))?
            .execute(params![
                order.number,
                order.email,
                order.status.as_str(),
                serde_json::to_string(&order.items)?,
                order.total,
                order.currency,
                order.delivery_address,
                ms(order.created_at),
                serde_json::to_string(&order.history)?,
                key
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
}

impl StatusTx for WriterTx<'_> {
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
        Ok(())
    }

    async fn save_status(&mut self, order: &Order) -> StoreResult<()> {
        self.0.execute(
            "UPDATE orders SET status = ?2, history = ?3 WHERE number = ?1",
            params![
                order.number,
                order.status.as_str(),
                serde_json::to_string(&order.history)?
            ],
        )?;
        Ok(())
    }
}

#[async_trait]
impl OrderStore for SqliteStore {
    async fn place_order(&self, checkout: Checkout) -> StoreResult<Placed> {
        let placed = self
            .write(move |c| run_without_waiting(checkout::place_order(&mut WriterTx(c), &checkout)))
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
        let filter = filter.clone();
        self.run(move |c| {
            let email = filter.email.clone();
            let status = filter.status.map(|s| s.as_str());
            let where_clause = "(?1 IS NULL OR email = ?1) AND (?2 IS NULL OR status = ?2)";
            let orders = c
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM orders WHERE {where_clause} ORDER BY number DESC LIMIT ?3 OFFSET ?4"
                ))?
                .query_map(
                    params![email, status, page.limit as i64, page.offset as i64],
                    order_from_row,
                )?
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .map(decode)
                .collect::<StoreResult<Vec<_>>>()?;
            let total: i64 = c
                .prepare_cached(&format!("SELECT COUNT(*) FROM orders WHERE {where_clause}"))?
                .query_row(params![email, status], |r| r.get(0))?;
            Ok((orders, total as u64))
        })
        .await
    }

    async fn set_order_status(
        &self,
        number: i64,
        status: OrderStatus,
        by: &str,
        at: Timestamp,
    ) -> StoreResult<Order> {
        let by = by.to_owned();
        let order = self
            .write(move |c| {
                run_without_waiting(checkout::change_order_status(
                    &mut WriterTx(c),
                    number,
                    status,
                    &by,
                    at,
                ))
            })
            .await?;
        // A cancellation puts the stock back.
        self.products_changed(order.items.iter().map(|i| i.product_id.as_str()));
        Ok(order)
    }
}
