use async_trait::async_trait;
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Row};

use super::{ms, stored_enum, ts, SqliteStore};
use crate::domain::audit::{action_span, AuditEntry, AuditFilter};
use crate::domain::Page;
use crate::store::{AuditStore, StoreError, StoreResult};

const COLUMNS: &str = "id, at, actor, role, action, target, before, after";

fn json_column(row: &Row, at: usize) -> rusqlite::Result<Option<serde_json::Value>> {
    let text: Option<String> = row.get(at)?;
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(at, rusqlite::types::Type::Text, e.into())
        })
    })
    .transpose()
}

fn entry_from_row(row: &Row) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        id: row.get(0)?,
        at: ts(row.get(1)?),
        actor: row.get(2)?,
        role: stored_enum(row, 3, 0, "audit_log", "role")?,
        action: row.get(4)?,
        target: row.get(5)?,
        before: json_column(row, 6)?,
        after: json_column(row, 7)?,
    })
}

/// The WHERE clause for `filter` and its parameters.
fn clause(filter: &AuditFilter) -> (String, Vec<SqlValue>) {
    let mut terms = Vec::new();
    let mut values = Vec::new();
    if let Some(actor) = &filter.actor {
        values.push(SqlValue::Text(actor.clone()));
        terms.push(format!("actor = ?{}", values.len()));
    }
    match &filter.action {
        Some(prefix) if prefix.ends_with('.') => {
            let (from, until) = action_span(prefix);
            values.push(SqlValue::Text(from));
            values.push(SqlValue::Text(until));
            let n = values.len();
            terms.push(format!("action >= ?{} AND action < ?{n}", n - 1));
        }
        Some(action) => {
            values.push(SqlValue::Text(action.clone()));
            terms.push(format!("action = ?{}", values.len()));
        }
        None => {}
    }
    if let Some(target) = &filter.target {
        values.push(SqlValue::Text(target.clone()));
        terms.push(format!("target = ?{}", values.len()));
    }
    if let Some(start) = filter.days.start() {
        values.push(SqlValue::Integer(ms(start)));
        terms.push(format!("at >= ?{}", values.len()));
    }
    if let Some(end) = filter.days.end() {
        values.push(SqlValue::Integer(ms(end)));
        terms.push(format!("at < ?{}", values.len()));
    }
    let clause = if terms.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", terms.join(" AND "))
    };
    (clause, values)
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        let e = entry.clone();
        let json = |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string());
        let (before, after) = (json(&e.before), json(&e.after));
        self.write(move |tx| {
            tx.prepare_cached(&format!(
                "INSERT INTO audit_log ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
            ))?
            .execute(params![
                e.id,
                ms(e.at),
                e.actor,
                e.role.as_str(),
                e.action,
                e.target,
                before,
                after
            ])?;
            Ok(())
        })
        .await
    }

    async fn list_audit(
        &self,
        filter: &AuditFilter,
        page: Page,
    ) -> StoreResult<(Vec<AuditEntry>, u64)> {
        let (clause, values) = clause(filter);
        self.run(move |c| {
            let n = values.len();
            let mut paged = values.clone();
            paged.push(SqlValue::Integer(
                i64::try_from(page.limit).unwrap_or(i64::MAX),
            ));
            paged.push(SqlValue::Integer(
                i64::try_from(page.offset).unwrap_or(i64::MAX),
            ));
            let entries = c
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM audit_log {clause}
                     ORDER BY at DESC, id DESC LIMIT ?{} OFFSET ?{}",
                    n + 1,
                    n + 2
                ))?
                .query_map(params_from_iter(paged), entry_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            let total: i64 = c.query_row(
                &format!("SELECT COUNT(*) FROM audit_log {clause}"),
                params_from_iter(values),
                |r| r.get(0),
            )?;
            Ok((entries, u64::try_from(total).map_err(StoreError::backend)?))
        })
        .await
    }
}
