//! What each role may do: one table, [`Role::may`], asked by every guarded
//! route, page and domain rule.

use super::Role;

/// Something only some roles may do. Customers act on their own cart,
/// orders, account and chat channel without any of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum Permission {
    /// Create, edit and delete products and their photos; the catalog pages.
    ManageCatalog,
    /// Create, edit and delete shipping methods.
    ManageShipping,
    /// Read every customer's orders (not just one's own).
    ReadOrders,
    /// Move an order along its lifecycle: mark a transfer paid, ship,
    /// deliver, cancel.
    ChangeOrderStatus,
    /// Give money back on an order.
    RefundOrders,
    /// Read customers: their emails in chat, their channels.
    ReadCustomers,
    /// Delete others' accounts, list and end others' sessions.
    ManageAccounts,
    /// Read the mail outbox and retry failed mail.
    ReadMailOutbox,
    /// See the effective configuration.
    ViewConfig,
    /// Answer customers in chat: every channel, replies to one customer.
    AnswerChat,
    /// Read the audit log of admin and staff writes.
    ReadAuditLog,
    /// See the sales dashboard and its figures (admin only).
    ViewStats,
    /// Download every order and every customer as CSV (bulk personal data:
    /// admins only).
    ExportData,
}

impl Permission {
    /// The snake_case name pages use (`may.read_orders`).
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl Role {
    /// Whether this role may do `permission`. Admins may everything; staff
    /// run support and fulfilment; customers none of these.
    pub fn may(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::Staff => matches!(
                permission,
                AnswerChat | ReadOrders | ChangeOrderStatus | ReadCustomers
            ),
            Role::Customer => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantArray;

    #[test]
    fn admin_may_everything_and_customer_nothing() {
        for &p in Permission::VARIANTS {
            assert!(Role::Admin.may(p), "{p:?}");
            assert!(!Role::Customer.may(p), "{p:?}");
        }
    }

    #[test]
    fn staff_run_support_and_fulfilment_only() {
        let allowed: Vec<_> = Permission::VARIANTS
            .iter()
            .copied()
            .filter(|&p| Role::Staff.may(p))
            .collect();
        assert_eq!(
            allowed,
            [
                Permission::ReadOrders,
                Permission::ChangeOrderStatus,
                Permission::ReadCustomers,
                Permission::AnswerChat
            ]
        );
    }

    /// Both stores decode the role text with `decode_stored`: `staff` reads
    /// back, anything unknown stays a corrupt value, never a default role.
    #[test]
    fn stored_role_text_decodes_or_is_corrupt() {
        use crate::domain::ports::decode_stored;
        for role in [Role::Customer, Role::Staff, Role::Admin] {
            let back: Role = decode_stored("users", "u1", "role", role.as_str()).expect("decodes");
            assert_eq!(back, role);
        }
        for bad in ["owner", "Staff", "", " staff"] {
            let err = decode_stored::<Role>("users", "u1", "role", bad).expect_err(bad);
            assert_eq!((err.table, err.field), ("users", "role"));
        }
    }

    #[test]
    fn names_are_snake_case() {
        assert_eq!(Permission::ReadMailOutbox.as_str(), "read_mail_outbox");
        assert_eq!(Permission::ViewStats.as_str(), "view_stats");
    }
}
