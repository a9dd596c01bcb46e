use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use mongodb::bson::{doc, Bson, DateTime, Document};
use mongodb::change_stream::event::OperationType;
use mongodb::options::ReturnDocument;
use mongodb::ClientSession;
use serde::{Deserialize, Serialize};

use super::{bson_time, limit, time, MongoStore};
use crate::domain::catalog::{
    LowStockVariant, Product, ProductFields, ProductOption, Variant, VariantChange,
};
use crate::domain::photos::ProductPhoto;
use crate::domain::shared::Shared;
use crate::domain::tax::TaxClass;
use crate::domain::{Page, Timestamp};
use crate::store::{CatalogStore, ProductPage, StoreError, StoreResult};

pub(super) const PRODUCTS: &str = "products";

/// A `products` document; `_id` is the product id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct ProductDoc {
    #[serde(rename = "_id")]
    id: String,
    name: String,
    description: String,
    category: String,
    price: i64,
    currency: String,
    photo_url: String,
    /// The sum over the sold variants, kept by every change to theirs.
    stock: i64,
    #[serde(default)]
    tax_class: TaxClass,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    weight: Option<i64>,
    #[serde(default)]
    options: Vec<ProductOption>,
    #[serde(default)]
    variants: Vec<Variant>,
    #[serde(default)]
    photos: Vec<ProductPhoto>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    low_stock_threshold: Option<i64>,
    created_at: DateTime,
    updated_at: DateTime,
}

impl From<&Product> for ProductDoc {
    fn from(p: &Product) -> Self {
        Self {
            id: p.id.clone(),
            name: p.name.clone(),
            description: p.description.clone(),
            category: p.category.clone(),
            price: p.price,
            currency: p.currency.clone(),
            photo_url: p.photo_url.clone(),
            stock: p.stock,
            tax_class: p.tax_class,
            weight: p.weight,
            options: p.options.clone(),
            variants: p.variants.clone(),
            photos: p.photos.clone(),
            low_stock_threshold: p.low_stock_threshold,
            created_at: bson_time(p.created_at),
            updated_at: bson_time(p.updated_at),
        }
    }
}

impl From<ProductDoc> for Product {
    fn from(d: ProductDoc) -> Self {
        Self {
            id: d.id,
            name: d.name,
            description: d.description,
            category: d.category,
            price: d.price,
            currency: d.currency,
            photo_url: d.photo_url,
            stock: d.stock,
            tax_class: d.tax_class,
            weight: d.weight,
            options: d.options,
            variants: d.variants,
            photos: d.photos,
            low_stock_threshold: d.low_stock_threshold,
            created_at: time(d.created_at),
            updated_at: time(d.updated_at),
        }
    }
}

/// A duplicate key on a product write is a variant's SKU another product
/// has (the only unique key besides `_id`, which is always new or matched).
fn sku_taken(err: mongodb::error::Error, variants: &[Variant]) -> StoreError {
    if !super::is_duplicate_key(&err) {
        return err.into();
    }
    let message = err.to_string();
    let sku = variants
        .iter()
        .find(|v| message.contains(&format!("\"{}\"", v.sku)))
        .or(variants.first())
        .map(|v| v.sku.clone())
        .unwrap_or_default();
    StoreError::SkuTaken { sku }
}

/// The update that replaces a product's fields and variants.
fn fields_update(f: &ProductFields, at: Timestamp) -> StoreResult<Document> {
    Ok(doc! { "$set": {
        "name": &f.name,
        "description": &f.description,
        "category": &f.category,
        "price": f.price,
        "currency": &f.currency,
        "photo_url": &f.photo_url,
        "stock": f.stock,
        "tax_class": f.tax_class.as_str(),
        "weight": f.weight,
        "options": mongodb::bson::to_bson(&f.options)?,
        "variants": mongodb::bson::to_bson(&f.variants)?,
        "low_stock_threshold": f.low_stock_threshold,
        "updated_at": bson_time(at),
    }})
}

impl MongoStore {
    pub(super) fn products(&self) -> mongodb::Collection<ProductDoc> {
        self.coll(PRODUCTS)
    }

    /// Reads one product inside a transaction.
    pub(super) async fn product_in(
        &self,
        s: &mut ClientSession,
        id: &str,
    ) -> StoreResult<Option<Product>> {
        Ok(self
            .products()
            .find_one(doc! { "_id": id })
            .session(s)
            .await?
            .map(Product::from))
    }
}

#[async_trait]
impl CatalogStore for MongoStore {
    async fn list_products(
        &self,
        category: Option<&str>,
        page: Page,
    ) -> StoreResult<Arc<Shared<ProductPage>>> {
        let answer = |items: Vec<Product>, total| {
            Shared::new(ProductPage {
                items,
                total,
                offset: page.offset,
                limit: page.limit,
                category: category.map(str::to_owned),
            })
        };
        let filter = match category {
            Some(cat) => doc! { "category": cat },
            None => doc! {},
        };
        let total = self.products().count_documents(filter.clone()).await?;
        if page.limit == 0 {
            return Ok(answer(Vec::new(), total));
        }
        let items: Vec<ProductDoc> = self
            .products()
            .find(filter)
            .sort(doc! { "created_at": 1, "_id": 1 })
            .skip(page.offset)
            .limit(limit(page.limit))
            .await?
            .try_collect()
            .await?;
        Ok(answer(
            items.into_iter().map(Product::from).collect(),
            total,
        ))
    }

    async fn get_product(&self, id: &str) -> StoreResult<Option<Arc<Shared<Product>>>> {
        Ok(self
            .products()
            .find_one(doc! { "_id": id })
            .await?
            .map(|d| Shared::new(Product::from(d))))
    }

    async fn get_products(&self, ids: &[String]) -> StoreResult<Vec<Product>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let found: Vec<ProductDoc> = self
            .products()
            .find(doc! { "_id": { "$in": ids } })
            .await?
            .try_collect()
            .await?;
        let by_id: HashMap<String, Product> = found
            .into_iter()
            .map(|d| (d.id.clone(), Product::from(d)))
            .collect();
        // Same shape as the SQLite store: in the order asked, missing ones skipped.
        Ok(ids.iter().filter_map(|id| by_id.get(id).cloned()).collect())
    }

    async fn categories(&self) -> StoreResult<Vec<String>> {
        let values = self.products().distinct("category", doc! {}).await?;
        let mut cats: Vec<String> = values
            .into_iter()
            .filter_map(|v| match v {
                Bson::String(s) => Some(s),
                _ => None,
            })
            .collect();
        cats.sort();
        Ok(cats)
    }

    async fn insert_product(&self, product: &Product) -> StoreResult<()> {
        self.products()
            .insert_one(ProductDoc::from(product))
            .await
            .map_err(|e| sku_taken(e, &product.variants))?;
        Ok(())
    }

    async fn replace_product(
        &self,
        id: &str,
        f: &ProductFields,
        at: Timestamp,
    ) -> StoreResult<Option<Product>> {
        let update = fields_update(f, at)?;
        let replaced = self
            .products()
            .find_one_and_update(doc! { "_id": id }, update)
            .return_document(ReturnDocument::After)
            .await
            .map_err(|e| sku_taken(e, &f.variants))?
            .map(Product::from);
        if replaced.is_some() {
            self.clear_restocked(None, id).await?;
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
        let update = doc! { "$set": {
            "photos": mongodb::bson::to_bson(photos)?,
            "photo_url": photo_url,
            "updated_at": bson_time(at),
        }};
        Ok(self
            .products()
            .find_one_and_update(doc! { "_id": id }, update)
            .return_document(ReturnDocument::After)
            .await?
            .map(Product::from))
    }

    async fn delete_product(&self, id: &str) -> StoreResult<bool> {
        let result = self.products().delete_one(doc! { "_id": id }).await?;
        Ok(result.deleted_count > 0)
    }

    async fn seed_products(&self, products: &[Product]) -> StoreResult<bool> {
        let docs: Vec<ProductDoc> = products.iter().map(ProductDoc::from).collect();
        self.transact(&docs, |store, s, docs| {
            Box::pin(async move {
                // Two instances seeding at once both write this marker, so one
                // of them conflicts, retries and then sees the catalog filled.
                store
                    .coll::<mongodb::bson::Document>(super::orders::COUNTERS)
                    .update_one(
                        doc! { "_id": "catalog_seed" },
                        doc! { "$inc": { "runs": 1_i64 } },
                    )
                    .upsert(true)
                    .session(&mut *s)
                    .await
                    .map_err(super::race_on_duplicate)?;
                if store
                    .products()
                    .find_one(doc! {})
                    .session(&mut *s)
                    .await?
                    .is_some()
                {
                    return Ok(false);
                }
                if !docs.is_empty() {
                    store.products().insert_many(docs).session(&mut *s).await?;
                }
                Ok(true)
            })
        })
        .await
    }

    async fn scan_products(&self, after: Option<&str>, limit_to: u64) -> StoreResult<Vec<Product>> {
        let filter = match after {
            Some(id) => doc! { "_id": { "$gt": id } },
            None => doc! {},
        };
        let found: Vec<ProductDoc> = self
            .products()
            .find(filter)
            .sort(doc! { "_id": 1 })
            .limit(limit(limit_to))
            .await?
            .try_collect()
            .await?;
        Ok(found.into_iter().map(Product::from).collect())
    }

    async fn watch_products(&self) -> StoreResult<BoxStream<'static, StoreResult<String>>> {
        // Every instance's writes to `products` show up here, stock taken by
        // orders included: this is how each instance's index stays current.
        let stream = self
            .coll::<mongodb::bson::Document>(PRODUCTS)
            .watch()
            .await?;
        let ids = stream.map(|event| {
            let event = event?;
            match event.operation_type {
                OperationType::Insert
                | OperationType::Update
                | OperationType::Replace
                | OperationType::Delete => event
                    .document_key
                    .as_ref()
                    .and_then(|key| key.get_str("_id").ok())
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        StoreError::backend(anyhow::anyhow!("a product change without its id"))
                    }),
                // The collection was dropped or renamed: start over.
                other => Err(StoreError::backend(anyhow::anyhow!(
                    "the products change stream ended ({other:?})"
                ))),
            }
        });
        Ok(ids.boxed())
    }

    async fn low_stock_variants(
        &self,
        default_threshold: i64,
        limit: u64,
    ) -> StoreResult<Vec<LowStockVariant>> {
        self.low_stock_list(default_threshold, limit).await
    }

    async fn set_variant(
        &self,
        product_id: &str,
        variant_id: &str,
        change: &VariantChange,
        at: Timestamp,
    ) -> StoreResult<Option<(Variant, Product)>> {
        self.set_variant_in(product_id, variant_id, change, at)
            .await
    }

    async fn find_products(&self, text: &str, page: Page) -> StoreResult<(Vec<Product>, u64)> {
        self.find_products_by_text(text, page).await
    }

    async fn import_products(
        &self,
        creates: Vec<Product>,
        updates: Vec<(String, ProductFields)>,
        at: Timestamp,
    ) -> StoreResult<()> {
        let docs: Vec<ProductDoc> = creates.iter().map(ProductDoc::from).collect();
        let sets = updates
            .iter()
            .map(|(id, f)| Ok((id.clone(), fields_update(f, at)?)))
            .collect::<StoreResult<Vec<(String, Document)>>>()?;
        let variants: Vec<Variant> = creates
            .iter()
            .flat_map(|p| p.variants.iter())
            .chain(updates.iter().flat_map(|(_, f)| f.variants.iter()))
            .cloned()
            .collect();
        // One transaction: a refused write anywhere leaves the catalog as it was.
        self.transact(&(docs, sets, variants), |store, s, ctx| {
            Box::pin(async move {
                let (docs, sets, variants) = ctx;
                // Updates first: a SKU an update moves away is free for a create.
                for (id, set) in sets {
                    let updated = store
                        .products()
                        .update_one(doc! { "_id": id }, set.clone())
                        .session(&mut *s)
                        .await
                        .map_err(|e| sku_taken(e, variants))?;
                    if updated.matched_count == 0 {
                        return Err(StoreError::ProductNotFound {
                            product_id: id.clone(),
                        });
                    }
                    store.clear_restocked(Some(&mut *s), id).await?;
                }
                for chunk in docs.chunks(1000) {
                    store
                        .products()
                        .insert_many(chunk)
                        .session(&mut *s)
                        .await
                        .map_err(|e| sku_taken(e, variants))?;
                }
                Ok(())
            })
        })
        .await
    }
}
