use async_trait::async_trait;
use futures_util::TryStreamExt;
use mongodb::bson::{doc, DateTime, Document};
use mongodb::Collection;
use serde::{Deserialize, Serialize};

use super::{bson_time, limit, time, MongoStore};
use crate::domain::audit::{action_span, AuditEntry, AuditFilter};
use crate::domain::Page;
use crate::store::{decode_stored, AuditStore, StoreError, StoreResult};

/// An `audit_log` document; `_id` is the entry id (time-ordered). Before
/// and after are kept as JSON text, exactly as recorded, whatever keys the
/// recorded thing has.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct AuditDoc {
    #[serde(rename = "_id")]
    id: String,
    at: DateTime,
    actor: String,
    role: String,
    action: String,
    target: String,
    before: Option<String>,
    after: Option<String>,
}

impl AuditDoc {
    fn decode(self) -> StoreResult<AuditEntry> {
        let json = |text: Option<String>| {
            text.map(|t| serde_json::from_str(&t))
                .transpose()
                .map_err(StoreError::backend)
        };
        Ok(AuditEntry {
            role: decode_stored("audit_log", &self.id, "role", &self.role)?,
            before: json(self.before)?,
            after: json(self.after)?,
            id: self.id,
            at: time(self.at),
            actor: self.actor,
            action: self.action,
            target: self.target,
        })
    }
}

/// The query for `filter`, with the same meaning as the SQLite store's.
fn query(filter: &AuditFilter) -> Document {
    let mut q = Document::new();
    if let Some(actor) = &filter.actor {
        q.insert("actor", actor);
    }
    match &filter.action {
        Some(prefix) if prefix.ends_with('.') => {
            let (from, until) = action_span(prefix);
            q.insert("action", doc! { "$gte": from, "$lt": until });
        }
        Some(action) => {
            q.insert("action", action);
        }
        None => {}
    }
    if let Some(target) = &filter.target {
        q.insert("target", target);
    }
    let mut at = Document::new();
    if let Some(start) = filter.days.start() {
        at.insert("$gte", bson_time(start));
    }
    if let Some(end) = filter.days.end() {
        at.insert("$lt", bson_time(end));
    }
    if !at.is_empty() {
        q.insert("at", at);
    }
    q
}

impl MongoStore {
    fn audit_log(&self) -> Collection<AuditDoc> {
        self.coll("audit_log")
    }
}

#[async_trait]
impl AuditStore for MongoStore {
    async fn append_audit(&self, e: &AuditEntry) -> StoreResult<()> {
        let text = |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string());
        self.audit_log()
            .insert_one(AuditDoc {
                id: e.id.clone(),
                at: bson_time(e.at),
                actor: e.actor.clone(),
                role: e.role.as_str().to_owned(),
                action: e.action.clone(),
                target: e.target.clone(),
                before: text(&e.before),
                after: text(&e.after),
            })
            .await?;
        Ok(())
    }

    async fn list_audit(
        &self,
        filter: &AuditFilter,
        page: Page,
    ) -> StoreResult<(Vec<AuditEntry>, u64)> {
        let q = query(filter);
        let total = self.audit_log().count_documents(q.clone()).await?;
        if page.limit == 0 {
            return Ok((Vec::new(), total));
        }
        let docs: Vec<AuditDoc> = self
            .audit_log()
            .find(q)
            .sort(doc! { "at": -1, "_id": -1 })
            .skip(page.offset)
            .limit(limit(page.limit))
            .await?
            .try_collect()
            .await?;
        let entries = docs
            .into_iter()
            .map(AuditDoc::decode)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((entries, total))
    }
}
