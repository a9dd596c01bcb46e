//! Shipping methods the admin manages, and what each costs for one cart
//! going to one country.
//!
//! A method has zones; a zone lists countries (or none: every country no
//! other zone of the method lists) and prices a parcel either at one flat
//! `price` or by weight bands, free at or above a subtotal if it says so.
//! A flat rate everywhere is one zone with no countries. A method with no
//! zone for a country does not ship there.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::address::{country_code, ISO_COUNTRIES};
use super::message::{MessageId, ShopText};
use super::truncate;
use super::validation::{text_field, FieldErrors};

/// Highest shipping price, minor units.
pub const MAX_SHIPPING_PRICE: i64 = 100_000_000;
/// Most zones one method has.
pub const MAX_ZONES: usize = 50;
/// Most weight bands one zone has.
pub const MAX_WEIGHT_BANDS: usize = 20;

/// A way to ship that customers choose at checkout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ShippingMethod {
    /// Method id; what a checkout names and an order keeps.
    pub id: String,
    /// What customers see, e.g. `Standard (2–4 days)`.
    pub name: String,
    /// Where it ships and at what price; at least one.
    pub zones: Vec<ShippingZone>,
    /// Methods are offered in ascending position.
    pub position: i64,
}

/// Countries one method prices alike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ShippingZone {
    /// E.g. `Peninsula`, `EU`, `Rest of the world`.
    pub name: String,
    /// Upper-case ISO 3166-1 alpha-2 codes; empty means every country no
    /// other zone of the method lists.
    #[serde(default)]
    #[schema(example = json!(["ES", "PT"]))]
    pub countries: Vec<String>,
    /// Minor units, when the zone has no weight bands (0 when it has).
    pub price: i64,
    /// A subtotal (minor units) at or above which shipping is free.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_above: Option<i64>,
    /// Prices by weight instead of `price`, ascending; empty for a flat price.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weight_bands: Vec<WeightBand>,
}

/// Parcels up to a weight, at a price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WeightBand {
    /// The heaviest parcel of this band, grams.
    pub up_to_grams: i64,
    /// Minor units.
    pub price: i64,
}

/// A method as an admin sends it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShippingMethodInput {
    /// 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100, example = "Standard")]
    pub name: String,
    /// 1 to 50 zones.
    #[schema(min_items = 1, max_items = 50)]
    pub zones: Vec<ShippingZoneInput>,
    /// Where it is offered among the methods; 0 when left out.
    #[serde(default)]
    pub position: Option<i64>,
}

/// A zone as an admin sends it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShippingZoneInput {
    /// 1 to 100 characters, unique within the method (ignoring case).
    #[schema(min_length = 1, max_length = 100, example = "Peninsula")]
    pub name: String,
    /// ISO 3166-1 alpha-2 codes (any case), each in one zone of the method
    /// only; empty or left out for the zone of every other country (one per
    /// method at most).
    #[serde(default)]
    pub countries: Vec<String>,
    /// Minor units, 0 to 100,000,000; needed unless `weight_bands` price it.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub price: Option<i64>,
    /// A subtotal at or above which shipping is free; not negative.
    #[serde(default)]
    #[schema(minimum = 0)]
    pub free_above: Option<i64>,
    /// Up to 20 bands in strictly ascending `up_to_grams`.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub weight_bands: Vec<WeightBandInput>,
}

/// A weight band as an admin sends it.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeightBandInput {
    /// Grams, above 0 and above the band before.
    #[schema(minimum = 1)]
    pub up_to_grams: i64,
    /// Minor units, 0 to 100,000,000.
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub price: i64,
}

/// What one method costs for one cart, as checkout offers it and an order
/// keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
pub struct ShippingQuote {
    /// The method's id.
    pub method: String,
    /// The method's name.
    pub name: String,
    /// Minor units; 0 when free.
    pub price: i64,
}

impl ShippingMethodInput {
    /// Checks the method and makes it the method `id`; every bad field is
    /// named, e.g. `zones[1].countries[0]`, `zones[0].weight_bands[2].up_to_grams`.
    pub fn validate(self, id: String) -> Result<ShippingMethod, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = text_field(&mut errors, "name", &self.name, 1, 100, false);
        if self.zones.is_empty() {
            errors.add("zones", ShopText::TextEmpty);
        } else if self.zones.len() > MAX_ZONES {
            errors.add("zones", ShopText::TooMany.arg("max", MAX_ZONES));
        }
        let mut zones = ZoneChecks::default();
        let zones: Vec<ShippingZone> = self
            .zones
            .into_iter()
            .enumerate()
            .map(|(i, zone)| zones.check(&mut errors, i, zone))
            .collect();
        errors.into_result(ShippingMethod {
            id,
            name,
            zones,
            position: self.position.unwrap_or(0),
        })
    }
}

/// What the zones checked so far hold, to find repeats across zones.
#[derive(Default)]
struct ZoneChecks {
    /// Zone names, lower-cased.
    names: HashSet<String>,
    /// Which zone lists each country.
    countries: HashMap<String, String>,
    /// The zone without countries, once there is one.
    catch_all: Option<String>,
}

impl ZoneChecks {
    fn check(
        &mut self,
        errors: &mut FieldErrors,
        i: usize,
        zone: ShippingZoneInput,
    ) -> ShippingZone {
        let field = |name: &str| format!("zones[{i}].{name}");
        let name = text_field(errors, &field("name"), &zone.name, 1, 100, false);
        if !name.is_empty() && !self.names.insert(name.to_lowercase()) {
            errors.add(
                &field("name"),
                ShopText::Repeated.arg("text", name.as_str()),
            );
        }
        if zone.countries.is_empty() {
            match &self.catch_all {
                Some(first) => errors.add(
                    &field("countries"),
                    ShopText::CatchAllZoneRepeated.arg("zone", first.as_str()),
                ),
                None => self.catch_all = Some(name.clone()),
            }
        } else if zone.countries.len() > ISO_COUNTRIES.len() {
            let max = ISO_COUNTRIES.len();
            errors.add(&field("countries"), ShopText::TooMany.arg("max", max));
        }
        let mut countries = Vec::with_capacity(zone.countries.len());
        for (j, text) in zone.countries.iter().enumerate() {
            let field = format!("zones[{i}].countries[{j}]");
            let Some(code) = country_code(text) else {
                let text = truncate(text.trim(), 20);
                errors.add(&field, ShopText::CountryInvalid.arg("text", text));
                continue;
            };
            if let Some(other) = self.countries.get(&code) {
                let message = ShopText::CountryInTwoZones
                    .arg("text", code.as_str())
                    .arg("zone", other.as_str());
                errors.add(&field, message);
                continue;
            }
            self.countries.insert(code.clone(), name.clone());
            countries.push(code);
        }
        let price = match zone.price {
            Some(price) => check_price(errors, &field("price"), price),
            None if zone.weight_bands.is_empty() => {
                errors.add(&field("price"), ShopText::ZonePriceMissing);
                0
            }
            None => 0,
        };
        if zone.free_above.is_some_and(|f| f < 0) {
            errors.add(&field("free_above"), ShopText::Negative);
        }
        if zone.weight_bands.len() > MAX_WEIGHT_BANDS {
            let max = MAX_WEIGHT_BANDS;
            errors.add(&field("weight_bands"), ShopText::TooMany.arg("max", max));
        }
        let mut previous: Option<i64> = None;
        let weight_bands = zone
            .weight_bands
            .iter()
            .enumerate()
            .map(|(k, band)| {
                let field = |name: &str| format!("zones[{i}].weight_bands[{k}].{name}");
                let up_to = band.up_to_grams;
                if up_to <= 0 {
                    errors.add(&field("up_to_grams"), ShopText::NotPositive);
                } else if let Some(previous) = previous.filter(|p| up_to <= *p) {
                    let message = ShopText::NotAscending.arg("previous", previous);
                    errors.add(&field("up_to_grams"), message);
                }
                previous = Some(up_to);
                WeightBand {
                    up_to_grams: up_to,
                    price: check_price(errors, &field("price"), band.price),
                }
            })
            .collect();
        ShippingZone {
            name,
            countries,
            price,
            free_above: zone.free_above,
            weight_bands,
        }
    }
}

fn check_price(errors: &mut FieldErrors, field: &str, price: i64) -> i64 {
    if !(0..=MAX_SHIPPING_PRICE).contains(&price) {
        errors.add(
            field,
            ShopText::PriceOutOfRange.arg("max", MAX_SHIPPING_PRICE),
        );
    }
    price
}

impl ShippingZone {
    /// The zone's price for a cart of `subtotal` weighing `weight_grams`:
    /// the first weight band that carries the weight (none: too heavy for
    /// this zone) or the flat price; 0 when `free_above` is met.
    pub fn price_for(&self, subtotal: i64, weight_grams: i64) -> Option<i64> {
        let price = if self.weight_bands.is_empty() {
            self.price
        } else {
            self.weight_bands
                .iter()
                .find(|band| band.up_to_grams >= weight_grams)?
                .price
        };
        let free = self.free_above.is_some_and(|above| subtotal >= above);
        Some(if free { 0 } else { price })
    }
}

impl ShippingMethod {
    /// The zone that serves `country` (any case): the one listing it, else
    /// the one without countries; none when the method does not ship there.
    pub fn zone_for(&self, country: &str) -> Option<&ShippingZone> {
        let country = country.trim();
        self.zones
            .iter()
            .find(|zone| {
                zone.countries
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(country))
            })
            .or_else(|| self.zones.iter().find(|zone| zone.countries.is_empty()))
    }

    /// What this method costs for a cart of `subtotal` (minor units)
    /// weighing `weight_grams` going to `country`; `None` when it does not
    /// ship there or the parcel is heavier than every weight band.
    pub fn quote(&self, country: &str, subtotal: i64, weight_grams: i64) -> Option<ShippingQuote> {
        let price = self.zone_for(country)?.price_for(subtotal, weight_grams)?;
        Some(ShippingQuote {
            method: self.id.clone(),
            name: self.name.clone(),
            price,
        })
    }
}

/// The quotes of every method that ships this cart to `country`, by
/// position (then name, then id, so both stores list them alike).
pub fn quotes(
    methods: &[ShippingMethod],
    country: &str,
    subtotal: i64,
    weight_grams: i64,
) -> Vec<ShippingQuote> {
    let mut methods: Vec<&ShippingMethod> = methods.iter().collect();
    methods.sort_by(|a, b| (a.position, &a.name, &a.id).cmp(&(b.position, &b.name, &b.id)));
    methods
        .into_iter()
        .filter_map(|m| m.quote(country, subtotal, weight_grams))
        .collect()
}

#[cfg(test)]
mod tests;
