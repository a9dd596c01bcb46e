//! Checkout and order status changes: the order of their steps, written once.
//! A backend supplies only the atomic primitives ([`CheckoutTx`],
//! [`StatusTx`]) inside one transaction of its own; if any step fails the
//! transaction rolls back, so a refused checkout takes no stock and burns no
//! order number on either store.

use super::cart::lines::{check_stock, sold_variant};
use super::cart::Cart;
use super::catalog::Product;
use super::mail::OutboxMail;
use super::orders::{Order, OrderItem, OrderStatus, StatusChange};
use super::ports::{Checkout, LineRef, Placed, StoreError, StoreResult};
use super::Timestamp;

/// First order number; later ones count up from here.
pub const FIRST_ORDER_NUMBER: i64 = 1001;

/// What a checkout needs from a store, all inside one transaction.
#[allow(async_fn_in_trait)] // used generically, never as `dyn`: Send-ness is the impl's
pub trait CheckoutTx {
    /// The order this customer placed earlier with this idempotency key.
    async fn order_for_key(&mut self, email: &str, key: &str) -> StoreResult<Option<Order>>;
    /// The customer's cart.
    async fn cart(&mut self, email: &str) -> StoreResult<Option<Cart>>;
    /// One product as it is now (`None` once deleted).
    async fn product(&mut self, id: &str) -> StoreResult<Option<Product>>;
    /// Takes `quantity` units of a variant's stock (and so its product's) if
    /// that many are left and it is sold; `false` (nothing taken) otherwise.
    /// Conditional in the store itself, so no stale read can oversell.
    async fn take_stock(&mut self, line: LineRef<'_>, quantity: i64) -> StoreResult<bool>;
    /// The next order number (given back by a rollback).
    async fn next_order_number(&mut self) -> StoreResult<i64>;
    /// Stores the new order under its idempotency key.
    async fn insert_order(&mut self, order: &Order, key: Option<&str>) -> StoreResult<()>;
    /// Empties the customer's cart.
    async fn delete_cart(&mut self, email: &str) -> StoreResult<()>;
    /// Queues mail in the outbox.
    async fn queue_mail(&mut self, mails: &[OutboxMail]) -> StoreResult<()>;
}

/// The whole checkout: a replayed key answers its first order; otherwise
/// re-read the cart and its products, check them, take the stock, number the
/// order, snapshot the prices, empty the cart and queue the mail.
pub async fn place_order(tx: &mut impl CheckoutTx, checkout: &Checkout) -> StoreResult<Placed> {
    if let Some(key) = &checkout.idempotency_key {
        if let Some(order) = tx.order_for_key(&checkout.email, key).await? {
            return Ok(Placed {
                order,
                replayed: true,
            });
        }
    }
    let cart = tx
        .cart(&checkout.cart)
        .await?
        .ok_or(StoreError::CartEmpty)?;
    let mut products = Vec::with_capacity(cart.items.len());
    for line in &cart.items {
        products.push(tx.product(&line.product_id).await?);
    }
    let draft = build_order(
        &cart,
        &products,
        checkout.delivery_address.clone(),
        &checkout.currency,
        checkout.at,
    )?;
    for item in &draft.items {
        if !tx.take_stock(item.line(), item.quantity).await? {
            return Err(StoreError::InsufficientStock {
                product_id: item.product_id.clone(),
                variant_id: item.variant_id.clone(),
                available: 0,
                requested: item.quantity,
            });
        }
    }
    let order = Order {
        number: tx.next_order_number().await?,
        email: checkout.email.clone(),
        ..draft
    };
    tx.insert_order(&order, checkout.idempotency_key.as_deref())
        .await?;
    tx.delete_cart(&checkout.cart).await?;
    tx.queue_mail(&(checkout.mails)(&order)?).await?;
    Ok(Placed {
        order,
        replayed: false,
    })
}

/// The order (numbered 0 until it gets its number) a checkout makes from
/// `cart`, given each line's product as read inside the transaction. Fails on
/// an empty cart, a missing address or product, or short stock.
pub fn build_order(
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
        let variant = sold_variant(product, &line.variant_id)?;
        check_stock(product, variant, line.quantity)?;
        let line_total = variant
            .price
            .checked_mul(line.quantity)
            .ok_or_else(|| StoreError::backend(anyhow::anyhow!("line total overflows")))?;
        total = total
            .checked_add(line_total)
            .ok_or_else(|| StoreError::backend(anyhow::anyhow!("order total overflows")))?;
        items.push(OrderItem {
            product_id: product.id.clone(),
            variant_id: variant.id.clone(),
            sku: variant.sku.clone(),
            variant: product.variant_title(variant),
            options: variant.options.clone(),
            name: product.name.clone(),
            description: product.description.clone(),
            unit_price: variant.price,
            quantity: line.quantity,
            line_total,
        });
    }
    Ok(Order {
        number: 0,
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

/// What a status change needs from a store, all inside one transaction.
#[allow(async_fn_in_trait)] // used generically, never as `dyn`
pub trait StatusTx {
    /// The order as it is now.
    async fn order(&mut self, number: i64) -> StoreResult<Option<Order>>;
    /// Gives `quantity` units back to a variant and its product (a deleted
    /// product has nothing to restock; an archived variant takes them back).
    async fn put_back_stock(&mut self, line: LineRef<'_>, quantity: i64) -> StoreResult<()>;
    /// Stores the order's new status and history.
    async fn save_status(&mut self, order: &Order) -> StoreResult<()>;
}

/// Moves an order along its lifecycle; a cancellation puts its stock back.
pub async fn change_order_status(
    tx: &mut impl StatusTx,
    number: i64,
    status: OrderStatus,
    by: &str,
    at: Timestamp,
) -> StoreResult<Order> {
    let mut order = tx
        .order(number)
        .await?
        .ok_or(StoreError::OrderNotFound { number })?;
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
    if status == OrderStatus::Cancelled {
        for item in &order.items {
            tx.put_back_stock(item.line(), item.quantity).await?;
        }
    }
    tx.save_status(&order).await?;
    Ok(order)
}
