//! The caller's cart: the logged-in customer's, or a guest's (see
//! [`Shopper`]). Lines are named by product id.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::domain::cart::{AddToCart, CartView, SetAddress, SetQuantity};
use crate::error::{AppResult, Problem};
use crate::http::extract::{ApiJson, ProductId, WantsHtml};
use crate::http::locale::Lang;
use crate::http::shopper::Shopper;
use crate::http::AppState;

/// The cart, priced at current prices.
#[utoipa::path(get, path = "/cart", tag = "cart",
    responses((status = 200, body = CartView), (status = 401, body = Problem)), security((), ("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Lang(locale): Lang,
    WantsHtml(html): WantsHtml,
    shopper: Shopper,
) -> AppResult<Response> {
    let view = state.carts.view(&shopper.owner).await?;
    if html {
        return state.pages.render(
            locale,
            "cart",
            state.pages.text(locale, "title-cart"),
            shopper.who.as_ref(),
            json!({ "cart": view }),
        );
    }
    Ok(Json(view).into_response())
}

/// Add units of a product (raises the line if it is already in the cart).
#[utoipa::path(post, path = "/cart", tag = "cart", request_body = AddToCart,
    responses((status = 201, body = CartView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)),
    security((), ("bearer" = [])))]
pub async fn add(
    State(state): State<AppState>,
    shopper: Shopper,
    ApiJson(input): ApiJson<AddToCart>,
) -> AppResult<Response> {
    let view = state
        .carts
        .add(&shopper.owner, &input.product_id, input.quantity)
        .await?;
    Ok((StatusCode::CREATED, shopper.cookies(&state), Json(view)).into_response())
}

/// Set the quantity of the line for product `id`; 0 removes it.
#[utoipa::path(put, path = "/cart/{id}", tag = "cart", request_body = SetQuantity,
    params(("id" = String, Path, description = "Product id of the line")),
    responses((status = 200, body = CartView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)),
    security((), ("bearer" = [])))]
pub async fn set_quantity(
    State(state): State<AppState>,
    shopper: Shopper,
    ProductId(id): ProductId,
    ApiJson(input): ApiJson<SetQuantity>,
) -> AppResult<Json<CartView>> {
    Ok(Json(
        state
            .carts
            .set_quantity(&shopper.owner, &id, input.quantity)
            .await?,
    ))
}

/// Remove the line for product `id`.
#[utoipa::path(delete, path = "/cart/{id}", tag = "cart",
    params(("id" = String, Path, description = "Product id of the line")),
    responses((status = 200, body = CartView), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)),
    security((), ("bearer" = [])))]
pub async fn remove(
    State(state): State<AppState>,
    shopper: Shopper,
    ProductId(id): ProductId,
) -> AppResult<Json<CartView>> {
    Ok(Json(state.carts.remove(&shopper.owner, &id).await?))
}

/// Set the delivery address used at checkout.
#[utoipa::path(put, path = "/cart/address", tag = "cart", request_body = SetAddress,
    responses((status = 200, body = CartView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 415, body = Problem), (status = 422, body = Problem)),
    security((), ("bearer" = [])))]
pub async fn set_address(
    State(state): State<AppState>,
    shopper: Shopper,
    ApiJson(input): ApiJson<SetAddress>,
) -> AppResult<Response> {
    let view = state
        .carts
        .set_address(&shopper.owner, &input.delivery_address)
        .await?;
    Ok((shopper.cookies(&state), Json(view)).into_response())
}
