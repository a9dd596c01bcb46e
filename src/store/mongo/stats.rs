//! The dashboard's rolled-up figures: `stats_days` and `stats_statuses`
//! (each sum split over a few shard documents, so concurrent checkouts do
//! not all conflict on one document), and `stats_products` (one document per
//! day and product), kept by `$inc` upserts inside each checkout's or status
//! change's transaction.

use std::collections::HashMap;

use async_trait::async_trait;
use futures_util::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use mongodb::{ClientSession, Database};

use super::{bson_time, MongoStore};
use crate::domain::orders::{Order, OrderStatus};
use crate::domain::stats::{
    DayTotals, SalesDelta, SalesFigures, StatsRange, TopProduct, TOP_PRODUCTS,
};
use crate::store::{decode_stored, StatsStore, StoreError, StoreResult};

pub(super) const DAYS: &str = "stats_days";
pub(super) const STATUSES: &str = "stats_statuses";
pub(super) const PRODUCTS: &str = "stats_products";
/// Documents each day's and each status's sums are split over.
const SHARDS: u32 = 8;

/// A whole number stored by either width.
fn int(d: &Document, key: &str) -> i64 {
    match d.get(key) {
        Some(Bson::Int64(n)) => *n,
        Some(Bson::Int32(n)) => i64::from(*n),
        Some(Bson::Double(f)) => *f as i64,
        _ => 0,
    }
}

fn shard() -> u32 {
    rand::random::<u32>() % SHARDS
}

/// The `$inc` upsert of one product's day, as a filter and an update.
fn product_update(
    day: i64,
    product_id: &str,
    title: &str,
    units: i64,
    revenue: i64,
) -> (Document, Document) {
    let id = format!("{day}:{product_id}");
    let mut update = doc! { "$inc": { "units": units, "revenue": revenue } };
    // A cancellation takes units away and keeps the name the latest sale gave.
    if units > 0 {
        update.insert("$set", doc! { "title": title });
        update.insert(
            "$setOnInsert",
            doc! { "day": day, "product_id": product_id },
        );
    } else {
        update.insert(
            "$setOnInsert",
            doc! { "day": day, "product_id": product_id, "title": title },
        );
    }
    (doc! { "_id": id }, update)
}

impl MongoStore {
    /// Adds `delta` to the figures, inside the transaction of `s`.
    pub(super) async fn record_sales_in(
        &self,
        s: &mut ClientSession,
        delta: &SalesDelta,
    ) -> StoreResult<()> {
        if delta.changes_day() {
            let id = format!("{}:{}", delta.day, shard());
            self.coll::<Document>(DAYS)
                .update_one(
                    doc! { "_id": id },
                    doc! {
                        "$inc": { "orders": delta.orders, "revenue": delta.revenue, "placed": delta.placed },
                        "$setOnInsert": { "day": delta.day },
                    },
                )
                .upsert(true)
                .session(&mut *s)
                .await
                .map_err(super::race_on_duplicate)?;
        }
        for (status, n) in &delta.statuses {
            let id = format!("{}:{}", status.as_str(), shard());
            self.coll::<Document>(STATUSES)
                .update_one(
                    doc! { "_id": id },
                    doc! { "$inc": { "orders": n }, "$setOnInsert": { "status": status.as_str() } },
                )
                .upsert(true)
                .session(&mut *s)
                .await
                .map_err(super::race_on_duplicate)?;
        }
        for p in &delta.products {
            let (filter, update) =
                product_update(delta.day, &p.product_id, &p.title, p.units, p.revenue);
            self.coll::<Document>(PRODUCTS)
                .update_one(filter, update)
                .upsert(true)
                .session(&mut *s)
                .await
                .map_err(super::race_on_duplicate)?;
        }
        Ok(())
    }
}

#[async_trait]
impl StatsStore for MongoStore {
    async fn sales_figures(&self, range: &StatsRange) -> StoreResult<SalesFigures> {
        let (first, last) = (range.first_day(), range.last_day());
        let mut days: HashMap<i64, DayTotals> = HashMap::new();
        let mut found = self
            .coll::<Document>(DAYS)
            .find(doc! { "day": { "$gte": first, "$lte": last } })
            .await?;
        while let Some(d) = found.try_next().await? {
            let day = int(&d, "day");
            let totals = days.entry(day).or_insert(DayTotals {
                day,
                orders: 0,
                revenue: 0,
            });
            totals.orders += int(&d, "orders");
            totals.revenue += int(&d, "revenue");
        }
        // One entry per shard document: the domain adds them up.
        let mut statuses: Vec<(OrderStatus, i64)> = Vec::new();
        let mut found = self.coll::<Document>(STATUSES).find(doc! {}).await?;
        while let Some(d) = found.try_next().await? {
            let id = d.get_str("_id").unwrap_or_default();
            let status = decode_stored(
                STATUSES,
                id,
                "status",
                d.get_str("status").unwrap_or_default(),
            )?;
            statuses.push((status, int(&d, "orders")));
        }
        let pipeline = vec![
            doc! { "$match": { "day": { "$gte": first, "$lte": last } } },
            // Latest day first, so `$first` takes the latest name.
            doc! { "$sort": { "day": -1 } },
            doc! { "$group": {
                "_id": "$product_id",
                "title": { "$first": "$title" },
                "units": { "$sum": "$units" },
                "revenue": { "$sum": "$revenue" },
            } },
            doc! { "$match": { "units": { "$gt": 0 } } },
            doc! { "$sort": { "units": -1, "revenue": -1, "_id": 1 } },
            doc! { "$limit": TOP_PRODUCTS as i64 },
        ];
        let top_products = self
            .coll::<Document>(PRODUCTS)
            .aggregate(pipeline)
            .await?
            .try_collect::<Vec<_>>()
            .await?
            .into_iter()
            .map(|d| TopProduct {
                product_id: d.get_str("_id").unwrap_or_default().to_owned(),
                title: d.get_str("title").unwrap_or_default().to_owned(),
                units: int(&d, "units"),
                revenue: int(&d, "revenue"),
            })
            .collect();
        let new_customers = self
            .coll::<Document>("users")
            .count_documents(doc! {
                "created_at": { "$gte": bson_time(range.start()), "$lt": bson_time(range.end()) },
            })
            .await?;
        Ok(SalesFigures {
            days: days.into_values().collect(),
            by_status: statuses,
            top_products,
            new_customers: i64::try_from(new_customers).map_err(StoreError::backend)?,
        })
    }
}

/// Schema step 5: the figures of every order stored so far, summed here and
/// written over whatever an interrupted run of this step left.
pub(super) async fn backfill(db: &Database) -> anyhow::Result<()> {
    let mut days: HashMap<i64, (i64, i64, i64)> = HashMap::new();
    let mut statuses: HashMap<&'static str, i64> = HashMap::new();
    let mut products: HashMap<(i64, String), (String, i64, i64)> = HashMap::new();
    let mut orders = db
        .collection::<Document>("orders")
        .find(doc! {})
        .sort(doc! { "_id": 1 })
        .await?;
    while let Some(d) = orders.try_next().await? {
        let order: Order = super::orders::decode_document(d)?;
        let delta = SalesDelta::placed(&order);
        let day = days.entry(delta.day).or_insert((0, 0, 0));
        day.0 += delta.orders;
        day.1 += delta.revenue;
        day.2 += delta.placed;
        for (status, n) in &delta.statuses {
            *statuses.entry(status.as_str()).or_insert(0) += n;
        }
        for p in delta.products {
            let entry = products
                .entry((delta.day, p.product_id))
                .or_insert((String::new(), 0, 0));
            // Orders come in number order, which is placing order: the last
            // name seen is the latest sale's.
            entry.0 = p.title;
            entry.1 += p.units;
            entry.2 += p.revenue;
        }
    }
    for name in [DAYS, STATUSES, PRODUCTS] {
        db.collection::<Document>(name).delete_many(doc! {}).await?;
    }
    let day_docs: Vec<Document> = days
        .into_iter()
        .map(|(day, (orders, revenue, placed))| {
            doc! {
                "_id": format!("{day}:0"), "day": day, "orders": orders, "revenue": revenue,
                "placed": placed,
            }
        })
        .collect();
    let status_docs: Vec<Document> = statuses
        .into_iter()
        .map(|(status, n)| {
            doc! { "_id": format!("{status}:0"), "status": status, "orders": n }
        })
        .collect();
    let product_docs: Vec<Document> = products
        .into_iter()
        .map(|((day, product_id), (title, units, revenue))| {
            doc! {
                "_id": format!("{day}:{product_id}"), "day": day, "product_id": product_id,
                "title": title, "units": units, "revenue": revenue,
            }
        })
        .collect();
    for (name, docs) in [
        (DAYS, day_docs),
        (STATUSES, status_docs),
        (PRODUCTS, product_docs),
    ] {
        for chunk in docs.chunks(10_000) {
            db.collection::<Document>(name)
                .insert_many(chunk.to_vec())
                .await?;
        }
    }
    Ok(())
}
