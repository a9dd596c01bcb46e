//! The back office's customers: the list with search, one customer's page,
//! and disabling or enabling an account.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::domain::accounts::{CustomerDetail, CustomerSummary, User};
use crate::error::{AppResult, Problem};
use crate::http::extract::{ApiQuery, PageQuery, WantsHtml};
use crate::http::locale::Lang;
use crate::http::session::{may, Allowed};
use crate::http::visitor::Visitor;
use crate::http::AppState;

/// Query parameters of `GET /admin/customers`; any other is ignored.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
pub struct CustomersQuery {
    /// Only accounts whose email or name contains this (letters in either case).
    pub search: Option<String>,
    /// Accounts to skip.
    pub offset: Option<u64>,
    /// Accounts per page (1-200, default 50).
    pub limit: Option<u64>,
}

/// One page of accounts, as `GET /admin/customers` answers it.
#[derive(Serialize, ToSchema)]
pub struct CustomerList {
    /// The accounts on this page, newest first.
    pub items: Vec<CustomerSummary>,
    /// Accounts matching the search (every page).
    pub total: u64,
    /// Accounts skipped before this page.
    pub offset: u64,
    /// Most accounts on one page.
    pub limit: u64,
}

/// Every account, newest first, with a search by email or name (staff and
/// admins); a page for browsers.
#[utoipa::path(get, path = "/admin/customers", tag = "customers", params(CustomersQuery),
    responses((status = 200, body = CustomerList), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Lang(locale): Lang,
    WantsHtml(html): WantsHtml,
    Allowed(who, _): Allowed<may::ReadCustomers>,
    ApiQuery(q): ApiQuery<CustomersQuery>,
) -> AppResult<Response> {
    let page = PageQuery {
        offset: q.offset,
        limit: q.limit,
    }
    .page()?;
    let (items, total) = state
        .accounts
        .list_customers(&who, q.search.as_deref(), page)
        .await?;
    let list = CustomerList {
        items,
        total,
        offset: page.offset,
        limit: page.limit,
    };
    if !html {
        return Ok(Json(list).into_response());
    }
    let search = q.search.unwrap_or_default();
    let link = |offset: u64| {
        let (offset, limit) = (offset.to_string(), page.limit.to_string());
        let mut pairs = vec![("offset", offset.as_str()), ("limit", limit.as_str())];
        if !search.trim().is_empty() {
            pairs.insert(0, ("search", search.as_str()));
        }
        format!(
            "/admin/customers?{}",
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    };
    let prev = (page.offset > 0).then(|| link(page.offset.saturating_sub(page.limit)));
    let next = (page.offset + page.limit < list.total).then(|| link(page.offset + page.limit));
    state.pages.render(
        locale,
        "admin_customers",
        state.pages.text(locale, "title-admin-customers"),
        &Visitor::signed_in(&state, &who).await,
        json!({ "list": list, "search": search, "prev": prev, "next": next }),
    )
}

/// One customer: the account, their newest orders and how many in all,
/// what they spent, their chat channel's newest messages (staff and
/// admins); a page with the actions the viewer may take for browsers.
#[utoipa::path(get, path = "/admin/customers/{email}", tag = "customers",
    params(("email" = String, Path)),
    responses((status = 200, body = CustomerDetail), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Lang(locale): Lang,
    WantsHtml(html): WantsHtml,
    Allowed(who, _): Allowed<may::ReadCustomers>,
    Path(email): Path<String>,
) -> AppResult<Response> {
    let detail = state.accounts.customer(&who, &email).await?;
    if !html {
        return Ok(Json(detail).into_response());
    }
    let orders_url = format!(
        "/admin/orders?{}",
        serde_urlencoded::to_string([("email", detail.account.email.as_str())]).unwrap_or_default()
    );
    let title = state.pages.text_with(
        locale,
        "title-admin-customer",
        &[("email", &detail.account.email)],
    );
    let may_disable = who.user.id != detail.account.id
        && detail.account.role != crate::domain::accounts::Role::Admin;
    state.pages.render(
        locale,
        "admin_customer",
        title,
        &Visitor::signed_in(&state, &who).await,
        json!({
            "customer": detail,
            "orders_url": orders_url,
            "may_disable": may_disable,
        }),
    )
}

/// Disable an account (admins): every session of it ends at once, its open
/// chat sockets close, and it cannot log in (403 `account_disabled`) until
/// enabled. Not one's own account nor an admin's (422 naming `email`).
#[utoipa::path(post, path = "/admin/customers/{email}/disable", tag = "customers",
    params(("email" = String, Path)),
    responses((status = 200, body = User), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn disable(
    State(state): State<AppState>,
    Allowed(admin, _): Allowed<may::ManageAccounts>,
    Path(email): Path<String>,
) -> AppResult<Json<User>> {
    Ok(Json(state.accounts.disable(&admin, &email).await?))
}

/// Enable a disabled account again (admins): it may log in.
#[utoipa::path(post, path = "/admin/customers/{email}/enable", tag = "customers",
    params(("email" = String, Path)),
    responses((status = 200, body = User), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn enable(
    State(state): State<AppState>,
    Allowed(admin, _): Allowed<may::ManageAccounts>,
    Path(email): Path<String>,
) -> AppResult<Json<User>> {
    Ok(Json(state.accounts.enable(&admin, &email).await?))
}
