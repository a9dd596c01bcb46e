//! The one application error. Every error answer carries a fresh id, the
//! status, a stable code, a message and details; the same id is logged with
//! the full cause chain by `http::middleware::error_envelope`.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use std::collections::BTreeMap;

use crate::domain::error::ShopError;
use crate::domain::message::{Message, MessageId, ShopText};
use crate::domain::validation::FieldErrors;
use crate::http::text::HttpText;
use crate::store::StoreError;

/// Declares [`ErrorCode`] from one table: each line gives a code its variant,
/// its stable name (what clients script against), its HTTP status and its
/// title. The serialized name, `as_str`, the status and the title all come
/// from that one line, so they cannot disagree.
macro_rules! error_codes {
    ($( $(#[doc = $doc:literal])* $variant:ident = $name:literal, $status:ident, $title:literal; )*) => {
        /// Stable machine codes, each with its HTTP status and title.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
        pub enum ErrorCode {
            $( $(#[doc = $doc])* #[serde(rename = $name)] $variant, )*
        }

        impl ErrorCode {
            /// Every code, in table order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The HTTP status answers with this code carry.
            pub fn status(self) -> StatusCode {
                match self { $(ErrorCode::$variant => StatusCode::$status,)* }
            }

            /// The stable name, e.g. `validation_failed`.
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $name,)* }
            }

            /// A short human summary of the code, the problem's `title`.
            pub fn title(self) -> &'static str {
                match self { $(ErrorCode::$variant => $title,)* }
            }
        }
    };
}

error_codes! {
    /// The body is not well-formed JSON.
    MalformedJson = "malformed_json", BAD_REQUEST, "Malformed JSON";
    /// A path or query parameter is not acceptable.
    InvalidParameter = "invalid_parameter", BAD_REQUEST, "Invalid parameter";
    /// Anything else malformed about the request.
    BadRequest = "bad_request", BAD_REQUEST, "Bad request";
    /// No valid session (missing, bad, expired or revoked token).
    Unauthorized = "unauthorized", UNAUTHORIZED, "Not logged in";
    /// Wrong email or password.
    InvalidCredentials = "invalid_credentials", UNAUTHORIZED, "Wrong email or password";
    /// Logged in, but not allowed.
    Forbidden = "forbidden", FORBIDDEN, "Not allowed";
    /// The right password of an account an admin disabled.
    AccountDisabled = "account_disabled", FORBIDDEN, "Account disabled";
    /// A cross-site form post was refused.
    CsrfRejected = "csrf_rejected", FORBIDDEN, "Cross-site request refused";
    /// No route here.
    RouteNotFound = "route_not_found", NOT_FOUND, "No such page";
    /// The named product does not exist.
    ProductNotFound = "product_not_found", NOT_FOUND, "Product not found";
    /// The named order does not exist (or is not yours).
    OrderNotFound = "order_not_found", NOT_FOUND, "Order not found";
    /// Any other missing resource.
    NotFound = "not_found", NOT_FOUND, "Not found";
    /// The route exists, the verb does not.
    MethodNotAllowed = "method_not_allowed", METHOD_NOT_ALLOWED, "Method not allowed";
    /// The request took too long.
    RequestTimeout = "request_timeout", REQUEST_TIMEOUT, "Request timed out";
    /// A unique value (email) is taken.
    AlreadyExists = "already_exists", CONFLICT, "Already exists";
    /// A product id names several cart lines; name the variant instead.
    AmbiguousLine = "ambiguous_line", CONFLICT, "Several lines match";
    /// Not enough stock for the quantity asked.
    InsufficientStock = "insufficient_stock", CONFLICT, "Not enough stock";
    /// The order cannot move to that status.
    InvalidTransition = "invalid_transition", CONFLICT, "Status change not allowed";
    /// A card payment event that does not match its order.
    PaymentMismatch = "payment_mismatch", CONFLICT, "Payment does not match the order";
    /// A webhook delivery without a valid signature, or too old.
    WebhookRefused = "webhook_refused", BAD_REQUEST, "Webhook refused";
    /// The payment provider said no (e.g. a refund it will not make).
    PaymentRefused = "payment_refused", UNPROCESSABLE_ENTITY, "Payment refused";
    /// The payment provider could not be reached; retry later.
    PaymentUnavailable = "payment_unavailable", BAD_GATEWAY, "Payment provider unavailable";
    /// The body exceeds `server.body_limit`.
    PayloadTooLarge = "payload_too_large", PAYLOAD_TOO_LARGE, "Request too large";
    /// The body is not `application/json` (or a form, where accepted).
    UnsupportedMediaType = "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE, "Unsupported media type";
    /// The body parsed but a field is wrong; see `errors`.
    ValidationFailed = "validation_failed", UNPROCESSABLE_ENTITY, "Invalid input";
    /// Checkout of an empty cart.
    CartEmpty = "cart_empty", UNPROCESSABLE_ENTITY, "The cart is empty";
    /// Too many attempts; see `Retry-After`.
    RateLimited = "rate_limited", TOO_MANY_REQUESTS, "Too many attempts";
    /// Our fault; details are in the log under the error id.
    Internal = "internal_error", INTERNAL_SERVER_ERROR, "Internal error";
    /// The store cannot be reached.
    Unavailable = "unavailable", SERVICE_UNAVAILABLE, "Service unavailable";
}

impl ErrorCode {
    /// The code a bare status gets when something below our handlers (the
    /// router, a tower layer) answered it.
    pub fn for_status(status: StatusCode) -> Self {
        match status.as_u16() {
            401 => ErrorCode::Unauthorized,
            403 => ErrorCode::Forbidden,
            404 => ErrorCode::RouteNotFound,
            405 => ErrorCode::MethodNotAllowed,
            408 => ErrorCode::RequestTimeout,
            413 => ErrorCode::PayloadTooLarge,
            415 => ErrorCode::UnsupportedMediaType,
            422 => ErrorCode::ValidationFailed,
            429 => ErrorCode::RateLimited,
            503 => ErrorCode::Unavailable,
            s if (400..500).contains(&s) => ErrorCode::BadRequest,
            _ => ErrorCode::Internal,
        }
    }
}

/// An error on its way to becoming an answer. Boxed so `Result`s stay small;
/// fields are reached through `Deref`.
#[derive(Debug)]
pub struct AppError(Box<ErrorDetails>);

/// What an [`AppError`] carries.
#[derive(Debug)]
pub struct ErrorDetails {
    /// Decides the status, the `code` and the `title` of the answer.
    pub code: ErrorCode,
    /// Human message, safe to show; rendered in the reader's language.
    pub detail: Message,
    /// Per-field messages for validation errors.
    pub errors: Option<FieldErrors>,
    /// Extra detail members (product id, available stock, limit…).
    pub extra: Map<String, Value>,
    /// Seconds to wait, for 429.
    pub retry_after: Option<u64>,
    /// Internal cause: logged, shown only in development.
    pub source: Option<anyhow::Error>,
}

/// The result of a handler or anything it calls.
pub type AppResult<T> = Result<T, AppError>;

impl std::ops::Deref for AppError {
    type Target = ErrorDetails;
    fn deref(&self) -> &ErrorDetails {
        &self.0
    }
}

impl std::ops::DerefMut for AppError {
    fn deref_mut(&mut self) -> &mut ErrorDetails {
        &mut self.0
    }
}

impl AppError {
    /// An error with `code` and the human message `detail`, nothing else.
    pub fn new(code: ErrorCode, detail: impl Into<Message>) -> Self {
        Self(Box::new(ErrorDetails {
            code,
            detail: detail.into(),
            errors: None,
            extra: Map::new(),
            retry_after: None,
            source: None,
        }))
    }

    /// Adds the member `key` to the problem body.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(key.to_owned(), value.into());
        self
    }

    /// `validation_failed` with a message per bad field.
    pub fn validation(errors: FieldErrors) -> Self {
        let fields: Vec<&str> = errors.0.keys().map(String::as_str).collect();
        let mut err = Self::new(
            ErrorCode::ValidationFailed,
            HttpText::InvalidFields.arg("fields", fields.join(", ")),
        );
        err.errors = Some(errors);
        err
    }

    /// `validation_failed` for one field and one message.
    pub fn field(field: &str, message: impl Into<Message>) -> Self {
        Self::validation(FieldErrors::single(field, message))
    }

    /// `internal_error` with a generic message; `source` is logged (and shown
    /// only in development).
    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        let mut err = Self::new(ErrorCode::Internal, HttpText::Internal);
        err.source = Some(source.into());
        err
    }

    /// `unauthorized` (401) with this message.
    pub fn unauthorized(detail: impl Into<Message>) -> Self {
        Self::new(ErrorCode::Unauthorized, detail)
    }

    /// `forbidden` (403) with this message.
    pub fn forbidden(detail: impl Into<Message>) -> Self {
        Self::new(ErrorCode::Forbidden, detail)
    }

    /// `product_not_found` for the product `id`, named in `product_id`.
    pub fn product_not_found(id: &str) -> Self {
        Self::new(
            ErrorCode::ProductNotFound,
            HttpText::ProductNotFound.arg("id", id),
        )
        .with("product_id", id)
    }

    /// `invalid_parameter` for the path or query parameter `name`, named in
    /// `parameter`.
    pub fn bad_param(name: &str, detail: impl Into<Message>) -> Self {
        Self::new(ErrorCode::InvalidParameter, detail).with("parameter", name)
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Duplicate { what } => {
                let mut e = AppError::new(
                    ErrorCode::AlreadyExists,
                    HttpText::AccountExists.arg("what", what),
                );
                e.errors = Some(FieldErrors::single(what, HttpText::AlreadyRegistered));
                e
            }
            StoreError::ProductNotFound { product_id } => AppError::product_not_found(&product_id),
            StoreError::InsufficientStock {
                product_id,
                variant_id,
                available,
                requested,
            } => AppError::new(
                ErrorCode::InsufficientStock,
                HttpText::StockShort
                    .arg("available", available)
                    .arg("product_id", product_id.as_str())
                    .arg("requested", requested),
            )
            .with("product_id", product_id)
            .with("variant_id", variant_id)
            .with("available", available)
            .with("requested", requested),
            StoreError::VariantNotSold {
                product_id,
                variant_id,
            } => AppError::field(
                "variant_id",
                ShopText::VariantNotSold.arg("text", variant_id.as_str()),
            )
            .with("product_id", product_id)
            .with("variant_id", variant_id),
            StoreError::SkuTaken { sku } => {
                let mut e = AppError::new(
                    ErrorCode::AlreadyExists,
                    HttpText::SkuTaken.arg("sku", sku.as_str()),
                );
                e.errors = Some(FieldErrors::single(
                    "variants",
                    HttpText::SkuTaken.arg("sku", sku.as_str()),
                ));
                e.with("sku", sku)
            }
            StoreError::AmbiguousLine {
                product_id,
                variant_ids,
            } => AppError::new(
                ErrorCode::AmbiguousLine,
                HttpText::LineAmbiguous.arg("product_id", product_id.as_str()),
            )
            .with("product_id", product_id)
            .with("variant_ids", variant_ids),
            StoreError::CartLineNotFound { product_id } => AppError::new(
                ErrorCode::NotFound,
                HttpText::CartLineMissing.arg("product_id", product_id.as_str()),
            )
            .with("product_id", product_id),
            StoreError::CartFull { max } => {
                AppError::field("product_id", HttpText::CartFull.arg("max", max)).with("limit", max)
            }
            StoreError::CartEmpty => AppError::new(ErrorCode::CartEmpty, HttpText::CartEmpty),
            StoreError::NoDeliveryAddress => {
                AppError::field("delivery_address", HttpText::AddressMissing)
            }
            StoreError::OrderNotFound { number } => AppError::new(
                ErrorCode::OrderNotFound,
                HttpText::OrderNotFound.arg("number", number),
            )
            .with("number", number),
            StoreError::InvalidTransition { from, to } => AppError::new(
                ErrorCode::InvalidTransition,
                HttpText::TransitionRefused
                    .arg("from", from.as_str())
                    .arg("to", to.as_str()),
            )
            .with("from", from.as_str())
            .with("to", to.as_str()),
            StoreError::PaymentMismatch { number } => AppError::new(
                ErrorCode::PaymentMismatch,
                HttpText::PaymentMismatch.arg("number", number),
            )
            .with("number", number),
            StoreError::RefundTooLarge { number, refundable } => {
                AppError::field("amount", ShopText::RefundOutOfRange.arg("max", refundable))
                    .with("number", number)
                    .with("refundable", refundable)
            }
            StoreError::NoShipping { method, country } => {
                let field = if method.is_some() {
                    "shipping_method"
                } else {
                    "delivery_address.country"
                };
                AppError::field(
                    field,
                    ShopText::NoShippingThere.arg("country", country.as_str()),
                )
                .with("country", country)
            }
            StoreError::EventSeen { event_id } => AppError::new(
                ErrorCode::AlreadyExists,
                HttpText::EventSeen.arg("event_id", event_id.as_str()),
            ),
            StoreError::Backend(source) => {
                let mut e = AppError::internal(source);
                e.code = ErrorCode::Unavailable;
                e.detail = HttpText::StoreUnavailable.message();
                e
            }
        }
    }
}

impl From<ShopError> for AppError {
    fn from(err: ShopError) -> Self {
        match err {
            ShopError::Invalid(errors) => AppError::validation(errors),
            ShopError::InvalidCredentials => {
                AppError::new(ErrorCode::InvalidCredentials, HttpText::CredentialsWrong)
            }
            ShopError::AccountDisabled => {
                AppError::new(ErrorCode::AccountDisabled, ShopText::AccountDisabled)
            }
            ShopError::Unauthorized(detail) => AppError::unauthorized(detail),
            ShopError::Forbidden(detail) => AppError::forbidden(detail),
            ShopError::NotFound(detail) => AppError::new(ErrorCode::NotFound, detail),
            ShopError::Store(err) => err.into(),
            ShopError::PaymentRefused(detail) => {
                AppError::new(ErrorCode::PaymentRefused, HttpText::PaymentRefused)
                    .with("provider_message", detail)
            }
            ShopError::PaymentUnavailable(detail) => {
                tracing::warn!(detail = %detail, "the payment provider is unavailable");
                AppError::new(ErrorCode::PaymentUnavailable, HttpText::PaymentUnavailable)
            }
            ShopError::Internal(source) => AppError::internal(source),
        }
    }
}

impl From<FieldErrors> for AppError {
    fn from(errors: FieldErrors) -> Self {
        AppError::validation(errors)
    }
}

impl From<handlebars::RenderError> for AppError {
    fn from(err: handlebars::RenderError) -> Self {
        AppError::internal(anyhow::Error::new(err).context("template rendering failed"))
    }
}

impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        AppError::internal(err)
    }
}

/// RFC 9457 problem details, as sent to clients.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// Fresh per error; the same id is in the server log.
    pub id: String,
    /// The HTTP status code of the answer.
    pub status: u16,
    /// Stable machine code, e.g. `validation_failed`.
    pub code: String,
    /// A short human summary of the code; the same for every error with it.
    pub title: String,
    /// What went wrong this time, safe to show.
    pub detail: String,
    /// The request path.
    pub instance: String,
    /// For `validation_failed`: the messages for each bad field, by field name.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub errors: Option<BTreeMap<String, Vec<String>>>,
    /// Internal cause chain; development profile only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<Vec<String>>,
    /// Members that depend on the code, e.g. `product_id`, `available` and
    /// `requested` for `insufficient_stock`.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extra: Map<String, Value>,
}

/// Carried from [`AppError::into_response`] to the error envelope middleware,
/// which adds the request path, logs, and renders JSON or HTML.
#[derive(Clone)]
pub struct ErrorReport(pub Arc<AppError>);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.code.status();
        let retry_after = self.retry_after;
        let mut response = status.into_response();
        if let Some(secs) = retry_after {
            if let Ok(v) = secs.to_string().parse() {
                response.headers_mut().insert("retry-after", v);
            }
        }
        response
            .extensions_mut()
            .insert(ErrorReport(Arc::new(self)));
        response
    }
}

impl AppError {
    /// Builds the problem body for `instance`, with a fresh id, its messages
    /// worded by `say` (see `crate::http::problem::visitor_problem`).
    pub fn to_problem(
        &self,
        instance: &str,
        show_cause: bool,
        say: impl Fn(&Message) -> String,
    ) -> Problem {
        let status = self.code.status();
        Problem {
            id: crate::domain::new_id(),
            status: status.as_u16(),
            code: self.code.as_str().to_owned(),
            title: self.code.title().to_owned(),
            detail: say(&self.detail),
            instance: instance.to_owned(),
            errors: self.errors.as_ref().map(|errors| {
                errors
                    .0
                    .iter()
                    .map(|(field, messages)| (field.clone(), messages.iter().map(&say).collect()))
                    .collect()
            }),
            cause: if show_cause {
                self.source
                    .as_ref()
                    .map(|s| s.chain().map(|c| c.to_string()).collect())
            } else {
                None
            },
            extra: self.extra.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_serializes_as_its_name() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_value(code).ok();
            assert_eq!(json, Some(Value::from(code.as_str())), "{code:?}");
            assert!(code.status().is_client_error() || code.status().is_server_error());
        }
    }
}
