//! The catalog CSV page, the import (a dry run or the apply) and the
//! streamed exports. The page's form posts here without JavaScript and gets
//! the page back with the report.

use axum::body::{Body, Bytes};
use axum::extract::multipart::{Multipart, MultipartError};
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::domain::accounts::Permission;
use crate::domain::catalog_csv::export::ExportKind;
use crate::domain::catalog_csv::{
    CatalogCsv, CsvText, ImportRefused, ImportSummary, COLUMNS, MAX_FILE_BYTES, REQUIRED,
};
use crate::domain::message::{MessageId, ShopText};
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, AppResult, ErrorCode, Problem};
use crate::http::extract::{truncate, ApiQuery, WantsHtml};
use crate::http::forms::shown;
use crate::http::locale::Lang;
use crate::http::problem::render;
use crate::http::session::{may, Allowed, Identity};
use crate::http::text::HttpText;
use crate::http::visitor::Visitor;
use crate::http::AppState;
use crate::i18n::Locale;

/// The multipart part that carries the file.
const FILE_FIELD: &str = "file";

/// The page, the import and the exports; the import's body may be as large
/// as the largest file the import takes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/catalog", get(page))
        .route(
            "/admin/catalog/import",
            post(import).layer(DefaultBodyLimit::max(MAX_FILE_BYTES + (64 << 10))),
        )
        .route("/admin/export/products.csv", get(export_products))
        .route("/admin/export/orders.csv", get(export_orders))
        .route("/admin/export/customers.csv", get(export_customers))
}

fn csv(state: &AppState) -> CatalogCsv {
    CatalogCsv::new(state.store.clone(), &state.settings.shop.currency)
}

/// The import form, the links to the exports and the columns.
pub async fn page(
    State(state): State<AppState>,
    Lang(locale): Lang,
    Allowed(admin, _): Allowed<may::ManageCatalog>,
) -> AppResult<Response> {
    render_page(&state, locale, &admin, None).await
}

async fn render_page(
    state: &AppState,
    locale: Locale,
    admin: &Identity,
    report: Option<serde_json::Value>,
) -> AppResult<Response> {
    state.pages.render(
        locale,
        "admin_catalog_csv",
        state.pages.text(locale, "admin-csv-heading"),
        &Visitor::signed_in(state, admin).await,
        json!({
            "report": report,
            "columns": COLUMNS,
            "required": REQUIRED,
            "may_export": admin.may(Permission::ExportData),
        }),
    )
}

/// Query parameters of `POST /admin/catalog/import`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ImportQuery {
    /// `true` (the default) checks and reports, `false` imports.
    pub dry_run: Option<String>,
}

/// What an import that went through answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportAnswer {
    /// Whether this was only a check.
    pub dry_run: bool,
    /// Rows read (not counting the header).
    pub rows: usize,
    /// Products created (or that would be).
    pub products_created: usize,
    /// Products updated (or that would be).
    pub products_updated: usize,
    /// Variants created (or that would be).
    pub variants_created: usize,
    /// Variants updated (or that would be).
    pub variants_updated: usize,
}

impl ImportAnswer {
    fn of(dry_run: bool, s: &ImportSummary) -> Self {
        Self {
            dry_run,
            rows: s.rows,
            products_created: s.products_created,
            products_updated: s.products_updated,
            variants_created: s.created_skus.len(),
            variants_updated: s.updated_skus.len(),
        }
    }
}

/// Imports products from CSV (admin): the file as the body (`text/csv`) or
/// as the `file` part of a form. `dry_run=true` (the default) checks every
/// line and says what would change; `dry_run=false` writes it all in one
/// transaction, or nothing when any line is bad (422 naming each line and
/// column in `errors` and `problems`).
#[utoipa::path(post, path = "/admin/catalog/import", tag = "catalog", params(ImportQuery),
    request_body(content_type = "text/csv", description = "The CSV file (README: Catalog CSV), or multipart/form-data with a `file` part"),
    responses((status = 200, body = ImportAnswer), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 413, body = Problem), (status = 415, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn import(
    State(state): State<AppState>,
    Lang(locale): Lang,
    WantsHtml(html): WantsHtml,
    Allowed(admin, _): Allowed<may::ManageCatalog>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    request: Request,
) -> AppResult<Response> {
    let dry_run = match q.dry_run.as_deref().map(str::trim) {
        None | Some("" | "true" | "1") => true,
        Some("false" | "0") => false,
        Some(other) => {
            return Err(AppError::bad_param(
                "dry_run",
                ShopText::NotABoolean.arg("text", truncate(other, 40)),
            ))
        }
    };
    let file = file_bytes(&state, request).await?;
    let csv = csv(&state);
    let outcome = if dry_run {
        csv.check(&admin, &file).await?
    } else {
        csv.import(&admin, &file).await?
    };
    drop(file);
    if html {
        let (status, report) = match &outcome {
            Ok(summary) => (StatusCode::OK, json!(ImportAnswer::of(dry_run, summary))),
            Err(refused) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                page_problems(&state, locale, dry_run, refused),
            ),
        };
        let page = render_page(&state, locale, &admin, Some(report)).await?;
        return Ok(shown(status, page));
    }
    match outcome {
        Ok(summary) => Ok(Json(ImportAnswer::of(dry_run, &summary)).into_response()),
        Err(refused) => Err(refused_error(dry_run, &refused)),
    }
}

/// The report's problems, in the visitor's language, for the page.
fn page_problems(
    state: &AppState,
    locale: Locale,
    dry_run: bool,
    refused: &ImportRefused,
) -> serde_json::Value {
    let translations = &state.pages.i18n().translations;
    let problems: Vec<_> = refused
        .problems
        .iter()
        .map(|p| {
            json!({
                "line": p.line,
                "field": p.field,
                "message": render(translations, locale, &p.message),
            })
        })
        .collect();
    json!({
        "dry_run": dry_run,
        "problems": problems,
        "problem_count": refused.problems.len() + refused.more,
    })
}

/// A refused import as a problem: each line's column in `errors`
/// (`line 3: price`), and `problems` listing `{line, field}` in line order.
fn refused_error(dry_run: bool, refused: &ImportRefused) -> AppError {
    let mut errors = FieldErrors::default();
    for p in &refused.problems {
        errors.add(&format!("line {}: {}", p.line, p.field), p.message.clone());
    }
    let problems: Vec<_> = refused
        .problems
        .iter()
        .map(|p| json!({ "line": p.line, "field": p.field }))
        .collect();
    let count = refused.problems.len() + refused.more;
    let mut err = AppError::new(
        ErrorCode::ValidationFailed,
        CsvText::Refused.arg("count", count),
    );
    err.errors = Some(errors);
    err.with("problems", problems)
        .with("more_problems", refused.more)
        .with("dry_run", dry_run)
}

fn multipart_error(status: StatusCode) -> AppError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        too_big()
    } else {
        AppError::new(ErrorCode::BadRequest, HttpText::BodyUnreadable)
    }
}

fn too_big() -> AppError {
    AppError::new(
        ErrorCode::PayloadTooLarge,
        CsvText::FileTooBig.arg("max", MAX_FILE_BYTES),
    )
    .with("limit", MAX_FILE_BYTES)
}

/// The file: the body itself, or the form's `file` part; at most
/// [`MAX_FILE_BYTES`].
async fn file_bytes(state: &AppState, request: Request) -> AppResult<Bytes> {
    let kind = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match kind.as_str() {
        "multipart/form-data" => {
            let multipart = Multipart::from_request(request, state)
                .await
                .map_err(|e| multipart_error(e.status()))?;
            file_part(multipart).await
        }
        ""
        | "text/csv"
        | "application/csv"
        | "text/plain"
        | "application/octet-stream"
        | "application/vnd.ms-excel" => {
            let bytes = Bytes::from_request(request, state)
                .await
                .map_err(|e| multipart_error(e.status()))?;
            if bytes.len() > MAX_FILE_BYTES {
                return Err(too_big());
            }
            Ok(bytes)
        }
        _ => Err(AppError::new(
            ErrorCode::UnsupportedMediaType,
            CsvText::NoFile,
        )),
    }
}

async fn file_part(mut multipart: Multipart) -> AppResult<Bytes> {
    let failed = |e: MultipartError| multipart_error(e.status());
    while let Some(mut field) = multipart.next_field().await.map_err(failed)? {
        if field.name() != Some(FILE_FIELD) {
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(failed)? {
            if bytes.len() + chunk.len() > MAX_FILE_BYTES {
                return Err(too_big());
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok(bytes.into());
    }
    Err(AppError::field(FILE_FIELD, CsvText::NoFile))
}

/// The catalog as CSV, in the import's columns (admin).
#[utoipa::path(get, path = "/admin/export/products.csv", tag = "catalog",
    responses((status = 200, content_type = "text/csv", description = "The CSV file, streamed"),
        (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn export_products(
    State(state): State<AppState>,
    Allowed(admin, _): Allowed<may::ManageCatalog>,
) -> AppResult<Response> {
    download(&state, &admin, ExportKind::Products)
}

/// Every order as CSV, one row per order (admin).
#[utoipa::path(get, path = "/admin/export/orders.csv", tag = "catalog",
    responses((status = 200, content_type = "text/csv", description = "The CSV file, streamed"),
        (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn export_orders(
    State(state): State<AppState>,
    Allowed(admin, _): Allowed<may::ExportData>,
) -> AppResult<Response> {
    download(&state, &admin, ExportKind::Orders)
}

/// Every account as CSV (admin).
#[utoipa::path(get, path = "/admin/export/customers.csv", tag = "catalog",
    responses((status = 200, content_type = "text/csv", description = "The CSV file, streamed"),
        (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn export_customers(
    State(state): State<AppState>,
    Allowed(admin, _): Allowed<may::ExportData>,
) -> AppResult<Response> {
    download(&state, &admin, ExportKind::Customers)
}

fn download(state: &AppState, admin: &Identity, kind: ExportKind) -> AppResult<Response> {
    let chunks = csv(state).export(admin, kind)?.map(|chunk| {
        chunk.map_err(|err| {
            // The status is sent already: the client sees the download cut.
            tracing::error!(error = %err, "CSV export stopped");
            std::io::Error::other(err.to_string())
        })
    });
    let disposition = format!("attachment; filename=\"{}\"", kind.file_name());
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Body::from_stream(chunks),
    )
        .into_response())
}
