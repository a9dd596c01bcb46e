//! Rules both backends apply inside their transactions, written once.

use super::{StoreError, StoreResult};
use crate::domain::cart::{Cart, CartLine, MAX_LINES};
use crate::domain::catalog::Product;
use crate::domain::orders::{Order, OrderItem, OrderStatus, StatusChange};
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

fn check_stock(product: &Product, quantity: i64) -> StoreResult<()> {
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

pub fn set_address(cart: Option<Cart>, email: &str, address: &str, at: Timestamp) -> Cart {
    let mut cart = cart.unwrap_or_else(|| empty_cart(email, at));
    cart.delivery_address = Some(address.to_owned());
    cart.updated_at = at;
    cart
}

/// The order a checkout makes from `cart`, given each line's product as read
/// inside the transaction. Fails (and so rolls back) on any missing product or
/// short stock; the caller decrements stock conditionally as well.
pub fn build_order(
    number: i64,
    cart: &Cart,
    products: &[Option<Product>],
    address: Option<String>,
    currency: &str,
    at: Timestamp,
) -> StoreResult<Order> {
    if cart.items.is_empty() {
        return Err(StoreError::CartEmpty);
    }
    let address = address
        .or_else(|| cart.delivery_address.clone())
        .ok_or(StoreError::NoDeliveryAddress)?;
    let mut items = Vec::with_capacity(cart.items.len());
    let mut total: i64 = 0;
    for (line, product) in cart.items.iter().zip(products) {
        let product = product
            .as_ref()
            .ok_or_else(|| StoreError::ProductNotFound {
                product_id: line.product_id.clone(),
            })?;
        check_stock(product, line.quantity)?;
        let line_total = product
            .price
            .checked_mul(line.quantity)
            .ok_or_else(|| StoreError::backend(anyhow::anyhow!("line total overflows")))?;
        total = total
            .checked_add(line_total)
            .ok_or_else(|| StoreError::backend(anyhow::anyhow!("order total overflows")))?;
        items.push(OrderItem {
            product_id: product.id.clone(),
            name: product.name.clone(),
            description: product.description.clone(),
            unit_price: product.price,
            quantity: line.quantity,
            line_total,
        });
    }
    Ok(Order {
        number,
        email: cart.email.clone(),
        status: OrderStatus::Placed,
        items,
        total,
        currency: currency.to_owned(),
        delivery_address: address,
        created_at: at,
        history: vec![StatusChange {
            status: OrderStatus::Placed,
            at,
            by: cart.email.clone(),
        }],
    })
}

/// Applies a status change to `order`, or refuses an invalid transition.
pub fn change_status(
    order: &mut Order,
    status: OrderStatus,
    by: &str,
    at: Timestamp,
) -> StoreResult<()> {
    if !order.status.can_become(status) {
        return Err(StoreError::InvalidTransition {
            from: order.status,
            to: status,
        });
    }
    order.status = status;
    order.history.push(StatusChange {
        status,
        at,
        by: by.to_owned(),
    });
    Ok(())
}

/// First order number; later ones count up from here.
pub const FIRST_ORDER_NUMBER: i64 = 1001;
