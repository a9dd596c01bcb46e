//! The back office's order filters: what a caller typed, checked into an
//! [`OrderFilter`] the stores can run.

use time::{Date, Month};

use super::{OrderFilter, OrderQuery};
use crate::domain::message::{MessageId, ShopText};
use crate::domain::validation::FieldErrors;
use crate::domain::{truncate, Timestamp};

/// The years a date filter may name: anything else is a typo (`20025`), and
/// would only make the stores scan for nothing.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

impl OrderQuery {
    /// The filter this query asks for, every bad field named: a number that
    /// is not a positive integer, a date that is not `YYYY-MM-DD` within
    /// 2000-2100, or `to` before `from`. `email` is the caller's own for
    /// someone who may only see their orders, else the one asked for.
    pub fn filter(self, own_email: Option<String>) -> Result<OrderFilter, FieldErrors> {
        let mut errors = FieldErrors::default();
        let given = |v: Option<String>| v.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        let number = given(self.number).and_then(|text| match text.parse::<i64>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                errors.add(
                    "number",
                    ShopText::OrderNumberInvalid.arg("text", truncate(&text, 40)),
                );
                None
            }
        });
        let from = given(self.from).and_then(|text| day(&mut errors, "from", &text));
        let to = given(self.to).and_then(|text| day(&mut errors, "to", &text));
        if let (Some(from), Some(to)) = (from, to) {
            if to < from {
                errors.add("to", ShopText::DateRangeReversed);
            }
        }
        let email = own_email.or_else(|| given(self.email).map(|e| e.to_ascii_lowercase()));
        errors.into_result(OrderFilter {
            email,
            status: self.status,
            number,
            from,
            to,
        })
    }
}

/// `text` as a calendar day, or an error on `field`.
fn day(errors: &mut FieldErrors, field: &str, text: &str) -> Option<Date> {
    let parsed = parse_day(text).filter(|d| YEARS.contains(&d.year()));
    if parsed.is_none() {
        errors.add(field, ShopText::DateInvalid.arg("text", truncate(text, 40)));
    }
    parsed
}

/// Exactly `YYYY-MM-DD`.
fn parse_day(text: &str) -> Option<Date> {
    let mut parts = text.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(y) && digits(m) && digits(d)) {
        return None;
    }
    let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

impl OrderFilter {
    /// The creation times the date filters allow: from the start of `from`
    /// (inclusive) to the start of the day after `to` (exclusive), UTC.
    pub fn created_between(&self) -> (Option<Timestamp>, Option<Timestamp>) {
        let start = self.from.map(|d| d.midnight().assume_utc());
        let end = self
            .to
            .map(|d| d.next_day().unwrap_or(d).midnight().assume_utc());
        (start, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn query(number: &str, from: &str, to: &str) -> OrderQuery {
        OrderQuery {
            number: Some(number.into()),
            from: Some(from.into()),
            to: Some(to.into()),
            ..OrderQuery::default()
        }
    }

    #[test]
    fn a_good_query_becomes_its_filter() {
        let f = query(" 1002 ", "2026-01-31", "2026-02-01")
            .filter(None)
            .expect("valid");
        assert_eq!(f.number, Some(1002));
        assert_eq!(
            (f.from, f.to),
            (Some(date!(2026 - 01 - 31)), Some(date!(2026 - 02 - 01)))
        );
        assert_eq!(
            f.created_between(),
            (
                Some(datetime!(2026-01-31 00:00 UTC)),
                Some(datetime!(2026-02-02 00:00 UTC))
            )
        );
        let same_day = query("1", "2026-03-04", "2026-03-04").filter(None);
        assert!(same_day.is_ok());
    }

    #[test]
    fn empty_fields_filter_nothing() {
        let f = query("", " ", "").filter(None).expect("valid");
        assert_eq!(f, OrderFilter::default());
    }

    #[test]
    fn each_bad_field_is_named() {
        for (q, fields) in [
            (query("0", "2026-01-01", "2026-01-02"), vec!["number"]),
            (
                query("x", "2026-1-01", "2026-01-02"),
                vec!["from", "number"],
            ),
            (query("1", "1999-12-31", "2101-01-01"), vec!["from", "to"]),
            (query("1", "2026-02-30", "tomorrow"), vec!["from", "to"]),
            (query("1", "2026-02-03", "2026-02-02"), vec!["to"]),
            (query("99999999999999999999", "", ""), vec!["number"]),
        ] {
            let errors = q.filter(None).expect_err("invalid");
            let named: Vec<_> = errors.0.keys().map(String::as_str).collect();
            assert_eq!(named, fields);
        }
    }

    #[test]
    fn a_customer_sees_their_own_orders_only() {
        let q = OrderQuery {
            email: Some("Bob@Example.com".into()),
            ..OrderQuery::default()
        };
        let own = q.clone().filter(Some("ana@example.com".into()));
        assert_eq!(
            own.expect("valid").email.as_deref(),
            Some("ana@example.com")
        );
        let staff = q.filter(None).expect("valid");
        assert_eq!(staff.email.as_deref(), Some("bob@example.com"));
    }
}
