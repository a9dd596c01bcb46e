//! The logged-in customer's cart. Lines are named by product id.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::domain::cart::{
    check_address, check_quantity, AddToCart, Cart, CartView, SetAddress, SetQuantity,
};
use crate::domain::now;
use crate::error::{AppError, AppResult, Problem};
use crate::http::extract::{ApiJson, ProductId, WantsHtml};
use crate::http::session::Identity;
use crate::http::AppState;

/// The view of a cart just changed (the change returned the cart).
async fn view(state: &AppState, email: &str, cart: &Cart) -> AppResult<CartView> {
    let products = state.store.get_products(&cart.product_ids()).await?;
    Ok(CartView::build(
        email,
        Some(cart),
        &products,
        &state.settings.shop.currency,
    ))
}

/// The cart, priced at current prices.
#[utoipa::path(get, path = "/cart", tag = "cart",
    responses((status = 200, body = CartView), (status = 401, body = Problem)), security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    WantsHtml(html): WantsHtml,
    who: Identity,
) -> AppResult<Response> {
    let (cart, products) = state.store.get_cart_with_products(&who.user.email).await?;
    let view = CartView::build(
        &who.user.email,
        cart.as_ref(),
        &products,
        &state.settings.shop.currency,
    );
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
    if !crate::domain::is_id(&input.product_id) {
        return Err(AppError::field("product_id", "must be a product id"));
    }
    let quantity = check_quantity(input.quantity, false).map_err(AppError::validation)?;
    let cart = state
        .store
        .add_to_cart(&who.user.email, &input.product_id, quantity, now())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(view(&state, &who.user.email, &cart).await?),
    ))
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
    let id = id.as_str();
    let quantity = check_quantity(input.quantity, true).map_err(AppError::validation)?;
    let cart = state
        .store
        .set_cart_quantity(&who.user.email, id, quantity, now())
        .await?;
    Ok(Json(view(&state, &who.user.email, &cart).await?))
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
    let id = id.as_str();
    let cart = state
        .store
        .remove_from_cart(&who.user.email, id, now())
        .await?;
    Ok(Json(view(&state, &who.user.email, &cart).await?))
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
    let address = check_address(&input.delivery_address).map_err(AppError::validation)?;
    let cart = state
        .store
        .set_delivery_address(&who.user.email, &address, now())
        .await?;
    Ok(Json(view(&state, &who.user.email, &cart).await?))
}
