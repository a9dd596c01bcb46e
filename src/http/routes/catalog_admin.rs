//! The admin's product list (search, paging, the low-stock filter) and the
//! quick edit of one variant's price and stock, as JSON and as a plain form.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::IntoParams;

use crate::domain::accounts::Identity;
use crate::domain::catalog::{low_stock, Product, VariantChange};
use crate::domain::message::{MessageId, ShopText};
use crate::domain::validation::FieldErrors;
use crate::domain::{is_id, Page};
use crate::error::{AppError, AppResult, Problem};
use crate::http::extract::{truncate, ApiJson, ApiQuery, JsonOrForm};
use crate::http::forms::{refused, shown};
use crate::http::locale::Lang;
use crate::http::session::{may, Allowed};
use crate::http::text::HttpText;
use crate::http::visitor::Visitor;
use crate::http::AppState;
use crate::i18n::Locale;

/// Longest search text the list takes.
const MAX_QUERY: usize = 200;
/// Where the list lives; a form's `return` must stay under it.
const LIST: &str = "/admin/products";

/// Query parameters of `GET /admin/products`.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Name or SKU contains this (case-insensitive).
    pub q: Option<String>,
    /// Only products with a variant at or below its low-stock level.
    pub low_stock: Option<bool>,
    /// Products to skip.
    pub offset: Option<u64>,
    /// Products per page (1-200, default 50).
    pub limit: Option<u64>,
}

/// Catalog management: a create form, and the products (searched, paged,
/// or only the low ones) with a price and stock form per variant.
pub async fn products_page(
    State(state): State<AppState>,
    Lang(locale): Lang,
    Allowed(admin, _): Allowed<may::ManageCatalog>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Response> {
    list_page(&state, locale, &admin, &q, json!({})).await
}

async fn list_page(
    state: &AppState,
    locale: Locale,
    admin: &Identity,
    q: &ListQuery,
    extra: Value,
) -> AppResult<Response> {
    let page = crate::http::extract::PageQuery {
        offset: q.offset,
        limit: q.limit,
    }
    .page()?;
    let text = q.q.as_deref().unwrap_or("").trim();
    if text.chars().count() > MAX_QUERY {
        return Err(AppError::bad_param(
            "q",
            ShopText::TextTooLong.arg("max", MAX_QUERY),
        ));
    }
    let low_only = q.low_stock.unwrap_or(false);
    let default_threshold = state.catalog.low_stock_threshold();
    let (products, total, low) = if low_only {
        let low = state.catalog.low_stock(low_stock::MAX_LIST).await?;
        let mut ids: Vec<String> = Vec::new();
        for v in &low {
            if !ids.contains(&v.product_id) {
                ids.push(v.product_id.clone());
            }
        }
        let products = state.store.get_products(&ids).await?;
        let total = products.len() as u64;
        (products, total, Some(low))
    } else {
        let (products, total) = state.store.find_products(text, page).await?;
        (products, total, None)
    };
    let here = list_url(text, low_only, page.offset, page.limit);
    let items: Vec<Value> = products
        .iter()
        .map(|p| product_row(p, default_threshold))
        .collect();
    let paged = !low_only;
    let next = (paged && page.offset + page.limit < total)
        .then(|| list_url(text, false, page.offset + page.limit, page.limit));
    let prev = (paged && page.offset > 0).then(|| {
        list_url(
            text,
            false,
            page.offset.saturating_sub(page.limit),
            page.limit,
        )
    });
    let mut data = json!({
        "items": items,
        "total": total,
        "q": text,
        "low_stock": low_only,
        "low_count": low.as_ref().map(Vec::len),
        "default_threshold": default_threshold,
        "here": here,
        "next_url": next,
        "prev_url": prev,
        "first": page.offset + 1,
        "last": page.offset + items.len() as u64,
    });
    if let (Some(data), Value::Object(extra)) = (data.as_object_mut(), extra) {
        data.extend(extra);
    }
    state.pages.render(
        locale,
        "admin_products",
        state.pages.text(locale, "title-admin-products"),
        &Visitor::signed_in(state, admin).await,
        data,
    )
}

/// `/admin/products` with this search, filter and page.
fn list_url(text: &str, low_only: bool, offset: u64, limit: u64) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if !text.is_empty() {
        query.append_pair("q", text);
    }
    if low_only {
        query.append_pair("low_stock", "true");
    }
    if offset > 0 {
        query.append_pair("offset", &offset.to_string());
    }
    if limit != Page::default().limit {
        query.append_pair("limit", &limit.to_string());
    }
    let query = query.finish();
    if query.is_empty() {
        LIST.to_owned()
    } else {
        format!("{LIST}?{query}")
    }
}

/// A product as the list shows it: its sold variants, each marked low when
/// at or below the product's level.
fn product_row(p: &Product, default_threshold: i64) -> Value {
    let threshold = p.low_stock_threshold.unwrap_or(default_threshold);
    let variants: Vec<Value> = p
        .sold_variants()
        .map(|v| {
            json!({
                "id": v.id,
                "title": p.variant_title(v),
                "sku": v.sku,
                "price": v.price,
                "stock": v.stock,
                "low": v.stock <= threshold,
            })
        })
        .collect();
    json!({
        "id": p.id,
        "name": p.name,
        "category": p.category,
        "stock": p.stock,
        "threshold": threshold,
        "variants": variants,
    })
}

/// The product and variant ids of `/…/{id}/variants/{variant_id}`.
fn ids(id: String, variant_id: String) -> AppResult<(String, String)> {
    for (name, text) in [("id", &id), ("variant_id", &variant_id)] {
        if !is_id(text) {
            return Err(AppError::bad_param(
                name,
                HttpText::IdMalformed.arg("text", truncate(text, 64)),
            ));
        }
    }
    Ok((id, variant_id))
}

/// Set one variant's price and/or stock (admin).
#[utoipa::path(patch, path = "/products/{id}/variants/{variant_id}", tag = "catalog",
    request_body = VariantChange,
    params(("id" = String, Path, description = "Product id"), ("variant_id" = String, Path, description = "Variant id")),
    responses((status = 200, body = Product), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn set_variant(
    State(state): State<AppState>,
    Allowed(admin, _): Allowed<may::ManageCatalog>,
    Path((id, variant_id)): Path<(String, String)>,
    ApiJson(change): ApiJson<VariantChange>,
) -> AppResult<Json<Product>> {
    let (id, variant_id) = ids(id, variant_id)?;
    Ok(Json(
        state
            .catalog
            .set_variant(&admin, &id, &variant_id, change)
            .await?,
    ))
}

/// What a list row's form posts: numbers as typed, and the list to go back to.
#[derive(Debug, Deserialize)]
pub struct VariantForm {
    #[serde(default)]
    price: String,
    #[serde(default)]
    stock: String,
    #[serde(default, rename = "return")]
    back: String,
}

impl VariantForm {
    /// The change it asks for; an empty box leaves that value as it is.
    fn change(&self) -> Result<VariantChange, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut number = |field: &str, text: &str| {
            let text = text.trim();
            if text.is_empty() {
                return None;
            }
            match text.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.add(field, ShopText::NotAWholeNumber);
                    None
                }
            }
        };
        let change = VariantChange {
            price: number("price", &self.price),
            stock: number("stock", &self.stock),
        };
        errors.into_result(change)
    }
}

/// A list row's form: set the variant, then back to the list as it was
/// (its search, filter and page); a refused form shows the list again with
/// the message at that row.
pub async fn variant_form(
    State(state): State<AppState>,
    Lang(locale): Lang,
    Allowed(admin, _): Allowed<may::ManageCatalog>,
    Path((id, variant_id)): Path<(String, String)>,
    body: JsonOrForm<VariantForm>,
) -> AppResult<Response> {
    let (id, variant_id) = ids(id, variant_id)?;
    let form = body.value?;
    let outcome = match form.change() {
        Ok(change) => state
            .catalog
            .set_variant(&admin, &id, &variant_id, change)
            .await
            .map_err(AppError::from),
        Err(errors) => Err(AppError::from(crate::domain::error::ShopError::from(
            errors,
        ))),
    };
    let back = if form.back.starts_with(LIST) && !form.back.contains("//") {
        form.back.clone()
    } else {
        LIST.to_owned()
    };
    let error = match outcome {
        Ok(_) => return Ok(Redirect::to(&back).into_response()),
        Err(error) => error,
    };
    let typed = body
        .typed
        .unwrap_or_default()
        .with("variant_id", &variant_id);
    let path = format!("/admin/products/{id}/variants/{variant_id}");
    let (status, data) = refused(&state, locale, &path, "variant", typed, &error);
    let query = back
        .split_once('?')
        .and_then(|(_, q)| serde_urlencoded::from_str::<ListQuery>(q).ok())
        .unwrap_or_default();
    let again = list_page(&state, locale, &admin, &query, data).await?;
    Ok(shown(status, again))
}
