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
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
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

#[cfg(test)]
mod tests {
    use super::OrderStatus::*;
    use super::*;
    use crate::domain::address::Address;
    use crate::domain::payments::Payment;
    use crate::domain::{from_millis, now};

    fn order(method: PaymentMethod) -> Order {
        let at = from_millis(1_000);
        Order {
            number: 1001,
            email: "ana@example.com".into(),
            status: AwaitingPayment,
            items: Vec::new(),
            subtotal: 3000,
            shipping: Default::default(),
            taxes: Vec::new(),
            prices_include_tax: true,
            total: 3000,
            currency: "EUR".into(),
            delivery_address: Address::from_legacy("Calle Mayor 1, Madrid", "ES"),
            payment: Payment::new(method, 1001, Some(from_millis(60_000))),
            tracking: None,
            locale: Default::default(),
            created_at: at,
            history: Vec::new(),
        }
    }

    fn set(status: OrderStatus) -> OrderAction {
        OrderAction::SetStatus {
            status,
            tracking: None,
        }
    }

    fn card_order() -> Order {
        let mut o = order(PaymentMethod::Stripe);
        o.apply(
            &OrderAction::AttachIntent {
                intent_id: "pi_1".into(),
                client_secret: "pi_1_secret".into(),
            },
            "shop",
            now(),
        )
        .expect("attach");
        o
    }

    fn refund(id: &str, key: &str, amount: i64) -> Refund {
        Refund {
            id: id.into(),
            key: key.into(),
            amount,
            at: now(),
            by: "boss@shop.test".into(),
        }
    }

    #[test]
    fn each_method_has_its_own_road() {
        use PaymentMethod::*;
        assert_eq!(
            AwaitingPayment.next_statuses(BankTransfer),
            vec![Paid, Cancelled]
        );
        assert_eq!(
            AwaitingPayment.next_statuses(CashOnDelivery),
            vec![Shipped, Cancelled]
        );
        assert_eq!(AwaitingPayment.next_statuses(Stripe), vec![Cancelled]);
        assert_eq!(Paid.next_statuses(Stripe), vec![Shipped, Cancelled]);
        assert!(Shipped.next_statuses(BankTransfer) == vec![Delivered]);
        assert!(Delivered.next_statuses(BankTransfer).is_empty());
        assert!(Refunded.next_statuses(Stripe).is_empty());
        assert_eq!(OrderStatus::parse("placed"), Some(AwaitingPayment));
    }

    #[test]
    fn cash_is_collected_on_delivery() {
        let mut o = order(PaymentMethod::CashOnDelivery);
        assert_eq!(o.payment.status, PaymentStatus::OnDelivery);
        assert!(o.apply(&set(Paid), "boss", now()).is_err());
        let tracking = Tracking {
            carrier: "Correos".into(),
            number: "PK123".into(),
            url: String::new(),
        };
        let shipped = OrderAction::SetStatus {
            status: Shipped,
            tracking: Some(tracking.clone()),
        };
        let effects = o.apply(&shipped, "boss", now()).expect("ship");
        assert_eq!(effects.mail, Some(OrderMailKind::Shipped));
        assert_eq!(o.tracking, Some(tracking));
        assert_eq!(
            o.history.last().map(|h| h.note.as_str()),
            Some("Correos PK123")
        );
        o.apply(&set(Delivered), "boss", now()).expect("deliver");
        assert_eq!(o.payment.status, PaymentStatus::Paid);
        assert_eq!(o.payment.paid, 3000);
    }

    #[test]
    fn only_the_webhook_pays_a_card_order_and_only_once() {
        let mut o = card_order();
        assert!(matches!(
            o.apply(&set(Paid), "boss", now()),
            Err(StoreError::InvalidTransition { .. })
        ));
        let paid = OrderAction::CardPaid {
            intent_id: "pi_1".into(),
            amount: 3000,
        };
        let first = o.apply(&paid, "stripe", now()).expect("paid");
        assert!(first.changed);
        assert_eq!(first.mail, Some(OrderMailKind::PaymentReceived));
        assert_eq!(o.status, Paid);
        let again = o.apply(&paid, "stripe", now()).expect("replay");
        assert!(!again.changed, "a second success changes nothing");
        assert_eq!(o.history.len(), 1);
        // Another intent or another amount is not this order's payment.
        let foreign = OrderAction::CardPaid {
            intent_id: "pi_2".into(),
            amount: 3000,
        };
        assert!(matches!(
            o.apply(&foreign, "stripe", now()),
            Err(StoreError::PaymentMismatch { .. })
        ));
        let short = OrderAction::CardPaid {
            intent_id: "pi_1".into(),
            amount: 1,
        };
        assert!(card_order().apply(&short, "stripe", now()).is_err());
    }

    #[test]
    fn an_expired_hold_cancels_and_returns_stock_once() {
        let mut o = card_order();
        let early = o.apply(&OrderAction::Expire, "shop", from_millis(59_999));
        assert!(!early.expect("early").changed, "not before the hold ends");
        let due = o
            .apply(&OrderAction::Expire, "shop", from_millis(60_000))
            .expect("due");
        assert!(due.changed && due.stock_back);
        assert_eq!(o.status, Cancelled);
        assert_eq!(o.payment.status, PaymentStatus::Voided);
        let twice = o
            .apply(&OrderAction::Expire, "shop", from_millis(90_000))
            .expect("twice");
        assert!(!twice.changed && !twice.stock_back, "stock comes back once");
        // Paid afterwards: recorded (to be refunded), the order stays cancelled.
        let late = OrderAction::CardPaid {
            intent_id: "pi_1".into(),
            amount: 3000,
        };
        o.apply(&late, "stripe", now()).expect("late payment");
        assert_eq!(o.status, Cancelled);
        assert_eq!(o.payment.refundable(), 3000);
    }

    #[test]
    fn refunds_never_exceed_what_was_paid_even_when_held_back() {
        let mut o = card_order();
        let paid = OrderAction::CardPaid {
            intent_id: "pi_1".into(),
            amount: 3000,
        };
        o.apply(&paid, "stripe", now()).expect("paid");
        let hold = |key: &str, amount| OrderAction::ReserveRefund {
            key: key.into(),
            amount,
        };
        o.apply(&hold("k1", 2000), "boss", now()).expect("held");
        assert_eq!(o.payment.refundable(), 1000);
        assert!(matches!(
            o.apply(&hold("k2", 2000), "boss", now()),
            Err(StoreError::RefundTooLarge {
                refundable: 1000,
                ..
            })
        ));
        o.apply(
            &OrderAction::Refund(refund("re_1", "k1", 2000)),
            "boss",
            now(),
        )
        .expect("refund");
        assert_eq!(o.payment.status, PaymentStatus::PartiallyRefunded);
        assert_eq!((o.payment.refunded, o.payment.refundable()), (2000, 1000));
        assert_eq!(o.status, Paid);
        let replay = o
            .apply(
                &OrderAction::Refund(refund("re_1", "k1", 2000)),
                "boss",
                now(),
            )
            .expect("replay");
        assert!(!replay.changed);
        o.apply(&hold("k3", 1000), "boss", now()).expect("held");
        o.apply(
            &OrderAction::ReleaseRefund { key: "k3".into() },
            "boss",
            now(),
        )
        .expect("released");
        assert_eq!(o.payment.refundable(), 1000);
        o.apply(
            &OrderAction::Refund(refund("re_2", "", 1000)),
            "boss",
            now(),
        )
        .expect("the rest");
        assert_eq!(o.status, Refunded);
        assert_eq!(o.payment.status, PaymentStatus::Refunded);
        assert!(o
            .apply(&OrderAction::Refund(refund("re_3", "", 1)), "boss", now())
            .is_err());
    }
}
