use async_trait::async_trait;
use futures_util::TryStreamExt;
use mongodb::bson::{doc, Bson, DateTime, Document};
use mongodb::options::ReturnDocument;
use mongodb::{ClientSession, Collection};
use serde::{Deserialize, Serialize};

use super::{bson_time, limit, time, MongoStore};
use crate::domain::mail::{MailPayload, MailStatus, OutboxMail};
use crate::domain::{Page, Timestamp};
use crate::store::decode_stored;
use crate::store::{OutboxStore, StoreResult};

/// An `outbox` document; `_id` is the mail id. The template payload is kept
/// as JSON text: it is only ever read back whole, and text cannot trip over
/// field names MongoDB treats specially (`$…`, dots).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct MailDoc {
    #[serde(rename = "_id")]
    id: String,
    kind: String,
    to: String,
    to_name: Option<String>,
    payload: String,
    status: String,
    attempts: i64,
    next_attempt_at: DateTime,
    last_error: Option<String>,
    created_at: DateTime,
    sent_at: Option<DateTime>,
}

impl MailDoc {
    pub(super) fn new(m: &OutboxMail) -> StoreResult<Self> {
        Ok(Self {
            id: m.id.clone(),
            kind: m.kind.as_str().to_owned(),
            to: m.to.clone(),
            to_name: m.to_name.clone(),
            payload: m.payload.as_json().to_owned(),
            status: m.status.as_str().to_owned(),
            attempts: i64::from(m.attempts),
            next_attempt_at: bson_time(m.next_attempt_at),
            last_error: m.last_error.clone(),
            created_at: bson_time(m.created_at),
            sent_at: m.sent_at.map(bson_time),
        })
    }

    pub(super) fn many(mails: &[OutboxMail]) -> StoreResult<Vec<Self>> {
        mails.iter().map(Self::new).collect()
    }

    fn decode(self) -> StoreResult<OutboxMail> {
        let kind = decode_stored("outbox", &self.id, "kind", &self.kind)?;
        let status = decode_stored("outbox", &self.id, "status", &self.status)?;
        Ok(OutboxMail {
            id: self.id,
            kind,
            to: self.to,
            to_name: self.to_name,
            payload: MailPayload::from_json(self.payload)?,
            status,
            attempts: u32::try_from(self.attempts).unwrap_or(u32::MAX),
            next_attempt_at: time(self.next_attempt_at),
            last_error: self.last_error,
            created_at: time(self.created_at),
            sent_at: self.sent_at.map(time),
        })
    }
}

impl MongoStore {
    fn outbox(&self) -> Collection<MailDoc> {
        self.coll("outbox")
    }

    /// Deletes every mail addressed to `to`, inside a transaction (an
    /// account's erasure).
    pub(super) async fn delete_mails_to_in(
        &self,
        s: &mut ClientSession,
        to: &str,
    ) -> StoreResult<()> {
        self.outbox()
            .delete_many(doc! { "to": to })
            .session(s)
            .await?;
        Ok(())
    }

    /// Writes outbox rows inside the caller's transaction.
    pub(super) async fn insert_mails(
        &self,
        s: &mut ClientSession,
        mails: &[MailDoc],
    ) -> StoreResult<()> {
        if !mails.is_empty() {
            self.outbox().insert_many(mails).session(s).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl OutboxStore for MongoStore {
    async fn claim_mail(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u64,
    ) -> StoreResult<Vec<OutboxMail>> {
        // One row at a time, each claim a single atomic find-and-modify: two
        // senders can never both win the same row.
        let mut claimed: Vec<OutboxMail> = Vec::new();
        let mut ids: Vec<Bson> = Vec::new();
        while (claimed.len() as u64) < limit {
            let mut filter = doc! {
                "status": MailStatus::Pending.as_str(),
                "next_attempt_at": { "$lte": bson_time(now) },
            };
            if !ids.is_empty() {
                // Never take a row twice in one call, even with lease_until <= now.
                filter.insert("_id", doc! { "$nin": ids.clone() });
            }
            let mail = self
                .outbox()
                .find_one_and_update(
                    filter,
                    doc! { "$set": { "next_attempt_at": bson_time(lease_until) } },
                )
                .sort(doc! { "next_attempt_at": 1, "_id": 1 })
                .return_document(ReturnDocument::After)
                .await?;
            let Some(mail) = mail else { break };
            ids.push(Bson::String(mail.id.clone()));
            claimed.push(mail.decode()?);
        }
        Ok(claimed)
    }

    async fn mark_mail_sent(&self, ids: &[String], at: Timestamp) -> StoreResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        self.outbox()
            .update_many(
                doc! { "_id": { "$in": ids } },
                doc! {
                    "$set": {
                        "status": MailStatus::Sent.as_str(),
                        "sent_at": bson_time(at),
                        "last_error": null,
                    },
                    "$inc": { "attempts": 1_i64 },
                },
            )
            .await?;
        Ok(())
    }

    async fn mark_mail_failed(
        &self,
        id: &str,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> StoreResult<()> {
        let mut set: Document = doc! { "last_error": error };
        match retry_at {
            Some(at) => set.insert("next_attempt_at", bson_time(at)),
            None => set.insert("status", MailStatus::Failed.as_str()),
        };
        self.outbox()
            .update_one(
                doc! { "_id": id },
                doc! { "$set": set, "$inc": { "attempts": 1_i64 } },
            )
            .await?;
        Ok(())
    }

    async fn list_mail(
        &self,
        status: Option<MailStatus>,
        page: Page,
    ) -> StoreResult<(Vec<OutboxMail>, u64)> {
        let filter = match status {
            Some(s) => doc! { "status": s.as_str() },
            None => doc! {},
        };
        let total = self.outbox().count_documents(filter.clone()).await?;
        if page.limit == 0 {
            return Ok((Vec::new(), total));
        }
        let docs: Vec<MailDoc> = self
            .outbox()
            .find(filter)
            .sort(doc! { "created_at": -1, "_id": -1 })
            .skip(page.offset)
            .limit(limit(page.limit))
            .await?
            .try_collect()
            .await?;
        let mails = docs
            .into_iter()
            .map(MailDoc::decode)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((mails, total))
    }

    async fn retry_mail(&self, id: &str, at: Timestamp) -> StoreResult<bool> {
        let result = self
            .outbox()
            .update_one(
                doc! { "_id": id, "status": MailStatus::Failed.as_str() },
                doc! { "$set": {
                    "status": MailStatus::Pending.as_str(),
                    "next_attempt_at": bson_time(at),
                }},
            )
            .await?;
        Ok(result.matched_count > 0)
    }

    async fn queue_mail(&self, mails: &[OutboxMail]) -> StoreResult<()> {
        let docs = MailDoc::many(mails)?;
        if !docs.is_empty() {
            self.outbox().insert_many(docs).await?;
        }
        Ok(())
    }
}
