//! Tax rates: per destination country and per product tax class, in basis
//! points (2100 = 21%). How they turn into amounts is
//! [`crate::domain::pricing`]'s rule.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::address::{country_code, is_country};

/// 100%, the highest rate a table may hold.
pub const MAX_RATE: u32 = 10_000;

/// Which of a country's rates a product pays.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum TaxClass {
    /// The country's standard rate; every product unless it says otherwise.
    #[default]
    Standard,
    /// The country's reduced rate (food, books…), or its standard rate where
    /// it has none.
    Reduced,
}

impl TaxClass {
    /// The name used in JSON and in the store.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// One country's rates, in basis points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CountryRates {
    /// The standard rate, e.g. 2100 for 21%.
    #[schema(maximum = 10_000, example = 2100)]
    pub standard: u32,
    /// The reduced rate, e.g. 1000 for 10%; left out where there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(maximum = 10_000, example = 1000)]
    pub reduced: Option<u32>,
}

/// The shop's tax rates by destination country (upper-case ISO 3166-1
/// alpha-2 code). A country the table does not list is taxed at 0.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct TaxTable(BTreeMap<String, CountryRates>);

impl TaxTable {
    /// A table of these countries' rates; codes are trimmed and upper-cased
    /// (the last of two spellings of one country wins).
    pub fn new(rates: impl IntoIterator<Item = (String, CountryRates)>) -> Self {
        rates.into_iter().collect()
    }

    /// The rate, in basis points, that a product of `class` pays when it
    /// goes to `country` (any case): the reduced rate falls back to the
    /// standard one; a country the table does not list pays 0.
    pub fn rate(&self, country: &str, class: TaxClass) -> u32 {
        let Some(rates) = self.get(country) else {
            return 0;
        };
        match class {
            TaxClass::Standard => rates.standard,
            TaxClass::Reduced => rates.reduced.unwrap_or(rates.standard),
        }
    }

    /// The rates of `country` (any case), if the table lists it.
    pub fn get(&self, country: &str) -> Option<&CountryRates> {
        let country = country.trim();
        if country.bytes().any(|b| b.is_ascii_lowercase()) {
            self.0.get(&country.to_ascii_uppercase())
        } else {
            self.0.get(country)
        }
    }

    /// The countries listed and their rates, by code.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &CountryRates)> {
        self.0.iter().map(|(code, rates)| (code.as_str(), rates))
    }

    /// Whether no country is listed (every rate is 0).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Checks a table read from configuration: every key an assigned
    /// ISO 3166-1 alpha-2 code in upper case, every rate at most
    /// [`MAX_RATE`] (100%). The message names the first bad key, e.g.
    /// `ES.reduced: 12000 is above 10000 basis points (100%)`.
    pub fn validate(&self) -> Result<(), String> {
        for (code, rates) in &self.0 {
            if !is_country(code) {
                let hint = match country_code(code) {
                    Some(upper) => format!("; write it upper-case: {upper}"),
                    None => String::new(),
                };
                return Err(format!(
                    "`{code}` is not an ISO 3166-1 alpha-2 country code such as ES{hint}"
                ));
            }
            let check = |name: &str, rate: u32| {
                if rate > MAX_RATE {
                    Err(format!(
                        "{code}.{name}: {rate} is above {MAX_RATE} basis points (100%)"
                    ))
                } else {
                    Ok(())
                }
            };
            check("standard", rates.standard)?;
            if let Some(reduced) = rates.reduced {
                check("reduced", reduced)?;
            }
        }
        Ok(())
    }
}

impl FromIterator<(String, CountryRates)> for TaxTable {
    fn from_iter<I: IntoIterator<Item = (String, CountryRates)>>(iter: I) -> Self {
        TaxTable(
            iter.into_iter()
                .map(|(code, rates)| (code.trim().to_ascii_uppercase(), rates))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spain_and_us() -> TaxTable {
        TaxTable::new([
            (
                "es".to_owned(),
                CountryRates {
                    standard: 2100,
                    reduced: Some(1000),
                },
            ),
            (
                "US".to_owned(),
                CountryRates {
                    standard: 0,
                    reduced: None,
                },
            ),
        ])
    }

    #[test]
    fn rates_by_country_and_class() {
        let table = spain_and_us();
        assert_eq!(table.rate("ES", TaxClass::Standard), 2100);
        assert_eq!(table.rate("es", TaxClass::Reduced), 1000);
        assert_eq!(table.rate("US", TaxClass::Reduced), 0);
        assert_eq!(table.rate("FR", TaxClass::Standard), 0);
        assert_eq!(table.rate("", TaxClass::Standard), 0);
        let de = TaxTable::new([(
            "DE".to_owned(),
            CountryRates {
                standard: 1900,
                reduced: None,
            },
        )]);
        assert_eq!(de.rate("DE", TaxClass::Reduced), 1900);
    }

    #[test]
    fn classes_read_and_write_lowercase() {
        assert_eq!(TaxClass::default(), TaxClass::Standard);
        assert_eq!(TaxClass::Reduced.as_str(), "reduced");
        assert_eq!("standard".parse(), Ok(TaxClass::Standard));
        let json = serde_json::to_string(&TaxClass::Reduced).unwrap();
        assert_eq!(json, r#""reduced""#);
        assert!(serde_json::from_str::<TaxClass>(r#""Reduced""#).is_err());
    }

    #[test]
    fn tables_read_from_config_are_checked() {
        let table: TaxTable = serde_json::from_str(
            r#"{"ES": {"standard": 2100, "reduced": 1000}, "PT": {"standard": 2300}}"#,
        )
        .unwrap();
        assert_eq!(table.validate(), Ok(()));
        assert_eq!(table.rate("PT", TaxClass::Reduced), 2300);
        assert!(serde_json::from_str::<TaxTable>(r#"{"ES": {"standart": 2100}}"#).is_err());

        let lower: TaxTable = serde_json::from_str(r#"{"es": {"standard": 2100}}"#).unwrap();
        let err = lower.validate().unwrap_err();
        assert!(err.contains("write it upper-case: ES"), "{err}");
        let unknown: TaxTable = serde_json::from_str(r#"{"EU": {"standard": 2100}}"#).unwrap();
        assert!(unknown.validate().unwrap_err().starts_with("`EU`"));
        let high: TaxTable =
            serde_json::from_str(r#"{"ES": {"standard": 2100, "reduced": 10001}}"#).unwrap();
        assert_eq!(
            high.validate(),
            Err("ES.reduced: 10001 is above 10000 basis points (100%)".to_owned())
        );
        let full: TaxTable = serde_json::from_str(r#"{"ES": {"standard": 10000}}"#).unwrap();
        assert_eq!(full.validate(), Ok(()));
    }
}
