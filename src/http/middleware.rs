//! Cross-cutting layers: the error envelope, security headers, CSRF guard.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use crate::domain::message::MessageId;
use crate::error::{AppError, ErrorCode, ErrorReport};
use crate::http::extract::wants_html;
use crate::http::text::HttpText;
use crate::http::AppState;

/// Turns every error answer (ours, the router's, a tower layer's) into one
/// model: a problem+json body or an HTML error page, with a fresh id that is
/// logged once together with the cause chain.
pub async fn error_envelope(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let html = wants_html(req.headers());
    let locale = crate::http::locale::request_locale(req.headers(), &state.settings);
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    let mut response = next.run(req).await;
    let status = response.status();
    let shown = response
        .extensions()
        .get::<crate::http::forms::ShownPage>()
        .is_some();
    if shown || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let report = response.extensions_mut().remove::<ErrorReport>();
    let error = match &report {
        Some(ErrorReport(error)) => error.as_ref(),
        None => {
            let is_problem = response
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
            // Upgrade failures and our own problem bodies pass through.
            if is_problem {
                return response;
            }
            &fallback_error(status, &method, &path)
        }
    };
    let problem = crate::http::problem::visitor_problem(&state, error, &path, locale);
    let mut out = if html {
        match state.pages.render_error(locale, &problem) {
            Ok(page) => (status, Html(page)).into_response(),
            Err(e) => {
                tracing::error!(error_id = %problem.id, "error page failed to render: {e}");
                (status, problem_json(&problem)).into_response()
            }
        }
    } else {
        (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            problem_json(&problem),
        )
            .into_response()
    };
    for name in [header::RETRY_AFTER, header::ALLOW, header::WWW_AUTHENTICATE] {
        if let Some(v) = response.headers().get(&name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    if status == StatusCode::UNAUTHORIZED && !out.headers().contains_key(header::WWW_AUTHENTICATE) {
        out.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    out
}

fn problem_json(problem: &crate::error::Problem) -> Body {
    Body::from(serde_json::to_vec(problem).unwrap_or_default())
}

fn fallback_error(status: StatusCode, method: &Method, path: &str) -> AppError {
    let code = ErrorCode::for_status(status);
    let detail = match code {
        ErrorCode::RouteNotFound => HttpText::NoRoute.arg("path", path),
        ErrorCode::MethodNotAllowed => HttpText::MethodRefused
            .arg("path", path)
            .arg("method", method.as_str()),
        ErrorCode::PayloadTooLarge => HttpText::BodyTooLarge.message(),
        ErrorCode::RequestTimeout => HttpText::TooSlow.message(),
        ErrorCode::Internal => {
            return AppError::internal(anyhow::anyhow!(
                "{status} answered by a layer below the handlers"
            ))
        }
        // The reason phrase is English; other languages word it by status.
        _ => HttpText::StatusRefused.arg("status", status.as_u16()).arg(
            "reason",
            status
                .canonical_reason()
                .unwrap_or("the request was refused"),
        ),
    };
    AppError::new(code, detail)
}

/// A path with a trailing slash answers 308 with the same path without it
/// (and the same query), so every page has one URL. `/` stays as it is, and
/// so does the API docs' folder: Swagger UI serves its page at `/docs/` and
/// sends `/docs` there.
pub async fn canonical_path(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.len() > 1 && path.ends_with('/') && path != "/docs/" {
        // Leading slashes fold into one: `//evil.example/` must not become a
        // redirect to another host.
        let canonical = format!("/{}", path.trim_matches('/'));
        let location = match req.uri().query() {
            Some(query) => format!("{canonical}?{query}"),
            None => canonical,
        };
        if let Ok(location) = HeaderValue::from_str(&location) {
            return (
                StatusCode::PERMANENT_REDIRECT,
                [(header::LOCATION, location)],
            )
                .into_response();
        }
    }
    next.run(req).await
}

/// The content security policy of every answer that sets none of its own:
/// no inline script, nothing from other origins but images.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// The content security policy with the origins of `urls` (Stripe's)
/// allowed to serve scripts and frames and to be reached by them.
pub fn policy_allowing(urls: &[&str]) -> String {
    let origins: Vec<String> = urls
        .iter()
        .filter_map(|u| url::Url::parse(u).ok())
        .map(|u| u.origin().ascii_serialization())
        .filter(|o| o != "null")
        .collect();
    let list = origins.join(" ");
    format!(
        "default-src 'self'; img-src 'self' data: https:; style-src 'self' {list}; \
         script-src 'self' {list}; connect-src 'self' {list}; frame-src {list}; \
         frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    )
}

/// Refuses state-changing browser requests from another origin. Requests
/// that carry a bearer token are API calls, not forms, and pass.
pub async fn csrf_guard(req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let headers = req.headers();
    // A cross-site form cannot set Authorization, so a bearer header alone
    // marks an API call.
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.get(..7))
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("bearer "));
    if safe || bearer {
        return next.run(req).await;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .or_else(|| headers.get(header::REFERER).and_then(|v| v.to_str().ok()));
    if let (Some(origin), Some(host)) = (origin, host) {
        let origin_host = url::Url::parse(origin).ok().and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_owned(),
            })
        });
        if origin_host.as_deref() != Some(host) {
            return AppError::new(ErrorCode::CsrfRejected, HttpText::CrossSite)
                .with("origin", origin.to_owned())
                .into_response();
        }
    } else if origin.is_some() {
        return AppError::new(ErrorCode::CsrfRejected, HttpText::NoHost).into_response();
    }
    next.run(req).await
}
