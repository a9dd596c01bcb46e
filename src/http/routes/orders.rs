//! Checkout, order history and the admin status lifecycle.

use axum::extract::{Path, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::domain::accounts::Permission;
use crate::domain::message::MessageId;
use crate::domain::orders::{
    Buyer, CheckoutInput, IdempotencyKey, Order, OrderQuery, OrderStatus, RefundInput, StatusInput,
};
use crate::domain::payments::PaymentMethod;
use crate::domain::Page;
use crate::error::{AppError, AppResult, ErrorCode, Problem};
use crate::http::extract::{parse_json, truncate, ApiQuery, PageQuery, WantsHtml};
use crate::http::forms::{refused, shown, Typed};
use crate::http::locale::Lang;
use crate::http::session::{may, Allowed, Identity};
use crate::http::shopper::Shopper;
use crate::http::text::HttpText;
use crate::http::visitor::Visitor;
use crate::http::AppState;
use crate::i18n::Locale;

/// Turn the cart into an order, in one store transaction. A guest (no
/// session) gives an `email`; the answer's `Location` is the order's page,
/// for a guest the signed link the confirmation email carries too.
#[utoipa::path(post, path = "/orders", tag = "orders", request_body(content = Option<CheckoutInput>),
    params(("Idempotency-Key" = Option<String>, Header, description = "A retried checkout with the same key returns the first order")),
    responses((status = 201, body = Order), (status = 200, description = "Replay of an earlier checkout with this Idempotency-Key", body = Order),
        (status = 303, description = "Form post: on to the order's page"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)),
    security((), ("bearer" = [])))]
pub async fn checkout(
    State(state): State<AppState>,
    Lang(locale): Lang,
    shopper: Shopper,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return place(
            &state,
            locale,
            &shopper,
            &headers,
            checkout_input(content_type, &body)?,
        )
        .await
        .map(|(status, location, order)| {
            (status, [(LOCATION, location)], Json(order)).into_response()
        });
    }
    // The cart page's checkout form: on to the order, or the cart again.
    let typed = Typed::from_form(&body);
    let field = |name: &str| typed.get(name).filter(|v| !v.is_empty()).map(str::to_owned);
    let payment_method = match field("payment_method") {
        Some(text) => Some(text.parse().map_err(|_| {
            AppError::field(
                "payment_method",
                crate::domain::message::ShopText::PaymentMethodNotOffered
                    .arg("text", truncate(&text, 40)),
            )
        })?),
        None => None,
    };
    let input = CheckoutInput {
        delivery_address: None,
        shipping_method: field("shipping_method"),
        payment_method,
        email: field("email"),
    };
    match place(&state, locale, &shopper, &headers, input).await {
        Ok((_, location, _)) => {
            Ok((shopper.cookies(&state), Redirect::to(&location)).into_response())
        }
        Err(error) => {
            let (status, data) = refused(&state, locale, "/orders", "checkout", typed, &error);
            Ok(shown(
                status,
                super::cart::page(&state, locale, &shopper, data).await?,
            ))
        }
    }
}

/// The JSON checkout body; it is optional: empty or `null` means "use the
/// cart's address".
fn checkout_input(content_type: &str, body: &[u8]) -> AppResult<CheckoutInput> {
    let trimmed = body.trim_ascii();
    if trimmed.is_empty() || trimmed == b"null" {
        return Ok(CheckoutInput::default());
    }
    if !content_type.starts_with("application/json") {
        return Err(AppError::new(
            ErrorCode::UnsupportedMediaType,
            HttpText::SendJson,
        ));
    }
    parse_json(body)
}

/// Places the order: the answer's status (201, or 200 for a replay), the
/// order's page and the order.
async fn place(
    state: &AppState,
    locale: Locale,
    shopper: &Shopper,
    headers: &HeaderMap,
    input: CheckoutInput,
) -> AppResult<(StatusCode, String, Order)> {
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(IdempotencyKey::parse)
                .ok_or_else(|| {
                    AppError::bad_param("Idempotency-Key", HttpText::IdempotencyKeyInvalid)
                })?,
        ),
    };
    let buyer = match &shopper.who {
        Some(who) => {
            if input.email.is_some() {
                return Err(crate::domain::validation::FieldErrors::single(
                    "email",
                    HttpText::EmailOnlyForGuests,
                )
                .into());
            }
            Buyer::Customer(who)
        }
        None => Buyer::Guest {
            cart: &shopper.owner,
            email: input.email.as_deref(),
        },
    };
    let placed = state.orders.checkout(buyer, &input, key, locale).await?;
    let order = placed.order;
    let status = if placed.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let location = match shopper.who {
        Some(_) => format!("/orders/{}", order.number),
        None => state.orders.link_path(&order),
    };
    Ok((status, location, order))
}

/// Query parameters of `GET /orders` (and of `/admin/orders`); any other
/// parameter is ignored.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
pub struct OrdersQuery {
    /// Items to skip.
    pub offset: Option<u64>,
    /// Items per page (1-200, default 50).
    pub limit: Option<u64>,
    /// Only orders in this status.
    pub status: Option<String>,
    /// Staff and admins: only this customer.
    pub email: Option<String>,
    /// Only the order with this number.
    pub number: Option<String>,
    /// Placed on or after this day, `YYYY-MM-DD` (UTC).
    pub from: Option<String>,
    /// Placed on or before this day, `YYYY-MM-DD` (UTC).
    pub to: Option<String>,
}

impl OrdersQuery {
    /// The page and the filters asked for; the domain checks the filters.
    fn parse(&self) -> AppResult<(Page, OrderQuery)> {
        let page = PageQuery {
            offset: self.offset,
            limit: self.limit,
        }
        .page()?;
        let status = match self.status.as_deref() {
            None | Some("") => None,
            Some(s) => Some(OrderStatus::parse(s).ok_or_else(|| {
                AppError::bad_param(
                    "status",
                    HttpText::OrderStatusUnknown.arg("text", truncate(s, 40)),
                )
            })?),
        };
        let query = OrderQuery {
            status,
            email: self.email.clone(),
            number: self.number.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
        };
        Ok((page, query))
    }
}

/// One page of orders, as `GET /orders` answers it.
#[derive(Serialize, ToSchema)]
pub struct OrderList {
    /// The orders on this page, newest first.
    pub items: Vec<Order>,
    /// Orders matching the filter (every page).
    pub total: u64,
    /// Orders skipped before this page.
    pub offset: u64,
    /// Most orders on one page.
    pub limit: u64,
}

/// Your orders, newest first; staff and admins see everyone's and may
/// filter by customer, number, status and dates (a bad filter is 422
/// naming it; unknown parameters are ignored).
#[utoipa::path(get, path = "/orders", tag = "orders", params(OrdersQuery),
    responses((status = 200, body = OrderList), (status = 400, body = Problem), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Lang(locale): Lang,
    WantsHtml(html): WantsHtml,
    who: Identity,
    ApiQuery(q): ApiQuery<OrdersQuery>,
) -> AppResult<Response> {
    let (page, query) = q.parse()?;
    let (items, total, filter) = state.orders.list(&who, query, page).await?;
    let list = OrderList {
        items,
        total,
        offset: page.offset,
        limit: page.limit,
    };
    if html {
        let orders: Vec<_> = list
            .items
            .iter()
            .map(|o| json!({ "order": o, "next": o.status.next_statuses(o.payment.method) }))
            .collect();
        let title = state.pages.text(
            locale,
            if who.may(Permission::ReadOrders) {
                "title-orders-all"
            } else {
                "title-orders-mine"
            },
        );
        return state.pages.render(
            locale,
            "orders",
            title,
            &Visitor::signed_in(&state, &who).await,
            json!({ "orders": orders, "total": list.total, "statuses": <OrderStatus as strum::VariantArray>::VARIANTS, "filter_status": q.status, "filter_email": filter.email }),
        );
    }
    Ok(Json(list).into_response())
}

/// The back office's order list (staff and admins): the filter form, a
/// page of orders and links to the pages before and after, which keep the
/// filters. A bad filter shows the form again with its message.
pub async fn admin_page(
    State(state): State<AppState>,
    Lang(locale): Lang,
    Allowed(who, _): Allowed<may::ReadOrders>,
    ApiQuery(q): ApiQuery<OrdersQuery>,
) -> AppResult<Response> {
    let (page, query) = q.parse()?;
    let (items, total, _) = state.orders.list(&who, query, page).await?;
    let rows: Vec<_> = items
        .iter()
        .map(|o| {
            json!({
                "number": o.number,
                "created_at": o.created_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
                "email": o.email,
                "status": o.status,
                "payment_status": o.payment.status,
                "total": o.total,
            })
        })
        .collect();
    let link = |offset: u64| admin_orders_url(&q, offset, page.limit);
    let prev = (page.offset > 0).then(|| link(page.offset.saturating_sub(page.limit)));
    let next = (page.offset + page.limit < total).then(|| link(page.offset + page.limit));
    state.pages.render(
        locale,
        "admin_orders",
        state.pages.text(locale, "title-admin-orders"),
        &Visitor::signed_in(&state, &who).await,
        json!({
            "orders": rows,
            "total": total,
            "statuses": <OrderStatus as strum::VariantArray>::VARIANTS,
            "filter": {
                "status": q.status.clone().unwrap_or_default(),
                "email": q.email.clone().unwrap_or_default(),
                "number": q.number.clone().unwrap_or_default(),
                "from": q.from.clone().unwrap_or_default(),
                "to": q.to.clone().unwrap_or_default(),
            },
            "prev": prev,
            "next": next,
        }),
    )
}

/// `/admin/orders` with the filters of `q` at `offset`.
fn admin_orders_url(q: &OrdersQuery, offset: u64, limit: u64) -> String {
    let (offset, limit) = (offset.to_string(), limit.to_string());
    let mut pairs: Vec<(&str, &str)> = [
        ("status", &q.status),
        ("email", &q.email),
        ("number", &q.number),
        ("from", &q.from),
        ("to", &q.to),
    ]
    .into_iter()
    .filter_map(|(name, value)| Some((name, value.as_deref().filter(|v| !v.is_empty())?)))
    .collect();
    pairs.push(("offset", &offset));
    pairs.push(("limit", &limit));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("/admin/orders?{query}")
}

fn parse_number(text: &str) -> AppResult<i64> {
    text.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
        AppError::bad_param(
            "number",
            HttpText::OrderNumberInvalid.arg("text", truncate(text, 40)),
        )
    })
}

/// Query parameters of `GET /orders/{number}`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct OrderLinkQuery {
    /// The signature from a guest's order link (their confirmation email).
    pub token: Option<String>,
}

/// One order: its owner, an admin, or whoever holds its signed link (guests);
/// anyone else gets 404.
#[utoipa::path(get, path = "/orders/{number}", tag = "orders",
    params(("number" = i64, Path), OrderLinkQuery),
    responses((status = 200, body = Order), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)),
    security((), ("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Lang(locale): Lang,
    WantsHtml(html): WantsHtml,
    visitor: Visitor,
    Path(number): Path<String>,
    ApiQuery(q): ApiQuery<OrderLinkQuery>,
) -> AppResult<Response> {
    let number = parse_number(&number)?;
    let order = match (&q.token, visitor.who()) {
        (Some(token), _) => state.orders.get_by_link(number, token).await?,
        (None, Some(who)) => state.orders.get(who, number).await?,
        (None, None) => return Err(AppError::unauthorized(HttpText::OrderNeedsLogin)),
    };
    if html {
        // A card order still unpaid gets its PaymentIntent now if making it
        // at checkout failed (Stripe was unreachable then).
        let order = state.orders.with_card_payment(order).await?;
        let card = card_form(&state, &order);
        let page = state.pages.render(
            locale,
            "order",
            state
                .pages
                .text_with(locale, "title-order", &[("number", &number.to_string())]),
            &visitor,
            json!({
                "order": order,
                "next": order.next_for(visitor.who()),
                "card": card,
                "bank": (order.payment.method == PaymentMethod::BankTransfer)
                    .then_some(&state.settings.payment.bank),
                "refundable": order.payment.refundable(),
            }),
        )?;
        return Ok(match card {
            // Stripe.js comes from Stripe and talks to it.
            Some(_) => with_stripe_policy(&state, page),
            None => page,
        });
    }
    Ok(Json(order).into_response())
}

/// The page, allowed to load Stripe.js and let it reach Stripe.
fn with_stripe_policy(state: &AppState, mut page: Response) -> Response {
    let stripe = &state.settings.payment.stripe;
    let policy = crate::http::middleware::policy_allowing(&[&stripe.js_url, &stripe.api_base]);
    if let Ok(value) = axum::http::HeaderValue::from_str(&policy) {
        page.headers_mut()
            .insert(axum::http::header::CONTENT_SECURITY_POLICY, value);
    }
    page
}

/// What the order page needs to take a card payment with Stripe.js: only
/// for a card order still awaiting payment, with its PaymentIntent made.
fn card_form(state: &AppState, order: &Order) -> Option<serde_json::Value> {
    let secret = order.payment.client_secret.as_ref()?;
    let waiting = order.status == OrderStatus::AwaitingPayment
        && order.payment.method == PaymentMethod::Stripe;
    let stripe = &state.settings.payment.stripe;
    waiting.then(|| {
        json!({
            "client_secret": secret,
            "publishable_key": stripe.publishable_key,
            "js_url": stripe.js_url,
        })
    })
}

/// Move an order along its lifecycle: a bank transfer's awaiting_payment →
/// paid, paid (or cash on delivery) → shipped (with the carrier and
/// tracking) → delivered, or cancel one not shipped yet (its stock goes
/// back; a card payment is cancelled or refunded at Stripe). A card order
/// is marked paid only by Stripe's webhook. Staff and admins.
#[utoipa::path(put, path = "/orders/{number}/status", tag = "orders", request_body = StatusInput,
    params(("number" = i64, Path)),
    responses((status = 200, body = Order), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem),
        (status = 502, body = Problem)),
    security(("bearer" = [])))]
pub async fn set_status(
    State(state): State<AppState>,
    Allowed(who, _): Allowed<may::ChangeOrderStatus>,
    Path(number): Path<String>,
    crate::http::extract::ApiJson(input): crate::http::extract::ApiJson<StatusInput>,
) -> AppResult<Json<Order>> {
    let number = parse_number(&number)?;
    Ok(Json(state.orders.set_status(&who, number, input).await?))
}

/// Give money back on an order, whole (no amount) or in part: through
/// Stripe for a card order, recorded for the others. Admin only.
#[utoipa::path(post, path = "/orders/{number}/refunds", tag = "orders", request_body = RefundInput,
    params(("number" = i64, Path)),
    responses((status = 200, body = Order), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem), (status = 502, body = Problem)),
    security(("bearer" = [])))]
pub async fn refund(
    State(state): State<AppState>,
    Allowed(admin, _): Allowed<may::RefundOrders>,
    Path(number): Path<String>,
    crate::http::extract::ApiJson(input): crate::http::extract::ApiJson<RefundInput>,
) -> AppResult<Json<Order>> {
    let number = parse_number(&number)?;
    Ok(Json(state.orders.refund(&admin, number, input).await?))
}

/// The answer of `POST /orders/{number}/resend`.
#[derive(Serialize, ToSchema)]
pub struct Resent {
    /// The outbox mail queued (see `GET /admin/mail`).
    pub mail_id: String,
}

/// Send the order's confirmation to its customer again, through the
/// outbox: the mail checkout sent, as the order stands now. Staff and admins.
#[utoipa::path(post, path = "/orders/{number}/resend", tag = "orders",
    params(("number" = i64, Path)),
    responses((status = 202, body = Resent), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn resend(
    State(state): State<AppState>,
    Allowed(who, _): Allowed<may::ChangeOrderStatus>,
    Path(number): Path<String>,
) -> AppResult<Response> {
    let number = parse_number(&number)?;
    let mail_id = state.orders.resend_confirmation(&who, number).await?;
    Ok((StatusCode::ACCEPTED, Json(Resent { mail_id })).into_response())
}

/// A printable packing slip: the shop, the order's number and date, where
/// it goes and what goes in the parcel (SKU, options, quantity), no prices.
/// Staff and admins.
pub async fn packing_slip(
    State(state): State<AppState>,
    Lang(locale): Lang,
    Allowed(who, _): Allowed<may::ReadOrders>,
    Path(number): Path<String>,
) -> AppResult<Response> {
    let number = parse_number(&number)?;
    let order = state.orders.get(&who, number).await?;
    let items: Vec<_> = order
        .items
        .iter()
        .map(|i| json!({ "name": i.name, "sku": i.sku, "variant": i.variant, "quantity": i.quantity }))
        .collect();
    let units: i64 = order.items.iter().map(|i| i.quantity).sum();
    state.pages.render(
        locale,
        "packing_slip",
        state
            .pages
            .text_with(locale, "title-packing-slip", &[("number", &number.to_string())]),
        &Visitor::signed_in(&state, &who).await,
        json!({
            "number": order.number,
            "created_at": order.created_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            "email": order.email,
            "address": order.delivery_address,
            "items": items,
            "units": units,
            "shipping": order.shipping.name,
        }),
    )
}
