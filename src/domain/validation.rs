//! Field-level validation errors shared by every input type.

use std::collections::BTreeMap;

use super::message::{Message, MessageId, ShopText};

/// Messages per field name; empty means valid. The HTTP layer renders them
/// in the reader's language.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(pub BTreeMap<String, Vec<Message>>);

impl FieldErrors {
    /// Records one more message for `field`.
    pub fn add(&mut self, field: &str, message: impl Into<Message>) {
        self.0
            .entry(field.to_owned())
            .or_default()
            .push(message.into());
    }

    /// True when no error was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Errors with one message for one field.
    pub fn single(field: &str, message: impl Into<Message>) -> Self {
        let mut errors = Self::default();
        errors.add(field, message);
        errors
    }

    /// `Ok(value)` when no error was recorded.
    pub fn into_result<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

/// Trims `text` and checks it is between `min` and `max` characters with no
/// control characters (newlines allowed when `multiline`).
pub fn text_field(
    errors: &mut FieldErrors,
    field: &str,
    text: &str,
    min: usize,
    max: usize,
    multiline: bool,
) -> String {
    let trimmed = text.trim();
    let len = trimmed.chars().count();
    if len < min {
        if min == 1 {
            errors.add(field, ShopText::TextEmpty);
        } else {
            errors.add(field, ShopText::TextTooShort.arg("min", min));
        }
    } else if len > max {
        errors.add(field, ShopText::TextTooLong.arg("max", max));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\r' || c == '\t')))
    {
        errors.add(field, ShopText::TextHasControlCharacters);
    }
    trimmed.to_owned()
}

/// Normalises and checks an email address: lowercased, one `@`, a dotted
/// domain, ASCII only (look-alike Unicode addresses are refused).
pub fn email_field(errors: &mut FieldErrors, field: &str, text: &str) -> String {
    let email = text.trim().to_ascii_lowercase();
    if !is_valid_email(&email) {
        errors.add(field, ShopText::EmailInvalid);
    }
    email
}

/// Whether `email` is an address tienda accepts: ASCII, one `@`, a dot-atom
/// local part of at most 64 bytes and a domain of two or more hostname labels.
/// Takes the text as is; [`email_field`] trims and lowercases it first.
pub fn is_valid_email(email: &str) -> bool {
    if email.len() > 254 || !email.is_ascii() {
        return false;
    }
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.".contains(&b))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
    local_ok && domain_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(is_valid_email("ana@example.com"));
        assert!(is_valid_email("a.b+c@shop.example.org"));
        assert!(!is_valid_email("ana@example"));
        assert!(!is_valid_email("ana@@example.com"));
        assert!(!is_valid_email("аna@example.com")); // Cyrillic a
        assert!(!is_valid_email("ana@exa mple.com"));
        assert!(!is_valid_email("@example.com"));
    }

    #[test]
    fn text_bounds_and_controls() {
        let mut e = FieldErrors::default();
        assert_eq!(text_field(&mut e, "n", "  hi  ", 1, 10, false), "hi");
        assert!(e.is_empty());
        text_field(&mut e, "n", "   ", 1, 10, false);
        text_field(&mut e, "m", "a\u{0}b", 1, 10, false);
        text_field(&mut e, "o", "01234567890", 1, 10, false);
        assert_eq!(e.0.len(), 3);
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn accepted_emails_are_lowercase_ascii_with_one_at(text in ".{0,80}") {
            let mut errors = FieldErrors::default();
            let email = email_field(&mut errors, "email", &text);
            if errors.is_empty() {
                prop_assert!(email.is_ascii());
                prop_assert_eq!(email.matches('@').count(), 1);
                prop_assert_eq!(email.to_ascii_lowercase(), email.clone());
            } else {
                prop_assert!(errors.0.contains_key("email"));
            }
        }

        #[test]
        fn text_fields_are_bounded_and_clean(text in ".{0,300}") {
            let mut errors = FieldErrors::default();
            let out = text_field(&mut errors, "f", &text, 1, 100, false);
            if errors.is_empty() {
                let n = out.chars().count();
                prop_assert!((1..=100).contains(&n));
                prop_assert!(!out.chars().any(char::is_control));
            }
        }
    }
}
