use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::catalog;
use super::{address_column, address_from_column, ms, ts, SqliteStore};
use crate::domain::address::Address;
use crate::domain::cart::lines;
use crate::domain::cart::{Cart, CartLine};
use crate::domain::Timestamp;
use crate::store::{CartStore, LineRef, StoreResult};

#[derive(Serialize, Deserialize)]
struct StoredLine {
    product_id: String,
    variant_id: String,
    quantity: i64,
    added_at: i64,
}

pub(super) fn load(c: &Connection, email: &str) -> StoreResult<Option<Cart>> {
    let row = c
        .prepare_cached(
            "SELECT items, delivery_address, created_at, updated_at FROM cart WHERE email = ?1",
        )?
        .query_row([email], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })
        .optional()?;
    let Some((items, delivery_address, created_at, updated_at)) = row else {
        return Ok(None);
    };
    let lines: Vec<StoredLine> = serde_json::from_str(&items)?;
    Ok(Some(Cart {
        email: email.to_owned(),
        items: lines
            .into_iter()
            .map(|l| CartLine {
                product_id: l.product_id,
                variant_id: l.variant_id,
                quantity: l.quantity,
                added_at: ts(l.added_at),
            })
            .collect(),
        delivery_address: delivery_address
            .as_deref()
            .map(address_from_column)
            .transpose()?,
        created_at: ts(created_at),
        updated_at: ts(updated_at),
    }))
}

fn save(c: &Connection, cart: &Cart) -> StoreResult<()> {
    let lines: Vec<StoredLine> = cart
        .items
        .iter()
        .map(|l| StoredLine {
            product_id: l.product_id.clone(),
            variant_id: l.variant_id.clone(),
            quantity: l.quantity,
            added_at: ms(l.added_at),
        })
        .collect();
    c.prepare_cached(
        "INSERT INTO cart (email, items, delivery_address, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (email) DO UPDATE SET items = excluded.items,
           delivery_address = excluded.delivery_address, updated_at = excluded.updated_at",
    )?
    .execute(params![
        cart.email,
        serde_json::to_string(&lines)?,
        cart.delivery_address
            .as_ref()
            .map(address_column)
            .transpose()?,
        ms(cart.created_at),
        ms(cart.updated_at)
    ])?;
    Ok(())
}

impl SqliteStore {
    /// Every cart write: load the cart, apply one rule, save, in one transaction.
    async fn change_cart<F>(&self, email: &str, change: F) -> StoreResult<Cart>
    where
        F: FnOnce(&Connection, &str, Option<Cart>) -> StoreResult<Cart> + Send + 'static,
    {
        let email = email.to_owned();
        self.write(move |tx| {
            let cart = change(tx, &email, load(tx, &email)?)?;
            save(tx, &cart)?;
            Ok(cart)
        })
        .await
    }
}

#[async_trait]
impl CartStore for SqliteStore {
    async fn get_cart(&self, email: &str) -> StoreResult<Option<Cart>> {
        let email = email.to_owned();
        self.run(move |c| load(c, &email)).await
    }

    async fn add_to_cart(
        &self,
        email: &str,
        line: LineRef<'_>,
        quantity: i64,
        at: Timestamp,
    ) -> StoreResult<Cart> {
        let (product_id, variant_id) = (line.product_id.to_owned(), line.variant_id.to_owned());
        self.change_cart(email, move |tx, email, cart| {
            let product = catalog::get(tx, &product_id)?;
            let line = (product_id.as_str(), variant_id.as_str());
            lines::add_line(cart, email, line, product.as_ref(), quantity, at)
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
        let variant_id = variant_id.to_owned();
        self.change_cart(email, move |tx, _, cart| {
            let product_id = cart.as_ref().and_then(|c| c.product_of(&variant_id));
            let product = match product_id {
                Some(id) => catalog::get(tx, id)?,
                None => None,
            };
            lines::set_line(cart, &variant_id, product.as_ref(), quantity, at)
        })
        .await
    }

    async fn remove_from_cart(
        &self,
        email: &str,
        variant_id: &str,
        at: Timestamp,
    ) -> StoreResult<Cart> {
        let variant_id = variant_id.to_owned();
        self.change_cart(email, move |_, _, cart| {
            lines::set_line(cart, &variant_id, None, 0, at)
        })
        .await
    }

    async fn set_delivery_address(
        &self,
        email: &str,
        address: &Address,
        at: Timestamp,
    ) -> StoreResult<Cart> {
        let address = address.clone();
        self.change_cart(email, move |_, email, cart| {
            Ok(lines::set_address(cart, email, &address, at))
        })
        .await
    }

    async fn merge_carts(
        &self,
        guest: &str,
        into: &str,
        at: Timestamp,
    ) -> StoreResult<Option<Cart>> {
        let (guest, into) = (guest.to_owned(), into.to_owned());
        self.write(move |tx| {
            let Some(guest_cart) = load(tx, &guest)? else {
                return Ok(None);
            };
            let mut products = Vec::new();
            for id in guest_cart.product_ids() {
                products.extend(catalog::get(tx, &id)?);
            }
            let merged = lines::merge(load(tx, &into)?, &into, guest_cart, &products, at);
            save(tx, &merged)?;
            tx.prepare_cached("DELETE FROM cart WHERE email = ?1")?
                .execute([&guest])?;
            Ok(Some(merged))
        })
        .await
    }
}
