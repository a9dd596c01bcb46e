//! Live stock for product pages and carts: a server-sent event stream
//! (one-way, so plain HTTP does: no socket upgrade, and the browser's
//! `EventSource` reconnects by itself).

use std::collections::HashSet;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::domain::is_id;
use crate::domain::message::MessageId;
use crate::error::{AppError, AppResult, ErrorCode, Problem};
use crate::http::extract::{truncate, ApiQuery};
use crate::http::text::HttpText;
use crate::http::AppState;
use crate::services::stock_feed::MAX_IDS;

/// A comment line this often keeps proxies from closing a quiet stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Longest `ids` value read: [`MAX_IDS`] ids and their commas.
const MAX_IDS_TEXT: usize = MAX_IDS * 37;

/// Query parameters of `GET /stock/events` (any others are ignored).
#[derive(Debug, Deserialize, IntoParams)]
pub struct StockQuery {
    /// Comma-separated product ids, 1 to 100 (a full cart).
    pub ids: Option<String>,
}

/// The product ids asked for, each well-formed, without repeats, in order.
fn parse_ids(text: Option<&str>) -> AppResult<Vec<String>> {
    let text = text.map(str::trim).unwrap_or_default();
    if text.is_empty() {
        return Err(AppError::bad_param("ids", HttpText::StockIdsMissing));
    }
    if text.len() > MAX_IDS_TEXT {
        return Err(too_many());
    }
    let mut seen = HashSet::new();
    let mut ids = Vec::new();
    for id in text.split(',').map(str::trim) {
        if !is_id(id) {
            return Err(AppError::bad_param(
                "ids",
                HttpText::IdMalformed.arg("text", truncate(id, 64)),
            ));
        }
        if seen.insert(id) {
            ids.push(id.to_owned());
        }
    }
    if ids.len() > MAX_IDS {
        return Err(too_many());
    }
    Ok(ids)
}

fn too_many() -> AppError {
    AppError::bad_param("ids", HttpText::StockIdsTooMany.arg("max", MAX_IDS)).with("limit", MAX_IDS)
}

/// The stock of products as it changes, as server-sent events: first each
/// product's current stock, then every change, each an event `stock` whose
/// data is a `StockLevel` (`{"product_id", "stock"}`; a deleted product is
/// at 0). Any instance's writes reach every instance's streams.
#[utoipa::path(get, path = "/stock/events", tag = "catalog", params(StockQuery),
    responses(
        (status = 200, description = "`text/event-stream` of `stock` events, each `data` a StockLevel",
            content_type = "text/event-stream", body = crate::domain::catalog::StockLevel),
        (status = 400, body = Problem), (status = 503, body = Problem)))]
pub async fn events(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<StockQuery>,
) -> AppResult<Response> {
    let ids = parse_ids(q.ids.as_deref())?;
    if !state.stock.has_room() {
        let mut busy = AppError::new(ErrorCode::Unavailable, HttpText::StockStreamsFull);
        busy.retry_after = Some(5);
        return Err(busy);
    }
    let levels = state.stock.watch(ids).await?;
    let events = levels.map(|level| {
        Event::default()
            .event("stock")
            .json_data(level.as_ref())
            .or_else(|e| {
                // A level always serializes; should it not, say so on the stream.
                tracing::error!("stock event failed to serialize: {e}");
                Ok::<_, Infallible>(Event::default().comment("unserializable stock level"))
            })
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "0190a0b0-0000-7000-8000-000000000001";
    const B: &str = "0190a0b0-0000-7000-8000-000000000002";

    #[test]
    fn ids_are_read_in_order_without_repeats() {
        let ids = parse_ids(Some(&format!("{A}, {B},{A}"))).expect("valid");
        assert_eq!(ids, vec![A.to_owned(), B.to_owned()]);
    }

    #[test]
    fn missing_malformed_and_too_many_ids_are_refused() {
        for bad in [
            None,
            Some(""),
            Some(" , "),
            Some("nope"),
            Some(&format!("{A},")),
        ] {
            let err = parse_ids(bad).expect_err("refused");
            assert_eq!(err.code, ErrorCode::InvalidParameter, "{bad:?}");
        }
        let many: Vec<String> = (0..=MAX_IDS)
            .map(|n| format!("0190a0b0-0000-7000-8000-{n:012}"))
            .collect();
        let err = parse_ids(Some(&many.join(","))).expect_err("too many");
        assert_eq!(err.extra.get("limit"), Some(&serde_json::json!(MAX_IDS)));
    }
}
