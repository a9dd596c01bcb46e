//! Catalog reads through the cache, and the writes that change what it
//! shows: product writes, checkouts (stock taken) and status changes
//! (stock put back by a cancellation).

use std::sync::Arc;

use async_trait::async_trait;
use futures_util::stream::BoxStream;
use tracing::instrument;

use super::{CachedStore, CatalogEntry, CatalogKey};
use crate::domain::catalog::{LowStockVariant, Product, ProductFields, Variant, VariantChange};
use crate::domain::orders::{Order, OrderFilter};
use crate::domain::photos::ProductPhoto;
use crate::domain::shared::Shared;
use crate::domain::shipping::ShippingMethod;
use crate::domain::{Page, Timestamp};
use crate::services::metrics::store_call;
use crate::store::{
    CatalogStore, Checkout, OrderStore, OrderUpdate, Placed, ProductPage, StoreResult, Updated,
};

#[async_trait]
impl CatalogStore for CachedStore {
    #[instrument(level = "debug", skip_all)]
    async fn list_products(
        &self,
        category: Option<&str>,
        page: Page,
    ) -> StoreResult<Arc<Shared<ProductPage>>> {
        let Some(caches) = &self.caches else {
            return store_call("list_products", self.inner.list_products(category, page)).await;
        };
        let key = CatalogKey::Page(category.map(str::to_owned), page.offset, page.limit);
        if let Some(CatalogEntry::Page(hit)) = caches.catalog.get(&key) {
            return Ok(hit);
        }
        let version = caches.catalog.version();
        let found = store_call("list_products", self.inner.list_products(category, page)).await?;
        caches
            .catalog
            .put(key, version, CatalogEntry::Page(found.clone()));
        Ok(found)
    }

    #[instrument(level = "debug", skip_all)]
    async fn get_product(&self, id: &str) -> StoreResult<Option<Arc<Shared<Product>>>> {
        let Some(caches) = &self.caches else {
            return store_call("get_product", self.inner.get_product(id)).await;
        };
        let key = CatalogKey::Product(id.to_owned());
        if let Some(CatalogEntry::Product(hit)) = caches.catalog.get(&key) {
            return Ok(Some(hit));
        }
        let version = caches.catalog.version();
        let found = store_call("get_product", self.inner.get_product(id)).await?;
        // Misses are not kept: anyone can ask for any number of unknown ids.
        if let Some(product) = &found {
            caches
                .catalog
                .put(key, version, CatalogEntry::Product(product.clone()));
        }
        Ok(found)
    }

    #[instrument(level = "debug", skip_all)]
    async fn get_products(&self, ids: &[String]) -> StoreResult<Vec<Product>> {
        store_call("get_products", self.inner.get_products(ids)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn categories(&self) -> StoreResult<Vec<String>> {
        store_call("categories", self.inner.categories()).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn insert_product(&self, product: &Product) -> StoreResult<()> {
        let (inner, product) = (self.inner.clone(), product.clone());
        self.catalog_write(async move {
            store_call("insert_product", inner.insert_product(&product)).await
        })
        .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn replace_product(
        &self,
        id: &str,
        fields: &ProductFields,
        at: Timestamp,
    ) -> StoreResult<Option<Product>> {
        let (inner, id, fields) = (self.inner.clone(), id.to_owned(), fields.clone());
        self.catalog_write(async move {
            store_call("replace_product", inner.replace_product(&id, &fields, at)).await
        })
        .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn set_product_photos(
        &self,
        id: &str,
        photos: &[ProductPhoto],
        photo_url: &str,
        at: Timestamp,
    ) -> StoreResult<Option<Product>> {
        let inner = self.inner.clone();
        let (id, photos, photo_url) = (id.to_owned(), photos.to_vec(), photo_url.to_owned());
        self.catalog_write(async move {
            let write = inner.set_product_photos(&id, &photos, &photo_url, at);
            store_call("set_product_photos", write).await
        })
        .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn delete_product(&self, id: &str) -> StoreResult<bool> {
        let (inner, id) = (self.inner.clone(), id.to_owned());
        self.catalog_write(
            async move { store_call("delete_product", inner.delete_product(&id)).await },
        )
        .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn seed_products(&self, products: &[Product]) -> StoreResult<bool> {
        let (inner, products) = (self.inner.clone(), products.to_vec());
        self.catalog_write(async move {
            store_call("seed_products", inner.seed_products(&products)).await
        })
        .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn scan_products(&self, after: Option<&str>, limit: u64) -> StoreResult<Vec<Product>> {
        store_call("scan_products", self.inner.scan_products(after, limit)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn watch_products(&self) -> StoreResult<BoxStream<'static, StoreResult<String>>> {
        store_call("watch_products", self.inner.watch_products()).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn low_stock_variants(
        &self,
        default_threshold: i64,
        limit: u64,
    ) -> StoreResult<Vec<LowStockVariant>> {
        let low = self.inner.low_stock_variants(default_threshold, limit);
        store_call("low_stock_variants", low).await
    }

    /// Changes a product the cache may hold.
    #[instrument(level = "debug", skip_all)]
    async fn set_variant(
        &self,
        product_id: &str,
        variant_id: &str,
        change: &VariantChange,
        at: Timestamp,
    ) -> StoreResult<Option<(Variant, Product)>> {
        let inner = self.inner.clone();
        let (product_id, variant_id) = (product_id.to_owned(), variant_id.to_owned());
        let change = change.clone();
        self.catalog_write(async move {
            let set = inner.set_variant(&product_id, &variant_id, &change, at);
            store_call("set_variant", set).await
        })
        .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn find_products(&self, text: &str, page: Page) -> StoreResult<(Vec<Product>, u64)> {
        store_call("find_products", self.inner.find_products(text, page)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn import_products(
        &self,
        creates: Vec<Product>,
        updates: Vec<(String, ProductFields)>,
        at: Timestamp,
    ) -> StoreResult<()> {
        let inner = self.inner.clone();
        self.catalog_write(async move {
            let write = inner.import_products(creates, updates, at);
            store_call("import_products", write).await
        })
        .await
    }
}

#[async_trait]
impl OrderStore for CachedStore {
    /// Takes stock, which the catalog shows.
    #[instrument(level = "debug", skip_all)]
    async fn place_order(&self, checkout: Checkout) -> StoreResult<Placed> {
        let inner = self.inner.clone();
        self.catalog_write(
            async move { store_call("place_order", inner.place_order(checkout)).await },
        )
        .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn get_order(&self, number: i64) -> StoreResult<Option<Order>> {
        store_call("get_order", self.inner.get_order(number)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn list_orders(
        &self,
        filter: &OrderFilter,
        page: Page,
    ) -> StoreResult<(Vec<Order>, u64)> {
        store_call("list_orders", self.inner.list_orders(filter, page)).await
    }

    /// A cancellation puts stock back.
    #[instrument(level = "debug", skip_all)]
    async fn update_order(&self, update: OrderUpdate) -> StoreResult<Updated> {
        let inner = self.inner.clone();
        self.catalog_write(
            async move { store_call("update_order", inner.update_order(update)).await },
        )
        .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn order_for_intent(&self, intent_id: &str) -> StoreResult<Option<i64>> {
        store_call("order_for_intent", self.inner.order_for_intent(intent_id)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn orders_to_expire(&self, now: Timestamp, limit: u64) -> StoreResult<Vec<i64>> {
        store_call("orders_to_expire", self.inner.orders_to_expire(now, limit)).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn shipping_methods(&self) -> StoreResult<Vec<ShippingMethod>> {
        store_call("shipping_methods", self.inner.shipping_methods()).await
    }

    #[instrument(level = "debug", skip_all)]
    async fn put_shipping_method(&self, method: &ShippingMethod) -> StoreResult<()> {
        store_call(
            "put_shipping_method",
            self.inner.put_shipping_method(method),
        )
        .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn delete_shipping_method(&self, id: &str) -> StoreResult<bool> {
        store_call(
            "delete_shipping_method",
            self.inner.delete_shipping_method(id),
        )
        .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn scan_orders(&self, after: i64, limit: u64) -> StoreResult<Vec<Order>> {
        store_call("scan_orders", self.inner.scan_orders(after, limit)).await
    }
}
