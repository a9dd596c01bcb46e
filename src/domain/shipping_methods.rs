//! The shop's shipping methods, as admins manage them.

use std::sync::Arc;

use super::accounts::Identity;
use super::audit::{self, snapshot};
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
        who: &Identity,
        id: &str,
        input: ShippingMethodInput,
    ) -> ShopResult<(ShippingMethod, bool)> {
        let method = input.validate(id.to_owned())?;
        let before = self.list().await?.into_iter().find(|m| m.id == id);
        self.store.put_shipping_method(&method).await?;
        let target = format!("shipping_method:{id}");
        let before_json = before.as_ref().and_then(snapshot);
        audit::record(
            &*self.store,
            who,
            "shipping_method.put",
            &target,
            before_json,
            snapshot(&method),
        )
        .await?;
        Ok((method, before.is_none()))
    }

    /// Deletes the method `id`; false when there was none. The last one
    /// stays: a shop with no shipping method could not take an order.
    pub async fn delete(&self, who: &Identity, id: &str) -> ShopResult<bool> {
        let methods = self.list().await?;
        let Some(before) = methods.iter().find(|m| m.id == id) else {
            return Ok(false);
        };
        if methods.len() == 1 {
            return Err(FieldErrors::single("id", ShopText::LastShippingMethod).into());
        }
        let deleted = self.store.delete_shipping_method(id).await?;
        if deleted {
            let target = format!("shipping_method:{id}");
            audit::record(
                &*self.store,
                who,
                "shipping_method.delete",
                &target,
                snapshot(before),
                None,
            )
            .await?;
        }
        Ok(deleted)
    }
}
