//! A chat socket's error frames, worded in the language of the visitor who
//! opened it and logged in English.

use std::sync::Arc;

use axum::extract::ws::{Message as Frame, Utf8Bytes};
use serde_json::json;

use crate::domain::message::Message;
use crate::domain::new_id;
use crate::error::ErrorCode;
use crate::http::problem::render;
use crate::i18n::{I18n, Locale};

/// How one socket words what it refuses. Cheap to clone (a pointer and the
/// language).
#[derive(Clone)]
pub struct Voice {
    i18n: Arc<I18n>,
    locale: Locale,
}

impl Voice {
    /// Error frames in `locale`.
    pub fn new(i18n: Arc<I18n>, locale: Locale) -> Self {
        Self { i18n, locale }
    }

    /// An English voice, for tests.
    #[cfg(test)]
    pub fn english() -> Self {
        let i18n = I18n::load().unwrap_or_else(|e| unreachable!("{e:#}"));
        Self::new(Arc::new(i18n), Locale::En)
    }

    /// `{"type": "error", "id", "code", "detail"}` with a fresh id, logged.
    pub fn error_frame(&self, code: ErrorCode, detail: impl Into<Message>) -> Frame {
        let detail = detail.into();
        let id = new_id();
        let translations = &self.i18n.translations;
        // Operators read the log in one language, whoever was refused.
        let english = render(translations, Locale::En, &detail);
        tracing::info!(error_id = %id, code = code.as_str(), "chat frame refused: {english}");
        let detail = if self.locale == Locale::En {
            english
        } else {
            render(translations, self.locale, &detail)
        };
        Frame::Text(Utf8Bytes::from(
            json!({ "type": "error", "id": id, "code": code.as_str(), "detail": detail })
                .to_string(),
        ))
    }
}
