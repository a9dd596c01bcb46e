//! Low stock on SQLite: the alert a checkout raises in its own transaction,
//! the alerts a restock clears, the low-stock list, and the admin's quick
//! edit of one variant. See `domain::catalog::low_stock` for the rule.

use std::collections::{BTreeMap, HashSet};

use rusqlite::{params, Connection, OptionalExtension};

use super::catalog::{self, products_from, WITH_VARIANTS};
use super::ms;
use super::outbox::insert_mail;
use crate::domain::catalog::{LowStockVariant, Product, ProductOption, Variant, VariantChange};
use crate::domain::{Page, Timestamp};
use crate::store::{Checkout, Placed, StoreError, StoreResult};

/// Flags each variant the new order left at or below its level that was not
/// flagged yet, and queues one mail naming them. Runs in the checkout's
/// transaction; the writer thread runs one write at a time, so the
/// conditional update flags (and mails) each crossing once.
pub(super) fn alert(c: &Connection, checkout: &Checkout, placed: &Placed) -> StoreResult<()> {
    if placed.replayed {
        return Ok(());
    }
    let mut flag = c.prepare_cached(
        "UPDATE variants SET low_stock_alerted = ?3
         WHERE id = ?2 AND product_id = ?1 AND archived = 0 AND low_stock_alerted IS NULL
           AND stock <= ?3
         RETURNING sku, stock",
    )?;
    let mut level =
        c.prepare_cached("SELECT COALESCE(low_stock_threshold, ?2) FROM products WHERE id = ?1")?;
    let mut seen = HashSet::new();
    let mut low = Vec::new();
    for item in &placed.order.items {
        if !seen.insert(item.variant_id.as_str()) {
            continue;
        }
        let Some(threshold) = level
            .query_row(
                params![item.product_id, checkout.low_stock.default_threshold],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
        else {
            continue;
        };
        let flagged: Option<(String, i64)> = flag
            .query_row(params![item.product_id, item.variant_id, threshold], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        if let Some((sku, stock)) = flagged {
            low.push(LowStockVariant {
                product_id: item.product_id.clone(),
                product_name: item.name.clone(),
                variant_id: item.variant_id.clone(),
                sku,
                title: item.variant.clone(),
                stock,
                threshold,
            });
        }
    }
    for mail in (checkout.low_stock.mails)(&low, checkout.at)? {
        insert_mail(c, &mail)?;
    }
    Ok(())
}

/// Clears the alert of every variant of the product whose stock is back
/// above the level it was raised at: the next crossing alerts again.
pub(super) fn clear_restocked(c: &Connection, product_id: &str) -> StoreResult<()> {
    c.prepare_cached(
        "UPDATE variants SET low_stock_alerted = NULL
         WHERE product_id = ?1 AND low_stock_alerted IS NOT NULL AND stock > low_stock_alerted",
    )?
    .execute([product_id])?;
    Ok(())
}

/// Sold variants at or below their level, lowest stock first. The stock
/// bound (the highest level in use) lets the partial index on stock read
/// only the variants that can be low.
pub(super) fn low_stock_variants(
    c: &Connection,
    default_threshold: i64,
    limit: u64,
) -> StoreResult<Vec<LowStockVariant>> {
    let mut query = c.prepare_cached(
        "SELECT p.id, p.name, p.options, v.id, v.sku, v.options, v.stock,
                COALESCE(p.low_stock_threshold, ?1)
         FROM variants v JOIN products p ON p.id = v.product_id
         WHERE v.archived = 0
           AND v.stock <= max(?1, coalesce((SELECT max(low_stock_threshold) FROM products
                                            WHERE low_stock_threshold IS NOT NULL), 0))
           AND v.stock <= COALESCE(p.low_stock_threshold, ?1)
         ORDER BY v.stock, p.name, v.sku
         LIMIT ?2",
    )?;
    let mut rows = query.query(params![default_threshold, limit as i64])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let options: Vec<ProductOption> = serde_json::from_str(&row.get::<_, String>(2)?)?;
        let values: BTreeMap<String, String> = serde_json::from_str(&row.get::<_, String>(5)?)?;
        out.push(LowStockVariant {
            product_id: row.get(0)?,
            product_name: row.get(1)?,
            variant_id: row.get(3)?,
            sku: row.get(4)?,
            title: title(&options, &values),
            stock: row.get(6)?,
            threshold: row.get(7)?,
        });
    }
    Ok(out)
}

/// `M / blue`, as [`Product::variant_title`] writes it.
fn title(options: &[ProductOption], values: &BTreeMap<String, String>) -> String {
    options
        .iter()
        .filter_map(|o| values.get(&o.name).map(String::as_str))
        .collect::<Vec<_>>()
        .join(" / ")
}

/// The quick edit, on the writer thread (so the read and the writes are one
/// atomic step).
pub(super) fn set_variant(
    tx: &Connection,
    product_id: &str,
    variant_id: &str,
    change: &VariantChange,
    at: Timestamp,
) -> StoreResult<Option<(Variant, Product)>> {
    let Some(before) = catalog::get(tx, product_id)? else {
        return Ok(None);
    };
    let Some(variant) = before
        .variant(variant_id)
        .filter(|v| v.is_active())
        .cloned()
    else {
        return Err(StoreError::VariantNotSold {
            product_id: product_id.to_owned(),
            variant_id: variant_id.to_owned(),
        });
    };
    tx.prepare_cached(
        "UPDATE variants SET price = COALESCE(?3, price), stock = COALESCE(?4, stock)
         WHERE id = ?2 AND product_id = ?1",
    )?
    .execute(params![product_id, variant_id, change.price, change.stock])?;
    // A product sold one way shows its variant's price as its own.
    let own_price = change.price.filter(|_| before.options.is_empty());
    tx.prepare_cached(
        "UPDATE products SET updated_at = ?2, price = COALESCE(?3, price),
           stock = (SELECT COALESCE(SUM(stock), 0) FROM variants
                    WHERE product_id = ?1 AND archived = 0)
         WHERE id = ?1",
    )?
    .execute(params![product_id, ms(at), own_price])?;
    clear_restocked(tx, product_id)?;
    Ok(catalog::get(tx, product_id)?.map(|after| (variant, after)))
}

/// The admin list: products whose name or a SKU contains `text`.
pub(super) fn find_products(
    c: &Connection,
    text: &str,
    page: Page,
) -> StoreResult<(Vec<Product>, u64)> {
    let pattern = format!("%{}%", like_escape(text));
    let matches = "(?1 = '' OR name LIKE ?2 ESCAPE '\\' OR id IN
        (SELECT product_id FROM variants WHERE sku LIKE ?2 ESCAPE '\\'))";
    let mut query = c.prepare_cached(&format!(
        "{WITH_VARIANTS} FROM (SELECT * FROM products WHERE {matches}
           ORDER BY seq LIMIT ?3 OFFSET ?4) p
         LEFT JOIN variants v ON v.product_id = p.id ORDER BY p.seq, v.position"
    ))?;
    let items = products_from(query.query(params![
        text,
        pattern,
        page.limit as i64,
        page.offset as i64
    ])?)?;
    let total: i64 = c
        .prepare_cached(&format!("SELECT COUNT(*) FROM products WHERE {matches}"))?
        .query_row(params![text, pattern], |r| r.get(0))?;
    Ok((items, total as u64))
}

/// `text` with LIKE's wildcards taken literally.
fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}
