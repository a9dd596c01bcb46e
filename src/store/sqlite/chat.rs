use async_trait::async_trait;
use futures_util::stream::BoxStream;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{ms, stored_enum, ts, SqliteStore};
use crate::domain::accounts::Erasure;
use crate::domain::chat::{Message, MessageFilter};
use crate::store::{ChatStore, StoreError, StoreResult};

const COLUMNS: &str = "id, author, email, type, body, recipient, created_at";

fn message_from_row(row: &Row) -> rusqlite::Result<Message> {
    Ok(Message {
        id: row.get(0)?,
        author: row.get(1)?,
        email: row.get(2)?,
        kind: stored_enum(row, 3, 0, "messages", "type")?,
        body: row.get(4)?,
        to: row.get(5)?,
        created_at: ts(row.get(6)?),
    })
}

/// Takes an erased customer out of the chat (see [`Erasure`]): what they
/// wrote keeps its place in the threads with its author, email and body
/// replaced; answers to them are addressed to the placeholder. Runs inside
/// the erasure's transaction.
pub(super) fn erase_author(c: &Connection, e: &Erasure) -> StoreResult<()> {
    c.execute(
        "UPDATE messages SET author = ?2, email = ?3, body = ?4 WHERE email = ?1",
        params![e.email, Erasure::AUTHOR, e.placeholder, Erasure::BODY],
    )?;
    c.execute(
        "UPDATE messages SET recipient = ?2 WHERE recipient = ?1",
        params![e.email, e.placeholder],
    )?;
    Ok(())
}

#[async_trait]
impl ChatStore for SqliteStore {
    async fn insert_message(&self, m: &Message) -> StoreResult<()> {
        let m = m.clone();
        self.write(move |tx| {
            tx.prepare_cached(&format!(
                "INSERT INTO messages ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
            ))?
            .execute(params![
                m.id,
                m.author,
                m.email,
                m.kind.as_str(),
                m.body,
                m.to,
                ms(m.created_at)
            ])?;
            Ok(())
        })
        .await
    }

    async fn list_messages(&self, filter: &MessageFilter) -> StoreResult<Vec<Message>> {
        let filter = filter.clone();
        self.run(move |c| {
            // Cursor: (created_at, id) of the `before` message.
            let cursor: Option<(i64, String)> = match &filter.before {
                Some(id) => c
                    .query_row(
                        "SELECT created_at, id FROM messages WHERE id = ?1",
                        [id],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?,
                None => None,
            };
            let (cursor_at, cursor_id) = match cursor {
                Some((at, id)) => (Some(at), Some(id)),
                None => (None, None),
            };
            let mut messages = c
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM messages
                     WHERE (?1 IS NULL OR email = ?1 OR recipient = ?1)
                       AND (?2 IS NULL OR email = ?2 OR recipient IS NULL OR recipient = ?2)
                       AND (?3 IS NULL OR created_at < ?3 OR (created_at = ?3 AND id < ?4))
                     ORDER BY created_at DESC, id DESC LIMIT ?5"
                ))?
                .query_map(
                    params![
                        filter.channel_of,
                        filter.visible_to,
                        cursor_at,
                        cursor_id,
                        filter.limit as i64
                    ],
                    message_from_row,
                )?
                .collect::<Result<Vec<_>, _>>()?;
            messages.reverse();
            Ok(messages)
        })
        .await
    }

    async fn watch_messages(&self) -> StoreResult<BoxStream<'static, StoreResult<Message>>> {
        // One process owns an SQLite file: the local hub sees every insert.
        Err(StoreError::backend(anyhow::anyhow!(
            "the embedded store is not shared: there is no feed to watch"
        )))
    }
}
