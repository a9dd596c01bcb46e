//! Money and dates as each language writes them, by ICU4X and the CLDR data
//! it ships: "€89.99" and "Dec 2, 2026, 10:15" in English, "89,99 €" and
//! "2 dic 2026, 10:15" in Spanish.

use std::collections::HashMap;

use fixed_decimal::Decimal;
use icu_calendar::Date;
use icu_datetime::fieldsets::YMDT;
use icu_datetime::DateTimeFormatter;
use icu_experimental::dimension::currency::formatter::CurrencyFormatter;
use icu_experimental::dimension::currency::CurrencyCode;
use icu_locale_core::Locale as IcuLocale;
use icu_time::{DateTime, Time};

use super::Locale;
use crate::domain::Timestamp;

/// Digits after the decimal point in every stored amount ("minor units").
const MINOR_DIGITS: i16 = 2;

struct LocaleFormats {
    money: CurrencyFormatter,
    dates: DateTimeFormatter<YMDT>,
}

/// The formatters of every language, built once at start.
pub struct Formats {
    by_locale: HashMap<Locale, LocaleFormats>,
}

impl Formats {
    /// Formatters for every [`Locale`].
    pub fn new() -> anyhow::Result<Self> {
        let mut by_locale = HashMap::new();
        for &locale in Locale::all() {
            let icu: IcuLocale = locale
                .tag()
                .parse()
                .map_err(|e| anyhow::anyhow!("locale {}: {e:?}", locale.tag()))?;
            let money = CurrencyFormatter::try_new((&icu).into(), Default::default())
                .map_err(|e| anyhow::anyhow!("currency format for {}: {e:?}", locale.tag()))?;
            let dates = DateTimeFormatter::try_new((&icu).into(), YMDT::medium())
                .map_err(|e| anyhow::anyhow!("date format for {}: {e:?}", locale.tag()))?;
            by_locale.insert(locale, LocaleFormats { money, dates });
        }
        Ok(Self { by_locale })
    }

    /// `minor` units of `currency` (an ISO 4217 code) as `locale` writes
    /// them; a code ICU cannot take is written after the plain amount.
    pub fn money(&self, locale: Locale, minor: i64, currency: &str) -> String {
        let mut amount = Decimal::from(minor);
        amount.multiply_pow10(-MINOR_DIGITS);
        amount.pad_end(-MINOR_DIGITS);
        let code = Some(currency)
            .filter(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()))
            .and_then(|c| tinystr::TinyAsciiStr::<3>::try_from_str(c).ok());
        match (self.by_locale.get(&locale), code) {
            (Some(f), Some(code)) => f
                .money
                .format_fixed_decimal(&amount, &CurrencyCode(code))
                .to_string(),
            _ => format!("{amount} {currency}"),
        }
    }

    /// `at` (UTC) as `locale` writes a date and time.
    pub fn datetime(&self, locale: Locale, at: Timestamp) -> String {
        let at = at.to_offset(time::UtcOffset::UTC);
        let date = Date::try_new_iso(at.year(), u8::from(at.month()), at.day());
        let time = Time::try_new(at.hour(), at.minute(), at.second(), 0);
        match (self.by_locale.get(&locale), date, time) {
            (Some(f), Ok(date), Ok(time)) => {
                format!("{} UTC", f.dates.format(&DateTime { date, time }))
            }
            _ => at.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn formats() -> Formats {
        Formats::new().unwrap_or_else(|e| unreachable!("{e:#}"))
    }

    #[test]
    fn money_reads_as_each_language_writes_it() {
        let f = formats();
        assert_eq!(f.money(Locale::En, 8999, "EUR"), "€89.99");
        assert_eq!(f.money(Locale::Es, 8999, "EUR"), "89,99\u{a0}€");
        assert_eq!(f.money(Locale::En, 123_456_700, "USD"), "$1,234,567.00");
        assert_eq!(f.money(Locale::Es, 5, "EUR"), "0,05\u{a0}€");
        assert_eq!(f.money(Locale::En, -150, "EUR"), "-€1.50");
        assert!(f
            .money(Locale::En, i64::MIN, "EUR")
            .contains("92,233,720,368,547,758.08"));
        assert_eq!(f.money(Locale::En, 100, "??"), "1.00 ??");
    }

    #[test]
    fn dates_read_as_each_language_writes_them() {
        let f = formats();
        let at = time::macros::datetime!(2026-12-02 10:15:00 UTC);
        assert_eq!(
            f.datetime(Locale::En, at),
            "Dec 2, 2026, 10:15:00\u{202f}AM UTC"
        );
        assert_eq!(f.datetime(Locale::Es, at), "2 dic 2026, 10:15:00 UTC");
    }
}
