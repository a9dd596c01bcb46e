//! `GET /metrics` (Prometheus text format) and the per-request figures
//! behind it.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};

use crate::domain::mail::MailStatus;
use crate::domain::message::MessageId;
use crate::domain::Page;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::http::text::HttpText;
use crate::http::AppState;
use crate::services::metrics::{
    CHAT_SOCKETS, HTTP_DURATION, HTTP_REQUESTS, OUTBOX_MAILS, PASSWORD_HASH_QUEUE,
};

/// The route label of requests no route matched: their paths are the
/// visitors' own and would make the label unbounded.
const UNMATCHED: &str = "unmatched";

/// Counts and times every request by method, route template and status.
pub async fn record_request(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(req.method());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED.to_owned(), |path| path.as_str().to_owned());
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!(HTTP_DURATION, "method" => method, "route" => route.clone())
        .record(started.elapsed().as_secs_f64());
    metrics::counter!(HTTP_REQUESTS, "method" => method, "route" => route, "status" => status)
        .increment(1);
    response
}

/// Methods as labels; anything unusual is one value.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// `GET /metrics` on the shop's address: only with `metrics.token`.
pub async fn scrape_with_token(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let expected = state.settings.metrics.token.as_ref().map(|t| t.expose());
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match (expected, sent) {
        // Compared as digests: the time taken tells nothing about the token.
        (Some(expected), Some(sent))
            if Sha256::digest(expected.as_bytes()) == Sha256::digest(sent.as_bytes()) =>
        {
            scrape(State(state)).await
        }
        _ => Err(AppError::unauthorized(HttpText::MetricsToken)),
    }
}

/// The figures, with the gauges read fresh from the store and the services.
pub async fn scrape(State(state): State<AppState>) -> AppResult<Response> {
    let Some(handle) = &state.metrics else {
        let detail = HttpText::NoRoute.arg("path", "/metrics");
        return Err(AppError::new(ErrorCode::RouteNotFound, detail));
    };
    for status in [MailStatus::Pending, MailStatus::Sent, MailStatus::Failed] {
        let (_, count) = state
            .store
            .list_mail(
                Some(status),
                Page {
                    offset: 0,
                    limit: 1,
                },
            )
            .await?;
        metrics::gauge!(OUTBOX_MAILS, "status" => status.as_str()).set(count as f64);
    }
    metrics::gauge!(CHAT_SOCKETS).set(state.chat.open_sockets() as f64);
    metrics::gauge!(PASSWORD_HASH_QUEUE).set(crate::domain::accounts::waiting_hashes() as f64);
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
        .into_response())
}

/// The router of `metrics.listen`: `/metrics` alone, without a token (the
/// address is the operator's private one).
pub fn private_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(state)
}
