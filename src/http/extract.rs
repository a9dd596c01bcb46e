//! Request extractors that turn every malformed input into an [`AppError`]
//! with details, instead of axum's plain-text rejections.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use serde::de::DeserializeOwned;

use crate::domain::message::MessageId;
use crate::error::{AppError, ErrorCode};
use crate::http::forms::Typed;
use crate::http::text::HttpText;

/// A JSON body, deserialized with the failing field named.
pub struct ApiJson<T>(pub T);

/// A JSON or `application/x-www-form-urlencoded` body (the pages' forms).
/// Bad JSON is refused by the extractor; a form that does not decode
/// reaches the handler, which shows the form again with the message.
pub struct JsonOrForm<T> {
    /// The decoded body.
    pub value: Result<T, AppError>,
    /// For a form: what was typed (answer with a page or a redirect, not
    /// JSON). `None` for JSON.
    pub typed: Option<Typed>,
}

impl<T> JsonOrForm<T> {
    /// True when the body was a form.
    pub fn from_form(&self) -> bool {
        self.typed.is_some()
    }
}

fn content_type(headers: &HeaderMap) -> Option<mime::Mime> {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

fn is_json(m: &mime::Mime) -> bool {
    m.type_() == mime::APPLICATION && (m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON))
}

async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, AppError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        let too_large = std::error::Error::source(&rejection)
            .map(|s| s.to_string().contains("length limit"))
            .unwrap_or(false)
            || rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE;
        if too_large {
            AppError::new(ErrorCode::PayloadTooLarge, HttpText::BodyTooLarge)
        } else {
            AppError::new(ErrorCode::BadRequest, HttpText::BodyUnreadable)
        }
    })
}

/// Parses JSON, reporting syntax errors as 400 and shape errors as 422 with
/// the JSON path of the offending field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    if bytes.is_empty() {
        return Err(AppError::new(ErrorCode::MalformedJson, HttpText::BodyEmpty));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(value) => Ok(value),
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            use serde_json::error::Category;
            match inner.classify() {
                // serde's own words stay English; the sentence around
                // them is translated.
                Category::Syntax | Category::Eof | Category::Io => Err(AppError::new(
                    ErrorCode::MalformedJson,
                    HttpText::JsonInvalid.arg("reason", inner.to_string()),
                )
                .with("line", inner.line())
                .with("column", inner.column())),
                Category::Data => {
                    let field = if path == "." {
                        field_from_message(&inner.to_string())
                    } else {
                        path
                    };
                    let reason = strip_position(&inner.to_string());
                    Err(AppError::field(
                        &field,
                        HttpText::FieldUnreadable.arg("reason", reason),
                    ))
                }
            }
        }
    }
}

/// serde reports missing and unknown fields at the parent: pull the name out.
fn field_from_message(message: &str) -> String {
    // A query string names the parameter first: "…query string: offset: invalid digit…".
    if let Some(rest) = message.split("query string: ").nth(1) {
        if let Some((name, _)) = rest.split_once(": ") {
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return name.to_owned();
            }
        }
    }
    for marker in ["missing field `", "unknown field `"] {
        if let Some(rest) = message.split(marker).nth(1) {
            if let Some(name) = rest.split('`').next() {
                return name.to_owned();
            }
        }
    }
    "body".to_owned()
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match content_type(req.headers()) {
            Some(m) if is_json(&m) => {}
            _ => {
                return Err(AppError::new(
                    ErrorCode::UnsupportedMediaType,
                    HttpText::SendJson,
                ))
            }
        }
        let bytes = read_body(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

impl<S, T> FromRequest<S> for JsonOrForm<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ct = content_type(req.headers());
        let from_form = match &ct {
            Some(m) if is_json(m) => false,
            Some(m) if m.essence_str() == "application/x-www-form-urlencoded" => true,
            _ => {
                return Err(AppError::new(
                    ErrorCode::UnsupportedMediaType,
                    HttpText::SendJsonOrForm,
                ))
            }
        };
        let bytes = read_body(req, state).await?;
        if from_form {
            Ok(Self {
                value: serde_urlencoded_from(&bytes),
                typed: Some(Typed::from_form(&bytes)),
            })
        } else {
            Ok(Self {
                value: Ok(parse_json(&bytes)?),
                typed: None,
            })
        }
    }
}

fn serde_urlencoded_from<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    serde_urlencoded::from_bytes(bytes).map_err(|e| {
        let reason = e.to_string();
        AppError::field(
            &field_from_message(&reason),
            HttpText::FieldUnreadable.arg("reason", reason),
        )
    })
}

/// Whether the client asked for HTML (a browser) rather than JSON.
/// `*/*` and no `Accept` at all mean JSON.
pub fn wants_html(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(ACCEPT).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let html = accept.find("text/html");
    let json = accept.find("application/json");
    match (html, json) {
        (Some(h), Some(j)) => h < j,
        (Some(_), None) => true,
        _ => false,
    }
}

/// Extractor form of [`wants_html`].
pub struct WantsHtml(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for WantsHtml {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(WantsHtml(wants_html(&parts.headers)))
    }
}

/// How axum's query rejection starts, before serde's words.
const QUERY_REJECTION: &str = "Failed to deserialize query string: ";

/// Query string with errors in our model.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| ApiQuery(v))
            .map_err(|e| {
                let message = e.body_text();
                let name = field_from_message(&message);
                // axum's sentence around serde's words is worded by us.
                let reason = message
                    .split_once(QUERY_REJECTION)
                    .map_or(message.as_str(), |(_, reason)| reason);
                AppError::bad_param(&name, HttpText::QueryUnreadable.arg("reason", reason))
            })
    }
}

/// The `{id}` path segment, checked to be a product id before the body is read.
pub struct ProductId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ProductId {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(text) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|e| {
                    AppError::bad_param("id", HttpText::PathUnreadable.arg("reason", e.body_text()))
                })?;
        if crate::domain::is_id(&text) {
            Ok(ProductId(text))
        } else {
            Err(AppError::bad_param(
                "id",
                HttpText::IdMalformed.arg("text", truncate(&text, 64)),
            ))
        }
    }
}

/// Shortens client text quoted back in an error (the domain's rule, so
/// handlers and domain operations cut the same way).
pub use crate::domain::truncate;

/// Paging query parameters shared by every list.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// Items to skip.
    pub offset: Option<u64>,
    /// Items per page (1-200, default 50).
    pub limit: Option<u64>,
}

impl PageQuery {
    /// The page asked for, defaults filled in; `invalid_parameter` (400) for a
    /// `limit` outside 1-200 or an `offset` past `i64::MAX`.
    pub fn page(&self) -> Result<crate::domain::Page, AppError> {
        let default = crate::domain::Page::default();
        let limit = self.limit.unwrap_or(default.limit);
        if !(1..=crate::domain::Page::MAX_LIMIT).contains(&limit) {
            return Err(AppError::bad_param(
                "limit",
                HttpText::LimitOutOfRange.arg("max", crate::domain::Page::MAX_LIMIT),
            ));
        }
        let offset = self.offset.unwrap_or(0);
        if offset > i64::MAX as u64 {
            return Err(AppError::bad_param("offset", HttpText::OffsetTooLarge));
        }
        Ok(crate::domain::Page { offset, limit })
    }
}
