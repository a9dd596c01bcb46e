use proptest::prelude::*;
use serde_json::json;

use super::*;

fn fields() -> AddressFields {
    AddressFields {
        name: " Ana García ".into(),
        line1: "Calle Mayor 1".into(),
        line2: "3º B".into(),
        city: "Madrid".into(),
        postal_code: "28013".into(),
        region: String::new(),
        country: "es".into(),
        phone: "+34 (600) 123-456".into(),
    }
}

fn parse(input: AddressInput) -> Result<Address, FieldErrors> {
    Address::parse(&input, "ES", "delivery_address")
}

fn error_fields(errors: &FieldErrors) -> Vec<&str> {
    errors.0.keys().map(String::as_str).collect()
}

#[test]
fn structured_addresses_are_trimmed_and_upper_cased() {
    let address = parse(AddressInput::Structured(fields())).unwrap();
    assert_eq!(address.name, "Ana García");
    assert_eq!(address.country, "ES");
    assert_eq!(address.phone, "+34 (600) 123-456");
    assert!(!address.is_legacy());
}

#[test]
fn every_bad_part_is_named() {
    let input = AddressFields {
        name: String::new(),
        line1: "x".repeat(201),
        line2: "ok".into(),
        city: "   ".into(),
        postal_code: "28013/A".into(),
        region: "r".repeat(101),
        country: "XX".into(),
        phone: "call me".into(),
    };
    let errors = parse(AddressInput::Structured(input)).unwrap_err();
    assert_eq!(
        error_fields(&errors),
        [
            "delivery_address.city",
            "delivery_address.country",
            "delivery_address.line1",
            "delivery_address.name",
            "delivery_address.phone",
            "delivery_address.postal_code",
            "delivery_address.region",
        ]
    );
    let country = &errors.0["delivery_address.country"];
    assert_eq!(country, &[ShopText::CountryInvalid.arg("text", "XX")]);
    assert_eq!(
        errors.0["delivery_address.postal_code"],
        [ShopText::PostalCodeInvalid.message()]
    );
}

#[test]
fn countries_must_be_assigned_alpha_2_codes() {
    for bad in ["", "E", "ESP", "UK", "E1", "ñe"] {
        let input = AddressFields {
            country: bad.into(),
            ..fields()
        };
        let errors = parse(AddressInput::Structured(input)).unwrap_err();
        assert_eq!(error_fields(&errors), ["delivery_address.country"], "{bad}");
    }
}

#[test]
fn a_control_character_is_reported_once() {
    let input = AddressFields {
        postal_code: "280\u{7}13".into(),
        ..fields()
    };
    let errors = parse(AddressInput::Structured(input)).unwrap_err();
    assert_eq!(
        errors.0["delivery_address.postal_code"],
        [ShopText::TextHasControlCharacters.message()]
    );
}

#[test]
fn text_is_the_old_free_form_address_in_the_default_country() {
    let address = parse(AddressInput::Text("  Calle Mayor 1\n28013 Madrid ".into())).unwrap();
    assert_eq!(
        address,
        Address::from_legacy("Calle Mayor 1\n28013 Madrid", "es")
    );
    assert_eq!(address.country, "ES");
    assert!(address.is_legacy());
    assert_eq!(address.one_line(), "Calle Mayor 1, 28013 Madrid, ES");

    let errors = parse(AddressInput::Text("abc".into())).unwrap_err();
    assert_eq!(error_fields(&errors), ["delivery_address"]);
    assert!(parse(AddressInput::Text("x".repeat(501))).is_err());
}

#[test]
fn lines_skip_parts_not_given() {
    let address = parse(AddressInput::Structured(fields())).unwrap();
    assert_eq!(
        address.lines(),
        ["Ana García", "Calle Mayor 1", "3º B", "28013 Madrid", "ES"]
    );
    assert_eq!(
        address.one_line(),
        "Ana García, Calle Mayor 1, 3º B, 28013 Madrid, ES"
    );
    assert_eq!(address.to_string(), address.one_line());
    assert!(Address::default().lines().is_empty());
}

#[test]
fn json_input_is_text_or_an_object() {
    let text: AddressInput = serde_json::from_value(json!("Calle Mayor 1, Madrid")).unwrap();
    assert_eq!(text, AddressInput::Text("Calle Mayor 1, Madrid".into()));

    let object: AddressInput =
        serde_json::from_value(json!({"name": "Ana", "country": "ES"})).unwrap();
    let AddressInput::Structured(fields) = object else {
        panic!("an object is structured");
    };
    assert_eq!((fields.name.as_str(), fields.line2.as_str()), ("Ana", ""));
}

#[test]
fn json_errors_say_what_is_wrong_inside_the_object() {
    let unknown = serde_json::from_str::<AddressInput>(r#"{"name": "Ana", "zip": "28013"}"#)
        .unwrap_err()
        .to_string();
    assert!(unknown.contains("unknown field `zip`"), "{unknown}");
    assert!(unknown.contains("postal_code"), "{unknown}");

    let wrong_type = serde_json::from_str::<AddressInput>(r#"{"name": 7}"#)
        .unwrap_err()
        .to_string();
    assert!(
        wrong_type.contains("invalid type: integer `7`"),
        "{wrong_type}"
    );

    let number = serde_json::from_str::<AddressInput>("42")
        .unwrap_err()
        .to_string();
    assert!(
        number.contains("an address: text, or an object"),
        "{number}"
    );
}

#[test]
fn the_error_path_reaches_inside_the_address() {
    #[derive(Debug, Deserialize)]
    struct Body {
        #[allow(dead_code)]
        delivery_address: AddressInput,
    }
    let json = r#"{"delivery_address": {"name": "Ana", "city": ["Madrid"]}}"#;
    let de = &mut serde_json::Deserializer::from_str(json);
    let err = serde_path_to_error::deserialize::<_, Body>(de).unwrap_err();
    assert_eq!(err.path().to_string(), "delivery_address.city");
}

#[test]
fn inputs_serialize_back_untagged() {
    let text = AddressInput::Text("Calle Mayor 1".into());
    assert_eq!(serde_json::to_value(&text).unwrap(), json!("Calle Mayor 1"));
    let object = serde_json::to_value(AddressInput::Structured(fields())).unwrap();
    assert_eq!(object["country"], "es");
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Stored {
    #[serde(with = "legacy_or_structured")]
    address: Address,
    #[serde(default, with = "legacy_or_structured::option")]
    billing: Option<Address>,
}

#[test]
fn stored_addresses_are_read_either_way() {
    let old: Stored = serde_json::from_value(json!({"address": " Calle Mayor 1 "})).unwrap();
    assert_eq!(old.address, Address::from_legacy("Calle Mayor 1", ""));
    assert_eq!(old.billing, None);

    let new = Stored {
        address: parse(AddressInput::Structured(fields())).unwrap(),
        billing: Some(Address::from_legacy("Plaza 2", "PT")),
    };
    let json = serde_json::to_value(&new).unwrap();
    assert_eq!(json["address"]["country"], "ES");
    assert_eq!(serde_json::from_value::<Stored>(json).unwrap(), new);

    let mixed: Stored =
        serde_json::from_value(json!({"address": {"line1": "A"}, "billing": "B 1"})).unwrap();
    assert_eq!(mixed.address.line1, "A");
    assert_eq!(mixed.billing, Some(Address::from_legacy("B 1", "")));
    let null: Stored = serde_json::from_value(json!({"address": "A", "billing": null})).unwrap();
    assert_eq!(null.billing, None);
    assert!(serde_json::from_value::<Stored>(json!({"address": 3})).is_err());
}

proptest! {
    #[test]
    fn parsed_addresses_keep_the_rules(
        name in ".{0,120}",
        line1 in ".{0,220}",
        city in "[a-zA-Z ]{0,110}",
        postal_code in "[A-Za-z0-9 /-]{0,25}",
        country in "[A-Za-z]{0,3}",
        phone in "[0-9 +()a.-]{0,45}",
    ) {
        let input = AddressFields { name, line1, city, postal_code, country, phone, ..fields() };
        match parse(AddressInput::Structured(input)) {
            Ok(a) => {
                prop_assert!((1..=100).contains(&a.name.chars().count()));
                prop_assert!((1..=200).contains(&a.line1.chars().count()));
                prop_assert!((1..=20).contains(&a.postal_code.len()));
                prop_assert!(is_country(&a.country));
                prop_assert!(a.phone.len() <= 40);
                prop_assert!(!a.one_line().contains('\n'));
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                prop_assert!(errors.0.keys().all(|k| k.starts_with("delivery_address.")));
            }
        }
    }

    #[test]
    fn any_text_either_parses_or_names_the_field(text in "(?s).{0,600}") {
        match parse(AddressInput::Text(text.clone())) {
            Ok(a) => {
                prop_assert_eq!(a.line1.as_str(), text.trim());
                prop_assert_eq!(a.country.as_str(), "ES");
            }
            Err(errors) => prop_assert_eq!(error_fields(&errors), ["delivery_address"]),
        }
    }
}

#[test]
fn the_input_schema_is_text_or_an_object() {
    use utoipa::PartialSchema;
    let schema = serde_json::to_value(AddressInput::schema()).unwrap();
    let one_of = schema["oneOf"].as_array().unwrap();
    assert_eq!(one_of.len(), 2, "{schema}");
    assert_eq!(one_of[0]["type"], "string", "{schema}");
}
