//! The problem a visitor is shown for an error: a fresh id, the English
//! `code`, the rest in their language; logged once, with its cause.

use crate::error::{AppError, Problem};
use crate::http::AppState;
use crate::i18n::Locale;

/// The problem `error` makes for a request to `path` in `locale`, logged.
/// The code stays the English identifier; the title speaks the visitor's
/// language. Every answer that shows an error (the envelope's JSON and error
/// page, a refused form) is built here, so they all say the same.
pub fn visitor_problem(state: &AppState, error: &AppError, path: &str, locale: Locale) -> Problem {
    let mut problem = error.to_problem(path, !state.settings.is_production());
    problem.title = state.pages.text(locale, &format!("error-{}", problem.code));
    log(&problem, error);
    problem
}

fn log(problem: &Problem, error: &AppError) {
    let (code, path) = (&problem.code, &problem.instance);
    if problem.status >= 500 {
        let cause = error
            .source
            .as_ref()
            .map(|s| format!("{s:#}"))
            .unwrap_or_default();
        tracing::error!(error_id = %problem.id, code, path, cause, detail = %problem.detail, "request failed");
    } else {
        tracing::info!(error_id = %problem.id, code, path, detail = %problem.detail, "request refused");
    }
}
