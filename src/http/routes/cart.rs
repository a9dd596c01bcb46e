//! The logged-in customer's cart. Lines are named by product id.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::domain::cart::{AddToCart, CartView, SetAddress, SetQuantity};
use crate::error::{AppResult, Problem};
use crate::http::extract::{ApiJson, ProductId, WantsHtml};
use crate::http::session::Identity;
use crate::http::AppState;

/// The cart, priced at current prices.
#[utoipa::path(get, path = "/cart", tag = "cart",
    responses((status = 200, body = CartView), (status = 401, body = Problem)), security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    WantsHtml(html): WantsHtml,
    who: Identity,
) -> AppResult<Response> {
    let view = state.carts.view(&who).await?;
    if html {
        return state
            .pages
            .render("cart", "Your cart", Some(&who), json!({ "cart": view }));
    }
    Ok(Json(view).into_response())
}

/// Add units of a product (raises the line if it is already in the cart).
#[utoipa::path(post, path = "/cart", tag = "cart", request_body = AddToCart,
    responses((status = 201, body = CartView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn add(
    State(state): State<AppState>,
    who: Identity,
    ApiJson(input): ApiJson<AddToCart>,
) -> AppResult<(StatusCode, Json<CartView>)> {
    let view = state
        .carts
        .add(&who, &input.product_id, input.quantity)
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Set the quantity of the line for product `id`; 0 removes it.
#[utoipa::path(put, path = "/cart/{id}", tag = "cart", request_body = SetQuantity,
    params(("id" = String, Path, description = "Product id of the line")),
    responses((status = 200, body = CartView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn set_quantity(
    State(state): State<AppState>,
    who: Identity,
    ProductId(id): ProductId,
    ApiJson(input): ApiJson<SetQuantity>,
) -> AppResult<Json<CartView>> {
    Ok(Json(
        state.carts.set_quantity(&who, &id, input.quantity).await?,
    ))
}

/// Remove the line for product `id`.
#[utoipa::path(delete, path = "/cart/{id}", tag = "cart",
    params(("id" = String, Path, description = "Product id of the line")),
    responses((status = 200, body = CartView), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn remove(
    State(state): State<AppState>,
    who: Identity,
    ProductId(id): ProductId,
) -> AppResult<Json<CartView>> {
    Ok(Json(state.carts.remove(&who, &id).await?))
}

/// Set the delivery address used at checkout.
#[utoipa::path(put, path = "/cart/address", tag = "cart", request_body = SetAddress,
    responses((status = 200, body = CartView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn set_address(
    State(state): State<AppState>,
    who: Identity,
    ApiJson(input): ApiJson<SetAddress>,
) -> AppResult<Json<CartView>> {
    Ok(Json(
        state
            .carts
            .set_address(&who, &input.delivery_address)
            .await?,
    ))
}
