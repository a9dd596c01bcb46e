use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::outbox::insert_mail;
use super::{chat, is_unique_violation, ms, orders, stored_enum, ts, SqliteStore};
use crate::domain::accounts::{CustomerSummary, Erasure, PasswordReset, Role, Session, User};
use crate::domain::mail::OutboxMail;
use crate::domain::{Page, Timestamp};
use crate::store::{AccountStore, StoreError, StoreResult};

const USER_COLUMNS: &str =
    "id, name, phone, email, role, password_hash, created_at, locale, disabled_at";
const SESSION_COLUMNS: &str = "id, user_id, created_at, expires_at, revoked_at";

fn user_from_row(row: &Row) -> rusqlite::Result<User> {
    user_at(row, 0)
}

/// The user whose `USER_COLUMNS` start at column `at`.
fn user_at(row: &Row, at: usize) -> rusqlite::Result<User> {
    Ok(User {
        id: row.get(at)?,
        name: row.get(at + 1)?,
        phone: row.get(at + 2)?,
        email: row.get(at + 3)?,
        role: stored_enum(row, at + 4, at, "users", "role")?,
        password_hash: row.get(at + 5)?,
        created_at: ts(row.get(at + 6)?),
        // A language this tienda no longer offers reads as none chosen.
        locale: row
            .get::<_, Option<String>>(at + 7)?
            .and_then(|tag| tag.parse().ok()),
        disabled_at: row.get::<_, Option<i64>>(at + 8)?.map(ts),
    })
}

fn session_from_row(row: &Row) -> rusqlite::Result<Session> {
    Ok(Session {
        id: row.get(0)?,
        user_id: row.get(1)?,
        created_at: ts(row.get(2)?),
        expires_at: ts(row.get(3)?),
        revoked_at: row.get::<_, Option<i64>>(4)?.map(ts),
    })
}

/// A session with its user by session id, in one statement (it runs on
/// every authenticated request): the session's columns, then the user's.
fn session_user_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        let s = SESSION_COLUMNS.split(", ").map(|c| format!("s.{c}"));
        let u = USER_COLUMNS.split(", ").map(|c| format!("u.{c}"));
        let columns = s.chain(u).collect::<Vec<_>>().join(", ");
        format!("SELECT {columns} FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?1")
    })
}

fn user_by_id(c: &Connection, id: &str) -> StoreResult<Option<User>> {
    Ok(
        c.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"))?
            .query_row([id], user_from_row)
            .optional()?,
    )
}

fn session_by_id(c: &Connection, id: &str) -> StoreResult<Option<Session>> {
    Ok(c.prepare_cached(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ?1"
    ))?
    .query_row([id], session_from_row)
    .optional()?)
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_user(&self, user: &User, mails: &[OutboxMail]) -> StoreResult<()> {
        let (u, mails) = (user.clone(), mails.to_vec());
        self.write(move |tx| {
            let inserted = tx.execute(
                &format!(
                    "INSERT INTO users ({USER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                ),
                params![
                    u.id,
                    u.name,
                    u.phone,
                    u.email,
                    u.role.as_str(),
                    u.password_hash,
                    ms(u.created_at),
                    u.locale.map(|l| l.tag()),
                    u.disabled_at.map(ms)
                ],
            );
            match inserted {
                Err(e) if is_unique_violation(&e) => {
                    return Err(StoreError::Duplicate { what: "email" })
                }
                other => other?,
            };
            for mail in &mails {
                insert_mail(tx, mail)?;
            }
            Ok(())
        })
        .await
    }

    async fn get_user(&self, id: &str) -> StoreResult<Option<User>> {
        let id = id.to_owned();
        self.run(move |c| user_by_id(c, &id)).await
    }

    async fn get_user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let email = email.to_owned();
        self.run(move |c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {USER_COLUMNS} FROM users WHERE email = ?1"
            ))?
            .query_row([email], user_from_row)
            .optional()?)
        })
        .await
    }

    async fn set_role(&self, email: &str, role: Role) -> StoreResult<bool> {
        let email = email.to_owned();
        self.write(move |tx| {
            Ok(tx.execute(
                "UPDATE users SET role = ?2 WHERE email = ?1",
                params![email, role.as_str()],
            )? > 0)
        })
        .await
    }

    async fn set_locale(&self, user_id: &str, locale: crate::i18n::Locale) -> StoreResult<bool> {
        let id = user_id.to_owned();
        self.write(move |tx| {
            Ok(tx.execute(
                "UPDATE users SET locale = ?2 WHERE id = ?1",
                params![id, locale.tag()],
            )? > 0)
        })
        .await
    }

    async fn erase_account(&self, erasure: &Erasure) -> StoreResult<bool> {
        let e = erasure.clone();
        self.write(move |tx| {
            // Sessions and resets first: the foreign keys would cascade, but
            // the erasure should not depend on a pragma.
            tx.execute("DELETE FROM sessions WHERE user_id = ?1", [&e.user_id])?;
            tx.execute(
                "DELETE FROM password_resets WHERE user_id = ?1",
                [&e.user_id],
            )?;
            if tx.execute("DELETE FROM users WHERE id = ?1", [&e.user_id])? == 0 {
                return Ok(false);
            }
            tx.execute("DELETE FROM cart WHERE email = ?1", [&e.email])?;
            tx.execute("DELETE FROM outbox WHERE recipient = ?1", [&e.email])?;
            orders::erase_customer(tx, &e)?;
            chat::erase_author(tx, &e)?;
            Ok(true)
        })
        .await
    }

    async fn create_session(&self, s: &Session) -> StoreResult<()> {
        let s = s.clone();
        self.write(move |tx| {
            tx.execute(
                &format!("INSERT INTO sessions ({SESSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)"),
                params![
                    s.id,
                    s.user_id,
                    ms(s.created_at),
                    ms(s.expires_at),
                    s.revoked_at.map(ms)
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn get_session(&self, id: &str) -> StoreResult<Option<Session>> {
        let id = id.to_owned();
        self.run(move |c| session_by_id(c, &id)).await
    }

    async fn get_session_user(&self, session_id: &str) -> StoreResult<Option<(Session, User)>> {
        let id = session_id.to_owned();
        self.run(move |c| {
            let user_from = SESSION_COLUMNS.split(", ").count();
            Ok(c.prepare_cached(session_user_sql())?
                .query_row([id], |r| Ok((session_from_row(r)?, user_at(r, user_from)?)))
                .optional()?)
        })
        .await
    }

    async fn list_sessions(&self, user_id: &str) -> StoreResult<Vec<Session>> {
        let user_id = user_id.to_owned();
        self.run(move |c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = ?1 ORDER BY created_at DESC"
            ))?
            .query_map([user_id], session_from_row)?
            .collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn revoke_session(&self, id: &str, at: Timestamp) -> StoreResult<bool> {
        let id = id.to_owned();
        self.write(move |tx| {
            Ok(tx.execute(
                "UPDATE sessions SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![id, ms(at)],
            )? > 0)
        })
        .await
    }

    async fn revoke_user_sessions(&self, user_id: &str, at: Timestamp) -> StoreResult<u64> {
        let user_id = user_id.to_owned();
        self.write(move |tx| {
            Ok(tx.execute(
                "UPDATE sessions SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL",
                params![user_id, ms(at)],
            )? as u64)
        })
        .await
    }

    async fn purge_sessions(&self, before: Timestamp) -> StoreResult<u64> {
        self.write(move |tx| {
            let n = tx.execute("DELETE FROM sessions WHERE expires_at < ?1", [ms(before)])?;
            tx.execute(
                "DELETE FROM password_resets WHERE expires_at < ?1",
                [ms(before)],
            )?;
            Ok(n as u64)
        })
        .await
    }

    async fn create_password_reset(
        &self,
        reset: &PasswordReset,
        mail: &OutboxMail,
    ) -> StoreResult<()> {
        let (r, mail) = (reset.clone(), mail.clone());
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO password_resets (token_hash, user_id, expires_at) VALUES (?1, ?2, ?3)",
                params![r.token_hash, r.user_id, ms(r.expires_at)],
            )?;
            insert_mail(tx, &mail)?;
            Ok(())
        })
        .await
    }

    async fn consume_password_reset(
        &self,
        token_hash: &str,
        password_hash: &str,
        at: Timestamp,
    ) -> StoreResult<Option<String>> {
        let (token_hash, password_hash) = (token_hash.to_owned(), password_hash.to_owned());
        self.write(move |tx| {
            let user_id: Option<String> = tx
                .query_row(
                    "UPDATE password_resets SET used_at = ?2
                     WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2
                     RETURNING user_id",
                    params![token_hash, ms(at)],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(user_id) = user_id else {
                return Ok(None);
            };
            tx.execute(
                "UPDATE users SET password_hash = ?2 WHERE id = ?1",
                params![user_id, password_hash],
            )?;
            tx.execute(
                "UPDATE sessions SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL",
                params![user_id, ms(at)],
            )?;
            Ok(Some(user_id))
        })
        .await
    }

    async fn set_disabled(&self, email: &str, at: Option<Timestamp>) -> StoreResult<Option<User>> {
        let email = email.to_owned();
        self.write(move |tx| {
            let id: Option<String> = tx
                .query_row(
                    "UPDATE users SET disabled_at = ?2 WHERE email = ?1 RETURNING id",
                    params![email, at.map(ms)],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(id) = id else {
                return Ok(None);
            };
            if let Some(at) = at {
                tx.execute(
                    "UPDATE sessions SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL",
                    params![id, ms(at)],
                )?;
            }
            user_by_id(tx, &id)
        })
        .await
    }

    async fn list_customers(
        &self,
        search: Option<&str>,
        page: Page,
    ) -> StoreResult<(Vec<CustomerSummary>, u64)> {
        let search = search.map(str::to_owned);
        self.run(move |c| {
            // `lower` folds ASCII letters only, as the MongoDB store's
            // pattern does; `instr` needs no escaping of `%` and `_`.
            let matching =
                "(?1 IS NULL OR instr(lower(email), ?1) > 0 OR instr(lower(name), ?1) > 0)";
            let users = c
                .prepare_cached(&format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE {matching}
                     ORDER BY created_at DESC, id DESC LIMIT ?2 OFFSET ?3"
                ))?
                .query_map(
                    params![search, page.limit as i64, page.offset as i64],
                    user_from_row,
                )?
                .map(|u| u.map(CustomerSummary::from))
                .collect::<Result<Vec<_>, _>>()?;
            let total: i64 = c
                .prepare_cached(&format!("SELECT COUNT(*) FROM users WHERE {matching}"))?
                .query_row(params![search], |r| r.get(0))?;
            Ok((users, total as u64))
        })
        .await
    }

    async fn scan_users(&self, after: Option<&str>, limit: u64) -> StoreResult<Vec<User>> {
        let after = after.unwrap_or("").to_owned();
        self.run(move |c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {USER_COLUMNS} FROM users WHERE id > ?1 ORDER BY id LIMIT ?2"
            ))?
            .query_map(params![after, limit as i64], user_from_row)?
            .collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }
}
