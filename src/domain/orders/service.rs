//! Checkout and the order lifecycle over the store and the card gateway.

use std::sync::Arc;

use super::{
    Buyer, CheckoutInput, IdempotencyKey, Order, OrderAction, OrderFilter, OrderMailKind,
    OrderQuery, OrderStatus, RefundInput, StatusInput,
};
use crate::domain::accounts::{Identity, Permission};
use crate::domain::address::Address;
use crate::domain::audit;
use crate::domain::card_payments::{
    CardPayments, GatewayError, IntentRequest, PaymentEvent, PaymentEventKind,
};
use crate::domain::checkout::CheckoutRules;
use crate::domain::error::{ShopError, ShopResult};
use crate::domain::mail::compose::{self, OrderMailContext};
use crate::domain::message::{MessageId, ShopText};
use crate::domain::order_links::OrderLinks;
use crate::domain::payments::{BankDetails, PaymentMethod, Refund, Tracking};
use crate::domain::ports::{
    Checkout, OrderMailer, OrderUpdate, Placed, ShopEvents, Store, StoreError, Updated,
};
use crate::domain::validation::{email_field, text_field, FieldErrors};
use crate::domain::{new_id, now, Page, Timestamp};
use crate::i18n::Locale;

/// Who the shop's own timers and Stripe's webhook act as in order histories.
const SHOP: &str = "shop";
const STRIPE: &str = "stripe";

/// What orders need from the shop's configuration.
#[derive(Debug, Clone)]
pub struct OrderSettings {
    /// ISO 4217 code of every price.
    pub currency: String,
    /// Gets a copy of every order mail (none when empty).
    pub notify: String,
    /// Taxes, shipping defaults, the shop's country.
    pub rules: Arc<CheckoutRules>,
    /// The payment methods offered, in the order checkout lists them.
    pub methods: Vec<PaymentMethod>,
    /// What a checkout that names no method pays with.
    pub default_method: PaymentMethod,
    /// How long an unpaid card order holds its stock.
    pub hold_for: time::Duration,
    /// Where bank transfers go (in the order mail).
    pub bank: BankDetails,
}

/// What a verified card webhook event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventOutcome {
    /// It changed the order.
    Applied,
    /// It was handled before, or changed nothing.
    Unchanged,
    /// It names no order of this shop, or is of a kind the shop ignores.
    Ignored,
}

/// Checkout and the order lifecycle.
pub struct Orders {
    store: Arc<dyn Store>,
    events: Arc<dyn ShopEvents>,
    settings: OrderSettings,
    links: Arc<OrderLinks>,
    cards: Option<Arc<dyn CardPayments>>,
}

impl Orders {
    /// Order operations on `store`; guests' orders open with `links`; card
    /// payments go through `cards` (when the shop takes them).
    pub fn new(
        store: Arc<dyn Store>,
        events: Arc<dyn ShopEvents>,
        settings: OrderSettings,
        links: OrderLinks,
        cards: Option<Arc<dyn CardPayments>>,
    ) -> Self {
        Self {
            store,
            events,
            settings,
            links: Arc::new(links),
            cards,
        }
    }

    /// The payment methods offered at checkout.
    pub fn payment_methods(&self) -> &[PaymentMethod] {
        &self.settings.methods
    }

    /// The path, signed, that opens `order` without a session.
    pub fn link_path(&self, order: &Order) -> String {
        self.links.path(order)
    }

    /// Turns the caller's cart into an order, in one store transaction, with
    /// its mails queued; a replayed key answers the first order. A card order
    /// then gets its Stripe PaymentIntent. The mails speak `locale`, the
    /// language the order was placed in (or the account's).
    pub async fn checkout(
        &self,
        buyer: Buyer<'_>,
        input: &CheckoutInput,
        key: Option<IdempotencyKey>,
        locale: Locale,
    ) -> ShopResult<Placed> {
        let mut errors = FieldErrors::default();
        let address = match &input.delivery_address {
            Some(given) => {
                match Address::parse(
                    given,
                    &self.settings.rules.default_country,
                    "delivery_address",
                ) {
                    Ok(a) => Some(a),
                    Err(e) => {
                        errors.0.extend(e.0);
                        None
                    }
                }
            }
            None => None,
        };
        let method = input.payment_method.unwrap_or(self.settings.default_method);
        if !self.settings.methods.contains(&method) {
            errors.add(
                "payment_method",
                ShopText::PaymentMethodNotOffered.arg("text", method.as_str()),
            );
        }
        let (cart, email, name, guest, locale) = match buyer {
            Buyer::Customer(who) => (
                who.user.email.clone(),
                who.user.email.clone(),
                who.user.name.clone(),
                false,
                who.user.locale.unwrap_or(locale),
            ),
            Buyer::Guest { cart, email } => {
                let email = match email {
                    Some(text) => email_field(&mut errors, "email", text),
                    None => {
                        errors.add("email", ShopText::GuestEmailMissing);
                        String::new()
                    }
                };
                (cart.key(), email.clone(), email, true, locale)
            }
        };
        errors.into_result(())?;
        // A guest's key is theirs alone: scoped by their cart, so it can never
        // replay a customer's order that used the same key and email.
        let idempotency_key = key.map(|k| match buyer {
            Buyer::Customer(_) => k.0,
            Buyer::Guest { .. } => format!("{cart} {}", k.0),
        });
        let at = now();
        let mailer = self.mailer(name, guest);
        let placed = self
            .store
            .place_order(Checkout {
                cart,
                email,
                delivery_address: address,
                shipping_method: input.shipping_method.clone(),
                payment_method: method,
                rules: self.settings.rules.clone(),
                hold_until: at + self.settings.hold_for,
                locale,
                idempotency_key,
                currency: self.settings.currency.clone(),
                at,
                mails: Arc::new(move |order| mailer(order, OrderMailKind::Received)),
            })
            .await?;
        if !placed.replayed {
            self.events.mail_queued();
            tracing::info!(
                order = placed.order.number,
                total = placed.order.total,
                method = method.as_str(),
                "order placed"
            );
        }
        let order = self.with_card_payment(placed.order).await?;
        Ok(Placed { order, ..placed })
    }

    /// A card order still awaiting payment gets its PaymentIntent if it has
    /// none (made once, whatever retries: the key is the order's). Any other
    /// order comes back as it is.
    pub async fn with_card_payment(&self, order: Order) -> ShopResult<Order> {
        let needs_intent = order.payment.method == PaymentMethod::Stripe
            && order.status == OrderStatus::AwaitingPayment
            && order.payment.intent_id.is_none();
        let Some(cards) = self.cards.as_ref().filter(|_| needs_intent) else {
            return Ok(order);
        };
        let intent = cards
            .create_intent(&IntentRequest {
                amount: order.total,
                currency: order.currency.clone(),
                order_number: order.number,
                email: order.email.clone(),
                idempotency_key: format!("order-{}-intent", order.number),
            })
            .await
            .map_err(gateway_error)?;
        let updated = self
            .update(
                order.number,
                OrderAction::AttachIntent {
                    intent_id: intent.id,
                    client_secret: intent.client_secret,
                },
                SHOP,
                None,
            )
            .await?;
        Ok(updated.order)
    }

    /// The caller's orders, newest first; an admin sees everyone's. Returns
    /// the page, the total, and the filter that applied.
    pub async fn list(
        &self,
        who: &Identity,
        query: OrderQuery,
        page: Page,
    ) -> ShopResult<(Vec<Order>, u64, OrderFilter)> {
        let email = if who.may(crate::domain::accounts::Permission::ReadOrders) {
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
            .filter(|o| {
                who.may(crate::domain::accounts::Permission::ReadOrders)
                    || o.email == who.user.email
            })
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

    /// Moves an order along its lifecycle, recording the staff member or
    /// admin who did. A card order called off has its PaymentIntent
    /// cancelled, or, when paid, everything refunded through Stripe first:
    /// that cancel is a refund, so it needs [`Permission::RefundOrders`].
    pub async fn set_status(
        &self,
        who: &Identity,
        number: i64,
        input: StatusInput,
    ) -> ShopResult<Order> {
        who.allowed(Permission::ChangeOrderStatus)?;
        let by = who.user.email.as_str();
        let tracking = tracking_of(&input)?;
        let order = self.get(who, number).await?;
        let card = order.payment.method == PaymentMethod::Stripe;
        if card && input.status == OrderStatus::Cancelled {
            if order.status == OrderStatus::Paid && order.payment.refundable() > 0 {
                who.allowed(Permission::RefundOrders)?;
                let refund = self
                    .card_refund(&order, order.payment.refundable(), by)
                    .await?;
                let updated = self
                    .update(number, OrderAction::RefundAndCancel(refund), by, None)
                    .await?;
                self.audit(who, "order.status", &order, &updated.order)
                    .await?;
                return Ok(updated.order);
            }
            if let (Some(intent), Some(cards)) = (&order.payment.intent_id, &self.cards) {
                if order.status == OrderStatus::AwaitingPayment {
                    cards.cancel_intent(intent).await.map_err(gateway_error)?;
                }
            }
        }
        let updated = self
            .update(
                number,
                OrderAction::SetStatus {
                    status: input.status,
                    tracking,
                },
                by,
                None,
            )
            .await?;
        if updated.changed {
            self.audit(who, "order.status", &order, &updated.order)
                .await?;
        }
        Ok(updated.order)
    }

    /// Records an admin's or staff member's change to an order: its status,
    /// payment and tracking before and after.
    async fn audit(
        &self,
        who: &Identity,
        action: &str,
        before: &Order,
        after: &Order,
    ) -> ShopResult<()> {
        fn state(o: &Order) -> serde_json::Value {
            serde_json::json!({
                "status": o.status,
                "payment_status": o.payment.status,
                "refunded": o.payment.refunded,
                "tracking": o.tracking,
            })
        }
        let target = format!("order:{}", before.number);
        audit::record(
            &*self.store,
            who,
            action,
            &target,
            Some(state(before)),
            Some(state(after)),
        )
        .await
    }

    /// Gives money back: through Stripe for a card order, recorded by hand
    /// for the others. Without an amount, everything left.
    pub async fn refund(
        &self,
        admin: &Identity,
        number: i64,
        input: RefundInput,
    ) -> ShopResult<Order> {
        admin.allowed(Permission::RefundOrders)?;
        let by = admin.user.email.as_str();
        let order = self.get(admin, number).await?;
        let left = order.payment.refundable();
        let amount = input.amount.unwrap_or(left);
        if amount <= 0 || amount > left {
            return Err(
                FieldErrors::single("amount", ShopText::RefundOutOfRange.arg("max", left)).into(),
            );
        }
        let refund = if order.payment.method == PaymentMethod::Stripe {
            self.card_refund(&order, amount, by).await?
        } else {
            Refund {
                id: new_id(),
                key: String::new(),
                amount,
                at: now(),
                by: by.to_owned(),
            }
        };
        let updated = self
            .update(number, OrderAction::Refund(refund), by, None)
            .await?;
        self.audit(admin, "order.refund", &order, &updated.order)
            .await?;
        Ok(updated.order)
    }

    /// Refunds `amount` of a card order through Stripe. The amount is
    /// first held back in the store, so a second refund racing this one is
    /// refused before it reaches Stripe; a refusal from Stripe frees it. An
    /// unknown outcome (Stripe unreachable) keeps it held, visible on the
    /// order, rather than risk refunding twice.
    async fn card_refund(&self, order: &Order, amount: i64, by: &str) -> ShopResult<Refund> {
        let (Some(cards), Some(intent)) = (&self.cards, &order.payment.intent_id) else {
            return Err(ShopError::PaymentUnavailable(
                "card payments are not set up".into(),
            ));
        };
        let key = format!("order-{}-refund-{}", order.number, new_id());
        let reserve = OrderAction::ReserveRefund {
            key: key.clone(),
            amount,
        };
        self.update(order.number, reserve, by, None).await?;
        match cards.refund(intent, amount, &key).await {
            Ok(done) => Ok(Refund {
                id: done.id,
                key,
                amount: done.amount,
                at: now(),
                by: by.to_owned(),
            }),
            Err(e) => {
                if matches!(e, GatewayError::Refused(_)) {
                    let release = OrderAction::ReleaseRefund { key };
                    self.update(order.number, release, by, None).await?;
                }
                Err(gateway_error(e))
            }
        }
    }

    /// Acts on a verified Stripe webhook event, exactly once: a replay, a
    /// duplicate or a late event changes nothing. A payment that lands on an
    /// order called off meanwhile is refunded at once, so nobody pays for an
    /// order they do not get.
    pub async fn card_event(&self, event: &PaymentEvent) -> ShopResult<EventOutcome> {
        let action = match &event.kind {
            PaymentEventKind::Succeeded => OrderAction::CardPaid {
                intent_id: event.intent_id.clone(),
                amount: event.amount,
            },
            PaymentEventKind::Failed => OrderAction::CardFailed {
                intent_id: event.intent_id.clone(),
            },
            PaymentEventKind::Canceled | PaymentEventKind::Other(_) => {
                return Ok(EventOutcome::Ignored)
            }
        };
        let Some(number) = self.store.order_for_intent(&event.intent_id).await? else {
            tracing::warn!(event = %event.id, "a card event for no order of this shop");
            return Ok(EventOutcome::Ignored);
        };
        let updated = match self
            .update(number, action, STRIPE, Some(event.id.clone()))
            .await
        {
            Ok(updated) => updated,
            Err(ShopError::Store(StoreError::EventSeen { .. })) => {
                return Ok(EventOutcome::Unchanged)
            }
            Err(ShopError::Store(StoreError::PaymentMismatch { .. })) => {
                tracing::warn!(event = %event.id, number, "a card event that does not match its order");
                return Ok(EventOutcome::Ignored);
            }
            Err(e) => return Err(e),
        };
        let order = &updated.order;
        if order.status == OrderStatus::Cancelled && order.payment.refundable() > 0 {
            let refund = self
                .card_refund(order, order.payment.refundable(), SHOP)
                .await?;
            self.update(number, OrderAction::Refund(refund), SHOP, None)
                .await?;
        }
        Ok(if updated.changed {
            EventOutcome::Applied
        } else {
            EventOutcome::Unchanged
        })
    }

    /// Calls off the unpaid card orders whose hold ran out by `at`, putting
    /// their stock back. Each PaymentIntent is cancelled at Stripe first;
    /// one Stripe will not cancel (paid meanwhile) keeps its order for the
    /// webhook. Returns how many orders were called off.
    pub async fn expire_unpaid(&self, at: Timestamp) -> ShopResult<usize> {
        let mut expired = 0;
        for number in self.store.orders_to_expire(at, 100).await? {
            let Some(order) = self.store.get_order(number).await? else {
                continue;
            };
            if let (Some(intent), Some(cards)) = (&order.payment.intent_id, &self.cards) {
                if let Err(e) = cards.cancel_intent(intent).await {
                    tracing::warn!(number, error = %e, "the hold ran out but Stripe did not cancel the payment");
                    continue;
                }
            }
            if self
                .update(number, OrderAction::Expire, SHOP, None)
                .await?
                .changed
            {
                expired += 1;
            }
        }
        Ok(expired)
    }

    /// Applies one action to an order in the store, with its mails.
    async fn update(
        &self,
        number: i64,
        action: OrderAction,
        by: &str,
        event_id: Option<String>,
    ) -> ShopResult<Updated> {
        let order = self
            .store
            .get_order(number)
            .await?
            .ok_or(StoreError::OrderNotFound { number })?;
        let account = self.store.get_user_by_email(&order.email).await?;
        let guest = account.is_none();
        let name = account.map_or_else(|| order.delivery_address.name.clone(), |u| u.name);
        let updated = self
            .store
            .update_order(OrderUpdate {
                number,
                action,
                by: by.to_owned(),
                at: now(),
                event_id,
                mails: self.mailer(name, guest),
            })
            .await?;
        if updated.changed {
            self.events.mail_queued();
        }
        Ok(updated)
    }

    /// The mails of an order's changes, to `name`; a guest's carry a signed
    /// link to the order.
    fn mailer(&self, name: String, guest: bool) -> OrderMailer {
        let context = OrderMailContext {
            name,
            notify: self.settings.notify.clone(),
            bank: self.settings.bank.clone(),
        };
        let links = guest.then(|| self.links.clone());
        Arc::new(move |order, kind| {
            let link = links.as_ref().map(|l| l.link(order));
            compose::order_mail(order, kind, &context, link.as_deref())
        })
    }
}

/// The tracking a shipping status change carries, checked.
fn tracking_of(input: &StatusInput) -> ShopResult<Option<Tracking>> {
    let mut errors = FieldErrors::default();
    let mut part = |field: &str, value: &Option<String>, max: usize| {
        text_field(
            &mut errors,
            field,
            value.as_deref().unwrap_or(""),
            0,
            max,
            false,
        )
    };
    let tracking = Tracking {
        carrier: part("carrier", &input.carrier, 100),
        number: part("tracking_number", &input.tracking_number, 100),
        url: part("tracking_url", &input.tracking_url, 500),
    };
    if !tracking.url.is_empty() && !tracking.url.starts_with("https://") {
        errors.add("tracking_url", ShopText::TrackingUrlInvalid);
    }
    let given = tracking != Tracking::default();
    if given && input.status != OrderStatus::Shipped {
        errors.add("status", ShopText::TrackingOnlyWhenShipping);
    }
    Ok(errors.into_result(given.then_some(tracking))?)
}

/// A gateway failure as the shop reports it.
fn gateway_error(e: GatewayError) -> ShopError {
    match e {
        GatewayError::Refused(r) => ShopError::PaymentRefused(r.message),
        GatewayError::Unavailable(detail) => ShopError::PaymentUnavailable(detail),
    }
}
