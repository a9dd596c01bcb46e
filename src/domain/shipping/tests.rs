use proptest::prelude::*;
use serde_json::json;

use super::*;

fn input(value: serde_json::Value) -> ShippingMethodInput {
    serde_json::from_value(value).unwrap()
}

fn method(value: serde_json::Value) -> ShippingMethod {
    input(value).validate("m1".into()).unwrap()
}

fn errors(value: serde_json::Value) -> FieldErrors {
    input(value).validate("m1".into()).unwrap_err()
}

fn fields(errors: &FieldErrors) -> Vec<&str> {
    errors.0.keys().map(String::as_str).collect()
}

/// Peninsula 4.90 (free from 50.00), EU by weight, the rest of the world 25.00.
fn zoned() -> ShippingMethod {
    method(json!({
        "name": "Standard",
        "position": 2,
        "zones": [
            {"name": "Peninsula", "countries": ["es", " PT "], "price": 490, "free_above": 5000},
            {"name": "EU", "countries": ["FR", "DE"], "weight_bands": [
                {"up_to_grams": 1000, "price": 900},
                {"up_to_grams": 5000, "price": 1500},
            ]},
            {"name": "World", "price": 2500},
        ],
    }))
}

#[test]
fn a_flat_rate_is_one_zone_without_countries() {
    let flat = method(json!({"name": "Flat", "zones": [{"name": "All", "price": 500}]}));
    assert_eq!(flat.position, 0);
    let quote = flat.quote("JP", 100, 10_000_000).unwrap();
    assert_eq!(
        quote,
        ShippingQuote {
            method: "m1".into(),
            name: "Flat".into(),
            price: 500
        }
    );
}

#[test]
fn the_zone_listing_the_country_wins_over_the_catch_all() {
    let m = zoned();
    assert_eq!(m.zones[0].countries, ["ES", "PT"]);
    assert_eq!(m.quote("es", 4999, 0).map(|q| q.price), Some(490));
    assert_eq!(m.quote("PT", 5000, 0).map(|q| q.price), Some(0));
    assert_eq!(m.quote("US", 100_000, 0).map(|q| q.price), Some(2500));
    assert_eq!(m.zone_for("de").map(|z| z.name.as_str()), Some("EU"));
}

#[test]
fn weight_bands_price_by_the_first_band_that_carries_the_parcel() {
    let m = zoned();
    assert_eq!(m.quote("FR", 100, 0).map(|q| q.price), Some(900));
    assert_eq!(m.quote("FR", 100, 1000).map(|q| q.price), Some(900));
    assert_eq!(m.quote("FR", 100, 1001).map(|q| q.price), Some(1500));
    assert_eq!(m.quote("FR", 100, 5000).map(|q| q.price), Some(1500));
    assert_eq!(m.quote("FR", 100, 5001), None, "too heavy for every band");
}

#[test]
fn without_a_catch_all_a_method_ships_only_to_its_countries() {
    let m = method(
        json!({"name": "Local", "zones": [{"name": "ES", "countries": ["ES"], "price": 300}]}),
    );
    assert!(m.quote("ES", 0, 0).is_some());
    assert_eq!(m.quote("FR", 0, 0), None);
    assert_eq!(m.quote("", 0, 0), None);
}

#[test]
fn quotes_come_in_position_order_and_skip_methods_that_do_not_ship() {
    let mut express = method(json!({"name": "Express", "position": 1, "zones": [
        {"name": "ES", "countries": ["ES"], "price": 1200}
    ]}));
    express.id = "m2".into();
    let methods = [zoned(), express];
    let spain: Vec<_> = quotes(&methods, "ES", 1000, 0)
        .into_iter()
        .map(|q| (q.method, q.price))
        .collect();
    assert_eq!(spain, [("m2".to_owned(), 1200), ("m1".to_owned(), 490)]);
    let us = quotes(&methods, "US", 1000, 0);
    assert_eq!(us.len(), 1);
    assert!(quotes(&methods, "FR", 0, 99_999).is_empty());
}

#[test]
fn every_bad_field_is_named() {
    let e = errors(json!({
        "name": "",
        "zones": [
            {"name": "A", "countries": ["ES", "XX", "es"], "price": -1, "free_above": -5},
            {"name": "a", "countries": ["PT", "ES"], "weight_bands": [
                {"up_to_grams": 500, "price": 100},
                {"up_to_grams": 500, "price": 100_000_001},
                {"up_to_grams": 0, "price": 100},
            ]},
            {"name": "Rest"},
            {"name": "Rest 2", "countries": [], "price": 1},
        ],
    }));
    assert_eq!(
        fields(&e),
        [
            "name",
            "zones[0].countries[1]",
            "zones[0].countries[2]",
            "zones[0].free_above",
            "zones[0].price",
            "zones[1].countries[1]",
            "zones[1].name",
            "zones[1].weight_bands[1].price",
            "zones[1].weight_bands[1].up_to_grams",
            "zones[1].weight_bands[2].up_to_grams",
            "zones[2].price",
            "zones[3].countries",
        ]
    );
    assert_eq!(
        e.0["zones[1].countries[1]"],
        [ShopText::CountryInTwoZones
            .arg("text", "ES")
            .arg("zone", "A")]
    );
    assert_eq!(
        e.0["zones[1].weight_bands[1].up_to_grams"],
        [ShopText::NotAscending.arg("previous", 500_i64)]
    );
    assert_eq!(
        e.0["zones[3].countries"],
        [ShopText::CatchAllZoneRepeated.arg("zone", "Rest")]
    );
    assert_eq!(
        e.0["zones[2].price"],
        [ShopText::ZonePriceMissing.message()]
    );
}

#[test]
fn zone_and_band_counts_are_bounded() {
    let e = errors(json!({"name": "None", "zones": []}));
    assert_eq!(fields(&e), ["zones"]);
    let many: Vec<_> = (0..51)
        .map(|i| json!({"name": format!("Z{i}"), "countries": [ISO_COUNTRIES[i]], "price": 1}))
        .collect();
    assert_eq!(
        fields(&errors(json!({"name": "M", "zones": many}))),
        ["zones"]
    );
    let bands: Vec<_> = (1..=21)
        .map(|g| json!({"up_to_grams": g * 100, "price": 1}))
        .collect();
    let e = errors(json!({"name": "M", "zones": [{"name": "Z", "weight_bands": bands}]}));
    assert_eq!(fields(&e), ["zones[0].weight_bands"]);
}

#[test]
fn unknown_fields_are_refused() {
    let bad = json!({"name": "M", "zones": [{"name": "Z", "price": 1, "prize": 2}]});
    let err = serde_json::from_value::<ShippingMethodInput>(bad).unwrap_err();
    assert!(err.to_string().contains("unknown field `prize`"), "{err}");
}

#[test]
fn methods_round_trip_through_json() {
    let m = zoned();
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(json["zones"][2].get("weight_bands"), None);
    assert_eq!(json["zones"][0]["free_above"], 5000);
    assert_eq!(serde_json::from_value::<ShippingMethod>(json).unwrap(), m);
}

proptest! {
    #[test]
    fn quotes_follow_the_zone_rules(
        flat in 0..=MAX_SHIPPING_PRICE,
        free_above in proptest::option::of(0..100_000_i64),
        bands in proptest::collection::btree_map(1..100_000_i64, 0..=MAX_SHIPPING_PRICE, 0..5),
        subtotal in -10..200_000_i64,
        weight in -10..200_000_i64,
        country in "[A-Z]{2}",
    ) {
        let weight_bands: Vec<_> = bands
            .iter()
            .map(|(g, p)| json!({"up_to_grams": g, "price": p}))
            .collect();
        let m = method(json!({"name": "M", "zones": [
            {"name": "Z", "price": flat, "free_above": free_above, "weight_bands": weight_bands},
        ]}));
        let quote = m.quote(&country, subtotal, weight);
        let heaviest = bands.keys().next_back().copied();
        if heaviest.is_some_and(|h| weight > h) {
            prop_assert_eq!(quote, None);
        } else {
            let price = quote.map(|q| q.price);
            prop_assert!(price.is_some());
            if free_above.is_some_and(|f| subtotal >= f) {
                prop_assert_eq!(price, Some(0));
            } else if bands.is_empty() {
                prop_assert_eq!(price, Some(flat));
            } else {
                let band = bands.range(weight.max(0)..).next().map(|(_, p)| *p);
                prop_assert_eq!(price, band);
            }
        }
    }

    #[test]
    fn validated_methods_list_each_country_once(
        zones in proptest::collection::vec(
            proptest::collection::vec("[A-Za-z]{2}", 0..6), 1..6)
    ) {
        let zones: Vec<_> = zones
            .iter()
            .enumerate()
            .map(|(i, c)| json!({"name": format!("Z{i}"), "countries": c, "price": 100}))
            .collect();
        if let Ok(m) = input(json!({"name": "M", "zones": zones})).validate("m".into()) {
            let all: Vec<&String> = m.zones.iter().flat_map(|z| &z.countries).collect();
            let unique: HashSet<&String> = all.iter().copied().collect();
            prop_assert_eq!(all.len(), unique.len());
            prop_assert!(all.iter().all(|c| crate::domain::address::is_country(c)));
            prop_assert!(m.zones.iter().filter(|z| z.countries.is_empty()).count() <= 1);
        }
    }
}
