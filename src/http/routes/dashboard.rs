//! The sales dashboard: `GET /admin/stats` (JSON) and `GET /admin` (the page
//! with its server-drawn charts).

use axum::extract::State;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;

use crate::domain::stats::{self, SalesStats, StatsRange};
use crate::error::{AppResult, Problem};
use crate::http::charts::bar_chart;
use crate::http::extract::ApiQuery;
use crate::http::locale::Lang;
use crate::http::session::{may, Allowed, Identity};
use crate::http::visitor::Visitor;
use crate::http::AppState;

/// Query parameters of `GET /admin/stats` and `GET /admin`; others are ignored.
#[derive(Debug, Deserialize, IntoParams)]
pub struct StatsQuery {
    /// First day, `YYYY-MM-DD` (UTC); default: 29 days before `to`.
    pub from: Option<String>,
    /// Last day (included), `YYYY-MM-DD` (UTC); default: today.
    pub to: Option<String>,
}

async fn figures(state: &AppState, who: &Identity, q: &StatsQuery) -> AppResult<SalesStats> {
    let today = crate::domain::now().date();
    let range = StatsRange::parse(q.from.as_deref(), q.to.as_deref(), today)?;
    let currency = &state.settings.shop.currency;
    Ok(stats::sales_stats(&*state.store, &state.catalog, who, range, currency).await?)
}

/// Sales figures for a range of days (admin): per day, by status, best
/// sellers, new customers. Cancelled orders are not counted; refunds lower
/// the revenue of the day their order was placed.
#[utoipa::path(get, path = "/admin/stats", tag = "admin", params(StatsQuery),
    responses((status = 200, body = SalesStats), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn stats(
    State(state): State<AppState>,
    Allowed(admin, _): Allowed<may::ViewStats>,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> AppResult<Json<SalesStats>> {
    Ok(Json(figures(&state, &admin, &q).await?))
}

/// The dashboard page.
pub async fn page(
    State(state): State<AppState>,
    Lang(locale): Lang,
    Allowed(admin, _): Allowed<may::ViewStats>,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> AppResult<Response> {
    let stats = figures(&state, &admin, &q).await?;
    let revenue: Vec<(String, i64)> = stats
        .days
        .iter()
        .map(|d| (d.date.clone(), d.revenue))
        .collect();
    let orders: Vec<(String, i64)> = stats
        .days
        .iter()
        .map(|d| (d.date.clone(), d.orders))
        .collect();
    let by_status: Vec<_> = stats
        .by_status
        .all()
        .into_iter()
        .map(|(status, count)| json!({ "status": status.as_str(), "count": count }))
        .collect();
    state.pages.render(
        locale,
        "admin_dashboard",
        state.pages.text(locale, "title-admin-dashboard"),
        &Visitor::signed_in(&state, &admin).await,
        json!({
            "stats": stats,
            "revenue_chart": bar_chart(&revenue),
            "orders_chart": bar_chart(&orders),
            "by_status": by_status,
        }),
    )
}
