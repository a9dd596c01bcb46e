//! The one Handlebars registry (pages and emails), built at start in strict
//! mode from templates embedded in the binary.

use handlebars::{handlebars_helper, Handlebars};
use rust_embed::RustEmbed;
use serde_json::Value;

#[derive(RustEmbed)]
#[folder = "templates/"]
struct Embedded;

/// Minor units as a decimal amount: 1999 → "19.99".
pub fn format_money(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// The template helpers; private, since the macro makes public unit structs.
mod helpers {
    use super::{format_money, handlebars_helper, Value};

    handlebars_helper!(money: |minor: i64| format_money(minor));
    handlebars_helper!(eq: |a: Value, b: Value| a == b);
}

/// Builds the registry: every embedded `.hbs` template, plus the `money` and `eq` helpers.
pub fn registry() -> anyhow::Result<Handlebars<'static>> {
    let mut registry = Handlebars::new();
    registry.set_strict_mode(true);
    registry.register_helper("money", Box::new(helpers::money));
    registry.register_helper("eq", Box::new(helpers::eq));
    registry.register_embed_templates_with_extension::<Embedded>(".hbs")?;
    Ok(registry)
}

#[cfg(test)]
mod tests {
    #[test]
    fn money_formats_minor_units() {
        assert_eq!(super::format_money(1999), "19.99");
        assert_eq!(super::format_money(5), "0.05");
        assert_eq!(super::format_money(-150), "-1.50");
        assert_eq!(super::format_money(i64::MIN), "-92233720368547758.08");
    }
}
