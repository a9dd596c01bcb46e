use async_trait::async_trait;
use futures_util::TryStreamExt;
use mongodb::bson::{doc, DateTime};
use mongodb::{ClientSession, Collection};
use serde::{Deserialize, Serialize};

use super::outbox::MailDoc;
use mongodb::options::ReturnDocument;

use super::{bson_time, is_duplicate_key, limit, time, MongoStore};
use crate::domain::accounts::{CustomerSummary, Erasure, PasswordReset, Role, Session, User};
use crate::domain::mail::OutboxMail;
use crate::domain::{Page, Timestamp};
use crate::store::{decode_stored, CorruptValue};
use crate::store::{AccountStore, StoreError, StoreResult};

/// A `users` document; `_id` is the user id.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct UserDoc {
    #[serde(rename = "_id")]
    id: String,
    name: String,
    phone: String,
    email: String,
    role: String,
    password_hash: String,
    created_at: DateTime,
    /// Absent in accounts made before languages existed.
    #[serde(default)]
    locale: Option<String>,
    /// Absent (or null) while the account is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    disabled_at: Option<DateTime>,
}

impl From<&User> for UserDoc {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.clone(),
            name: u.name.clone(),
            phone: u.phone.clone(),
            email: u.email.clone(),
            role: u.role.as_str().to_owned(),
            password_hash: u.password_hash.clone(),
            created_at: bson_time(u.created_at),
            locale: u.locale.map(|l| l.tag().to_owned()),
            disabled_at: u.disabled_at.map(bson_time),
        }
    }
}

impl TryFrom<UserDoc> for User {
    type Error = CorruptValue;

    fn try_from(d: UserDoc) -> Result<Self, CorruptValue> {
        Ok(Self {
            role: decode_stored("users", &d.id, "role", &d.role)?,
            id: d.id,
            name: d.name,
            phone: d.phone,
            email: d.email,
            password_hash: d.password_hash,
            created_at: time(d.created_at),
            locale: d.locale.and_then(|tag| tag.parse().ok()),
            disabled_at: d.disabled_at.map(time),
        })
    }
}

/// A `sessions` document; `_id` is the session id.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SessionDoc {
    #[serde(rename = "_id")]
    id: String,
    user_id: String,
    created_at: DateTime,
    expires_at: DateTime,
    revoked_at: Option<DateTime>,
}

impl From<&Session> for SessionDoc {
    fn from(s: &Session) -> Self {
        Self {
            id: s.id.clone(),
            user_id: s.user_id.clone(),
            created_at: bson_time(s.created_at),
            expires_at: bson_time(s.expires_at),
            revoked_at: s.revoked_at.map(bson_time),
        }
    }
}

impl From<SessionDoc> for Session {
    fn from(d: SessionDoc) -> Self {
        Self {
            id: d.id,
            user_id: d.user_id,
            created_at: time(d.created_at),
            expires_at: time(d.expires_at),
            revoked_at: d.revoked_at.map(time),
        }
    }
}

/// A `password_resets` document; `_id` is the SHA-256 of the emailed token.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ResetDoc {
    #[serde(rename = "_id")]
    token_hash: String,
    user_id: String,
    expires_at: DateTime,
    used_at: Option<DateTime>,
}

impl MongoStore {
    fn users(&self) -> Collection<UserDoc> {
        self.coll("users")
    }

    fn sessions(&self) -> Collection<SessionDoc> {
        self.coll("sessions")
    }

    fn resets(&self) -> Collection<ResetDoc> {
        self.coll("password_resets")
    }

    /// Like the SQLite foreign key: a session or reset needs its user.
    async fn require_user(&self, s: &mut ClientSession, user_id: &str) -> StoreResult<()> {
        let found = self
            .users()
            .find_one(doc! { "_id": user_id })
            .session(s)
            .await?;
        match found {
            Some(_) => Ok(()),
            None => Err(StoreError::backend(anyhow::anyhow!(
                "user {user_id} does not exist"
            ))),
        }
    }

    async fn revoke_sessions_in(
        &self,
        s: &mut ClientSession,
        user_id: &str,
        at: Timestamp,
    ) -> StoreResult<u64> {
        let result = self
            .sessions()
            .update_many(
                doc! { "user_id": user_id, "revoked_at": null },
                doc! { "$set": { "revoked_at": bson_time(at) } },
            )
            .session(s)
            .await?;
        Ok(result.matched_count)
    }
}

#[async_trait]
impl AccountStore for MongoStore {
    async fn create_user(&self, user: &User, mails: &[OutboxMail]) -> StoreResult<()> {
        let ctx = (UserDoc::from(user), MailDoc::many(mails)?);
        self.transact(&ctx, |store, s, (user, mails)| {
            Box::pin(async move {
                match store.users().insert_one(user).session(&mut *s).await {
                    Err(e) if is_duplicate_key(&e) => {
                        return Err(StoreError::Duplicate { what: "email" })
                    }
                    other => other?,
                };
                store.insert_mails(s, mails).await
            })
        })
        .await
    }

    async fn get_user(&self, id: &str) -> StoreResult<Option<User>> {
        Ok(self
            .users()
            .find_one(doc! { "_id": id })
            .await?
            .map(User::try_from)
            .transpose()?)
    }

    async fn get_user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        Ok(self
            .users()
            .find_one(doc! { "email": email })
            .await?
            .map(User::try_from)
            .transpose()?)
    }

    async fn set_role(&self, email: &str, role: Role) -> StoreResult<bool> {
        let result = self
            .users()
            .update_one(
                doc! { "email": email },
                doc! { "$set": { "role": role.as_str() } },
            )
            .await?;
        Ok(result.matched_count > 0)
    }

    async fn set_locale(&self, user_id: &str, locale: crate::i18n::Locale) -> StoreResult<bool> {
        let result = self
            .users()
            .update_one(
                doc! { "_id": user_id },
                doc! { "$set": { "locale": locale.tag() } },
            )
            .await?;
        Ok(result.matched_count > 0)
    }

    async fn erase_account(&self, erasure: &Erasure) -> StoreResult<bool> {
        self.transact(erasure, |store, s, e| {
            Box::pin(async move {
                let user = store
                    .users()
                    .delete_one(doc! { "_id": &e.user_id })
                    .session(&mut *s)
                    .await?;
                if user.deleted_count == 0 {
                    return Ok(false);
                }
                let theirs = doc! { "user_id": &e.user_id };
                store
                    .sessions()
                    .delete_many(theirs.clone())
                    .session(&mut *s)
                    .await?;
                store.resets().delete_many(theirs).session(&mut *s).await?;
                store
                    .carts()
                    .delete_one(doc! { "_id": &e.email })
                    .session(&mut *s)
                    .await?;
                store.delete_mails_to_in(s, &e.email).await?;
                store.erase_customer_in(s, e).await?;
                store.erase_author_in(s, e).await?;
                Ok(true)
            })
        })
        .await
    }

    async fn create_session(&self, session: &Session) -> StoreResult<()> {
        let doc = SessionDoc::from(session);
        self.transact(&doc, |store, s, session| {
            Box::pin(async move {
                store.require_user(s, &session.user_id).await?;
                store
                    .sessions()
                    .insert_one(session)
                    .session(&mut *s)
                    .await?;
                Ok(())
            })
        })
        .await
    }

    async fn get_session(&self, id: &str) -> StoreResult<Option<Session>> {
        Ok(self
            .sessions()
            .find_one(doc! { "_id": id })
            .await?
            .map(Session::from))
    }

    async fn list_sessions(&self, user_id: &str) -> StoreResult<Vec<Session>> {
        let docs: Vec<SessionDoc> = self
            .sessions()
            .find(doc! { "user_id": user_id })
            .sort(doc! { "created_at": -1, "_id": -1 })
            .await?
            .try_collect()
            .await?;
        Ok(docs.into_iter().map(Session::from).collect())
    }

    async fn revoke_session(&self, id: &str, at: Timestamp) -> StoreResult<bool> {
        let result = self
            .sessions()
            .update_one(
                doc! { "_id": id, "revoked_at": null },
                doc! { "$set": { "revoked_at": bson_time(at) } },
            )
            .await?;
        Ok(result.matched_count > 0)
    }

    async fn revoke_user_sessions(&self, user_id: &str, at: Timestamp) -> StoreResult<u64> {
        let result = self
            .sessions()
            .update_many(
                doc! { "user_id": user_id, "revoked_at": null },
                doc! { "$set": { "revoked_at": bson_time(at) } },
            )
            .await?;
        Ok(result.matched_count)
    }

    async fn purge_sessions(&self, before: Timestamp) -> StoreResult<u64> {
        let expired = doc! { "expires_at": { "$lt": bson_time(before) } };
        let result = self.sessions().delete_many(expired.clone()).await?;
        self.resets().delete_many(expired).await?;
        Ok(result.deleted_count)
    }

    async fn create_password_reset(
        &self,
        reset: &PasswordReset,
        mail: &OutboxMail,
    ) -> StoreResult<()> {
        let ctx = (
            ResetDoc {
                token_hash: reset.token_hash.clone(),
                user_id: reset.user_id.clone(),
                expires_at: bson_time(reset.expires_at),
                used_at: None,
            },
            MailDoc::many(std::slice::from_ref(mail))?,
        );
        self.transact(&ctx, |store, s, (reset, mails)| {
            Box::pin(async move {
                store.require_user(s, &reset.user_id).await?;
                store.resets().insert_one(reset).session(&mut *s).await?;
                store.insert_mails(s, mails).await
            })
        })
        .await
    }

    async fn consume_password_reset(
        &self,
        token_hash: &str,
        password_hash: &str,
        at: Timestamp,
    ) -> StoreResult<Option<String>> {
        let ctx = (token_hash, password_hash, at);
        self.transact(&ctx, |store, s, (token_hash, password_hash, at)| {
            Box::pin(async move {
                let now = bson_time(*at);
                let reset = store
                    .resets()
                    .find_one_and_update(
                        doc! {
                            "_id": *token_hash,
                            "used_at": null,
                            "expires_at": { "$gt": now },
                        },
                        doc! { "$set": { "used_at": now } },
                    )
                    .session(&mut *s)
                    .await?;
                let Some(reset) = reset else {
                    return Ok(None);
                };
                store
                    .users()
                    .update_one(
                        doc! { "_id": &reset.user_id },
                        doc! { "$set": { "password_hash": *password_hash } },
                    )
                    .session(&mut *s)
                    .await?;
                store.revoke_sessions_in(s, &reset.user_id, *at).await?;
                Ok(Some(reset.user_id))
            })
        })
        .await
    }

    async fn set_disabled(&self, email: &str, at: Option<Timestamp>) -> StoreResult<Option<User>> {
        let ctx = (email.to_owned(), at);
        let stored = self
            .transact(&ctx, |store, s, (email, at)| {
                Box::pin(async move {
                    let set = match at {
                        Some(at) => doc! { "$set": { "disabled_at": bson_time(*at) } },
                        None => doc! { "$unset": { "disabled_at": "" } },
                    };
                    let user = store
                        .users()
                        .find_one_and_update(doc! { "email": email.as_str() }, set)
                        .return_document(ReturnDocument::After)
                        .session(&mut *s)
                        .await?;
                    if let (Some(user), Some(at)) = (&user, at) {
                        store.revoke_sessions_in(s, &user.id, *at).await?;
                    }
                    Ok(user)
                })
            })
            .await?;
        Ok(stored.map(User::try_from).transpose()?)
    }

    async fn list_customers(
        &self,
        search: Option<&str>,
        page: Page,
    ) -> StoreResult<(Vec<CustomerSummary>, u64)> {
        let query = match search {
            Some(text) => {
                let pattern = ascii_caseless(text);
                doc! { "$or": [
                    { "email": { "$regex": pattern.as_str() } },
                    { "name": { "$regex": pattern.as_str() } },
                ] }
            }
            None => doc! {},
        };
        let total = self.users().count_documents(query.clone()).await?;
        if page.limit == 0 {
            return Ok((Vec::new(), total));
        }
        let docs: Vec<UserDoc> = self
            .users()
            .find(query)
            .sort(doc! { "created_at": -1, "_id": -1 })
            .skip(page.offset)
            .limit(limit(page.limit))
            .await?
            .try_collect()
            .await?;
        let users = docs
            .into_iter()
            .map(|d| User::try_from(d).map(CustomerSummary::from))
            .collect::<Result<_, _>>()?;
        Ok((users, total))
    }

    async fn scan_users(&self, after: Option<&str>, limit_to: u64) -> StoreResult<Vec<User>> {
        let filter = match after {
            Some(id) => doc! { "_id": { "$gt": id } },
            None => doc! {},
        };
        let found: Vec<UserDoc> = self
            .users()
            .find(filter)
            .sort(doc! { "_id": 1 })
            .limit(super::limit(limit_to))
            .await?
            .try_collect()
            .await?;
        Ok(found
            .into_iter()
            .map(User::try_from)
            .collect::<Result<_, _>>()?)
    }
}

/// A regular expression matching `text` anywhere, ASCII letters in either
/// case and everything else literally: the SQLite store's `lower` folds
/// ASCII only, and the `i` option would fold more, so the stores would not
/// agree.
fn ascii_caseless(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() * 4);
    for c in text.chars() {
        if c.is_ascii_alphabetic() {
            pattern.push('[');
            pattern.push(c.to_ascii_lowercase());
            pattern.push(c.to_ascii_uppercase());
            pattern.push(']');
        } else if c.is_ascii_alphanumeric() || !c.is_ascii() || c == ' ' || c == '@' {
            pattern.push(c);
        } else {
            pattern.push('\\');
            pattern.push(c);
        }
    }
    pattern
}
