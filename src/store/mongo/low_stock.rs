//! Low stock on MongoDB: the alert a checkout raises in its own
//! transaction, the alerts a restock clears, the low-stock list, and the
//! admin's quick edit of one variant. See `domain::catalog::low_stock`.

use std::collections::HashSet;

use futures_util::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use mongodb::ClientSession;

use super::catalog::PRODUCTS;
use super::outbox::MailDoc;
use super::{bson_time, limit, MongoStore};
use crate::domain::catalog::{LowStockVariant, Product, Variant, VariantChange};
use crate::domain::{Page, Timestamp};
use crate::store::{Checkout, Placed, StoreError, StoreResult};

/// A product document's `{variant_id: level}` of the variants alerted. Kept
/// beside `variants` (which a product replace writes whole), so a replace
/// keeps the flags, and only a stock back above the level clears one.
const ALERTED: &str = "low_stock_alerted";

fn number(value: Option<&Bson>) -> Option<i64> {
    match value? {
        Bson::Int64(n) => Some(*n),
        Bson::Int32(n) => Some(i64::from(*n)),
        Bson::Double(n) => Some(*n as i64),
        _ => None,
    }
}

/// `text` as a regular expression that matches it literally.
fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for ch in text.chars() {
        if ch.is_ascii() && !ch.is_ascii_alphanumeric() && ch != ' ' {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

impl MongoStore {
    /// Flags each variant the new order left at or below its level that was
    /// not flagged yet, and queues one mail naming them, in the checkout's
    /// transaction. Concurrent checkouts of one product write the same
    /// document, so all but one conflict and retry, then find it flagged.
    pub(super) async fn low_stock_alert(
        &self,
        s: &mut ClientSession,
        checkout: &Checkout,
        placed: &Placed,
    ) -> StoreResult<()> {
        if placed.replayed {
            return Ok(());
        }
        let products = self.coll::<Document>(PRODUCTS);
        let mut seen = HashSet::new();
        let mut low = Vec::new();
        for item in &placed.order.items {
            if !seen.insert(item.variant_id.as_str()) {
                continue;
            }
            let Some(product) = self.product_in(s, &item.product_id).await? else {
                continue;
            };
            let threshold = product
                .low_stock_threshold
                .unwrap_or(checkout.low_stock.default_threshold);
            let Some(variant) = product
                .variant(&item.variant_id)
                .filter(|v| v.is_active() && v.stock <= threshold)
            else {
                continue;
            };
            let key = format!("{ALERTED}.{}", item.variant_id);
            let mut filter = doc! { "_id": &item.product_id };
            filter.insert(key.clone(), doc! { "$exists": false });
            let mut set = Document::new();
            set.insert(key, threshold);
            let flagged = products
                .update_one(filter, doc! { "$set": set })
                .session(&mut *s)
                .await?;
            if flagged.modified_count == 1 {
                low.push(LowStockVariant {
                    product_id: product.id.clone(),
                    product_name: product.name.clone(),
                    variant_id: variant.id.clone(),
                    sku: variant.sku.clone(),
                    title: product.variant_title(variant),
                    stock: variant.stock,
                    threshold,
                });
            }
        }
        let mails = (checkout.low_stock.mails)(&low, checkout.at)?;
        if !mails.is_empty() {
            self.insert_mails(s, &MailDoc::many(&mails)?).await?;
        }
        Ok(())
    }

    /// Clears the alert of every variant of the product whose stock is back
    /// above the level it was raised at, inside `s` when given. Each clear
    /// is conditional on the stock it read, so a checkout in between that
    /// took the stock back down keeps its flag.
    pub(super) async fn clear_restocked(
        &self,
        mut s: Option<&mut ClientSession>,
        product_id: &str,
    ) -> StoreResult<()> {
        let products = self.coll::<Document>(PRODUCTS);
        let find = products
            .find_one(doc! { "_id": product_id })
            .projection(doc! { "variants": 1, ALERTED: 1 });
        let found = match s.as_deref_mut() {
            Some(s) => find.session(s).await?,
            None => find.await?,
        };
        let Some(found) = found else {
            return Ok(());
        };
        let Ok(alerted) = found.get_document(ALERTED) else {
            return Ok(());
        };
        let variants = found.get_array("variants").map_err(StoreError::backend)?;
        for (variant_id, level) in alerted {
            let Some(level) = number(Some(level)) else {
                continue;
            };
            let stock = variants
                .iter()
                .filter_map(Bson::as_document)
                .find(|v| v.get_str("id").is_ok_and(|id| id == variant_id))
                .and_then(|v| number(v.get("stock")));
            if stock.is_none_or(|stock| stock <= level) {
                continue;
            }
            let key = format!("{ALERTED}.{variant_id}");
            let mut filter = doc! {
                "_id": product_id,
                "variants": { "$elemMatch": { "id": variant_id, "stock": { "$gt": level } } },
            };
            filter.insert(key.clone(), level);
            let mut unset = Document::new();
            unset.insert(key, "");
            let clear = products.update_one(filter, doc! { "$unset": unset });
            match s.as_deref_mut() {
                Some(s) => clear.session(s).await?,
                None => clear.await?,
            };
        }
        Ok(())
    }

    /// Sold variants at or below their level, lowest stock first: the
    /// products with a variant at or below the highest level in use
    /// (through the index on `variants.stock`), then each level checked.
    pub(super) async fn low_stock_list(
        &self,
        default_threshold: i64,
        limit_to: u64,
    ) -> StoreResult<Vec<LowStockVariant>> {
        let highest = self
            .coll::<Document>(PRODUCTS)
            .find_one(doc! { "low_stock_threshold": { "$ne": null } })
            .sort(doc! { "low_stock_threshold": -1 })
            .projection(doc! { "low_stock_threshold": 1 })
            .await?
            .and_then(|d| number(d.get("low_stock_threshold")))
            .unwrap_or(0)
            .max(default_threshold);
        let found: Vec<Product> = self
            .products()
            .find(doc! {
                "variants": { "$elemMatch": { "archived": false, "stock": { "$lte": highest } } },
            })
            .await?
            .map_ok(Product::from)
            .try_collect()
            .await?;
        let mut low: Vec<LowStockVariant> = found
            .iter()
            .flat_map(|p| {
                let threshold = p.low_stock_threshold.unwrap_or(default_threshold);
                p.sold_variants()
                    .filter(move |v| v.stock <= threshold)
                    .map(move |v| LowStockVariant {
                        product_id: p.id.clone(),
                        product_name: p.name.clone(),
                        variant_id: v.id.clone(),
                        sku: v.sku.clone(),
                        title: p.variant_title(v),
                        stock: v.stock,
                        threshold,
                    })
            })
            .collect();
        low.sort_by(|a, b| {
            (a.stock, &a.product_name, &a.sku).cmp(&(b.stock, &b.product_name, &b.sku))
        });
        low.truncate(usize::try_from(limit_to).unwrap_or(usize::MAX));
        Ok(low)
    }

    /// The quick edit in one transaction: the variant's price and stock, the
    /// product's stock by the difference, its alerts cleared where the stock
    /// is back above their level.
    pub(super) async fn set_variant_in(
        &self,
        product_id: &str,
        variant_id: &str,
        change: &VariantChange,
        at: Timestamp,
    ) -> StoreResult<Option<(Variant, Product)>> {
        let ctx = (product_id, variant_id, change, at);
        self.transact(&ctx, |store, s, ctx| {
            Box::pin(async move {
                let (product_id, variant_id, change, at) = *ctx;
                let Some(before) = store.product_in(s, product_id).await? else {
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
                let stock = change.stock.unwrap_or(variant.stock);
                let mut set = doc! { "updated_at": bson_time(at), "variants.$.stock": stock };
                if let Some(price) = change.price {
                    set.insert("variants.$.price", price);
                    // A product sold one way shows its variant's price as its own.
                    if before.options.is_empty() {
                        set.insert("price", price);
                    }
                }
                store
                    .products()
                    .update_one(
                        doc! { "_id": product_id, "variants.id": variant_id },
                        doc! { "$set": set, "$inc": { "stock": stock - variant.stock } },
                    )
                    .session(&mut *s)
                    .await?;
                store.clear_restocked(Some(&mut *s), product_id).await?;
                Ok(store
                    .product_in(s, product_id)
                    .await?
                    .map(|after| (variant, after)))
            })
        })
        .await
    }

    /// The admin list: products whose name or a SKU contains `text`.
    pub(super) async fn find_products_by_text(
        &self,
        text: &str,
        page: Page,
    ) -> StoreResult<(Vec<Product>, u64)> {
        let filter = if text.is_empty() {
            doc! {}
        } else {
            let pattern = regex_escape(text);
            doc! { "$or": [
                { "name": { "$regex": &pattern, "$options": "i" } },
                { "variants.sku": { "$regex": &pattern, "$options": "i" } },
            ] }
        };
        let total = self.products().count_documents(filter.clone()).await?;
        if page.limit == 0 {
            return Ok((Vec::new(), total));
        }
        let items: Vec<Product> = self
            .products()
            .find(filter)
            .sort(doc! { "created_at": 1, "_id": 1 })
            .skip(page.offset)
            .limit(limit(page.limit))
            .await?
            .map_ok(Product::from)
            .try_collect()
            .await?;
        Ok((items, total))
    }
}
