//! Cart operations: each change checked, applied atomically by the store,
//! and answered with the cart as its owner sees it.

use std::sync::Arc;

use super::{check_quantity, Cart, CartOwner, CartView};
use crate::domain::address::{Address, AddressInput};
use crate::domain::catalog::Product;
use crate::domain::checkout::CheckoutRules;
use crate::domain::error::{ShopError, ShopResult};
use crate::domain::message::{MessageId, ShopText};
use crate::domain::ports::{LineRef, Store, StoreError};
use crate::domain::validation::FieldErrors;
use crate::domain::{is_id, now};

/// The caller's cart over the store.
pub struct Carts {
    store: Arc<dyn Store>,
    currency: String,
    rules: Arc<CheckoutRules>,
}

impl Carts {
    /// Cart operations on `store`, priced in `currency` by `rules`.
    pub fn new(store: Arc<dyn Store>, currency: &str, rules: Arc<CheckoutRules>) -> Self {
        Self {
            store,
            currency: currency.to_owned(),
            rules,
        }
    }

    /// The caller's cart, priced at today's prices (empty if none yet).
    pub async fn view(&self, owner: &CartOwner) -> ShopResult<CartView> {
        let (cart, products) = self.store.get_cart_with_products(&owner.key()).await?;
        self.priced(owner, cart.as_ref(), &products).await
    }

    /// `cart` priced with `products`, today's shipping methods and the taxes.
    async fn priced(
        &self,
        owner: &CartOwner,
        cart: Option<&Cart>,
        products: &[Product],
    ) -> ShopResult<CartView> {
        let methods = self.store.shipping_methods().await?;
        Ok(CartView::build(
            owner.email(),
            cart,
            products,
            &self.currency,
            &methods,
            &self.rules,
        ))
    }

    /// How many units the caller's cart holds (the header's badge).
    pub async fn item_count(&self, owner: &CartOwner) -> ShopResult<u64> {
        let cart = self.store.get_cart(&owner.key()).await?;
        Ok(cart.map_or(0, |c| c.item_count()))
    }

    /// The view of a cart a change just returned.
    async fn view_of(&self, owner: &CartOwner, cart: &Cart) -> ShopResult<CartView> {
        let products = self.store.get_products(&cart.product_ids()).await?;
        self.priced(owner, Some(cart), &products).await
    }

    /// Moves a guest's cart into the customer's, once however many logins
    /// race to do it; `false` when the guest had no cart left to merge.
    pub async fn merge_guest(&self, guest: &CartOwner, customer: &CartOwner) -> ShopResult<bool> {
        let merged = self
            .store
            .merge_carts(&guest.key(), &customer.key(), now())
            .await?;
        Ok(merged.is_some())
    }

    /// Adds `quantity` units of a product's variant (or raises its line),
    /// within stock. A product without options may leave the variant out.
    pub async fn add(
        &self,
        owner: &CartOwner,
        product_id: &str,
        variant_id: Option<&str>,
        quantity: i64,
    ) -> ShopResult<CartView> {
        if !is_id(product_id) {
            return Err(FieldErrors::single("product_id", ShopText::ProductIdInvalid).into());
        }
        let quantity = check_quantity(quantity, false)?;
        let product = self.store.get_product(product_id).await?.ok_or_else(|| {
            StoreError::ProductNotFound {
                product_id: product_id.to_owned(),
            }
        })?;
        let variant_id = chosen_variant(product.value(), variant_id)?;
        let line = LineRef {
            product_id,
            variant_id: &variant_id,
        };
        let cart = self
            .store
            .add_to_cart(&owner.key(), line, quantity, now())
            .await?;
        self.view_of(owner, &cart).await
    }

    /// Sets the quantity of the line `id` names (a variant, or a product
    /// with one line in the cart); 0 removes it.
    pub async fn set_quantity(
        &self,
        owner: &CartOwner,
        id: &str,
        quantity: i64,
    ) -> ShopResult<CartView> {
        let quantity = check_quantity(quantity, true)?;
        let variant_id = self.line_variant(owner, id).await?;
        let cart = self
            .store
            .set_cart_quantity(&owner.key(), &variant_id, quantity, now())
            .await?;
        self.view_of(owner, &cart).await
    }

    /// Removes the line `id` names (a variant, or a product with one line
    /// in the cart).
    pub async fn remove(&self, owner: &CartOwner, id: &str) -> ShopResult<CartView> {
        let variant_id = self.line_variant(owner, id).await?;
        let cart = self
            .store
            .remove_from_cart(&owner.key(), &variant_id, now())
            .await?;
        self.view_of(owner, &cart).await
    }

    /// The variant of the caller's line that `id` names.
    async fn line_variant(&self, owner: &CartOwner, id: &str) -> ShopResult<String> {
        let cart = self.store.get_cart(&owner.key()).await?.ok_or_else(|| {
            StoreError::CartLineNotFound {
                product_id: id.to_owned(),
            }
        })?;
        Ok(cart.line_named(id)?.variant_id.clone())
    }

    /// Sets where checkout delivers.
    pub async fn set_address(
        &self,
        owner: &CartOwner,
        address: &AddressInput,
    ) -> ShopResult<CartView> {
        let address = Address::parse(address, &self.rules.default_country, "delivery_address")
            .map_err(ShopError::Invalid)?;
        let cart = self
            .store
            .set_delivery_address(&owner.key(), &address, now())
            .await?;
        self.view_of(owner, &cart).await
    }
}

/// The variant a shopper adds: the one named, which the product must sell,
/// or a product's only variant when it has no options.
fn chosen_variant(product: &Product, variant_id: Option<&str>) -> Result<String, FieldErrors> {
    let field = "variant_id";
    match variant_id {
        Some(id) => match product.variant(id) {
            Some(v) if v.is_active() => Ok(v.id.clone()),
            Some(_) => Err(FieldErrors::single(
                field,
                ShopText::VariantNotSold.arg("text", id),
            )),
            None => Err(FieldErrors::single(
                field,
                ShopText::VariantUnknown.arg("text", crate::domain::truncate(id, 40)),
            )),
        },
        None => product
            .only_variant()
            .map(|v| v.id.clone())
            .ok_or_else(|| FieldErrors::single(field, ShopText::VariantRequired)),
    }
}
