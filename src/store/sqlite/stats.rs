//! The dashboard's rolled-up figures (tables of `stats.sql`): a few indexed
//! upserts inside each checkout or status change, and reads over days.

use async_trait::async_trait;
use rusqlite::{params, Connection};

use super::{ms, stored_enum, SqliteStore};
use crate::domain::stats::{
    DayTotals, SalesDelta, SalesFigures, StatsRange, TopProduct, TOP_PRODUCTS,
};
use crate::store::{StatsStore, StoreResult};

/// Adds `delta` to the figures, inside the caller's transaction.
pub(super) fn record(c: &Connection, delta: &SalesDelta) -> StoreResult<()> {
    if delta.changes_day() {
        c.prepare_cached(
            "INSERT INTO stats_days (day, orders, revenue, placed) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (day) DO UPDATE SET orders = orders + excluded.orders,
               revenue = revenue + excluded.revenue, placed = placed + excluded.placed",
        )?
        .execute(params![
            delta.day,
            delta.orders,
            delta.revenue,
            delta.placed
        ])?;
    }
    for (status, n) in &delta.statuses {
        c.prepare_cached(
            "INSERT INTO stats_statuses (status, orders) VALUES (?1, ?2)
             ON CONFLICT (status) DO UPDATE SET orders = orders + excluded.orders",
        )?
        .execute(params![status.as_str(), n])?;
    }
    for p in &delta.products {
        // A cancellation takes units away and keeps the name the latest sale gave.
        c.prepare_cached(
            "INSERT INTO stats_products (day, product_id, title, units, revenue)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (day, product_id) DO UPDATE SET units = units + excluded.units,
               revenue = revenue + excluded.revenue,
               title = CASE WHEN excluded.units > 0 THEN excluded.title ELSE title END",
        )?
        .execute(params![
            delta.day,
            p.product_id,
            p.title,
            p.units,
            p.revenue
        ])?;
    }
    Ok(())
}

fn figures(c: &Connection, range: &StatsRange) -> StoreResult<SalesFigures> {
    let (first, last) = (range.first_day(), range.last_day());
    let days = c
        .prepare_cached(
            "SELECT day, orders, revenue FROM stats_days WHERE day BETWEEN ?1 AND ?2 ORDER BY day",
        )?
        .query_map(params![first, last], |r| {
            Ok(DayTotals {
                day: r.get(0)?,
                orders: r.get(1)?,
                revenue: r.get(2)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let by_status = c
        .prepare_cached("SELECT status, orders, rowid FROM stats_statuses")?
        .query_map([], |r| {
            Ok((stored_enum(r, 0, 2, "stats_statuses", "status")?, r.get(1)?))
        })?
        .collect::<Result<_, _>>()?;
    // The title comes from the row of max(day): the latest day in the range.
    let top_products = c
        .prepare_cached(
            "SELECT product_id, title, max(day), SUM(units) AS u, SUM(revenue) AS r
             FROM stats_products WHERE day BETWEEN ?1 AND ?2
             GROUP BY product_id HAVING u > 0
             ORDER BY u DESC, r DESC, product_id LIMIT ?3",
        )?
        .query_map(params![first, last, TOP_PRODUCTS as i64], |r| {
            Ok(TopProduct {
                product_id: r.get(0)?,
                title: r.get(1)?,
                units: r.get(3)?,
                revenue: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let new_customers = c
        .prepare_cached("SELECT COUNT(*) FROM users WHERE created_at >= ?1 AND created_at < ?2")?
        .query_row(params![ms(range.start()), ms(range.end())], |r| r.get(0))?;
    Ok(SalesFigures {
        days,
        by_status,
        top_products,
        new_customers,
    })
}

#[async_trait]
impl StatsStore for SqliteStore {
    async fn sales_figures(&self, range: &StatsRange) -> StoreResult<SalesFigures> {
        let range = *range;
        self.run(move |c| figures(c, &range)).await
    }
}
