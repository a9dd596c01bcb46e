use std::sync::Arc;

use async_trait::async_trait;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use rusqlite::{params, OptionalExtension, Row};

use super::{ms, ts, SqliteStore};
use crate::domain::catalog::{Product, ProductFields};
use crate::domain::shared::Shared;
use crate::domain::{Page, Timestamp};
use crate::store::{CatalogStore, ProductPage, StoreError, StoreResult};
use tokio::sync::broadcast::error::RecvError;

const COLUMNS: &str =
    "id, name, description, category, price, currency, photo_url, stock, created_at, updated_at";

pub(super) fn product_from_row(row: &Row) -> rusqlite::Result<Product> {
    Ok(Product {
        id: row.get(0)?,
        name: row.get(1)?,
        description: row.get(2)?,
        category: row.get(3)?,
        price: row.get(4)?,
        currency: row.get(5)?,
        photo_url: row.get(6)?,
        stock: row.get(7)?,
        created_at: ts(row.get(8)?),
        updated_at: ts(row.get(9)?),
    })
}

pub(super) fn insert(tx: &rusqlite::Connection, p: &Product) -> rusqlite::Result<()> {
    tx.prepare_cached(&format!(
        "INSERT INTO products ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    ))?
    .execute(params![
        p.id,
        p.name,
        p.description,
        p.category,
        p.price,
        p.currency,
        p.photo_url,
        p.stock,
        ms(p.created_at),
        ms(p.updated_at)
    ])?;
    Ok(())
}

/// The products that exist among `ids`, in `ids` order.
pub(super) fn get_many(conn: &rusqlite::Connection, ids: &[String]) -> StoreResult<Vec<Product>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(p) = get(conn, id)? {
            out.push(p);
        }
    }
    Ok(out)
}

pub(super) fn get(conn: &rusqlite::Connection, id: &str) -> rusqlite::Result<Option<Product>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM products WHERE id = ?1"))?
        .query_row([id], product_from_row)
        .optional()
}

#[async_trait]
impl CatalogStore for SqliteStore {
    async fn list_products(
        &self,
        category: Option<&str>,
        page: Page,
    ) -> StoreResult<Arc<Shared<ProductPage>>> {
        let category = category.map(str::to_owned);
        self.run(move |c| {
            let limit = page.limit as i64;
            let offset = page.offset as i64;
            let (items, total) = match &category {
                Some(cat) => {
                    let items = c
                        .prepare_cached(&format!(
                            "SELECT {COLUMNS} FROM products WHERE category = ?1 ORDER BY seq LIMIT ?2 OFFSET ?3"
                        ))?
                        .query_map(params![cat, limit, offset], product_from_row)?
                        .collect::<Result<Vec<_>, _>>()?;
                    let total: i64 = c
                        .prepare_cached("SELECT COUNT(*) FROM products WHERE category = ?1")?
                        .query_row([cat], |r| r.get(0))?;
                    (items, total)
                }
                None => {
                    let items = c
                        .prepare_cached(&format!(
                            "SELECT {COLUMNS} FROM products ORDER BY seq LIMIT ?1 OFFSET ?2"
                        ))?
                        .query_map(params![limit, offset], product_from_row)?
                        .collect::<Result<Vec<_>, _>>()?;
                    let total: i64 = c
                        .prepare_cached("SELECT COUNT(*) FROM products")?
                        .query_row([], |r| r.get(0))?;
                    (items, total)
                }
            };
            Ok(Shared::new(ProductPage {
                items,
                total: total as u64,
                offset: page.offset,
                limit: page.limit,
                category,
            }))
        })
        .await
    }

    async fn get_product(&self, id: &str) -> StoreResult<Option<Arc<Shared<Product>>>> {
        let id = id.to_owned();
        self.run(move |c| Ok(get(c, &id)?.map(Shared::new))).await
    }

    async fn get_products(&self, ids: &[String]) -> StoreResult<Vec<Product>> {
        let ids = ids.to_vec();
        self.run(move |c| get_many(c, &ids)).await
    }

    async fn categories(&self) -> StoreResult<Vec<String>> {
        self.run(|c| {
            let cats = c
                .prepare_cached("SELECT DISTINCT category FROM products ORDER BY category")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok(cats)
        })
        .await
    }

    async fn insert_product(&self, product: &Product) -> StoreResult<()> {
        let stored = product.clone();
        self.write(move |tx| Ok(insert(tx, &stored)?)).await?;
        self.products_changed([product.id.as_str()]);
        Ok(())
    }

    async fn replace_product(
        &self,
        id: &str,
        f: &ProductFields,
        at: Timestamp,
    ) -> StoreResult<Option<Product>> {
        let (id, f) = (id.to_owned(), f.clone());
        let replaced = self
            .write(move |tx| {
                let changed = tx
                .prepare_cached(
                    "UPDATE products SET name = ?2, description = ?3, category = ?4, price = ?5,
                     currency = ?6, photo_url = ?7, stock = ?8, updated_at = ?9 WHERE id = ?1",
                )?
                .execute(params![
                    id,
                    f.name,
                    f.description,
                    f.category,
                    f.price,
                    f.currency,
                    f.photo_url,
                    f.stock,
                    ms(at)
                ])?;
                if changed == 0 {
                    return Ok(None);
                }
                Ok(get(tx, &id)?)
            })
            .await?;
        if let Some(p) = &replaced {
            self.products_changed([p.id.as_str()]);
        }
        Ok(replaced)
    }

    async fn delete_product(&self, id: &str) -> StoreResult<bool> {
        let owned = id.to_owned();
        let deleted = self
            .write(move |tx| Ok(tx.execute("DELETE FROM products WHERE id = ?1", [owned])? > 0))
            .await?;
        if deleted {
            self.products_changed([id]);
        }
        Ok(deleted)
    }

    async fn seed_products(&self, products: &[Product]) -> StoreResult<bool> {
        let stored = products.to_vec();
        let seeded = self
            .write(move |tx| {
                let count: i64 = tx.query_row("SELECT COUNT(*) FROM products", [], |r| r.get(0))?;
                if count > 0 {
                    return Ok(false);
                }
                for p in &stored {
                    insert(tx, p)?;
                }
                Ok(true)
            })
            .await?;
        if seeded {
            self.products_changed(products.iter().map(|p| p.id.as_str()));
        }
        Ok(seeded)
    }

    async fn scan_products(&self, after: Option<&str>, limit: u64) -> StoreResult<Vec<Product>> {
        let after = after.unwrap_or("").to_owned();
        self.run(move |c| {
            let products = c
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM products WHERE id > ?1 ORDER BY id LIMIT ?2"
                ))?
                .query_map(params![after, limit as i64], product_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(products)
        })
        .await
    }

    async fn watch_products(&self) -> StoreResult<BoxStream<'static, StoreResult<String>>> {
        let changes = self.product_changes.subscribe();
        let stream = futures_util::stream::unfold(changes, |mut changes| async move {
            match changes.recv().await {
                Ok(id) => Some((Ok(id), changes)),
                Err(RecvError::Lagged(missed)) => Some((
                    Err(StoreError::backend(anyhow::anyhow!(
                        "{missed} product changes were missed"
                    ))),
                    changes,
                )),
                Err(RecvError::Closed) => None,
            }
        });
        Ok(stream.boxed())
    }
}
