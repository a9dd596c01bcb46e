use async_trait::async_trait;
use rusqlite::{params, Connection, Row};

use super::{ms, ts, SqliteStore};
use crate::domain::mail::{MailKind, MailPayload, MailStatus, OutboxMail};
use crate::domain::{Page, Timestamp};
use crate::store::{decode_stored, OutboxStore, StoreResult};

const COLUMNS: &str = "id, kind, recipient, recipient_name, payload, status, attempts, next_attempt_at, last_error, created_at, sent_at";

pub(super) fn insert_mail(c: &Connection, m: &OutboxMail) -> StoreResult<()> {
    c.prepare_cached(&format!(
        "INSERT INTO outbox ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    ))?
    .execute(params![
        m.id,
        m.kind.as_str(),
        m.to,
        m.to_name,
        m.payload.as_json(),
        m.status.as_str(),
        m.attempts,
        ms(m.next_attempt_at),
        m.last_error,
        ms(m.created_at),
        m.sent_at.map(ms)
    ])?;
    Ok(())
}

fn mail_from_row(row: &Row) -> rusqlite::Result<(OutboxMail, String, String, String)> {
    Ok((
        OutboxMail {
            id: row.get(0)?,
            kind: MailKind::Welcome,
            to: row.get(2)?,
            to_name: row.get(3)?,
            payload: MailPayload::default(),
            status: MailStatus::Pending,
            attempts: row.get(6)?,
            next_attempt_at: ts(row.get(7)?),
            last_error: row.get(8)?,
            created_at: ts(row.get(9)?),
            sent_at: row.get::<_, Option<i64>>(10)?.map(ts),
        },
        row.get(1)?,
        row.get(4)?,
        row.get(5)?,
    ))
}

fn decode(parts: (OutboxMail, String, String, String)) -> StoreResult<OutboxMail> {
    let (mut mail, kind, payload, status) = parts;
    mail.kind = decode_stored("outbox", &mail.id, "kind", &kind)?;
    mail.status = decode_stored("outbox", &mail.id, "status", &status)?;
    mail.payload = MailPayload::from_json(payload)?;
    Ok(mail)
}

#[async_trait]
impl OutboxStore for SqliteStore {
    async fn claim_mail(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u64,
    ) -> StoreResult<Vec<OutboxMail>> {
        self.write(move |tx| {
            let mails = tx
                .prepare_cached(&format!(
                    "UPDATE outbox SET next_attempt_at = ?2
                     WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?1
                                  ORDER BY next_attempt_at LIMIT ?3)
                     RETURNING {COLUMNS}"
                ))?
                .query_map(params![ms(now), ms(lease_until), limit as i64], mail_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            mails.into_iter().map(decode).collect()
        })
        .await
    }

    async fn mark_mail_sent(&self, ids: &[String], at: Timestamp) -> StoreResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let ids = ids.to_vec();
        self.write(move |tx| {
            let mut update = tx.prepare_cached(
                "UPDATE outbox SET status = 'sent', sent_at = ?2, attempts = attempts + 1, last_error = NULL WHERE id = ?1",
            )?;
            for id in &ids {
                update.execute(params![id, ms(at)])?;
            }
            Ok(())
        })
        .await
    }

    async fn mark_mail_failed(
        &self,
        id: &str,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> StoreResult<()> {
        let (id, error) = (id.to_owned(), error.to_owned());
        self.write(move |tx| {
            match retry_at {
                Some(at) => tx.execute(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3 WHERE id = ?1",
                    params![id, error, ms(at)],
                )?,
                None => tx.execute(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, status = 'failed' WHERE id = ?1",
                    params![id, error],
                )?,
            };
            Ok(())
        })
        .await
    }

    async fn list_mail(
        &self,
        status: Option<MailStatus>,
        page: Page,
    ) -> StoreResult<(Vec<OutboxMail>, u64)> {
        self.run(move |c| {
            let status = status.map(|s| s.as_str());
            let mails = c
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM outbox WHERE (?1 IS NULL OR status = ?1)
                     ORDER BY created_at DESC, id DESC LIMIT ?2 OFFSET ?3"
                ))?
                .query_map(
                    params![status, page.limit as i64, page.offset as i64],
                    mail_from_row,
                )?
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .map(decode)
                .collect::<StoreResult<Vec<_>>>()?;
            let total: i64 = c.query_row(
                "SELECT COUNT(*) FROM outbox WHERE (?1 IS NULL OR status = ?1)",
                params![status],
                |r| r.get(0),
            )?;
            Ok((mails, total as u64))
        })
        .await
    }

    async fn retry_mail(&self, id: &str, at: Timestamp) -> StoreResult<bool> {
        let id = id.to_owned();
        self.write(move |tx| {
            Ok(tx.execute(
                "UPDATE outbox SET status = 'pending', next_attempt_at = ?2 WHERE id = ?1 AND status = 'failed'",
                params![id, ms(at)],
            )? > 0)
        })
        .await
    }

    async fn queue_mail(&self, mails: &[OutboxMail]) -> StoreResult<()> {
        let mails = mails.to_vec();
        self.write(move |tx| mails.iter().try_for_each(|mail| insert_mail(tx, mail)))
            .await
    }
}
