use async_trait::async_trait;
use mongodb::bson::{doc, DateTime};
use mongodb::{ClientSession, Collection};
use serde::{Deserialize, Serialize};

use super::{bson_time, race_on_duplicate, time, MongoStore, StoredAddress};
use crate::domain::address::Address;
use crate::domain::cart::lines;
use crate::domain::cart::{Cart, CartLine};
use crate::domain::Timestamp;
use crate::store::{CartStore, LineRef, StoreResult};

/// A `cart` document; `_id` is the customer's email (one cart each), kept
/// as `email` too so the document reads as the seed describes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct CartDoc {
    #[serde(rename = "_id")]
    id: String,
    email: String,
    items: Vec<LineDoc>,
    delivery_address: Option<StoredAddress>,
    created_at: DateTime,
    updated_at: DateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct LineDoc {
    product_id: String,
    variant_id: String,
    quantity: i64,
    added_at: DateTime,
}

impl From<&Cart> for CartDoc {
    fn from(c: &Cart) -> Self {
        Self {
            id: c.email.clone(),
            email: c.email.clone(),
            items: c
                .items
                .iter()
                .map(|l| LineDoc {
                    product_id: l.product_id.clone(),
                    variant_id: l.variant_id.clone(),
                    quantity: l.quantity,
                    added_at: bson_time(l.added_at),
                })
                .collect(),
            delivery_address: c.delivery_address.clone().map(StoredAddress),
            created_at: bson_time(c.created_at),
            updated_at: bson_time(c.updated_at),
        }
    }
}

impl From<CartDoc> for Cart {
    fn from(d: CartDoc) -> Self {
        Self {
            email: d.email,
            items: d
                .items
                .into_iter()
                .map(|l| CartLine {
                    product_id: l.product_id,
                    variant_id: l.variant_id,
                    quantity: l.quantity,
                    added_at: time(l.added_at),
                })
                .collect(),
            delivery_address: d.delivery_address.map(|a| a.0),
            created_at: time(d.created_at),
            updated_at: time(d.updated_at),
        }
    }
}

/// What one cart change needs, passed into its transaction.
struct Change<'a> {
    email: &'a str,
    /// The product, where the change knows it (an add).
    product_id: &'a str,
    variant_id: &'a str,
    quantity: i64,
    at: Timestamp,
}

impl MongoStore {
    pub(super) fn carts(&self) -> Collection<CartDoc> {
        self.coll("cart")
    }

    /// Reads a cart inside a transaction.
    pub(super) async fn cart_in(
        &self,
        s: &mut ClientSession,
        email: &str,
    ) -> StoreResult<Option<Cart>> {
        Ok(self
            .carts()
            .find_one(doc! { "_id": email })
            .session(s)
            .await?
            .map(Cart::from))
    }

    /// Writes the whole cart inside a transaction (created on first write).
    async fn save_cart(&self, s: &mut ClientSession, cart: &Cart) -> StoreResult<()> {
        self.carts()
            .replace_one(doc! { "_id": &cart.email }, CartDoc::from(cart))
            .upsert(true)
            .session(s)
            .await
            .map_err(race_on_duplicate)?;
        Ok(())
    }
}

#[async_trait]
impl CartStore for MongoStore {
    async fn get_cart(&self, email: &str) -> StoreResult<Option<Cart>> {
        Ok(self
            .carts()
            .find_one(doc! { "_id": email })
            .await?
            .map(Cart::from))
    }

    async fn add_to_cart(
        &self,
        email: &str,
        line: LineRef<'_>,
        quantity: i64,
        at: Timestamp,
    ) -> StoreResult<Cart> {
        let ctx = Change {
            email,
            product_id: line.product_id,
            variant_id: line.variant_id,
            quantity,
            at,
        };
        self.transact(&ctx, |store, s, c| {
            Box::pin(async move {
                let product = store.product_in(s, c.product_id).await?;
                let cart = store.cart_in(s, c.email).await?;
                let cart = lines::add_line(
                    cart,
                    c.email,
                    (c.product_id, c.variant_id),
                    product.as_ref(),
                    c.quantity,
                    c.at,
                )?;
                store.save_cart(s, &cart).await?;
                Ok(cart)
            })
        })
        .await
    }

    async fn set_cart_quantity(
        &self,
        email: &str,
        variant_id: &str,
        quantity: i64,
        at: Timestamp,
    ) -> StoreResult<Cart> {
        let ctx = Change {
            email,
            product_id: "",
            variant_id,
            quantity,
            at,
        };
        self.transact(&ctx, |store, s, c| {
            Box::pin(async move {
                let cart = store.cart_in(s, c.email).await?;
                let product = match cart.as_ref().and_then(|cart| cart.product_of(c.variant_id)) {
                    Some(id) => store.product_in(s, id).await?,
                    None => None,
                };
                let cart = lines::set_line(cart, c.variant_id, product.as_ref(), c.quantity, c.at)?;
                store.save_cart(s, &cart).await?;
                Ok(cart)
            })
        })
        .await
    }

    async fn remove_from_cart(
        &self,
        email: &str,
        variant_id: &str,
        at: Timestamp,
    ) -> StoreResult<Cart> {
        let ctx = Change {
            email,
            product_id: "",
            variant_id,
            quantity: 0,
            at,
        };
        self.transact(&ctx, |store, s, c| {
            Box::pin(async move {
                let cart = store.cart_in(s, c.email).await?;
                let cart = lines::set_line(cart, c.variant_id, None, 0, c.at)?;
                store.save_cart(s, &cart).await?;
                Ok(cart)
            })
        })
        .await
    }

    async fn set_delivery_address(
        &self,
        email: &str,
        address: &Address,
        at: Timestamp,
    ) -> StoreResult<Cart> {
        let ctx = (email, address, at);
        self.transact(&ctx, |store, s, (email, address, at)| {
            Box::pin(async move {
                let cart = store.cart_in(s, email).await?;
                let cart = lines::set_address(cart, email, address, *at);
                store.save_cart(s, &cart).await?;
                Ok(cart)
            })
        })
        .await
    }

    async fn merge_carts(
        &self,
        guest: &str,
        into: &str,
        at: Timestamp,
    ) -> StoreResult<Option<Cart>> {
        let ctx = (guest, into, at);
        self.transact(&ctx, |store, s, (guest, into, at)| {
            Box::pin(async move {
                let Some(guest_cart) = store.cart_in(s, guest).await? else {
                    return Ok(None);
                };
                let mut products = Vec::new();
                for id in guest_cart.product_ids() {
                    products.extend(store.product_in(s, &id).await?);
                }
                let mine = store.cart_in(s, into).await?;
                let merged = lines::merge(mine, into, guest_cart, &products, *at);
                store.save_cart(s, &merged).await?;
                store
                    .carts()
                    .delete_one(doc! { "_id": *guest })
                    .session(&mut *s)
                    .await?;
                Ok(Some(merged))
            })
        })
        .await
    }
}
