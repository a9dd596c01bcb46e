//! What a viewer may do to an order from its page: what its status allows,
//! narrowed to what their role may.

use super::{Order, OrderStatus};
use crate::domain::accounts::{Identity, Permission};
use crate::domain::payments::PaymentMethod;

impl Order {
    /// The statuses `who` may move this order to: none without
    /// [`Permission::ChangeOrderStatus`]; a paid card order is only called
    /// off by refunding it, so not by someone who may not refund.
    pub fn next_for(&self, who: Option<&Identity>) -> Vec<OrderStatus> {
        let Some(who) = who.filter(|w| w.may(Permission::ChangeOrderStatus)) else {
            return Vec::new();
        };
        let cancel_refunds = self.payment.method == PaymentMethod::Stripe
            && self.status == OrderStatus::Paid
            && self.payment.refundable() > 0;
        self.status
            .next_statuses(self.payment.method)
            .into_iter()
            .filter(|&s| {
                s != OrderStatus::Cancelled || !cancel_refunds || who.may(Permission::RefundOrders)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::accounts::{signed_in, Role};

    fn identity(role: Role) -> Identity {
        let (session, user) = signed_in(role);
        Identity { user, session }
    }

    fn order(status: OrderStatus, method: PaymentMethod, paid: i64) -> Order {
        let mut payment = crate::domain::payments::Payment::new(method, 1001, None);
        payment.paid = paid;
        Order {
            number: 1001,
            email: "ana@example.com".into(),
            status,
            items: Vec::new(),
            subtotal: paid,
            shipping: Default::default(),
            taxes: Vec::new(),
            prices_include_tax: true,
            total: paid,
            currency: "EUR".into(),
            delivery_address: Default::default(),
            payment,
            tracking: None,
            locale: Default::default(),
            created_at: crate::domain::now(),
            history: Vec::new(),
        }
    }

    #[test]
    fn customers_and_guests_get_no_actions() {
        let o = order(OrderStatus::AwaitingPayment, PaymentMethod::BankTransfer, 0);
        assert!(o.next_for(None).is_empty());
        assert!(o.next_for(Some(&identity(Role::Customer))).is_empty());
        assert!(!o.next_for(Some(&identity(Role::Staff))).is_empty());
    }

    #[test]
    fn staff_cannot_call_off_a_paid_card_order() {
        let paid_card = order(OrderStatus::Paid, PaymentMethod::Stripe, 1000);
        let admin = paid_card.next_for(Some(&identity(Role::Admin)));
        let staff = paid_card.next_for(Some(&identity(Role::Staff)));
        assert!(admin.contains(&OrderStatus::Cancelled));
        assert!(!staff.contains(&OrderStatus::Cancelled));
        assert!(staff.contains(&OrderStatus::Shipped));
        let paid_transfer = order(OrderStatus::Paid, PaymentMethod::BankTransfer, 1000);
        assert_eq!(
            paid_transfer.next_for(Some(&identity(Role::Staff))),
            paid_transfer.next_for(Some(&identity(Role::Admin)))
        );
    }
}
