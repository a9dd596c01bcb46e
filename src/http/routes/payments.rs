//! Stripe's webhook: signed events that move card orders (paid, failed).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::message::MessageId;
use crate::domain::orders::EventOutcome;
use crate::error::{AppError, AppResult, ErrorCode, Problem};
use crate::http::text::HttpText;
use crate::http::AppState;
use crate::services::stripe::webhook::verify_event;

/// What the shop did with a webhook event.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookAnswer {
    /// Always true: the event was verified and handled (Stripe stops retrying).
    pub received: bool,
    /// `applied` (the order changed), `unchanged` (seen before, or nothing
    /// to do) or `ignored` (no order of this shop, or a kind it does not use).
    pub outcome: &'static str,
}

/// Stripe's webhook endpoint. Each delivery must carry a valid
/// `Stripe-Signature` made with `payment.stripe.webhook_secret` within
/// `payment.stripe.tolerance` of now; anything else is refused (400) and
/// changes nothing. `payment_intent.succeeded` marks the order paid (once,
/// however often it arrives); `payment_intent.payment_failed` records the
/// failure.
#[utoipa::path(post, path = "/payments/stripe/webhook", tag = "orders",
    params(("Stripe-Signature" = String, Header, description = "t=<unix time>,v1=<HMAC-SHA256>")),
    request_body(content = String, content_type = "application/json", description = "A Stripe event"),
    responses((status = 200, body = WebhookAnswer), (status = 400, body = Problem), (status = 404, body = Problem),
        (status = 502, body = Problem)))]
pub async fn stripe_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> AppResult<Json<WebhookAnswer>> {
    let stripe = &state.settings.payment.stripe;
    if !state
        .settings
        .payment
        .methods
        .contains(&crate::domain::payments::PaymentMethod::Stripe)
    {
        return Err(AppError::new(ErrorCode::RouteNotFound, HttpText::StripeOff));
    }
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let event = verify_event(
        &body,
        signature,
        &[stripe.webhook_secret.expose()],
        crate::domain::now().unix_timestamp(),
        i64::try_from(stripe.tolerance.0).unwrap_or(i64::MAX),
    )
    .map_err(|e| {
        AppError::new(
            ErrorCode::WebhookRefused,
            HttpText::WebhookRefused.arg("reason", e.to_string()),
        )
    })?;
    let outcome = match state.orders.card_event(&event).await? {
        EventOutcome::Applied => "applied",
        EventOutcome::Unchanged => "unchanged",
        EventOutcome::Ignored => "ignored",
    };
    Ok(Json(WebhookAnswer {
        received: true,
        outcome,
    }))
}
