//! The problem a visitor is shown for an error: a fresh id, the English
//! `code`, the rest in their language; logged once, in English, with its
//! cause. Messages (`crate::domain::message`) get their words here.

use fluent_bundle::{FluentArgs, FluentValue};

use crate::domain::message::{Arg, Message};
use crate::error::{AppError, Problem};
use crate::http::AppState;
use crate::i18n::{Locale, Translations};

/// The problem `error` makes for a request to `path` in `locale`, logged.
/// The code stays the English identifier; the title, the detail and the
/// field messages speak the visitor's language. Every answer that shows an
/// error (the envelope's JSON and error page, a refused form) is built
/// here, so they all say the same.
pub fn visitor_problem(state: &AppState, error: &AppError, path: &str, locale: Locale) -> Problem {
    let translations = &state.pages.i18n().translations;
    let say = |message: &Message| render(translations, locale, message);
    let mut problem = error.to_problem(path, !state.settings.is_production(), say);
    problem.title = state.pages.text(locale, &format!("error-{}", problem.code));
    // Operators read and grep the log in one language, whoever asked.
    let detail = if locale == Locale::En {
        problem.detail.clone()
    } else {
        render(translations, Locale::En, &error.detail)
    };
    log(&problem, error, &detail);
    problem
}

/// `message` in `locale`, its arguments filled in (a message argument in
/// the same language).
pub fn render(translations: &Translations, locale: Locale, message: &Message) -> String {
    let mut args = FluentArgs::new();
    for (name, value) in &message.args {
        let value: FluentValue = match value {
            Arg::Text(text) => text.as_str().into(),
            // Fluent numbers are floats: past 2^53 they would round.
            Arg::Number(n) if n.unsigned_abs() <= 1 << 53 => (*n).into(),
            Arg::Number(n) => n.to_string().into(),
            Arg::Message(inner) => render(translations, locale, inner).into(),
        };
        args.set(*name, value);
    }
    translations.message(locale, message.id, Some(&args))
}

fn log(problem: &Problem, error: &AppError, english_detail: &str) {
    let (code, path) = (&problem.code, &problem.instance);
    if problem.status >= 500 {
        let cause = error
            .source
            .as_ref()
            .map(|s| format!("{s:#}"))
            .unwrap_or_default();
        tracing::error!(error_id = %problem.id, code, path, cause, detail = %english_detail, "request failed");
    } else {
        tracing::info!(error_id = %problem.id, code, path, detail = %english_detail, "request refused");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::message::{MessageId, ShopText};
    use crate::http::text::HttpText;

    fn translations() -> Translations {
        Translations::load().unwrap_or_else(|e| unreachable!("{e:#}"))
    }

    #[test]
    fn messages_render_with_their_arguments_in_each_language() {
        let t = translations();
        let too_long = ShopText::TextTooLong.arg("max", 200u32);
        assert_eq!(
            render(&t, Locale::En, &too_long),
            "must be at most 200 characters"
        );
        assert_eq!(
            render(&t, Locale::Es, &too_long),
            "debe tener como máximo 200 caracteres"
        );
        let nested = HttpText::BodyInvalid.arg("message", ShopText::TextEmpty.message());
        assert_eq!(render(&t, Locale::En, &nested), "body must not be empty");
        assert_eq!(render(&t, Locale::Es, &nested), "body: no debe estar vacío");
    }

    #[test]
    fn large_numbers_are_not_rounded() {
        let t = translations();
        let big = ShopText::MinAboveMax.arg("min", i64::MAX).arg("max", 1i64);
        assert_eq!(
            render(&t, Locale::En, &big),
            "must not be above max_price (9223372036854775807 > 1)"
        );
        let price = ShopText::PriceOutOfRange.arg("max", crate::domain::catalog::MAX_PRICE);
        assert_eq!(
            render(&t, Locale::En, &price),
            "must be between 0 and 10000000000 minor units"
        );
    }
}
