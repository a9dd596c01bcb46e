//! Delivery addresses: structured (name, street lines, city, postal code,
//! region, country, phone) as checkout and orders keep them, parsed from
//! what a client sends (an object, or the free-form text clients sent
//! before addresses had parts) and read back from orders stored as text.

mod countries;

use std::fmt;

use serde::de::{self, value::MapAccessDeserializer, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

pub use countries::{country_code, is_country, ISO_COUNTRIES};

use super::message::{MessageId, ShopText};
use super::truncate;
use super::validation::{text_field, FieldErrors};

/// Where an order goes. Empty strings are parts not given: always possible
/// for `line2`, `region` and `phone`; an address kept from before addresses
/// had parts (see [`Address::from_legacy`]) has only `line1` (the whole
/// text) and maybe `country`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct Address {
    /// The addressee.
    #[schema(example = "Ana García")]
    pub name: String,
    /// Street and number.
    #[schema(example = "Calle Mayor 1")]
    pub line1: String,
    /// Floor, door, building; empty when not given.
    #[schema(example = "3º B")]
    pub line2: String,
    /// City or town.
    #[schema(example = "Madrid")]
    pub city: String,
    /// Postal code as the country writes it.
    #[schema(example = "28013")]
    pub postal_code: String,
    /// State, province or region; empty when not given.
    #[schema(example = "Madrid")]
    pub region: String,
    /// ISO 3166-1 alpha-2 code, upper-case.
    #[schema(example = "ES")]
    pub country: String,
    /// A phone for the carrier; empty when not given.
    #[schema(example = "+34 600 123 456")]
    pub phone: String,
}

/// An address as a client sends it: free-form text (as before addresses had
/// parts; it is delivered in the shop's default country) or its parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum AddressInput {
    /// Free-form text, 5 to 500 characters; line breaks allowed.
    #[schema(example = "Calle Mayor 1, 28013 Madrid")]
    Text(String),
    /// The address in parts.
    Structured(AddressFields),
}

/// The parts of an address as a client sends them; a part left out is
/// empty. Unknown keys are refused (a typo is not silently dropped).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AddressFields {
    /// 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub line1: String,
    /// Up to 200 characters.
    #[schema(max_length = 200)]
    pub line2: String,
    /// 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub city: String,
    /// 1 to 20 letters, digits, spaces and dashes.
    #[schema(pattern = r"^[A-Za-z0-9 -]{1,20}$", example = "28013")]
    pub postal_code: String,
    /// Up to 100 characters.
    #[schema(max_length = 100)]
    pub region: String,
    /// ISO 3166-1 alpha-2 code, any case.
    #[schema(pattern = "^[A-Za-z]{2}$", example = "ES")]
    pub country: String,
    /// Up to 40 digits, spaces and `+ - ( ) .`.
    #[schema(max_length = 40, example = "+34 600 123 456")]
    pub phone: String,
}

/// By hand rather than `#[serde(untagged)]`: an untagged enum only says
/// "did not match any variant", while this reports what is wrong inside an
/// object (`unknown field `zip``, a number where text goes).
impl<'de> Deserialize<'de> for AddressInput {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct InputVisitor;
        impl<'de> Visitor<'de> for InputVisitor {
            type Value = AddressInput;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an address: text, or an object with name, line1, line2, city, postal_code, region, country and phone")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                Ok(AddressInput::Text(text.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                AddressFields::deserialize(MapAccessDeserializer::new(map))
                    .map(AddressInput::Structured)
            }
        }
        deserializer.deserialize_any(InputVisitor)
    }
}

impl Address {
    /// Checks what a client sent and makes it an address; errors name
    /// `field` (free-form text) or `{field}.name`, `{field}.country`… (parts).
    ///
    /// Text is checked like the addresses before parts (5 to 500 characters,
    /// no control characters but line breaks and tabs) and becomes `line1`,
    /// in `default_country`. Parts are trimmed; `name` 1–100 characters,
    /// `line1` 1–200, `line2` 0–200, `city` 1–100, `postal_code` 1–20
    /// letters, digits, spaces and dashes, `region` 0–100, `country` an
    /// assigned ISO 3166-1 alpha-2 code (upper-cased), `phone` 0–40 digits,
    /// spaces and `+ - ( ) .`.
    pub fn parse(
        input: &AddressInput,
        default_country: &str,
        field: &str,
    ) -> Result<Address, FieldErrors> {
        match input {
            AddressInput::Text(text) => {
                let mut errors = FieldErrors::default();
                let line1 = text_field(&mut errors, field, text, 5, 500, true);
                errors.into_result(Address::from_legacy(&line1, default_country))
            }
            AddressInput::Structured(fields) => parse_fields(fields, field),
        }
    }

    /// An address kept as text before addresses had parts: the whole text
    /// (trimmed) as `line1`, in `default_country` (may be empty: unknown).
    /// Not validated: it was when it was first sent.
    pub fn from_legacy(text: &str, default_country: &str) -> Address {
        Address {
            line1: text.trim().to_owned(),
            country: default_country.trim().to_ascii_uppercase(),
            ..Address::default()
        }
    }

    /// Whether this is free-form text kept from before addresses had parts
    /// (no name and no city).
    pub fn is_legacy(&self) -> bool {
        self.name.is_empty() && self.city.is_empty()
    }

    /// The address as printed on a label or page, one line each and none
    /// empty: name; line1 (a free-form text's own lines); line2;
    /// "postal_code city"; region; country code.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let mut push = |text: &str| {
            for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
                lines.push(line.to_owned());
            }
        };
        push(&self.name);
        push(&self.line1);
        push(&self.line2);
        push(&format!("{} {}", self.postal_code.trim(), self.city.trim()));
        push(&self.region);
        push(&self.country);
        lines
    }

    /// [`Address::lines`] joined with ", ", for emails and lists.
    pub fn one_line(&self) -> String {
        self.lines().join(", ")
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.one_line())
    }
}

fn parse_fields(fields: &AddressFields, field: &str) -> Result<Address, FieldErrors> {
    let mut errors = FieldErrors::default();
    let part = |name: &str| format!("{field}.{name}");
    let mut text = |name: &str, value: &str, min: usize, max: usize| {
        text_field(&mut errors, &part(name), value, min, max, false)
    };
    let name = text("name", &fields.name, 1, 100);
    let line1 = text("line1", &fields.line1, 1, 200);
    let line2 = text("line2", &fields.line2, 0, 200);
    let city = text("city", &fields.city, 1, 100);
    let postal_code = text("postal_code", &fields.postal_code, 1, 20);
    let region = text("region", &fields.region, 0, 100);
    let phone = text("phone", &fields.phone, 0, 40);
    if !only(&postal_code, |c| {
        c.is_ascii_alphanumeric() || matches!(c, ' ' | '-')
    }) {
        errors.add(&part("postal_code"), ShopText::PostalCodeInvalid);
    }
    if !only(&phone, |c| {
        c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')' | '.')
    }) {
        errors.add(&part("phone"), ShopText::AddressPhoneInvalid);
    }
    let country = fields.country.trim();
    let country = if country.is_empty() {
        errors.add(&part("country"), ShopText::TextEmpty);
        String::new()
    } else {
        country_code(country).unwrap_or_else(|| {
            let text = truncate(country, 20);
            errors.add(&part("country"), ShopText::CountryInvalid.arg("text", text));
            String::new()
        })
    };
    errors.into_result(Address {
        name,
        line1,
        line2,
        city,
        postal_code,
        region,
        country,
        phone,
    })
}

/// Whether every character of `text` passes `allowed`; control characters
/// pass (`text_field` reports them once already).
fn only(text: &str, allowed: impl Fn(char) -> bool) -> bool {
    text.chars().all(|c| c.is_control() || allowed(c))
}

/// Reads an address stored either way: an object (an [`Address`]) or, for
/// orders placed before addresses had parts, a string (as
/// [`Address::from_legacy`] with no country). Writes the object. Use with
/// `#[serde(with = "crate::domain::address::legacy_or_structured")]`.
pub mod legacy_or_structured {
    use super::*;
    use serde::Serializer;

    /// Writes the address as an object.
    pub fn serialize<S: Serializer>(address: &Address, serializer: S) -> Result<S::Ok, S::Error> {
        address.serialize(serializer)
    }

    /// Reads a string (a legacy address) or an object.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Address, D::Error> {
        deserializer.deserialize_any(LegacyVisitor)
    }

    pub(super) struct LegacyVisitor;

    impl<'de> Visitor<'de> for LegacyVisitor {
        type Value = Address;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an address: a string or an object")
        }
        fn visit_str<E: de::Error>(self, text: &str) -> Result<Address, E> {
            Ok(Address::from_legacy(text, ""))
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Address, A::Error> {
            Address::deserialize(MapAccessDeserializer::new(map))
        }
    }

    /// The same for an optional address (`null` or missing is `None`; add
    /// `#[serde(default)]` for missing).
    pub mod option {
        use super::*;

        /// Writes the address as an object, or null.
        pub fn serialize<S: Serializer>(
            address: &Option<Address>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            address.serialize(serializer)
        }

        /// Reads null, a string (a legacy address) or an object.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<Address>, D::Error> {
            struct Wrapped(Address);
            impl<'de> Deserialize<'de> for Wrapped {
                fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    d.deserialize_any(LegacyVisitor).map(Wrapped)
                }
            }
            Ok(Option::<Wrapped>::deserialize(deserializer)?.map(|w| w.0))
        }
    }
}

#[cfg(test)]
mod tests;
