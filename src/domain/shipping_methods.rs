//! The shop's shipping methods, as admins manage them.

use std::sync::Arc;

use super::error::ShopResult;
use super::message::ShopText;
use super::ports::Store;
use super::shipping::{ShippingMethod, ShippingMethodInput};
use super::validation::FieldErrors;

/// Whether `id` can name a shipping method: 1 to 40 lowercase ASCII
/// letters, digits and dashes.
pub fn is_method_id(id: &str) -> bool {
    (1..=40).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Shipping methods over the store.
pub struct ShippingMethods {
    store: Arc<dyn Store>,
}

impl ShippingMethods {
    /// Shipping methods on `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// Every method, in the order checkout offers them.
    pub async fn list(&self) -> ShopResult<Vec<ShippingMethod>> {
        Ok(self.store.shipping_methods().await?)
    }

    /// Creates or replaces the method `id` (a slug the caller checked with
    /// [`is_method_id`]); true when it is new.
    pub async fn put(
        &self,
        id: &str,
        input: ShippingMethodInput,
    ) -> ShopResult<(ShippingMethod, bool)> {
        let method = input.validate(id.to_owned())?;
        let existed = self.list().await?.iter().any(|m| m.id == id);
        self.store.put_shipping_method(&method).await?;
        Ok((method, !existed))
    }

    /// Deletes the method `id`; false when there was none. The last one
    /// stays: a shop with no shipping method could not take an order.
    pub async fn delete(&self, id: &str) -> ShopResult<bool> {
        let methods = self.list().await?;
        if !methods.iter().any(|m| m.id == id) {
            return Ok(false);
        }
        if methods.len() == 1 {
            return Err(FieldErrors::single("id", ShopText::LastShippingMethod).into());
        }
        Ok(self.store.delete_shipping_method(id).await?)
    }
}
