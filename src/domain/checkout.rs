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
use super::payments::Payment;
use super::ports::{Checkout, LineRef, OrderUpdate, Placed, StoreError, StoreResult, Updated};
use super::pricing::{totals, PricedLine};
use super::shipping::{ShippingMethod, ShippingQuote};
use super::stats::{Counted, SalesDelta};
use super::tax::TaxTable;
use super::Timestamp;

/// How the shop prices an order beyond its catalog: taxes, and whether
/// prices include them; where an address without a country is.
#[derive(Debug, Clone, Default)]
pub struct CheckoutRules {
    /// Tax rates by country and class.
    pub taxes: TaxTable,
    /// Catalog prices include tax (EU shops) rather than getting it added.
    pub prices_include_tax: bool,
    /// The shop's own country: where one-line addresses are.
    pub default_country: String,
    /// The shipping method a checkout that names none gets, if it ships there.
    pub default_shipping: Option<String>,
}

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
    /// The shop's shipping methods, in their order.
    async fn shipping_methods(&mut self) -> StoreResult<Vec<ShippingMethod>>;
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
    /// Adds to the dashboard's rolled-up figures.
    async fn record_sales(&mut self, delta: &SalesDelta) -> StoreResult<()>;
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
    let methods = tx.shipping_methods().await?;
    let draft = build_order(&cart, &products, &methods, checkout)?;
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
    let number = tx.next_order_number().await?;
    let order = Order {
        number,
        email: checkout.email.clone(),
        payment: Payment::new(checkout.payment_method, number, Some(checkout.hold_until)),
        ..draft
    };
    tx.insert_order(&order, checkout.idempotency_key.as_deref())
        .await?;
    tx.record_sales(&SalesDelta::placed(&order)).await?;
    tx.delete_cart(&checkout.cart).await?;
    tx.queue_mail(&(checkout.mails)(&order)?).await?;
    Ok(Placed {
        order,
        replayed: false,
    })
}

/// The order (numbered 0 until it gets its number) a checkout makes from
/// `cart`, given each line's product as read inside the transaction and the
/// shop's shipping methods. Fails on an empty cart, a missing address or
/// product, short stock, or no shipping method for the address.
pub fn build_order(
    cart: &Cart,
    products: &[Option<Product>],
    methods: &[ShippingMethod],
    checkout: &Checkout,
) -> StoreResult<Order> {
    if cart.items.is_empty() {
        return Err(StoreError::CartEmpty);
    }
    let mut address = checkout
        .delivery_address
        .clone()
        .or_else(|| cart.delivery_address.clone())
        .ok_or(StoreError::NoDeliveryAddress)?;
    // One-line addresses saved before addresses had parts are in the shop's country.
    if address.country.is_empty() {
        address.country = checkout.rules.default_country.clone();
    }
    let mut items = Vec::with_capacity(cart.items.len());
    let mut priced = Vec::with_capacity(cart.items.len());
    let mut weight: i64 = 0;
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
            .ok_or_else(overflow)?;
        weight = product
            .weight_of(variant)
            .checked_mul(line.quantity)
            .and_then(|w| w.checked_add(weight))
            .ok_or_else(overflow)?;
        priced.push(PricedLine {
            amount: line_total,
            tax_class: product.tax_class,
        });
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
    let rules = &checkout.rules;
    let subtotal = priced
        .iter()
        .try_fold(0i64, |sum, l| sum.checked_add(l.amount))
        .ok_or_else(overflow)?;
    let shipping = choose_shipping(
        methods,
        checkout.shipping_method.as_deref(),
        rules.default_shipping.as_deref(),
        &address.country,
        subtotal,
        weight,
    )?;
    let sums = totals(
        &priced,
        shipping.price,
        &rules.taxes,
        &address.country,
        rules.prices_include_tax,
    )
    .map_err(|_| overflow())?;
    let at = checkout.at;
    Ok(Order {
        number: 0,
        email: cart.email.clone(),
        status: OrderStatus::AwaitingPayment,
        items,
        subtotal: sums.subtotal,
        shipping,
        taxes: sums.taxes,
        prices_include_tax: rules.prices_include_tax,
        total: sums.total,
        currency: checkout.currency.clone(),
        delivery_address: address,
        payment: Payment::new(checkout.payment_method, 0, None),
        tracking: None,
        locale: checkout.locale,
        created_at: at,
        history: vec![StatusChange {
            status: OrderStatus::AwaitingPayment,
            at,
            by: cart.email.clone(),
            note: String::new(),
        }],
    })
}

/// The shipping for a cart going to `country`: the method asked for if it
/// ships there; else the default if it does; else the first that does.
pub fn choose_shipping(
    methods: &[ShippingMethod],
    asked: Option<&str>,
    default: Option<&str>,
    country: &str,
    subtotal: i64,
    weight: i64,
) -> StoreResult<ShippingQuote> {
    let quote = |id: &str| {
        methods
            .iter()
            .find(|m| m.id == id)
            .and_then(|m| m.quote(country, subtotal, weight))
    };
    let chosen = match asked {
        Some(id) => quote(id),
        None => default.and_then(quote).or_else(|| {
            methods
                .iter()
                .find_map(|m| m.quote(country, subtotal, weight))
        }),
    };
    chosen.ok_or_else(|| StoreError::NoShipping {
        method: asked.map(str::to_owned),
        country: country.to_owned(),
    })
}

fn overflow() -> StoreError {
    StoreError::backend(anyhow::anyhow!("order amounts overflow"))
}

/// What an order update needs from a store, all inside one transaction.
#[allow(async_fn_in_trait)] // used generically, never as `dyn`
pub trait StatusTx {
    /// Records a webhook event as handled; false when it was before.
    async fn record_event(
        &mut self,
        event_id: &str,
        number: i64,
        at: Timestamp,
    ) -> StoreResult<bool>;
    /// The order as it is now.
    async fn order(&mut self, number: i64) -> StoreResult<Option<Order>>;
    /// Gives `quantity` units back to a variant and its product (a deleted
    /// product has nothing to restock; an archived variant takes them back).
    async fn put_back_stock(&mut self, line: LineRef<'_>, quantity: i64) -> StoreResult<()>;
    /// Stores the order's status, history, payment and tracking.
    async fn save_order(&mut self, order: &Order) -> StoreResult<()>;
    /// Queues mail in the outbox.
    async fn queue_mail(&mut self, mails: &[OutboxMail]) -> StoreResult<()>;
    /// Adds to the dashboard's rolled-up figures.
    async fn record_sales(&mut self, delta: &SalesDelta) -> StoreResult<()>;
}

/// Applies one change to an order: the event recorded once, the lifecycle's
/// rule applied, the stock put back when the rule says, the order saved and
/// its mail queued, all or nothing.
pub async fn update_order(tx: &mut impl StatusTx, update: &OrderUpdate) -> StoreResult<Updated> {
    let number = update.number;
    if let Some(event_id) = &update.event_id {
        if !tx.record_event(event_id, number, update.at).await? {
            return Err(StoreError::EventSeen {
                event_id: event_id.clone(),
            });
        }
    }
    let mut order = tx
        .order(number)
        .await?
        .ok_or(StoreError::OrderNotFound { number })?;
    let counted = Counted::of(&order);
    let effects = order.apply(&update.action, &update.by, update.at)?;
    if !effects.changed {
        return Ok(Updated {
            order,
            changed: false,
        });
    }
    if effects.stock_back {
        for item in &order.items {
            tx.put_back_stock(item.line(), item.quantity).await?;
        }
    }
    tx.save_order(&order).await?;
    tx.record_sales(&SalesDelta::updated(&counted, &order))
        .await?;
    if let Some(kind) = effects.mail {
        tx.queue_mail(&(update.mails)(&order, kind)?).await?;
    }
    Ok(Updated {
        order,
        changed: true,
    })
}
