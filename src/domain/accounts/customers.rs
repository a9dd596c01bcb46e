//! The back office's customers: the list with search, one customer's page
//! (orders, money spent, chat), and disabling an account.

use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::{Accounts, Identity, Permission, Role, User};
use crate::domain::audit::record;
use crate::domain::chat::{Message, MessageFilter};
use crate::domain::error::{ShopError, ShopResult};
use crate::domain::message::{MessageId, ShopText};
use crate::domain::orders::{Order, OrderFilter, OrderStatus};
use crate::domain::validation::FieldErrors;
use crate::domain::{now, Page, Timestamp};

/// Longest search accepted, in characters.
pub const MAX_SEARCH: usize = 100;
/// Orders shown on a customer's page; the rest are one link away.
const RECENT_ORDERS: u64 = 10;
/// Chat messages shown on a customer's page (the newest).
const RECENT_MESSAGES: u64 = 50;
/// Orders read at a time to add up what a customer spent.
const SPENT_BATCH: u64 = Page::MAX_LIMIT;

/// One account in the back office's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CustomerSummary {
    /// The account's id.
    pub id: String,
    /// Lowercased; unique.
    pub email: String,
    /// Full name.
    pub name: String,
    /// What the account may do, as stored.
    pub role: Role,
    /// When the account was registered.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// When an admin disabled it; null while it is enabled.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub disabled_at: Option<Timestamp>,
}

impl From<User> for CustomerSummary {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            email: u.email,
            name: u.name,
            role: u.role,
            created_at: u.created_at,
            disabled_at: u.disabled_at,
        }
    }
}

/// One customer as the back office shows them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerDetail {
    /// The account (never its password hash), with its effective role.
    pub account: User,
    /// Their newest orders.
    pub orders: Vec<Order>,
    /// How many orders they placed in all.
    pub order_count: u64,
    /// What they spent, minor units: every order not cancelled, less what
    /// was refunded on it.
    pub total_spent: i64,
    /// Their chat channel's newest messages, oldest first.
    pub messages: Vec<Message>,
}

impl Accounts {
    /// One page of accounts, newest first, whose email or name contains
    /// `search` (letters in either case); staff and admins.
    pub async fn list_customers(
        &self,
        who: &Identity,
        search: Option<&str>,
        page: Page,
    ) -> ShopResult<(Vec<CustomerSummary>, u64)> {
        who.allowed(Permission::ReadCustomers)?;
        let search = search.map(str::trim).filter(|s| !s.is_empty());
        if let Some(text) = search {
            if text.chars().count() > MAX_SEARCH {
                return Err(FieldErrors::single(
                    "search",
                    ShopText::SearchTooLong.arg("max", MAX_SEARCH as i64),
                )
                .into());
            }
        }
        let search = search.map(str::to_ascii_lowercase);
        Ok(self.store.list_customers(search.as_deref(), page).await?)
    }

    /// The customer with this email: account, newest orders, what they
    /// spent and their chat; staff and admins.
    pub async fn customer(&self, who: &Identity, email: &str) -> ShopResult<CustomerDetail> {
        who.allowed(Permission::ReadCustomers)?;
        let account = self.effective(self.find_user(email).await?);
        let filter = OrderFilter {
            email: Some(account.email.clone()),
            ..OrderFilter::default()
        };
        let recent = Page {
            offset: 0,
            limit: RECENT_ORDERS,
        };
        let (orders, order_count) = self.store.list_orders(&filter, recent).await?;
        let total_spent = self.spent(&filter).await?;
        let messages = self
            .store
            .list_messages(&MessageFilter {
                channel_of: Some(account.email.clone()),
                visible_to: None,
                before: None,
                limit: RECENT_MESSAGES,
            })
            .await?;
        Ok(CustomerDetail {
            account,
            orders,
            order_count,
            total_spent,
            messages,
        })
    }

    /// Every order of `filter` added up, a page at a time.
    async fn spent(&self, filter: &OrderFilter) -> ShopResult<i64> {
        let mut total = 0i64;
        let mut offset = 0;
        loop {
            let page = Page {
                offset,
                limit: SPENT_BATCH,
            };
            let (orders, _) = self.store.list_orders(filter, page).await?;
            total = orders
                .iter()
                .filter(|o| o.status != OrderStatus::Cancelled)
                .fold(total, |sum, o| {
                    sum.saturating_add(o.total.saturating_sub(o.payment.refunded))
                });
            if (orders.len() as u64) < SPENT_BATCH {
                return Ok(total);
            }
            offset += SPENT_BATCH;
        }
    }

    /// Disables the account with this email (admins): every session of it
    /// ends at once, its open chat sockets close, and it cannot log in until
    /// enabled again. Not one's own account, nor an admin's.
    pub async fn disable(&self, admin: &Identity, email: &str) -> ShopResult<User> {
        admin.allowed(Permission::ManageAccounts)?;
        let user = self.effective(self.find_user(email).await?);
        if user.id == admin.user.id {
            return Err(FieldErrors::single("email", ShopText::CannotDisableSelf).into());
        }
        if user.role == Role::Admin {
            return Err(FieldErrors::single("email", ShopText::CannotDisableAdmin).into());
        }
        let at = user.disabled_at.unwrap_or_else(now);
        let stored = self.set_disabled(&user, Some(at)).await?;
        // Its sockets close before anything else can fail.
        self.events.user_ended(&stored.id);
        record(
            &*self.store,
            admin,
            "customer.disable",
            &format!("customer:{}", stored.email),
            Some(json!({ "disabled": user.disabled_at.is_some() })),
            Some(json!({ "disabled": true })),
        )
        .await?;
        tracing::info!(user_id = %stored.id, by = %admin.user.id, "account disabled");
        Ok(stored)
    }

    /// Enables the account with this email again (admins): it may log in.
    pub async fn enable(&self, admin: &Identity, email: &str) -> ShopResult<User> {
        admin.allowed(Permission::ManageAccounts)?;
        let user = self.find_user(email).await?;
        let stored = self.set_disabled(&user, None).await?;
        record(
            &*self.store,
            admin,
            "customer.enable",
            &format!("customer:{}", stored.email),
            Some(json!({ "disabled": user.disabled_at.is_some() })),
            Some(json!({ "disabled": false })),
        )
        .await?;
        tracing::info!(user_id = %stored.id, by = %admin.user.id, "account enabled");
        Ok(stored)
    }

    async fn set_disabled(&self, user: &User, at: Option<Timestamp>) -> ShopResult<User> {
        let stored = self.store.set_disabled(&user.email, at).await?;
        // Erased meanwhile: as if it never existed.
        let stored = stored.ok_or_else(|| {
            ShopError::NotFound(ShopText::AccountNotFound.arg("email", user.email.as_str()))
        })?;
        Ok(self.effective(stored))
    }
}
