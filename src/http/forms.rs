//! Plain HTML forms, so the shop works without JavaScript: a refused form
//! post comes back as the same page, the form filled in as it was typed,
//! each message beside its field and the error id on the form.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::error::AppError;
use crate::http::problem::visitor_problem;
use crate::http::AppState;
use crate::i18n::Locale;

/// What a form post typed, by field name. Passwords are never kept: they
/// are not written back into a page.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Typed(Map<String, Value>);

impl Typed {
    /// The fields of an `application/x-www-form-urlencoded` body.
    pub fn from_form(body: &[u8]) -> Self {
        let fields = url::form_urlencoded::parse(body)
            .filter(|(name, _)| !name.contains("password"))
            .map(|(name, value)| (name.into_owned(), Value::String(value.into_owned())))
            .collect();
        Self(fields)
    }

    /// The same with `name` set to `value` (a field the page names by its
    /// URL, such as a cart line's product id).
    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.0
            .insert(name.to_owned(), Value::String(value.to_owned()));
        self
    }

    /// The value typed into `name`, if any.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }
}

/// A refused form as its page shows it (`forms.<name>` in the template).
#[derive(Debug, Serialize)]
pub struct Refused {
    /// What was typed.
    values: Typed,
    /// What went wrong, in the visitor's language.
    message: String,
    /// The error id, also in the server log.
    id: String,
    /// The message for each bad field.
    fields: BTreeMap<String, String>,
}

/// The refusal of the form `name` for `error`, ready to merge into its
/// page's data (`{"forms": {name: …}}`), and the status to answer with.
pub fn refused(
    state: &AppState,
    locale: Locale,
    path: &str,
    name: &str,
    typed: Typed,
    error: &AppError,
) -> (StatusCode, Value) {
    let problem = visitor_problem(state, error, path, locale);
    let fields = problem
        .errors
        .as_ref()
        .map(|errors| {
            errors
                .iter()
                .map(|(field, messages)| (field.clone(), messages.join("; ")))
                .collect()
        })
        .unwrap_or_default();
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::BAD_REQUEST);
    let form = Refused {
        values: typed,
        message: problem.detail,
        id: problem.id,
        fields,
    };
    (status, json!({ "forms": { name: form } }))
}

/// Marks an answer as a page already shown to the visitor, so the error
/// envelope passes it through instead of writing an error page over it.
#[derive(Debug, Clone, Copy)]
pub struct ShownPage;

/// `page` answered with `status` (a refused form's page).
pub fn shown(status: StatusCode, page: Response) -> Response {
    let mut response = (status, page).into_response();
    response.extensions_mut().insert(ShownPage);
    response
}
