//! The audit log: every write an admin or a staff member makes, who made it,
//! when, on what, and the thing before and after. Entries are only ever
//! appended; nothing in the shop edits or deletes them.

use serde::Serialize;
use serde_json::Value;

use super::accounts::{Identity, Permission, Role};
use super::dates::DayRange;
use super::error::ShopResult;
use super::ports::Store;
use super::{new_id, now, Page, Timestamp};

/// One recorded write.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// The entry's id (time-ordered).
    pub id: String,
    /// When the write happened.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// Who made it: the account's email.
    pub actor: String,
    /// Their role at the time.
    #[schema(value_type = String)]
    pub role: Role,
    /// What was done, `<thing>.<verb>` (`product.update`, `order.status`…).
    pub action: String,
    /// What it was done to, `<thing>:<id>` (`product:…`, `order:42`).
    pub target: String,
    /// The thing before the write (`None` for a creation).
    #[schema(value_type = Option<Object>)]
    pub before: Option<Value>,
    /// The thing after the write (`None` for a deletion).
    #[schema(value_type = Option<Object>)]
    pub after: Option<Value>,
}

/// Which entries a list shows; every field narrows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only this actor's writes (exact email).
    pub actor: Option<String>,
    /// Only this action, or every action on a thing when it ends in `.`
    /// (`order.` matches `order.status` and `order.refund`).
    pub action: Option<String>,
    /// Only writes to this target (exact, e.g. `order:42`).
    pub target: Option<String>,
    /// Only writes on these days.
    pub days: DayRange,
}

/// The actions a prefix filter (`order.`) matches, as a range of text:
/// from the prefix itself to just before the prefix with its final dot
/// raised to the next character, so both stores answer it from an index.
pub fn action_span(prefix: &str) -> (String, String) {
    let stem = prefix.strip_suffix('.').unwrap_or(prefix);
    (format!("{stem}."), format!("{stem}/"))
}

/// Records a write `who` made, right after it succeeded. A failure to record
/// is the request's failure: an admin write must not go unrecorded silently.
pub async fn record(
    store: &dyn Store,
    who: &Identity,
    action: &str,
    target: &str,
    before: Option<Value>,
    after: Option<Value>,
) -> ShopResult<()> {
    let entry = AuditEntry {
        id: new_id(),
        at: now(),
        actor: who.user.email.clone(),
        role: who.user.role,
        action: action.to_owned(),
        target: target.to_owned(),
        before,
        after,
    };
    store.append_audit(&entry).await?;
    Ok(())
}

/// One page of the log, newest first, and how many entries match; for
/// those who may read it.
pub async fn list(
    store: &dyn Store,
    who: &Identity,
    filter: &AuditFilter,
    page: Page,
) -> ShopResult<(Vec<AuditEntry>, u64)> {
    who.allowed(Permission::ReadAuditLog)?;
    Ok(store.list_audit(filter, page).await?)
}

/// `value` as JSON for an entry (a value that cannot be shown as JSON is
/// recorded as absent rather than failing the write it describes).
pub fn snapshot<T: Serialize>(value: &T) -> Option<Value> {
    serde_json::to_value(value).ok()
}
