//! The audit log of admin and staff writes: a filtered list, JSON or page.
//! There is no route that changes or deletes an entry.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::domain::audit::{self, AuditEntry, AuditFilter};
use crate::domain::dates::DayRange;
use crate::error::{AppResult, Problem};
use crate::http::extract::{ApiQuery, PageQuery, WantsHtml};
use crate::http::locale::Lang;
use crate::http::session::Identity;
use crate::http::visitor::Visitor;
use crate::http::AppState;

/// Query parameters of `GET /admin/audit`; empty ones are no filter.
#[derive(Debug, Default, Deserialize, Serialize, IntoParams)]
pub struct AuditQuery {
    /// Only this account's writes (its email).
    pub actor: Option<String>,
    /// Only this action (`order.status`), or every action on a thing
    /// (`order.`).
    pub action: Option<String>,
    /// Only writes to this target (`order:42`, `product:<id>`).
    pub target: Option<String>,
    /// First day (`YYYY-MM-DD`, UTC), included.
    pub from: Option<String>,
    /// Last day (`YYYY-MM-DD`, UTC), included.
    pub to: Option<String>,
    /// Entries to skip.
    pub offset: Option<u64>,
    /// Entries per page (1-200, default 50).
    pub limit: Option<u64>,
}

/// One page of the audit log.
#[derive(Serialize, ToSchema)]
pub struct AuditList {
    /// The entries on this page, newest first.
    pub items: Vec<AuditEntry>,
    /// Entries matching the filter, on all pages.
    pub total: u64,
    /// Entries skipped before this page.
    pub offset: u64,
    /// Page size used.
    pub limit: u64,
}

/// `text` trimmed, or `None` when that leaves nothing.
fn given(text: &Option<String>) -> Option<String> {
    text.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

impl AuditQuery {
    fn filter(&self) -> AppResult<AuditFilter> {
        Ok(AuditFilter {
            actor: given(&self.actor).map(|a| a.to_ascii_lowercase()),
            action: given(&self.action),
            target: given(&self.target),
            days: DayRange::parse(given(&self.from).as_deref(), given(&self.to).as_deref())?,
        })
    }
}

/// The audit log, newest first (admin): who wrote what, when, and the
/// thing before and after.
#[utoipa::path(get, path = "/admin/audit", tag = "admin", params(AuditQuery),
    responses((status = 200, body = AuditList), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Lang(locale): Lang,
    WantsHtml(html): WantsHtml,
    who: Identity,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> AppResult<Response> {
    let page = PageQuery {
        offset: q.offset,
        limit: q.limit,
    }
    .page()?;
    let filter = q.filter()?;
    let (items, total) = audit::list(&*state.store, &who, &filter, page).await?;
    let list = AuditList {
        items,
        total,
        offset: page.offset,
        limit: page.limit,
    };
    if html {
        let next = (page.offset + page.limit < total).then(|| AuditQuery {
            offset: Some(page.offset + page.limit),
            limit: q.limit,
            ..q.clone_filters()
        });
        let previous = (page.offset > 0).then(|| AuditQuery {
            offset: Some(page.offset.saturating_sub(page.limit)),
            limit: q.limit,
            ..q.clone_filters()
        });
        let link = |q: Option<AuditQuery>| {
            q.and_then(|q| serde_urlencoded::to_string(q).ok())
                .map(|query| format!("/admin/audit?{query}"))
        };
        return state.pages.render(
            locale,
            "admin_audit",
            state.pages.text(locale, "title-admin-audit"),
            &Visitor::signed_in(&state, &who).await,
            json!({
                "list": list,
                "rows": list.items.iter().map(row).collect::<Vec<_>>(),
                "query": q.clone_filters(),
                "next": link(next),
                "previous": link(previous),
            }),
        );
    }
    Ok(Json(list).into_response())
}

/// An entry as the page shows it: before and after as indented JSON.
fn row(entry: &AuditEntry) -> serde_json::Value {
    let text = |v: &Option<serde_json::Value>| {
        v.as_ref()
            .and_then(|v| serde_json::to_string_pretty(v).ok())
    };
    let mut row = json!(entry);
    row["before_text"] = json!(text(&entry.before));
    row["after_text"] = json!(text(&entry.after));
    row
}

impl AuditQuery {
    /// The filters alone, for links to other pages of the same list.
    fn clone_filters(&self) -> AuditQuery {
        AuditQuery {
            actor: given(&self.actor),
            action: given(&self.action),
            target: given(&self.target),
            from: given(&self.from),
            to: given(&self.to),
            offset: None,
            limit: None,
        }
    }
}
