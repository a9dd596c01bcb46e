use async_trait::async_trait;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use mongodb::bson::{doc, DateTime, Document};
use mongodb::change_stream::event::OperationType;
use mongodb::{ClientSession, Collection};
use serde::{Deserialize, Serialize};

use super::{bson_time, limit, time, MongoStore};
use crate::domain::accounts::Erasure;
use crate::domain::chat::{Message, MessageFilter};
use crate::store::{decode_stored, CorruptValue};
use crate::store::{ChatStore, StoreError, StoreResult};

/// A `messages` document; `_id` is the message id, `to` is null for
/// messages to everyone.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct MessageDoc {
    #[serde(rename = "_id")]
    id: String,
    author: String,
    email: String,
    #[serde(rename = "type")]
    kind: String,
    body: String,
    to: Option<String>,
    created_at: DateTime,
}

impl From<&Message> for MessageDoc {
    fn from(m: &Message) -> Self {
        Self {
            id: m.id.clone(),
            author: m.author.clone(),
            email: m.email.clone(),
            kind: m.kind.as_str().to_owned(),
            body: m.body.clone(),
            to: m.to.clone(),
            created_at: bson_time(m.created_at),
        }
    }
}

impl TryFrom<MessageDoc> for Message {
    type Error = CorruptValue;

    fn try_from(d: MessageDoc) -> Result<Self, CorruptValue> {
        Ok(Self {
            kind: decode_stored("messages", &d.id, "type", &d.kind)?,
            id: d.id,
            author: d.author,
            email: d.email,
            body: d.body,
            to: d.to,
            created_at: time(d.created_at),
        })
    }
}

impl MongoStore {
    fn messages(&self) -> Collection<MessageDoc> {
        self.coll("messages")
    }

    /// Takes an erased customer out of the chat (see [`Erasure`]): what they
    /// wrote keeps its place in the threads with its author, email and body
    /// replaced; answers to them are addressed to the placeholder.
    pub(super) async fn erase_author_in(
        &self,
        s: &mut ClientSession,
        e: &Erasure,
    ) -> StoreResult<()> {
        self.messages()
            .update_many(
                doc! { "email": &e.email },
                doc! { "$set": {
                    "author": Erasure::AUTHOR,
                    "email": &e.placeholder,
                    "body": Erasure::BODY,
                } },
            )
            .session(&mut *s)
            .await?;
        self.messages()
            .update_many(
                doc! { "to": &e.email },
                doc! { "$set": { "to": &e.placeholder } },
            )
            .session(&mut *s)
            .await?;
        Ok(())
    }
}

/// The query for `filter`, with the same meaning as the SQLite store's WHERE
/// clause. `to: null` matches both a null and a missing `to`.
fn query(filter: &MessageFilter, cursor: Option<&MessageDoc>) -> Document {
    let mut clauses: Vec<Document> = Vec::new();
    if let Some(email) = &filter.channel_of {
        clauses.push(doc! { "$or": [ { "email": email }, { "to": email } ] });
    }
    if let Some(viewer) = &filter.visible_to {
        clauses.push(doc! { "$or": [ { "email": viewer }, { "to": null }, { "to": viewer } ] });
    }
    if let Some(c) = cursor {
        clauses.push(doc! { "$or": [
            { "created_at": { "$lt": c.created_at } },
            { "created_at": c.created_at, "_id": { "$lt": &c.id } },
        ]});
    }
    if clauses.is_empty() {
        doc! {}
    } else {
        doc! { "$and": clauses }
    }
}

#[async_trait]
impl ChatStore for MongoStore {
    async fn insert_message(&self, message: &Message) -> StoreResult<()> {
        self.messages()
            .insert_one(MessageDoc::from(message))
            .await?;
        Ok(())
    }

    async fn list_messages(&self, filter: &MessageFilter) -> StoreResult<Vec<Message>> {
        if filter.limit == 0 {
            return Ok(Vec::new());
        }
        // Cursor: (created_at, id) of the `before` message; an unknown id
        // pages from the newest, as in the SQLite store.
        let cursor = match &filter.before {
            Some(id) => self.messages().find_one(doc! { "_id": id }).await?,
            None => None,
        };
        let docs: Vec<MessageDoc> = self
            .messages()
            .find(query(filter, cursor.as_ref()))
            .sort(doc! { "created_at": -1, "_id": -1 })
            .limit(limit(filter.limit))
            .await?
            .try_collect()
            .await?;
        let mut messages = docs
            .into_iter()
            .map(Message::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        messages.reverse();
        Ok(messages)
    }

    async fn watch_messages(&self) -> StoreResult<BoxStream<'static, StoreResult<Message>>> {
        // Every instance inserting into `messages` shows up here: this is
        // how several instances share one chat.
        let stream = self
            .messages()
            .watch()
            .pipeline([doc! { "$match": { "operationType": "insert" } }])
            .await?;
        let messages = stream.filter_map(|event| async move {
            match event {
                Err(e) => Some(Err(StoreError::from(e))),
                Ok(event) if event.operation_type == OperationType::Insert => event
                    .full_document
                    .map(|d| Message::try_from(d).map_err(StoreError::from)),
                Ok(_) => None,
            }
        });
        Ok(messages.boxed())
    }
}
