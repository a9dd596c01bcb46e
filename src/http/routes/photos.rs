//! Product photos: upload (multipart), delete and reorder (admin), and the
//! files themselves at stable, immutable URLs. The admin page's forms post
//! here too (without JavaScript): they get a redirect back to the page.

use axum::body::Body;
use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::{Bytes, BytesMut};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::config::Settings;
use crate::domain::catalog::Product;
use crate::domain::is_id;
use crate::domain::message::MessageId;
use crate::domain::photos::{PhotoSize, PhotoText, MAX_PHOTOS, PHOTO_FIELD};
use crate::error::{AppError, AppResult, ErrorCode, Problem};
use crate::http::extract::{truncate, JsonOrForm, ProductId, WantsHtml};
use crate::http::session::{may, Allowed};
use crate::http::text::HttpText;
use crate::http::AppState;

/// Browsers keep a photo for a year without asking again: its URL names
/// bytes that never change.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The photo routes, the upload's body limit raised to hold as many photos
/// of `photos.max_upload` bytes as a product can have.
pub fn routes(settings: &Settings) -> Router<AppState> {
    let upload_limit = settings
        .photos
        .max_upload
        .saturating_mul(MAX_PHOTOS)
        .saturating_add(1 << 20);
    Router::new()
        .route(
            "/products/{id}/photos",
            post(upload)
                .layer(DefaultBodyLimit::max(upload_limit))
                .put(reorder),
        )
        .route("/products/{id}/photos/order", post(reorder))
        .route(
            "/products/{id}/photos/{photo_id}",
            axum::routing::delete(remove),
        )
        .route("/products/{id}/photos/{photo_id}/delete", post(remove))
        .route("/photos/{photo_id}/{file}", get(serve))
}

/// The admin page a form post goes back to.
fn back_to_edit(id: &str) -> Response {
    Redirect::to(&format!("/admin/products/{id}/edit")).into_response()
}

fn multipart_error(err: &MultipartError) -> AppError {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::new(ErrorCode::PayloadTooLarge, HttpText::BodyTooLarge)
    } else {
        AppError::new(ErrorCode::BadRequest, HttpText::BodyUnreadable)
    }
}

/// Reads every `photo` part, none larger than `max` bytes (413 otherwise);
/// a part without a file name and bytes (a form sent without choosing a
/// file) is skipped, other parts ignored.
async fn photo_parts(mut multipart: Multipart, max: usize) -> AppResult<Vec<Bytes>> {
    let mut parts = Vec::new();
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(&e))?
    {
        if field.name() != Some(PHOTO_FIELD) {
            continue;
        }
        if parts.len() == MAX_PHOTOS {
            return Err(AppError::field(
                PHOTO_FIELD,
                PhotoText::TooMany
                    .arg("max", MAX_PHOTOS)
                    .arg("count", MAX_PHOTOS + 1),
            ));
        }
        let named = field.file_name().is_some_and(|n| !n.is_empty());
        let mut bytes = BytesMut::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(&e))? {
            if bytes.len() + chunk.len() > max {
                return Err(AppError::new(
                    ErrorCode::PayloadTooLarge,
                    PhotoText::TooBig.arg("n", parts.len() + 1).arg("max", max),
                )
                .with("limit", max)
                .with("field", PHOTO_FIELD));
            }
            bytes.extend_from_slice(&chunk);
        }
        if named || !bytes.is_empty() {
            parts.push(bytes.freeze());
        }
    }
    Ok(parts)
}

/// Upload photos to a product (admin): `multipart/form-data` with one or
/// more `photo` parts, JPEG, PNG or WebP. Each is re-encoded as JPEG in
/// 400 and 1200 px wide (`/photos/{photo_id}/400.jpg`, `…/1200.jpg`) and
/// added after the product's photos; if any is refused, none is stored.
#[utoipa::path(post, path = "/products/{id}/photos", tag = "catalog",
    params(("id" = String, Path, description = "Product id")),
    request_body(content_type = "multipart/form-data", description = "One or more `photo` parts"),
    responses((status = 201, body = Product), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 413, body = Problem),
        (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    WantsHtml(html): WantsHtml,
    Allowed(admin, _): Allowed<may::ManageCatalog>,
    ProductId(id): ProductId,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    let multipart = multipart
        .map_err(|_| AppError::new(ErrorCode::UnsupportedMediaType, PhotoText::Missing))?;
    let uploads = photo_parts(multipart, state.photos.rules().max_upload).await?;
    let product = state.photos.add(&admin, &id, uploads).await?;
    if html {
        return Ok(back_to_edit(&id));
    }
    Ok((StatusCode::CREATED, Json(product)).into_response())
}

/// The new order of a product's photos.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhotoOrder {
    /// Every photo id of the product, once each, first shown first (a form
    /// sends them comma-separated).
    #[schema(value_type = Vec<String>)]
    pub order: OrderList,
}

/// A list of ids: JSON's array or a form's comma-separated text.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OrderList {
    /// `["id", …]`
    List(Vec<String>),
    /// `id,id,…`
    Text(String),
}

impl OrderList {
    fn ids(self) -> Vec<String> {
        match self {
            OrderList::List(ids) => ids,
            OrderList::Text(text) => text
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }
}

/// Reorder a product's photos (admin); `order` must name each photo once.
#[utoipa::path(put, path = "/products/{id}/photos", tag = "catalog", request_body = PhotoOrder,
    params(("id" = String, Path, description = "Product id")),
    responses((status = 200, body = Product), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn reorder(
    State(state): State<AppState>,
    Allowed(admin, _): Allowed<may::ManageCatalog>,
    ProductId(id): ProductId,
    body: JsonOrForm<PhotoOrder>,
) -> AppResult<Response> {
    let form = body.from_form();
    let order = body.value?.order.ids();
    let product = state.photos.reorder(&admin, &id, &order).await?;
    if form {
        return Ok(back_to_edit(&id));
    }
    Ok(Json(product).into_response())
}

/// Delete one photo of a product (admin); its URLs answer 404 from then on.
#[utoipa::path(delete, path = "/products/{id}/photos/{photo_id}", tag = "catalog",
    params(("id" = String, Path, description = "Product id"), ("photo_id" = String, Path, description = "Photo id")),
    responses((status = 200, body = Product), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn remove(
    State(state): State<AppState>,
    WantsHtml(html): WantsHtml,
    Allowed(admin, _): Allowed<may::ManageCatalog>,
    Path((id, photo_id)): Path<(String, String)>,
) -> AppResult<Response> {
    if !is_id(&id) {
        return Err(AppError::bad_param(
            "id",
            HttpText::IdMalformed.arg("text", truncate(&id, 64)),
        ));
    }
    let product = state.photos.remove(&admin, &id, &photo_id).await?;
    if html {
        return Ok(back_to_edit(&id));
    }
    Ok(Json(product).into_response())
}

/// A photo file: `file` is `400.jpg` or `1200.jpg`. Cached for a year
/// (`immutable`), with a strong `ETag`; 304 on `If-None-Match`.
#[utoipa::path(get, path = "/photos/{photo_id}/{file}", tag = "catalog",
    params(("photo_id" = String, Path, description = "Photo id"), ("file" = String, Path, description = "`400.jpg` or `1200.jpg`")),
    responses((status = 200, content_type = "image/jpeg", description = "The JPEG"), (status = 304, description = "Not modified"),
        (status = 404, body = Problem)))]
pub async fn serve(
    State(state): State<AppState>,
    Path((photo_id, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let size = PhotoSize::from_file_name(&file).ok_or_else(|| {
        AppError::new(
            ErrorCode::NotFound,
            PhotoText::NotFound.arg("id", truncate(&photo_id, 64)),
        )
    })?;
    let photo = state.photos.file(&photo_id, size).await?;
    let etag = HeaderValue::from_str(&photo.etag).map_err(AppError::internal)?;
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == "*" || t == photo.etag)
        });
    let cache = [
        (header::ETAG, etag),
        (header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE)),
    ];
    if fresh {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    Ok((
        cache,
        [(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"))],
        Body::from(photo.bytes),
    )
        .into_response())
}
