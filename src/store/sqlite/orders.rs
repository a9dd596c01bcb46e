use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::outbox::insert_mail;
use super::{cart, catalog, ms, ts, SqliteStore};
use crate::domain::orders::{Order, OrderFilter, OrderStatus};
use crate::domain::{Page, Timestamp};
use crate::store::rules::{self, FIRST_ORDER_NUMBER};
use crate::store::{Checkout, OrderStore, Placed, StoreError, StoreResult};

const COLUMNS: &str =
    "number, email, status, items, total, currency, delivery_address, created_at, history";

fn order_from_row(row: &Row) -> rusqlite::Result<(Order, String, String)> {
    let status: String = row.get(2)?;
    Ok((
        Order {
            number: row.get(0)?,
            email: row.get(1)?,
            status: OrderStatus::parse(&status).unwrap_or(OrderStatus::Placed),
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

fn next_number(c: &Connection) -> StoreResult<i64> {
    Ok(c.prepare_cached(
        "INSERT INTO counters (name, value) VALUES ('order_number', ?1)
         ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
    )?
    .query_row([FIRST_ORDER_NUMBER], |r| r.get(0))?)
}

#[async_trait]
impl OrderStore for SqliteStore {
    async fn place_order(&self, checkout: Checkout) -> StoreResult<Placed> {
        self.write(move |tx| {
            if let Some(key) = &checkout.idempotency_key {
                let earlier: Option<i64> = tx
                    .prepare_cached(
                        "SELECT number FROM orders WHERE email = ?1 AND idempotency_key = ?2",
                    )?
                    .query_row(params![checkout.email, key], |r| r.get(0))
                    .optional()?;
                if let Some(number) = earlier {
                    let order = get(tx, number)?.ok_or(StoreError::OrderNotFound { number })?;
                    return Ok(Placed {
                        order,
                        replayed: true,
                    });
                }
            }
            let cart = cart::load(tx, &checkout.email)?.ok_or(StoreError::CartEmpty)?;
            let mut products = Vec::with_capacity(cart.items.len());
            for line in &cart.items {
                products.push(catalog::get(tx, &line.product_id)?);
            }
            // Validate before taking a number so a refused checkout burns none.
            rules::build_order(
                0,
                &cart,
                &products,
                checkout.delivery_address.clone(),
                &checkout.currency,
                checkout.at,
            )?;
            let number = next_number(tx)?;
            let order = rules::build_order(
                number,
                &cart,
                &products,
                checkout.delivery_address.clone(),
                &checkout.currency,
                checkout.at,
            )?;
            for item in &order.items {
                // The WHERE clause makes overselling impossible even if the
                // read above were stale.
                let changed = tx
                    .prepare_cached(
                        "UPDATE products SET stock = stock - ?2 WHERE id = ?1 AND stock >= ?2",
                    )?
                    .execute(params![item.product_id, item.quantity])?;
                if changed == 0 {
                    return Err(StoreError::InsufficientStock {
                        product_id: item.product_id.clone(),
                        available: 0,
                        requested: item.quantity,
                    });
                }
            }
            tx.prepare_cached(&format!(
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
                    checkout.idempotency_key
                ],
            )?;
            tx.prepare_cached("DELETE FROM cart WHERE email = ?1")?
                .execute([&order.email])?;
            for mail in (checkout.mails)(&order)? {
                insert_mail(tx, &mail)?;
            }
            Ok(Placed {
                order,
                replayed: false,
            })
        })
        .await
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
        self.write(move |tx| {
            let mut order = get(tx, number)?.ok_or(StoreError::OrderNotFound { number })?;
            rules::change_status(&mut order, status, &by, at)?;
            if status == OrderStatus::Cancelled {
                for item in &order.items {
                    // A product deleted since the sale has nothing to restock.
                    tx.execute(
                        "UPDATE products SET stock = stock + ?2 WHERE id = ?1",
                        params![item.product_id, item.quantity],
                    )?;
                }
            }
            tx.execute(
                "UPDATE orders SET status = ?2, history = ?3 WHERE number = ?1",
                params![
                    number,
                    status.as_str(),
                    serde_json::to_string(&order.history)?
                ],
            )?;
            Ok(order)
        })
        .await
    }
}
