//! How cart lines change: the rules both backends apply inside their
//! transactions, written once.

use super::{Cart, CartLine, MAX_LINES};
use crate::domain::catalog::Product;
use crate::domain::ports::{StoreError, StoreResult};
use crate::domain::Timestamp;

fn empty_cart(email: &str, at: Timestamp) -> Cart {
    Cart {
        email: email.to_owned(),
        items: Vec::new(),
        delivery_address: None,
        created_at: at,
        updated_at: at,
    }
}

pub(crate) fn check_stock(product: &Product, quantity: i64) -> StoreResult<()> {
    if quantity > product.stock {
        return Err(StoreError::InsufficientStock {
            product_id: product.id.clone(),
            available: product.stock,
            requested: quantity,
        });
    }
    Ok(())
}

/// The cart after adding `quantity` of `product` (or raising its line).
pub fn add_line(
    cart: Option<Cart>,
    email: &str,
    product_id: &str,
    product: Option<&Product>,
    quantity: i64,
    at: Timestamp,
) -> StoreResult<Cart> {
    let product = product.ok_or_else(|| StoreError::ProductNotFound {
        product_id: product_id.to_owned(),
    })?;
    let mut cart = cart.unwrap_or_else(|| empty_cart(email, at));
    match cart.items.iter_mut().find(|l| l.product_id == product.id) {
        Some(line) => {
            let wanted = line.quantity.saturating_add(quantity);
            check_stock(product, wanted)?;
            line.quantity = wanted;
        }
        None => {
            check_stock(product, quantity)?;
            if cart.items.len() >= MAX_LINES {
                return Err(StoreError::CartFull { max: MAX_LINES });
            }
            cart.items.push(CartLine {
                product_id: product.id.clone(),
                quantity,
                added_at: at,
            });
        }
    }
    cart.updated_at = at;
    Ok(cart)
}

/// The cart after setting the line for `product_id` to `quantity` (0 removes).
/// A deleted product's line can still be removed.
pub fn set_line(
    cart: Option<Cart>,
    product_id: &str,
    product: Option<&Product>,
    quantity: i64,
    at: Timestamp,
) -> StoreResult<Cart> {
    let not_in_cart = || StoreError::CartLineNotFound {
        product_id: product_id.to_owned(),
    };
    let mut cart = cart.ok_or_else(not_in_cart)?;
    let index = cart
        .items
        .iter()
        .position(|l| l.product_id == product_id)
        .ok_or_else(not_in_cart)?;
    if quantity == 0 {
        cart.items.remove(index);
    } else {
        let product = product.ok_or_else(|| StoreError::ProductNotFound {
            product_id: product_id.to_owned(),
        })?;
        check_stock(product, quantity)?;
        cart.items[index].quantity = quantity;
    }
    cart.updated_at = at;
    Ok(cart)
}

/// The cart (a new one when there is none) with its delivery address set.
pub fn set_address(cart: Option<Cart>, email: &str, address: &str, at: Timestamp) -> Cart {
    let mut cart = cart.unwrap_or_else(|| empty_cart(email, at));
    cart.delivery_address = Some(address.to_owned());
    cart.updated_at = at;
    cart
}
