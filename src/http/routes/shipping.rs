//! Shipping methods: listed for everyone, managed by admins.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::domain::message::MessageId;
use crate::domain::shipping::{ShippingMethod, ShippingMethodInput};
use crate::domain::shipping_methods::is_method_id;
use crate::error::{AppError, AppResult, Problem};
use crate::http::extract::{truncate, ApiJson};
use crate::http::session::{may, Allowed};
use crate::http::text::HttpText;
use crate::http::AppState;

/// The shipping methods, in the order checkout offers them.
#[utoipa::path(get, path = "/shipping-methods", tag = "orders",
    responses((status = 200, body = Vec<ShippingMethod>)))]
pub async fn list(State(state): State<AppState>) -> AppResult<Json<Vec<ShippingMethod>>> {
    Ok(Json(state.shipping.list().await?))
}

fn method_id(id: &str) -> AppResult<&str> {
    if is_method_id(id) {
        Ok(id)
    } else {
        Err(AppError::bad_param("id", HttpText::ShippingIdInvalid).with("value", truncate(id, 40)))
    }
}

/// Create or replace the shipping method `id` (a slug): its name and
/// zones (countries, price, free-above threshold, weight bands). Admin only.
#[utoipa::path(put, path = "/shipping-methods/{id}", tag = "orders", request_body = ShippingMethodInput,
    params(("id" = String, Path, description = "1-40 lowercase letters, digits and dashes")),
    responses((status = 200, body = ShippingMethod), (status = 201, body = ShippingMethod),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn put(
    State(state): State<AppState>,
    Allowed(admin, _): Allowed<may::ManageShipping>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ShippingMethodInput>,
) -> AppResult<Response> {
    let (method, created) = state.shipping.put(&admin, method_id(&id)?, input).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(method)).into_response())
}

/// Delete the shipping method `id` (not the last one: 422). Admin only.
#[utoipa::path(delete, path = "/shipping-methods/{id}", tag = "orders",
    params(("id" = String, Path)),
    responses((status = 204), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    Allowed(admin, _): Allowed<may::ManageShipping>,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    if state.shipping.delete(&admin, method_id(&id)?).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::new(
            crate::error::ErrorCode::NotFound,
            HttpText::ShippingMethodMissing.arg("id", id.as_str()),
        ))
    }
}
