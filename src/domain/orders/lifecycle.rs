//! The order lifecycle: which status can follow which, and what each event
//! (an admin's action, Stripe's webhook, a hold running out, a refund) does to
//! an order. Pure rules: the store applies them inside one transaction.
//!
//! ```text
//!                      ┌────────────► cancelled (stock back; a paid card order is refunded first)
//!                      │                  ▲
//! awaiting_payment ──► paid ──► shipped ──► delivered
//!   │    (transfer: admin;           │         │
//!   │     card: Stripe's webhook)    └─────────┴──► refunded (once everything paid is given back)
//!   │
//!   ├──► shipped        cash on delivery only; paid when delivered
//!   └──► cancelled      by an admin, or when a card order's hold runs out (stock back)
//! ```

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Order, StatusChange};
use crate::domain::payments::{PaymentMethod, PaymentStatus, PendingRefund, Refund, Tracking};
use crate::domain::ports::StoreError;
use crate::domain::Timestamp;

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
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum OrderStatus {
    /// Checked out, its stock taken, the money not received yet (cash on
    /// delivery: to be collected at the door). Orders stored before payments
    /// existed say `placed`.
    #[serde(alias = "placed")]
    #[strum(serialize = "awaiting_payment", serialize = "placed")]
    AwaitingPayment,
    /// Payment received.
    Paid,
    /// Handed over for delivery.
    Shipped,
    /// Received by the customer.
    Delivered,
    /// Called off before shipping, its stock put back; final.
    Cancelled,
    /// Everything paid was given back; final.
    Refunded,
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

    /// The moves an admin can make by hand, for an order paid by `method`
    /// (`refunded` comes only from refunds).
    pub fn can_become(self, next: OrderStatus, method: PaymentMethod) -> bool {
        use OrderStatus::*;
        match (self, next) {
            // Only Stripe's webhook marks a card order paid; cash is paid on delivery.
            (AwaitingPayment, Paid) => method == PaymentMethod::BankTransfer,
            (AwaitingPayment, Shipped) => method == PaymentMethod::CashOnDelivery,
            (Paid, Shipped) | (Shipped, Delivered) => true,
            (AwaitingPayment, Cancelled) | (Paid, Cancelled) => true,
            _ => false,
        }
    }

    /// The statuses an admin can move an order in this status to.
    pub fn next_statuses(self, method: PaymentMethod) -> Vec<OrderStatus> {
        <Self as strum::VariantArray>::VARIANTS
            .iter()
            .copied()
            .filter(|s| self.can_become(*s, method))
            .collect()
    }
}

/// Something that happens to an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderAction {
    /// An admin moves the order on (shipping may carry its tracking).
    SetStatus {
        /// The status asked for.
        status: OrderStatus,
        /// How the parcel can be followed (when shipping).
        tracking: Option<Tracking>,
    },
    /// Stripe's webhook: the card payment went through.
    CardPaid {
        /// The PaymentIntent paid.
        intent_id: String,
        /// What it received, minor units.
        amount: i64,
    },
    /// Stripe's webhook: a card attempt failed (the customer may retry).
    CardFailed {
        /// The PaymentIntent that failed.
        intent_id: String,
    },
    /// The hold of an unpaid card order ran out (its PaymentIntent is cancelled).
    Expire,
    /// Money given back: through Stripe for a card order, by hand otherwise.
    Refund(Refund),
    /// A card refund is about to be asked of Stripe: its amount is held
    /// back until Stripe answers.
    ReserveRefund {
        /// The key it is asked with.
        key: String,
        /// Minor units.
        amount: i64,
    },
    /// Stripe refused the refund asked with this key: the amount is free again.
    ReleaseRefund {
        /// The key it was asked with.
        key: String,
    },
    /// A paid card order called off before shipping: everything left is
    /// given back through Stripe and the stock returns.
    RefundAndCancel(Refund),
    /// The card PaymentIntent made for this order.
    AttachIntent {
        /// Its id.
        intent_id: String,
        /// What Stripe.js confirms it with.
        client_secret: String,
    },
}

/// What applying an action asks of the store, besides saving the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Effects {
    /// False when the action changed nothing (a replay, or nothing to do).
    pub changed: bool,
    /// The order's units go back to stock.
    pub stock_back: bool,
    /// The customer hears of it.
    pub mail: Option<OrderMailKind>,
}

/// The mails that follow an order through its lifecycle.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum OrderMailKind {
    /// Checkout: what was ordered, and how to pay.
    Received,
    /// The money arrived.
    PaymentReceived,
    /// The parcel left, with its tracking.
    Shipped,
    /// Money was given back.
    Refunded,
    /// The order was called off.
    Cancelled,
}

impl Order {
    /// Applies `action`, done by `by` at `at`, to this order: the lifecycle's
    /// rules in one place. Refuses what the rules forbid and leaves the order
    /// untouched then; a replayed event changes nothing.
    pub fn apply(
        &mut self,
        action: &OrderAction,
        by: &str,
        at: Timestamp,
    ) -> Result<Effects, StoreError> {
        let method = self.payment.method;
        match action {
            OrderAction::SetStatus { status, tracking } => {
                let status = *status;
                if !self.status.can_become(status, method) {
                    return Err(self.refuse(status));
                }
                let mut note = String::new();
                let mail = match status {
                    OrderStatus::Paid => {
                        self.payment.mark_paid(self.total, at);
                        Some(OrderMailKind::PaymentReceived)
                    }
                    OrderStatus::Shipped => {
                        if let Some(t) = tracking {
                            note = [t.carrier.as_str(), t.number.as_str(), t.url.as_str()]
                                .iter()
                                .filter(|s| !s.is_empty())
                                .copied()
                                .collect::<Vec<_>>()
                                .join(" ");
                            self.tracking = Some(t.clone());
                        }
                        Some(OrderMailKind::Shipped)
                    }
                    OrderStatus::Delivered => {
                        if method == PaymentMethod::CashOnDelivery {
                            self.payment.mark_paid(self.total, at);
                        }
                        None
                    }
                    OrderStatus::Cancelled => {
                        if self.payment.paid == 0 {
                            self.payment.status = PaymentStatus::Voided;
                            self.payment.hold_until = None;
                        }
                        Some(OrderMailKind::Cancelled)
                    }
                    OrderStatus::AwaitingPayment | OrderStatus::Refunded => None,
                };
                self.record(status, by, at, note);
                Ok(Effects {
                    changed: true,
                    stock_back: status == OrderStatus::Cancelled,
                    mail,
                })
            }
            OrderAction::CardPaid { intent_id, amount } => {
                self.check_intent(intent_id)?;
                if *amount != self.total {
                    return Err(StoreError::PaymentMismatch {
                        number: self.number,
                    });
                }
                if self.payment.paid > 0 {
                    return Ok(Effects::default());
                }
                // Paid after the order was called off: the money is recorded
                // so that it can be refunded; the order stays cancelled.
                self.payment.mark_paid(*amount, at);
                if self.status != OrderStatus::AwaitingPayment {
                    self.record(self.status, by, at, "paid after cancellation".into());
                    return Ok(Effects {
                        changed: true,
                        ..Effects::default()
                    });
                }
                self.record(OrderStatus::Paid, by, at, String::new());
                Ok(Effects {
                    changed: true,
                    stock_back: false,
                    mail: Some(OrderMailKind::PaymentReceived),
                })
            }
            OrderAction::CardFailed { intent_id } => {
                self.check_intent(intent_id)?;
                if self.status != OrderStatus::AwaitingPayment
                    || self.payment.status == PaymentStatus::Failed
                {
                    return Ok(Effects::default());
                }
                self.payment.status = PaymentStatus::Failed;
                Ok(Effects {
                    changed: true,
                    ..Effects::default()
                })
            }
            OrderAction::Expire => {
                let due = self.payment.hold_until.is_some_and(|until| until <= at);
                if self.status != OrderStatus::AwaitingPayment || self.payment.paid > 0 || !due {
                    return Ok(Effects::default());
                }
                self.payment.status = PaymentStatus::Voided;
                self.payment.hold_until = None;
                self.record(
                    OrderStatus::Cancelled,
                    by,
                    at,
                    "payment not completed".into(),
                );
                Ok(Effects {
                    changed: true,
                    stock_back: true,
                    mail: Some(OrderMailKind::Cancelled),
                })
            }
            OrderAction::Refund(refund) => {
                if self.payment.refunds.iter().any(|r| r.id == refund.id) {
                    return Ok(Effects::default());
                }
                let whole = self.take_refund(refund)?;
                let status = if whole && self.status != OrderStatus::Cancelled {
                    OrderStatus::Refunded
                } else {
                    self.status
                };
                self.record(status, by, at, format!("refund {}", refund.amount));
                Ok(Effects {
                    changed: true,
                    stock_back: false,
                    mail: Some(OrderMailKind::Refunded),
                })
            }
            OrderAction::RefundAndCancel(refund) => {
                if self.status != OrderStatus::Paid {
                    return Err(self.refuse(OrderStatus::Cancelled));
                }
                self.take_refund(refund)?;
                self.record(
                    OrderStatus::Cancelled,
                    by,
                    at,
                    format!("refund {}", refund.amount),
                );
                Ok(Effects {
                    changed: true,
                    stock_back: true,
                    mail: Some(OrderMailKind::Cancelled),
                })
            }
            OrderAction::ReserveRefund { key, amount } => {
                if *amount <= 0 || *amount > self.payment.refundable() {
                    return Err(StoreError::RefundTooLarge {
                        number: self.number,
                        refundable: self.payment.refundable(),
                    });
                }
                self.payment.pending_refunds.push(PendingRefund {
                    key: key.clone(),
                    amount: *amount,
                });
                Ok(Effects {
                    changed: true,
                    ..Effects::default()
                })
            }
            OrderAction::ReleaseRefund { key } => {
                let before = self.payment.pending_refunds.len();
                self.payment.pending_refunds.retain(|p| &p.key != key);
                Ok(Effects {
                    changed: self.payment.pending_refunds.len() != before,
                    ..Effects::default()
                })
            }
            OrderAction::AttachIntent {
                intent_id,
                client_secret,
            } => {
                if method != PaymentMethod::Stripe || self.payment.intent_id.is_some() {
                    return Ok(Effects::default());
                }
                self.payment.intent_id = Some(intent_id.clone());
                self.payment.client_secret = Some(client_secret.clone());
                Ok(Effects {
                    changed: true,
                    ..Effects::default()
                })
            }
        }
    }

    /// Appends a history entry, moving the order to `status`.
    fn record(&mut self, status: OrderStatus, by: &str, at: Timestamp, note: String) {
        self.status = status;
        self.history.push(StatusChange {
            status,
            at,
            by: by.to_owned(),
            note,
        });
    }

    /// Records a refund in the payment; true when everything paid is now given back.
    fn take_refund(&mut self, refund: &Refund) -> Result<bool, StoreError> {
        // The amount it completes was held back: it counts as refunded now.
        self.payment.pending_refunds.retain(|p| p.key != refund.key);
        if refund.amount <= 0 || refund.amount > self.payment.refundable() {
            return Err(StoreError::RefundTooLarge {
                number: self.number,
                refundable: self.payment.refundable(),
            });
        }
        self.payment.refunded += refund.amount;
        self.payment.refunds.push(refund.clone());
        let whole = self.payment.refunded == self.payment.paid;
        self.payment.status = if whole {
            PaymentStatus::Refunded
        } else {
            PaymentStatus::PartiallyRefunded
        };
        Ok(whole)
    }

    fn refuse(&self, to: OrderStatus) -> StoreError {
        StoreError::InvalidTransition {
            from: self.status,
            to,
        }
    }

    /// A card event must name this order's own PaymentIntent.
    fn check_intent(&self, intent_id: &str) -> Result<(), StoreError> {
        if self.payment.method == PaymentMethod::Stripe
            && self.payment.intent_id.as_deref() == Some(intent_id)
        {
            Ok(())
        } else {
            Err(StoreError::PaymentMismatch {
                number: self.number,
            })
        }
    }
}
