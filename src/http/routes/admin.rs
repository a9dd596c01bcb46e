//! Admin pages for the catalog, and the mail outbox (JSON and page).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::{IntoParams, ToSchema};

use crate::domain::catalog::variants::MAX_OPTIONS;
use crate::domain::catalog::Product;
use crate::domain::mail::{MailStatus, OutboxMail};
use crate::domain::message::MessageId;
use crate::domain::photos::{self, MAX_PHOTOS};
use crate::domain::Page;
use crate::error::{AppError, AppResult, ErrorCode, Problem};
use crate::http::extract::{truncate, ApiQuery, PageQuery, ProductId, WantsHtml};
use crate::http::locale::Lang;
use crate::http::session::{may, Allowed};
use crate::http::text::HttpText;
use crate::http::visitor::Visitor;
use crate::http::AppState;

/// Catalog management: every product with edit and delete, and a create form.
pub async fn products_page(
    State(state): State<AppState>,
    Lang(locale): Lang,
    Allowed(admin, _): Allowed<may::ManageCatalog>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> AppResult<Response> {
    let page = q.page()?;
    let list = state
        .store
        .list_products(
            None,
            Page {
                limit: Page::MAX_LIMIT,
                ..page
            },
        )
        .await?;
    state.pages.render(
        locale,
        "admin_products",
        state.pages.text(locale, "title-admin-products"),
        &Visitor::signed_in(&state, &admin).await,
        json!({ "items": list.items, "total": list.total }),
    )
}

/// The shipping methods, each an editable form with a blank zone row to
/// add one, and a form for a new method.
pub async fn shipping_page(
    State(state): State<AppState>,
    Lang(locale): Lang,
    Allowed(admin, _): Allowed<may::ManageShipping>,
) -> AppResult<Response> {
    let blank_zone =
        json!({ "name": "", "countries": [], "price": "", "free_above": null, "weight_bands": [] });
    let methods: Vec<serde_json::Value> = state
        .shipping
        .list()
        .await?
        .into_iter()
        .map(|m| {
            let mut method = json!(m);
            if let Some(zones) = method["zones"].as_array_mut() {
                zones.push(blank_zone.clone());
            }
            method
        })
        .collect();
    state.pages.render(
        locale,
        "admin_shipping",
        state.pages.text(locale, "title-admin-shipping"),
        &Visitor::signed_in(&state, &admin).await,
        json!({
            "methods": methods,
            "new_method": { "name": "", "position": 0, "zones": [blank_zone] },
        }),
    )
}

/// The edit form for one product.
pub async fn edit_product_page(
    State(state): State<AppState>,
    Lang(locale): Lang,
    Allowed(admin, _): Allowed<may::ManageCatalog>,
    ProductId(id): ProductId,
) -> AppResult<Response> {
    let id = id.as_str();
    let product = state
        .store
        .get_product(id)
        .await?
        .ok_or_else(|| AppError::product_not_found(id))?;
    state.pages.render(
        locale,
        "admin_product_edit",
        state
            .pages
            .text_with(locale, "admin-edit-heading", &[("name", &product.name)]),
        &Visitor::signed_in(&state, &admin).await,
        json!({
            "product": product,
            "option_rows": option_rows(&product),
            "variant_rows": variant_rows(&product),
            "photos": photos::slots(&product.photos),
            "photo_room": MAX_PHOTOS.saturating_sub(product.photos.len()),
            "photo_max": MAX_PHOTOS,
            "photo_max_mb": state.settings.photos.max_upload.div_ceil(1024 * 1024),
        }),
    )
}

/// The option editor's rows: the product's options, then empty rows up to
/// the most a product may have.
fn option_rows(product: &Product) -> Vec<Value> {
    (0..MAX_OPTIONS)
        .map(|i| match product.options.get(i) {
            Some(o) => json!({ "name": o.name, "values": o.values.join(", ") }),
            None => json!({ "name": "", "values": "" }),
        })
        .collect()
}

/// The variant editor's rows: the variants sold now (a removed row is
/// archived on save).
fn variant_rows(product: &Product) -> Vec<Value> {
    product
        .sold_variants()
        .map(|v| {
            json!({
                "id": v.id,
                "title": product.variant_title(v),
                "options": serde_json::to_string(&v.options).unwrap_or_default(),
                "sku": v.sku,
                "price": v.price,
                "stock": v.stock,
                "photo_id": v.photo_id,
            })
        })
        .collect()
}

/// Query parameters of `GET /admin/mail`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct MailQuery {
    /// pending, sent or failed.
    pub status: Option<String>,
    /// Mails to skip.
    pub offset: Option<u64>,
    /// Mails per page (1-200, default 50).
    pub limit: Option<u64>,
}

/// One page of the outbox.
#[derive(Serialize, ToSchema)]
pub struct MailList {
    /// The mails on this page, newest first.
    pub items: Vec<OutboxMail>,
    /// Mails matching the filter, on all pages.
    pub total: u64,
    /// Mails skipped before this page.
    pub offset: u64,
    /// Page size used.
    pub limit: u64,
}

/// The outbox, newest first (admin).
#[utoipa::path(get, path = "/admin/mail", tag = "mail", params(MailQuery),
    responses((status = 200, body = MailList), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn mail(
    State(state): State<AppState>,
    Lang(locale): Lang,
    WantsHtml(html): WantsHtml,
    Allowed(admin, _): Allowed<may::ReadMailOutbox>,
    ApiQuery(q): ApiQuery<MailQuery>,
) -> AppResult<Response> {
    let page = PageQuery {
        offset: q.offset,
        limit: q.limit,
    }
    .page()?;
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(MailStatus::parse(s).ok_or_else(|| {
            AppError::bad_param(
                "status",
                HttpText::MailStatusUnknown.arg("text", truncate(s, 40)),
            )
        })?),
    };
    let (items, total) = state.store.list_mail(status, page).await?;
    let list = MailList {
        items,
        total,
        offset: page.offset,
        limit: page.limit,
    };
    if html {
        return state.pages.render(
            locale,
            "admin_mail",
            state.pages.text(locale, "title-admin-mail"),
            &Visitor::signed_in(&state, &admin).await,
            json!({ "list": list, "status": q.status }),
        );
    }
    Ok(Json(list).into_response())
}

/// Put a failed mail back in the queue (admin).
#[utoipa::path(post, path = "/admin/mail/{id}/retry", tag = "mail", params(("id" = String, Path)),
    responses((status = 204), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn retry_mail(
    State(state): State<AppState>,
    Allowed(admin, _): Allowed<may::ReadMailOutbox>,
    ProductId(id): ProductId,
) -> AppResult<StatusCode> {
    if crate::domain::mail::retry(&*state.store, &admin, &id).await? {
        state.events.mail_queued();
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::new(
            ErrorCode::NotFound,
            HttpText::FailedMailNotFound.arg("id", truncate(&id, 64)),
        ))
    }
}
