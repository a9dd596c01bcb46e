//! A customer's personal data: what they may download about themselves, and
//! how an account is erased. Erasing keeps the shop's books (orders, with
//! their items, amounts and history) and the chat's threads readable, with
//! the person taken out of them: one way to delete an account, whether the
//! customer asks or an admin does.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::service::{Accounts, Identity};
use super::{verify_password, Role, Session, User};
use crate::domain::chat::{Message, MessageFilter};
use crate::domain::error::{ShopError, ShopResult};
use crate::domain::message::{MessageId, ShopText};
use crate::domain::orders::{Order, OrderFilter};
use crate::domain::validation::FieldErrors;
use crate::domain::{new_id, now, Page, Timestamp};

/// Orders and messages read per store call while gathering an export.
const EXPORT_BATCH: u64 = Page::MAX_LIMIT;

/// How one account is erased; the store applies it in one transaction
/// ([`AccountStore::erase_account`](crate::domain::ports::AccountStore::erase_account)):
///
/// - the user, their sessions (every token ends at once), password resets,
///   cart and the mails addressed to them in the outbox are deleted;
/// - their orders keep items, amounts, status and history; `email` (and any
///   history entry made `by` them) becomes [`placeholder`](Self::placeholder),
///   the delivery address becomes [`Erasure::ADDRESS`], the idempotency key
///   is dropped;
/// - the chat messages they wrote get [`Erasure::AUTHOR`], the placeholder
///   and [`Erasure::BODY`]; staff answers addressed to them are addressed to
///   the placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erasure {
    /// The account erased.
    pub user_id: String,
    /// Its email, as its orders, messages and cart carry it.
    pub email: String,
    /// What replaces the email: `deleted-<uuid>@invalid`, one per erased
    /// account, so an admin still sees which orders were one former
    /// customer's. `.invalid` is reserved (RFC 2606) and a one-label domain
    /// is refused at registration, so no account can ever take it over.
    pub placeholder: String,
}

impl Erasure {
    /// The author of a message whose writer erased their account.
    pub const AUTHOR: &'static str = "Deleted customer";
    /// The body of such a message.
    pub const BODY: &'static str = "[message removed]";
    /// The delivery address of an erased customer's order (pages show a
    /// "removed" note in the reader's language).
    pub const ADDRESS: &'static str = "";

    /// The erasure of `user`, with a fresh placeholder.
    pub fn of(user: &User) -> Self {
        Self {
            user_id: user.id.clone(),
            email: user.email.clone(),
            placeholder: format!("deleted-{}@invalid", new_id()),
        }
    }
}

/// Everything the shop keeps about one customer, as `GET /account/export`
/// answers it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountExport {
    /// When this export was made.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub exported_at: Timestamp,
    /// The account (never the password or its hash).
    pub profile: Profile,
    /// Every delivery address in their cart and orders, once each: the
    /// cart's first, then the orders' newest first.
    pub addresses: Vec<crate::domain::address::Address>,
    /// Their orders, newest first, as `GET /orders/{number}` answers them.
    pub orders: Vec<Order>,
    /// The chat messages they wrote and the answers addressed to them,
    /// oldest first.
    pub messages: Vec<Message>,
    /// Their sessions (logins), live or ended, newest first.
    pub sessions: Vec<Session>,
}

/// The account as its owner sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Profile {
    /// The account's id.
    pub id: String,
    /// Full name.
    pub name: String,
    /// Phone number.
    pub phone: String,
    /// Email.
    pub email: String,
    /// `customer` or `admin`.
    pub role: Role,
    /// The language they shop in (`en`, `es`), if they picked one.
    pub locale: Option<String>,
    /// When the account was registered.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl From<&User> for Profile {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.clone(),
            name: user.name.clone(),
            phone: user.phone.clone(),
            email: user.email.clone(),
            role: user.role,
            locale: user.locale.map(|l| l.tag().to_owned()),
            created_at: user.created_at,
        }
    }
}

/// The body of `DELETE /account` (and of the account page's form).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseInput {
    /// The account's password, asked again: a stolen token alone must not
    /// erase an account.
    #[serde(default)]
    #[schema(format = Password, min_length = 1, max_length = 1024)]
    pub password: String,
}

impl EraseInput {
    /// The password, if one worth checking was given.
    pub fn validate(self) -> Result<String, FieldErrors> {
        let mut errors = FieldErrors::default();
        if self.password.is_empty() || self.password.chars().count() > 1024 {
            errors.add("password", ShopText::PasswordNotGiven);
        }
        errors.into_result(self.password)
    }
}

/// `items` without repeats, in the order they first appear.
fn distinct<T: PartialEq>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut kept: Vec<T> = Vec::new();
    for item in items {
        if !kept.contains(&item) {
            kept.push(item);
        }
    }
    kept
}

impl Accounts {
    /// Everything kept about the caller, gathered from the store.
    pub async fn export(&self, who: &Identity) -> ShopResult<AccountExport> {
        let user = &who.user;
        let orders = self.every_order_of(&user.email).await?;
        let messages = self.every_message_of(&user.email).await?;
        let cart = self.store.get_cart(&user.email).await?;
        let sessions = self.store.list_sessions(&user.id).await?;
        let addresses = distinct(
            cart.and_then(|c| c.delivery_address)
                .into_iter()
                .chain(orders.iter().map(|o| o.delivery_address.clone()))
                .filter(|a| !a.one_line().is_empty()),
        );
        Ok(AccountExport {
            exported_at: now(),
            profile: Profile::from(user),
            addresses,
            orders,
            messages,
            sessions,
        })
    }

    /// Every order placed with `email`, newest first.
    async fn every_order_of(&self, email: &str) -> ShopResult<Vec<Order>> {
        let filter = OrderFilter {
            email: Some(email.to_owned()),
            status: None,
        };
        let mut orders = Vec::new();
        loop {
            let page = Page {
                offset: orders.len() as u64,
                limit: EXPORT_BATCH,
            };
            let (batch, total) = self.store.list_orders(&filter, page).await?;
            let done = batch.is_empty();
            orders.extend(batch);
            if done || orders.len() as u64 >= total {
                return Ok(orders);
            }
        }
    }

    /// Every message of `email`'s channel (theirs and answers to them),
    /// oldest first, read backwards a batch at a time.
    async fn every_message_of(&self, email: &str) -> ShopResult<Vec<Message>> {
        let mut batches = Vec::new();
        let mut before = None;
        loop {
            let filter = MessageFilter {
                channel_of: Some(email.to_owned()),
                visible_to: None,
                before,
                limit: EXPORT_BATCH,
            };
            let batch = self.store.list_messages(&filter).await?;
            let full = batch.len() as u64 == EXPORT_BATCH;
            before = batch.first().map(|m| m.id.clone());
            batches.push(batch);
            if !full || before.is_none() {
                break;
            }
        }
        Ok(batches.into_iter().rev().flatten().collect())
    }

    /// Erases the caller's own account, once they have typed their password
    /// again. Admins are refused, here and in [`Accounts::erase_user`]: an
    /// admin's account is erased by another admin (or, once `tienda admin
    /// revoke` made it a customer's, by its owner), so the last admin never
    /// erases themself.
    pub async fn erase_own(&self, who: &Identity, password: String) -> ShopResult<()> {
        if who.may(super::Permission::ManageAccounts) {
            return Err(ShopError::Forbidden(ShopText::AdminCannotErase.message()));
        }
        let user = self
            .store
            .get_user(&who.user.id)
            .await?
            .ok_or_else(|| ShopError::Unauthorized(ShopText::SessionMissing.message()))?;
        let right = verify_password(password, Some(user.password_hash.clone()))
            .await
            .map_err(ShopError::internal)?;
        if !right {
            return Err(ShopError::Forbidden(ShopText::PasswordWrong.message()));
        }
        self.erase(&user).await
    }

    /// Erases the account with this email, for `admin`: any account but
    /// their own, so the shop always keeps an admin who can act.
    pub async fn erase_user(&self, admin: &Identity, email: &str) -> ShopResult<()> {
        let user = self.find_user(email).await?;
        if user.id == admin.user.id {
            return Err(ShopError::Forbidden(ShopText::AdminCannotErase.message()));
        }
        self.erase(&user).await?;
        // The entry names the account by id only: an erased customer's
        // email must not live on in the log.
        let target = format!("account:{}", user.id);
        let before = serde_json::json!({ "role": user.role });
        crate::domain::audit::record(
            &*self.store,
            admin,
            "account.erase",
            &target,
            Some(before),
            None,
        )
        .await
    }

    /// Erases `user` in one store transaction and closes their chat sockets.
    async fn erase(&self, user: &User) -> ShopResult<()> {
        let erasure = Erasure::of(user);
        if !self.store.erase_account(&erasure).await? {
            // Erased meanwhile (a second click, another admin).
            return Err(ShopError::NotFound(
                ShopText::AccountNotFound.arg("email", user.email.as_str()),
            ));
        }
        self.events.user_ended(&user.id);
        tracing::info!(user_id = %user.id, placeholder = %erasure.placeholder, "account erased");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::validation::is_valid_email;

    #[test]
    fn placeholders_are_fresh_and_can_never_be_registered() {
        let (_, ana) = crate::domain::accounts::signed_in(Role::Customer);
        let (one, two) = (Erasure::of(&ana), Erasure::of(&ana));
        assert_ne!(one.placeholder, two.placeholder);
        assert!(one.placeholder.starts_with("deleted-"));
        assert!(!one.placeholder.contains("ana"));
        assert!(!is_valid_email(&one.placeholder));
    }

    #[test]
    fn addresses_are_listed_once_in_first_seen_order() {
        let list = distinct(["b", "a", "b", "c", "a"].map(String::from));
        assert_eq!(list, ["b", "a", "c"]);
    }

    #[test]
    fn an_empty_password_is_refused_by_field() {
        let empty = EraseInput {
            password: String::new(),
        };
        let errors = empty.validate().expect_err("refused");
        assert!(errors.0.contains_key("password"));
        let given = EraseInput {
            password: "x".into(),
        };
        assert_eq!(given.validate().ok().as_deref(), Some("x"));
    }
}
