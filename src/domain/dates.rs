//! Calendar days as lists and figures filter by them: `from` and `to` as
//! `YYYY-MM-DD`, whole UTC days, both included.

use time::{Date, Duration, Month};

use super::message::{MessageId, ShopText};
use super::validation::FieldErrors;
use super::Timestamp;

/// The years a filter may name: anything else is a typo, not a question.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// A range of whole UTC days, either end open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayRange {
    /// The first day included.
    pub from: Option<Date>,
    /// The last day included.
    pub to: Option<Date>,
}

impl DayRange {
    /// The range `from`..=`to` as a query gives them (either may be absent);
    /// a malformed or absurd day, or a `to` before `from`, is named.
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let from = from.and_then(|text| day(&mut errors, "from", text));
        let to = to.and_then(|text| day(&mut errors, "to", text));
        if let (Some(f), Some(t)) = (from, to) {
            if t < f {
                errors.add(
                    "to",
                    ShopText::DayBeforeFrom
                        .arg("from", f.to_string())
                        .arg("to", t.to_string()),
                );
            }
        }
        errors.into_result(Self { from, to })
    }

    /// The first instant of the range, if it has a start.
    pub fn start(&self) -> Option<Timestamp> {
        self.from.map(|d| d.midnight().assume_utc())
    }

    /// The first instant after the range, if it has an end.
    pub fn end(&self) -> Option<Timestamp> {
        self.to
            .map(|d| d.midnight().assume_utc() + Duration::days(1))
    }

    /// Whether `at` falls in the range.
    pub fn contains(&self, at: Timestamp) -> bool {
        self.start().is_none_or(|s| at >= s) && self.end().is_none_or(|e| at < e)
    }
}

/// The day `text` names, or an error on `field`.
fn day(errors: &mut FieldErrors, field: &str, text: &str) -> Option<Date> {
    let parsed = parse_day(text.trim());
    match parsed {
        Some(d) if YEARS.contains(&d.year()) => Some(d),
        Some(_) => {
            errors.add(
                field,
                ShopText::DayOutOfRange
                    .arg("min", i64::from(*YEARS.start()))
                    .arg("max", i64::from(*YEARS.end())),
            );
            None
        }
        None => {
            errors.add(
                field,
                ShopText::DayInvalid.arg("text", super::truncate(text, 40)),
            );
            None
        }
    }
}

/// `YYYY-MM-DD`, nothing else.
fn parse_day(text: &str) -> Option<Date> {
    let mut parts = text.splitn(3, '-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(y) && digits(m) && digits(d)) {
        return None;
    }
    let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_reads_whole_days() {
        let r = DayRange::parse(Some("2026-03-01"), Some("2026-03-02")).expect("valid");
        let start = r.start().expect("start");
        let end = r.end().expect("end");
        assert_eq!(end - start, Duration::days(2));
        assert!(r.contains(start));
        assert!(!r.contains(end));
        assert_eq!(
            DayRange::parse(None, None).expect("open"),
            DayRange::default()
        );
    }

    #[test]
    fn bad_days_are_named() {
        for (from, to, field) in [
            ("2026-13-01", "2026-12-01", "from"),
            ("2026-02-30", "2026-03-01", "from"),
            ("26-01-01", "2026-01-02", "from"),
            ("2026-01-01", "1999-12-31", "to"),
            ("2026-01-01", "+12026-01-01", "to"),
            ("2026-03-02", "2026-03-01", "to"),
            ("2026-1-01", "2026-01-01", "from"),
        ] {
            let errors = DayRange::parse(Some(from), Some(to)).expect_err(from);
            assert!(errors.0.contains_key(field), "{from}..{to}: {errors:?}");
        }
    }
}
