use std::sync::Arc;

use async_trait::async_trait;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use rusqlite::{params, Connection, Row};

use super::{low_stock, ms, stored_enum, ts, SqliteStore};
use crate::domain::catalog::{LowStockVariant, Product, ProductFields, Variant, VariantChange};
use crate::domain::photos::ProductPhoto;
use crate::domain::shared::Shared;
use crate::domain::{Page, Timestamp};
use crate::store::{CatalogStore, ProductPage, StoreError, StoreResult};
use tokio::sync::broadcast::error::RecvError;

const COLUMNS: &str = "id, name, description, category, price, currency, photo_url, stock, \
     created_at, updated_at, options, photos, tax_class, weight, low_stock_threshold";

/// A product with its variants, read in one query: the product's columns
/// (`p`, a products row or a page of them) joined to its variants (`v`), one
/// row per variant in position order. `FROM` and the rest follow.
pub(super) const WITH_VARIANTS: &str =
    "SELECT p.id, p.name, p.description, p.category, p.price, p.currency, \
     p.photo_url, p.stock, p.created_at, p.updated_at, p.options, p.photos, \
     v.id, v.sku, v.options, v.price, v.stock, v.photo_id, v.archived, v.weight, \
     p.tax_class, p.weight, p.low_stock_threshold";

/// The products in `rows` of a [`WITH_VARIANTS`] query, each with its
/// variants, in the order the rows name them.
pub(super) fn products_from(mut rows: rusqlite::Rows<'_>) -> StoreResult<Vec<Product>> {
    let mut products: Vec<Product> = Vec::new();
    while let Some(row) = rows.next()? {
        let id: String = row.get(0)?;
        if products.last().is_none_or(|p| p.id != id) {
            products.push(product_columns(id, row)?);
        }
        if let (Some(variant), Some(product)) = (variant_columns(row)?, products.last_mut()) {
            product.variants.push(variant);
        }
    }
    Ok(products)
}

fn product_columns(id: String, row: &Row) -> StoreResult<Product> {
    Ok(Product {
        id,
        name: row.get(1)?,
        description: row.get(2)?,
        category: row.get(3)?,
        price: row.get(4)?,
        currency: row.get(5)?,
        photo_url: row.get(6)?,
        stock: row.get(7)?,
        created_at: ts(row.get(8)?),
        updated_at: ts(row.get(9)?),
        options: serde_json::from_str(&row.get::<_, String>(10)?)?,
        photos: serde_json::from_str(&row.get::<_, String>(11)?)?,
        variants: Vec::new(),
        tax_class: stored_enum(row, 20, 0, "products", "tax_class")?,
        weight: row.get(21)?,
        low_stock_threshold: row.get(22)?,
    })
}

/// The variant of a joined row; `None` for a product without variants.
fn variant_columns(row: &Row) -> StoreResult<Option<Variant>> {
    let Some(id) = row.get::<_, Option<String>>(12)? else {
        return Ok(None);
    };
    Ok(Some(Variant {
        id,
        sku: row.get(13)?,
        options: serde_json::from_str(&row.get::<_, String>(14)?)?,
        price: row.get(15)?,
        stock: row.get(16)?,
        photo_id: row.get(17)?,
        archived: row.get(18)?,
        weight: row.get(19)?,
    }))
}

pub(super) fn insert(tx: &Connection, p: &Product) -> StoreResult<()> {
    tx.prepare_cached(&format!(
        "INSERT INTO products ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
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
        ms(p.updated_at),
        serde_json::to_string(&p.options)?,
        serde_json::to_string(&p.photos)?,
        p.tax_class.as_str(),
        p.weight,
        p.low_stock_threshold,
    ])?;
    save_variants(tx, &p.id, &p.variants)
}

/// Writes a product's whole variant list: updates the ones it has, adds
/// the new ones. `SkuTaken` when a SKU is another product's.
fn save_variants(tx: &Connection, product_id: &str, variants: &[Variant]) -> StoreResult<()> {
    // SKUs may move between this product's own variants: park them first
    // under names no SKU can have (`~` is not allowed in one).
    tx.prepare_cached("UPDATE variants SET sku = '~' || id WHERE product_id = ?1")?
        .execute([product_id])?;
    let mut upsert = tx.prepare_cached(
        "INSERT INTO variants (id, product_id, position, sku, options, price, stock, photo_id, archived, weight)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (id) DO UPDATE SET position = excluded.position, sku = excluded.sku,
           options = excluded.options, price = excluded.price, stock = excluded.stock,
           photo_id = excluded.photo_id, archived = excluded.archived, weight = excluded.weight
         WHERE variants.product_id = excluded.product_id",
    )?;
    for (position, v) in variants.iter().enumerate() {
        let saved = upsert.execute(params![
            v.id,
            product_id,
            position as i64,
            v.sku,
            serde_json::to_string(&v.options)?,
            v.price,
            v.stock,
            v.photo_id,
            v.archived,
            v.weight,
        ]);
        match saved {
            Ok(1) => {}
            Ok(_) => {
                return Err(StoreError::backend(anyhow::anyhow!(
                    "variant {} belongs to another product",
                    v.id
                )))
            }
            Err(rusqlite::Error::SqliteFailure(e, Some(msg)))
                if e.code == rusqlite::ErrorCode::ConstraintViolation
                    && msg.contains("variants.sku") =>
            {
                return Err(StoreError::SkuTaken { sku: v.sku.clone() })
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Replaces product `id`'s fields and variants, clearing the low-stock
/// alerts a restock ends; `false` when there is none.
fn replace(tx: &Connection, id: &str, f: &ProductFields, at: Timestamp) -> StoreResult<bool> {
    let changed = tx
        .prepare_cached(
            "UPDATE products SET name = ?2, description = ?3, category = ?4, price = ?5,
             currency = ?6, photo_url = ?7, stock = ?8, updated_at = ?9, options = ?10,
             tax_class = ?11, weight = ?12, low_stock_threshold = ?13
             WHERE id = ?1",
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
            ms(at),
            serde_json::to_string(&f.options)?,
            f.tax_class.as_str(),
            f.weight,
            f.low_stock_threshold,
        ])?;
    if changed == 0 {
        return Ok(false);
    }
    save_variants(tx, id, &f.variants)?;
    low_stock::clear_restocked(tx, id)?;
    Ok(true)
}

/// The products that exist among `ids`, in `ids` order.
pub(super) fn get_many(conn: &Connection, ids: &[String]) -> StoreResult<Vec<Product>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(p) = get(conn, id)? {
            out.push(p);
        }
    }
    Ok(out)
}

pub(super) fn get(conn: &Connection, id: &str) -> StoreResult<Option<Product>> {
    let mut query = conn.prepare_cached(&format!(
        "{WITH_VARIANTS} FROM products p LEFT JOIN variants v ON v.product_id = p.id
         WHERE p.id = ?1 ORDER BY v.position"
    ))?;
    let mut found = products_from(query.query([id])?)?;
    Ok(found.pop())
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
                    let mut query = c.prepare_cached(&format!(
                        "{WITH_VARIANTS} FROM (SELECT * FROM products WHERE category = ?1
                           ORDER BY seq LIMIT ?2 OFFSET ?3) p
                         LEFT JOIN variants v ON v.product_id = p.id ORDER BY p.seq, v.position"
                    ))?;
                    let items = products_from(query.query(params![cat, limit, offset])?)?;
                    let total: i64 = c
                        .prepare_cached("SELECT COUNT(*) FROM products WHERE category = ?1")?
                        .query_row([cat], |r| r.get(0))?;
                    (items, total)
                }
                None => {
                    let mut query = c.prepare_cached(&format!(
                        "{WITH_VARIANTS} FROM (SELECT * FROM products ORDER BY seq LIMIT ?1 OFFSET ?2) p
                         LEFT JOIN variants v ON v.product_id = p.id ORDER BY p.seq, v.position"
                    ))?;
                    let items = products_from(query.query(params![limit, offset])?)?;
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
        self.write(move |tx| insert(tx, &stored)).await?;
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
                if !replace(tx, &id, &f, at)? {
                    return Ok(None);
                }
                get(tx, &id)
            })
            .await?;
        if let Some(p) = &replaced {
            self.products_changed([p.id.as_str()]);
        }
        Ok(replaced)
    }

    async fn set_product_photos(
        &self,
        id: &str,
        photos: &[ProductPhoto],
        photo_url: &str,
        at: Timestamp,
    ) -> StoreResult<Option<Product>> {
        let (id, photo_url) = (id.to_owned(), photo_url.to_owned());
        let photos = serde_json::to_string(photos)?;
        let changed = self
            .write(move |tx| {
                let changed = tx
                    .prepare_cached(
                        "UPDATE products SET photos = ?2, photo_url = ?3, updated_at = ?4 WHERE id = ?1",
                    )?
                    .execute(params![id, photos, photo_url, ms(at)])?;
                if changed == 0 {
                    return Ok(None);
                }
                get(tx, &id)
            })
            .await?;
        if let Some(p) = &changed {
            self.products_changed([p.id.as_str()]);
        }
        Ok(changed)
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
            let mut query = c.prepare_cached(&format!(
                "{WITH_VARIANTS} FROM (SELECT * FROM products WHERE id > ?1 ORDER BY id LIMIT ?2) p
                 LEFT JOIN variants v ON v.product_id = p.id ORDER BY p.id, v.position"
            ))?;
            let products = products_from(query.query(params![after, limit as i64])?)?;
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

    async fn low_stock_variants(
        &self,
        default_threshold: i64,
        limit: u64,
    ) -> StoreResult<Vec<LowStockVariant>> {
        self.run(move |c| low_stock::low_stock_variants(c, default_threshold, limit))
            .await
    }

    async fn set_variant(
        &self,
        product_id: &str,
        variant_id: &str,
        change: &VariantChange,
        at: Timestamp,
    ) -> StoreResult<Option<(Variant, Product)>> {
        let (product_id, variant_id) = (product_id.to_owned(), variant_id.to_owned());
        let change = change.clone();
        let set = self
            .write(move |tx| low_stock::set_variant(tx, &product_id, &variant_id, &change, at))
            .await?;
        if let Some((_, p)) = &set {
            self.products_changed([p.id.as_str()]);
        }
        Ok(set)
    }

    async fn find_products(&self, text: &str, page: Page) -> StoreResult<(Vec<Product>, u64)> {
        let text = text.to_owned();
        self.run(move |c| low_stock::find_products(c, &text, page))
            .await
    }

    async fn import_products(
        &self,
        creates: Vec<Product>,
        updates: Vec<(String, ProductFields)>,
        at: Timestamp,
    ) -> StoreResult<()> {
        let mut ids: Vec<String> = creates.iter().map(|p| p.id.clone()).collect();
        ids.extend(updates.iter().map(|(id, _)| id.clone()));
        self.write(move |tx| {
            // Updates first: a SKU an update moves away is free for a create.
            for (id, fields) in &updates {
                if !replace(tx, id, fields, at)? {
                    return Err(StoreError::ProductNotFound {
                        product_id: id.clone(),
                    });
                }
            }
            for p in &creates {
                insert(tx, p)?;
            }
            Ok(())
        })
        .await?;
        self.products_changed(ids.iter().map(String::as_str));
        Ok(())
    }
}
