//! The caller's cart: the logged-in customer's, or a guest's (see
//! [`Shopper`]). Lines are named by product id.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::domain::address::{AddressFields, AddressInput};
use crate::domain::cart::{AddToCart, CartView, SetAddress, SetQuantity};
use crate::error::{AppError, AppResult, Problem};
use crate::http::extract::{ApiJson, JsonOrForm, ProductId, WantsHtml};
use crate::http::forms::{refused, shown, Typed};
use crate::http::locale::Lang;
use crate::http::shopper::Shopper;
use crate::http::visitor::Visitor;
use crate::http::AppState;
use crate::i18n::Locale;

/// The cart, priced at current prices.
#[utoipa::path(get, path = "/cart", tag = "cart",
    responses((status = 200, body = CartView), (status = 401, body = Problem)), security((), ("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Lang(locale): Lang,
    WantsHtml(html): WantsHtml,
    shopper: Shopper,
) -> AppResult<Response> {
    if html {
        return page(&state, locale, &shopper, json!({})).await;
    }
    Ok(Json(state.carts.view(&shopper.owner).await?).into_response())
}

/// The cart page with `data` (a refused cart or checkout form).
pub async fn page(
    state: &AppState,
    locale: Locale,
    shopper: &Shopper,
    mut data: Value,
) -> AppResult<Response> {
    let view = state.carts.view(&shopper.owner).await?;
    let visitor = Visitor {
        who: shopper.who.clone(),
        cart_items: view.item_count(),
    };
    if let Value::Object(fields) = &mut data {
        fields.insert("cart".into(), json!(view));
        fields.insert(
            "payment_methods".into(),
            json!(state.orders.payment_methods()),
        );
        fields.insert(
            "default_payment".into(),
            json!(state.settings.payment.default_method),
        );
        fields.insert("shop_country".into(), json!(state.settings.shop.country));
    }
    let title = state.pages.text(locale, "title-cart");
    state.pages.render(locale, "cart", title, &visitor, data)
}

/// Answers a cart form post: on to the cart page, or, refused, the page
/// `again` shows (the cart, the product) with the form as typed.
async fn answer_form(
    state: &AppState,
    locale: Locale,
    shopper: &Shopper,
    path: &str,
    form: &str,
    typed: Typed,
    outcome: AppResult<CartView>,
) -> AppResult<Response> {
    let error = match outcome {
        Ok(_) => return Ok((shopper.cookies(state), Redirect::to("/cart")).into_response()),
        Err(error) => error,
    };
    let (status, data) = refused(state, locale, path, form, typed.clone(), &error);
    let again = if form == "add" {
        let product = typed.get("product_id").unwrap_or_default();
        super::products::product_page(state, locale, shopper, product, data).await?
    } else {
        page(state, locale, shopper, data).await?
    };
    Ok(shown(status, again))
}

/// Add units of a product (raises the line if it is already in the cart).
#[utoipa::path(post, path = "/cart", tag = "cart", request_body = AddToCart,
    responses((status = 201, body = CartView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)),
    security((), ("bearer" = [])))]
pub async fn add(
    State(state): State<AppState>,
    Lang(locale): Lang,
    shopper: Shopper,
    body: JsonOrForm<AddToCart>,
) -> AppResult<Response> {
    let outcome = match body.value {
        Ok(input) => state
            .carts
            .add(
                &shopper.owner,
                &input.product_id,
                input.variant_id.as_deref(),
                input.quantity,
            )
            .await
            .map_err(AppError::from),
        Err(error) => Err(error),
    };
    match body.typed {
        Some(typed) => answer_form(&state, locale, &shopper, "/cart", "add", typed, outcome).await,
        None => Ok((StatusCode::CREATED, shopper.cookies(&state), Json(outcome?)).into_response()),
    }
}

/// Set the quantity of the line `id` names (a variant, or a product with
/// one line); 0 removes it.
#[utoipa::path(put, path = "/cart/{id}", tag = "cart", request_body = SetQuantity,
    params(("id" = String, Path, description = "Variant id of the line, or the product id where the product has one line (several: 409)")),
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

/// A cart page's form for the line `id` names: set its quantity (0,
/// the remove button, removes it), then back to the cart.
pub async fn change_line(
    State(state): State<AppState>,
    Lang(locale): Lang,
    shopper: Shopper,
    ProductId(id): ProductId,
    body: JsonOrForm<SetQuantity>,
) -> AppResult<Response> {
    let outcome = match body.value {
        Ok(input) => state
            .carts
            .set_quantity(&shopper.owner, &id, input.quantity)
            .await
            .map_err(AppError::from),
        Err(error) => Err(error),
    };
    let typed = body.typed.unwrap_or_default().with("line_id", &id);
    let path = format!("/cart/{id}");
    answer_form(&state, locale, &shopper, &path, "line", typed, outcome).await
}

/// Remove the line `id` names (a variant, or a product with one line).
#[utoipa::path(delete, path = "/cart/{id}", tag = "cart",
    params(("id" = String, Path, description = "Variant id of the line, or the product id where the product has one line (several: 409)")),
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

/// The cart page's address form, then back to the cart.
pub async fn address_form(
    State(state): State<AppState>,
    Lang(locale): Lang,
    shopper: Shopper,
    body: JsonOrForm<SetAddress>,
) -> AppResult<Response> {
    // The page's form sends the address's parts; a one-line address (the
    // old form, or a client's) comes as `delivery_address`.
    let input = match (&body.typed, body.value) {
        (Some(typed), _) if typed.get("delivery_address").is_none() => Ok(address_from_form(typed)),
        (_, value) => value.map(|v| v.delivery_address),
    };
    let outcome = match input {
        Ok(input) => state
            .carts
            .set_address(&shopper.owner, &input)
            .await
            .map_err(AppError::from),
        Err(error) => Err(error),
    };
    // The refused form shows every part again, as typed (empty if not sent).
    let typed =
        ADDRESS_PARTS
            .iter()
            .fold(body.typed.unwrap_or_default(), |typed, part| {
                match typed.get(part) {
                    Some(_) => typed,
                    None => typed.with(part, ""),
                }
            });
    let path = "/cart/address";
    answer_form(&state, locale, &shopper, path, "address", typed, outcome).await
}

/// The fields of the cart page's address form.
const ADDRESS_PARTS: [&str; 8] = [
    "name",
    "line1",
    "line2",
    "city",
    "postal_code",
    "region",
    "country",
    "phone",
];

/// The address a form's fields give, part by part.
fn address_from_form(typed: &Typed) -> AddressInput {
    let part = |name: &str| typed.get(name).unwrap_or_default().to_owned();
    AddressInput::Structured(AddressFields {
        name: part("name"),
        line1: part("line1"),
        line2: part("line2"),
        city: part("city"),
        postal_code: part("postal_code"),
        region: part("region"),
        country: part("country"),
        phone: part("phone"),
    })
}
