//! Orders: what was bought, at which price, and where it is in its lifecycle.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::accounts::Identity;
use super::cart::{check_address, CartOwner};
use super::error::ShopResult;
use super::mail::compose;
use super::message::ShopText;
use super::order_links::OrderLinks;
use super::ports::{Checkout, Placed, ShopEvents, Store, StoreError};
use super::validation::{email_field, FieldErrors};
use super::{now, Page, Timestamp};
use crate::i18n::Locale;

/// Where an order is in its lifecycle (see [`OrderStatus::can_become`]).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum OrderStatus {
    /// Checked out: its stock is taken, it is not paid yet.
    Placed,
    /// Payment received.
    Paid,
    /// Handed over for delivery.
    Shipped,
    /// Received by the customer; final.
    Delivered,
    /// Called off before shipping, its stock put back; final.
    Cancelled,
}

impl OrderStatus {
    /// The name used in JSON and in the store.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The status with this name (as [`OrderStatus::as_str`] spells it), if any.
    pub fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }

    /// The lifecycle: placed → paid → shipped → delivered; placed|paid → cancelled.
    pub fn can_become(self, next: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, next),
            (Placed, Paid)
                | (Paid, Shipped)
                | (Shipped, Delivered)
                | (Placed, Cancelled)
                | (Paid, Cancelled)
        )
    }

    /// Statuses reachable from this one.
    pub fn next_statuses(self) -> Vec<OrderStatus> {
        <Self as strum::VariantArray>::VARIANTS
            .iter()
            .copied()
            .filter(|s| self.can_become(*s))
            .collect()
    }
}

/// The seed's `orders` collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Order {
    /// Sequential, human-readable order number.
    pub number: i64,
    /// The customer who placed it.
    pub email: String,
    /// Where the order is in its lifecycle.
    pub status: OrderStatus,
    /// What was bought, one item per cart line.
    pub items: Vec<OrderItem>,
    /// Sum of the line totals, minor units.
    pub total: i64,
    /// ISO 4217 code of every amount in the order.
    pub currency: String,
    /// Where the order goes.
    pub delivery_address: String,
    /// When it was placed.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Every status it has had, oldest first, starting with `placed`.
    pub history: Vec<StatusChange>,
}

/// One line of an order, with the product as it was when bought.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrderItem {
    /// The product bought (it may have been deleted since).
    pub product_id: String,
    /// The variant bought (it may have been archived since).
    pub variant_id: String,
    /// The variant's SKU at the time of purchase (empty for orders placed
    /// before variants existed).
    #[serde(default)]
    pub sku: String,
    /// The variant's option values at the time of purchase, e.g. `M / blue`;
    /// empty for a product without options.
    #[serde(default)]
    pub variant: String,
    /// The same values by option name.
    #[serde(default)]
    pub options: std::collections::BTreeMap<String, String>,
    /// The product's name at the time of purchase.
    pub name: String,
    /// The product's description at the time of purchase.
    pub description: String,
    /// Price at the time of purchase, minor units.
    pub unit_price: i64,
    /// Units bought.
    pub quantity: i64,
    /// `unit_price` × `quantity`, minor units.
    pub line_total: i64,
}

impl OrderItem {
    /// The variant, as the store's stock operations name it.
    pub fn line(&self) -> crate::domain::ports::LineRef<'_> {
        crate::domain::ports::LineRef {
            product_id: &self.product_id,
            variant_id: &self.variant_id,
        }
    }
}

/// One step of an order's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StatusChange {
    /// The status the order took.
    pub status: OrderStatus,
    /// When it took it.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// Email of who made the change.
    pub by: String,
}

/// The optional body of `POST /orders`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutInput {
    /// Overrides the cart's delivery address.
    #[serde(default)]
    pub delivery_address: Option<String>,
    /// Guests only (no session): where the confirmation, with a link to the
    /// order, goes. Required without an account; refused with one.
    #[serde(default)]
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
}

/// Who is checking out.
#[derive(Debug, Clone, Copy)]
pub enum Buyer<'a> {
    /// A logged-in customer: their cart, their email.
    Customer(&'a Identity),
    /// A guest: the cart their cookie names, and the email they gave.
    Guest {
        /// The guest's cart ([`CartOwner::Guest`]).
        cart: &'a CartOwner,
        /// The email they typed (checked here).
        email: Option<&'a str>,
    },
}

/// The body of `PUT /orders/{number}/status`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusInput {
    /// The status to move the order to.
    pub status: OrderStatus,
}

/// Which orders a listing shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    /// Only this customer's orders.
    pub email: Option<String>,
    /// Only orders in this status.
    pub status: Option<OrderStatus>,
}

/// A client's key that makes a retried checkout return the first order
/// instead of placing another: 1-200 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The key in `text` (trimmed), if it is one.
    pub fn parse(text: &str) -> Option<Self> {
        let key = text.trim();
        let visible = key.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
        (!key.is_empty() && key.len() <= 200 && visible).then(|| Self(key.to_owned()))
    }

    /// The key itself.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which orders a caller asked to see (admins may narrow by customer).
#[derive(Debug, Clone, Default)]
pub struct OrderQuery {
    /// Only this status.
    pub status: Option<OrderStatus>,
    /// Only this customer (admins; ignored for customers).
    pub email: Option<String>,
}

/// Checkout and the order lifecycle over the store.
pub struct Orders {
    store: Arc<dyn Store>,
    events: Arc<dyn ShopEvents>,
    currency: String,
    notify: String,
    links: Arc<OrderLinks>,
}

impl Orders {
    /// Order operations on `store` in `currency`; order mails are copied to
    /// `notify`; guests' orders open with `links`.
    pub fn new(
        store: Arc<dyn Store>,
        events: Arc<dyn ShopEvents>,
        currency: &str,
        notify: &str,
        links: OrderLinks,
    ) -> Self {
        Self {
            store,
            events,
            currency: currency.to_owned(),
            notify: notify.to_owned(),
            links: Arc::new(links),
        }
    }

    /// The path, signed, that opens `order` without a session.
    pub fn link_path(&self, order: &Order) -> String {
        self.links.path(order)
    }

    /// Turns the caller's cart into an order, in one store transaction, with
    /// its mails queued; a replayed key answers the first order.
    /// The confirmation speaks `locale`, the language the order was placed in.
    pub async fn checkout(
        &self,
        buyer: Buyer<'_>,
        delivery_address: Option<String>,
        key: Option<IdempotencyKey>,
        locale: Locale,
    ) -> ShopResult<Placed> {
        let address = delivery_address.as_deref().map(check_address).transpose()?;
        let notify = self.notify.clone();
        let (cart, email, name, links, locale) = match buyer {
            Buyer::Customer(who) => (
                who.user.email.clone(),
                who.user.email.clone(),
                who.user.name.clone(),
                None,
                // The account's language if they picked one.
                who.user.locale.unwrap_or(locale),
            ),
            Buyer::Guest { cart, email } => {
                let mut errors = FieldErrors::default();
                let email = match email {
                    Some(text) => email_field(&mut errors, "email", text),
                    None => {
                        errors.add("email", ShopText::GuestEmailMissing);
                        String::new()
                    }
                };
                let email = errors.into_result(email)?;
                (
                    cart.key(),
                    email.clone(),
                    email,
                    Some(self.links.clone()),
                    locale,
                )
            }
        };
        // A guest's key is theirs alone: scoped by their cart, so it can never
        // replay a customer's order that used the same key and email.
        let idempotency_key = key.map(|k| match buyer {
            Buyer::Customer(_) => k.0,
            Buyer::Guest { .. } => format!("{cart} {}", k.0),
        });
        let placed = self
            .store
            .place_order(Checkout {
                cart,
                email,
                delivery_address: address,
                idempotency_key,
                currency: self.currency.clone(),
                at: now(),
                mails: Arc::new(move |order| {
                    let link = links.as_ref().map(|l| l.link(order));
                    compose::order(order, &name, &notify, link.as_deref(), locale)
                }),
            })
            .await?;
        if !placed.replayed {
            self.events.mail_queued();
            tracing::info!(
                order = placed.order.number,
                total = placed.order.total,
                "order placed"
            );
        }
        Ok(placed)
    }

    /// The caller's orders, newest first; an admin sees everyone's. Returns
    /// the page, the total, and the filter that applied.
    pub async fn list(
        &self,
        who: &Identity,
        query: OrderQuery,
        page: Page,
    ) -> ShopResult<(Vec<Order>, u64, OrderFilter)> {
        let email = if who.is_admin() {
            query
                .email
                .filter(|e| !e.is_empty())
                .map(|e| e.trim().to_ascii_lowercase())
        } else {
            Some(who.user.email.clone())
        };
        let filter = OrderFilter {
            email,
            status: query.status,
        };
        let (orders, total) = self.store.list_orders(&filter, page).await?;
        Ok((orders, total, filter))
    }

    /// One order: the caller's own, or any for an admin; anyone else's is
    /// "not found", so order numbers cannot be probed.
    pub async fn get(&self, who: &Identity, number: i64) -> ShopResult<Order> {
        Ok(self
            .store
            .get_order(number)
            .await?
            .filter(|o| who.is_admin() || o.email == who.user.email)
            .ok_or(StoreError::OrderNotFound { number })?)
    }

    /// The order a signed link opens; a wrong token is as good as no order.
    pub async fn get_by_link(&self, number: i64, token: &str) -> ShopResult<Order> {
        Ok(self
            .store
            .get_order(number)
            .await?
            .filter(|o| self.links.opens(o, token))
            .ok_or(StoreError::OrderNotFound { number })?)
    }

    /// Moves an order along its lifecycle, recording the admin who did.
    pub async fn set_status(
        &self,
        admin: &Identity,
        number: i64,
        status: OrderStatus,
    ) -> ShopResult<Order> {
        Ok(self
            .store
            .set_order_status(number, status, &admin.user.email, now())
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::*;

    #[test]
    fn lifecycle() {
        assert!(Placed.can_become(Paid));
        assert!(Paid.can_become(Cancelled));
        assert!(!Shipped.can_become(Cancelled));
        assert!(!Delivered.can_become(Placed));
        assert!(!Placed.can_become(Shipped));
        assert_eq!(Placed.next_statuses(), vec![Paid, Cancelled]);
    }
}
