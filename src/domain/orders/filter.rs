//! The back office's order filters: what a caller typed, checked into an
//! [`OrderFilter`] the stores can run.

use super::{OrderFilter, OrderQuery};
use crate::domain::dates::DayRange;
use crate::domain::message::{MessageId, ShopText};
use crate::domain::validation::FieldErrors;
use crate::domain::{truncate, Timestamp};

impl OrderQuery {
    /// The filter this query asks for, every bad field named: a number that
    /// is not a positive integer, a day that is not `YYYY-MM-DD` within
    /// 2000-2100, or `to` before `from` (see [`DayRange`]). `own_email` is
    /// the caller's for someone who may only see their orders; otherwise the
    /// email asked for, if any, narrows the list.
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
        let days = DayRange::parse(self.from.as_deref(), self.to.as_deref()).unwrap_or_else(|e| {
            errors.0.extend(e.0);
            DayRange::default()
        });
        let email = own_email.or_else(|| given(self.email).map(|e| e.to_ascii_lowercase()));
        errors.into_result(OrderFilter {
            email,
            status: self.status,
            number,
            from: days.from,
            to: days.to,
        })
    }
}

impl OrderFilter {
    /// The creation times the day filters allow: from the start of `from`
    /// (inclusive) to the start of the day after `to` (exclusive), UTC.
    pub fn created_between(&self) -> (Option<Timestamp>, Option<Timestamp>) {
        let days = DayRange {
            from: self.from,
            to: self.to,
        };
        (days.start(), days.end())
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
