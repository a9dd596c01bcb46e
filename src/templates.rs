//! The one Handlebars registry (pages and emails), built at start in strict
//! mode from templates embedded in the binary, with helpers that speak the
//! page's language (the root context's `locale`).

use std::sync::Arc;

use fluent_bundle::{FluentArgs, FluentValue};
use handlebars::{
    handlebars_helper, Context, Handlebars, Helper, HelperDef, RenderContext, RenderError,
    RenderErrorReason, ScopedJson,
};
use rust_embed::RustEmbed;
use serde_json::Value;

use crate::i18n::{I18n, Locale};
use crate::theme::Theme;

#[derive(RustEmbed)]
#[folder = "templates/"]
struct Embedded;

/// Minor units as a plain decimal amount: 1999 → "19.99" (machine-readable
/// places such as structured data; people read [`crate::i18n::Formats::money`]).
pub fn format_money(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// The helpers that need no language; private, since the macro makes public
/// unit structs.
mod helpers {
    use super::{handlebars_helper, Value};

    handlebars_helper!(eq: |a: Value, b: Value| a == b);

    // An address's lines (a one-line address from before addresses had
    // parts is one line).
    handlebars_helper!(address_lines: |a: Value| {
        let address = match a {
            Value::String(text) => crate::domain::address::Address::from_legacy(&text, ""),
            other => serde_json::from_value(other).unwrap_or_default(),
        };
        Value::from(address.lines())
    });

    // A tax rate in basis points as a percentage: 2100 → "21%", 550 → "5.5%".
    handlebars_helper!(percent: |bp: u64| {
        let whole = bp / 100;
        match bp % 100 {
            0 => format!("{whole}%"),
            part if part % 10 == 0 => format!("{whole}.{}%", part / 10),
            part => format!("{whole}.{part:02}%"),
        }
    });
}

/// The language of the page or email being rendered.
fn locale_of(ctx: &Context) -> Locale {
    ctx.data()
        .get("locale")
        .and_then(Value::as_str)
        .and_then(|tag| tag.parse().ok())
        .unwrap_or_default()
}

fn text(value: String) -> Result<ScopedJson<'static>, RenderError> {
    Ok(ScopedJson::Derived(Value::String(value)))
}

/// `{{t "message-id" name=value …}}`: the message in the page's language.
/// Several parameters are joined into the id: `{{t "status-" order.status}}`.
struct Translate(Arc<I18n>);

impl HelperDef for Translate {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        // The id is the parameters joined: `{{t "status-" order.status}}`.
        let mut id = String::new();
        for param in h.params() {
            match param.value() {
                Value::String(part) => id.push_str(part),
                other => id.push_str(&other.to_string()),
            }
        }
        if id.is_empty() {
            return Err(RenderErrorReason::ParamNotFoundForIndex("t", 0).into());
        }
        let mut args = FluentArgs::new();
        for (name, value) in h.hash() {
            let value = match value.value() {
                Value::Number(n) => n.as_f64().map_or(FluentValue::None, FluentValue::from),
                Value::String(s) => FluentValue::from(s.clone()),
                Value::Null => FluentValue::from(""),
                other => FluentValue::from(other.to_string()),
            };
            args.set(*name, value);
        }
        let args = (!h.hash().is_empty()).then_some(&args);
        text(self.0.translations.message(locale_of(ctx), &id, args))
    }
}

/// `{{money minor}}` or `{{money minor "USD"}}`: an amount as the page's
/// language writes it, in the root context's `currency` unless named.
struct Money(Arc<I18n>);

impl HelperDef for Money {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let minor = h
            .param(0)
            .and_then(|p| p.value().as_i64())
            .ok_or_else(|| RenderErrorReason::ParamNotFoundForIndex("money", 0))?;
        let currency = h
            .param(1)
            .and_then(|p| p.value().as_str())
            .or_else(|| ctx.data().get("currency").and_then(Value::as_str))
            .unwrap_or("EUR");
        text(self.0.formats.money(locale_of(ctx), minor, currency))
    }
}

/// `{{product_price product}}`: what a product costs as its card shows it:
/// the price, or "from" the lowest where its sold variants cost different
/// amounts.
struct ProductPrice(Arc<I18n>);

impl HelperDef for ProductPrice {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let product = h
            .param(0)
            .map(|p| p.value())
            .ok_or_else(|| RenderErrorReason::ParamNotFoundForIndex("product_price", 0))?;
        let currency = product["currency"].as_str().unwrap_or("EUR");
        // The sold variants' prices (the JSON of `Product::price_range`).
        let sold = product["variants"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|v| v["archived"] != Value::Bool(true))
            .filter_map(|v| v["price"].as_i64());
        let (low, high) = sold.fold((i64::MAX, i64::MIN), |(lo, hi), p| (lo.min(p), hi.max(p)));
        let locale = locale_of(ctx);
        if low >= high {
            let price = if low == i64::MAX {
                product["price"].as_i64().unwrap_or(0)
            } else {
                low
            };
            return text(self.0.formats.money(locale, price, currency));
        }
        let mut args = FluentArgs::new();
        args.set("price", self.0.formats.money(locale, low, currency));
        text(
            self.0
                .translations
                .message(locale, "price-from", Some(&args)),
        )
    }
}

/// `{{date rfc3339}}`: a date and time as the page's language writes it.
struct Date(Arc<I18n>);

impl HelperDef for Date {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let written = h
            .param(0)
            .and_then(|p| p.value().as_str())
            .ok_or_else(|| RenderErrorReason::ParamNotFoundForIndex("date", 0))?;
        let at =
            time::OffsetDateTime::parse(written, &time::format_description::well_known::Rfc3339);
        match at {
            Ok(at) => text(self.0.formats.datetime(locale_of(ctx), at)),
            Err(_) => text(written.to_owned()),
        }
    }
}

/// The name `template` is registered under in `locale`: `es/cart`,
/// `en/mail/welcome.txt`.
pub fn localized(locale: Locale, template: &str) -> String {
    format!("{}/{template}", locale.tag())
}

/// The names of the embedded templates: `product`, `layout`,
/// `mail/welcome.html` (the file name without `.hbs`). A theme may override
/// these and no others.
pub fn embedded_names() -> Vec<String> {
    Embedded::iter()
        .filter_map(|n| n.strip_suffix(".hbs").map(str::to_owned))
        .collect()
}

/// Builds the registry: every embedded `.hbs` template once per language,
/// the `theme`'s copy where it has one, plus the `t`, `money`, `date` and
/// `eq` helpers. A message without arguments (`{{t "cart-heading"}}`) is
/// written into that language's copy here, once, instead of at every
/// render: a helper call per word cost the product page half its speed.
/// Errors name the file: `templates/NAME.hbs`, or the theme file's path.
pub fn registry(i18n: Arc<I18n>, theme: &Theme) -> anyhow::Result<Handlebars<'static>> {
    let mut registry = Handlebars::new();
    registry.set_strict_mode(true);
    registry.register_helper("t", Box::new(Translate(i18n.clone())));
    registry.register_helper("money", Box::new(Money(i18n.clone())));
    registry.register_helper("product_price", Box::new(ProductPrice(i18n.clone())));
    registry.register_helper("date", Box::new(Date(i18n.clone())));
    registry.register_helper("eq", Box::new(helpers::eq));
    registry.register_helper("address_lines", Box::new(helpers::address_lines));
    registry.register_helper("percent", Box::new(helpers::percent));
    let names = embedded_names();
    for name in &names {
        let embedded;
        let (file, source) = match theme.template(name) {
            Some(own) => (own.path.display().to_string(), own.source.as_str()),
            None => {
                embedded = Embedded::get(&format!("{name}.hbs"))
                    .ok_or_else(|| anyhow::anyhow!("templates/{name}.hbs vanished"))?;
                let source = std::str::from_utf8(&embedded.data)
                    .map_err(|_| anyhow::anyhow!("templates/{name}.hbs is not UTF-8"))?;
                (format!("templates/{name}.hbs"), source)
            }
        };
        for &locale in Locale::all() {
            let text = localize(source, locale, &i18n, &names)
                .map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
            registry
                .register_template_string(&localized(locale, name), text)
                .map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
        }
    }
    Ok(registry)
}

/// `source` for `locale`: each `{{t "id"}}` replaced by the message
/// (escaped; `{{{t "id"}}}` as is), and each partial it uses (`{{#> layout}}`,
/// `{{> product_fields}}`) named in the same language.
fn localize(
    source: &str,
    locale: Locale,
    i18n: &I18n,
    templates: &[String],
) -> Result<String, String> {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let tag = &rest[start..];
        let raw = tag.starts_with("{{{");
        let (open, close) = if raw { ("{{{", "}}}") } else { ("{{", "}}") };
        let end = tag.find(close).ok_or("a `{{` is never closed")? + close.len();
        let inner = tag[open.len()..end - close.len()].trim();
        out.push_str(&localize_tag(
            &tag[..end],
            inner,
            raw,
            locale,
            i18n,
            templates,
        )?);
        rest = &tag[end..];
    }
    out.push_str(rest);
    Ok(out)
}

fn localize_tag(
    tag: &str,
    inner: &str,
    raw: bool,
    locale: Locale,
    i18n: &I18n,
    templates: &[String],
) -> Result<String, String> {
    let is_id = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    // `t "id"`, then maybe more parameters: `rest`.
    let literal = inner
        .strip_prefix("t \"")
        .and_then(|r| r.split_once('"'))
        .filter(|(id, _)| is_id(id));
    if let Some((id, rest)) = literal {
        let rest = rest.trim_start();
        // A second positional parameter makes the id at render time
        // (`{{t "status-" order.status}}`); only named arguments
        // (`count=n`) leave the literal as the whole id.
        let named = |p: &str| p.split_once('=').is_some_and(|(name, _)| is_id(name));
        let whole_id = rest.is_empty() || rest.split_whitespace().next().is_some_and(named);
        if whole_id && !i18n.translations.has_message(locale, id) {
            return Err(format!(
                "`{{{{t \"{id}\"}}}}`: no message `{id}` in the {} translations",
                locale.tag()
            ));
        }
        if !rest.is_empty() {
            return Ok(tag.to_owned());
        }
        let text = i18n.translations.message(locale, id, None);
        if text.contains("{{") || text.contains("}}") {
            return Err(format!("message {id} holds `{{{{` or `}}}}`"));
        }
        return Ok(if raw {
            text
        } else {
            handlebars::html_escape(&text)
        });
    }
    for prefix in ["#> ", "> ", "/"] {
        if let Some(name) = inner.strip_prefix(prefix) {
            if templates.iter().any(|t| t == name) {
                return Ok(format!("{{{{{prefix}{}}}}}", localized(locale, name)));
            }
        }
    }
    Ok(tag.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn money_formats_minor_units() {
        assert_eq!(format_money(1999), "19.99");
        assert_eq!(format_money(5), "0.05");
        assert_eq!(format_money(-150), "-1.50");
        assert_eq!(format_money(i64::MIN), "-92233720368547758.08");
    }

    #[test]
    fn helpers_speak_the_locale_of_the_context() {
        let i18n = Arc::new(I18n::load().unwrap_or_else(|e| unreachable!("{e:#}")));
        let mut r =
            registry(i18n.clone(), &Theme::default()).unwrap_or_else(|e| unreachable!("{e:#}"));
        r.register_template_string(
            "probe",
            "{{t \"nav-cart\"}} | {{money 8999}} | {{t \"search-total\" count=n}} | {{date at}} | {{t \"search-results-for\" text=q}}",
        )
        .unwrap_or_else(|e| unreachable!("{e}"));
        let data = |locale: &str| json!({"locale": locale, "currency": "EUR", "n": 1, "at": "2026-12-02T10:15:00Z", "q": "<b>"});
        let en = r.render("probe", &data("en")).unwrap_or_default();
        assert_eq!(
            en,
            "Cart | €89.99 | 1 product | Dec 2, 2026, 10:15:00\u{202f}AM UTC | Results for “&lt;b&gt;”"
        );
        let es = r.render("probe", &data("es")).unwrap_or_default();
        assert_eq!(
            es,
            "Carrito | 89,99\u{a0}€ | 1 producto | 2 dic 2026, 10:15:00 UTC | Resultados para «&lt;b&gt;»"
        );
    }

    /// A theme with `product.hbs` holding `source`.
    fn theme_with_product(source: &str) -> (tempfile::TempDir, Theme) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
        let folder = dir.path().join("templates");
        std::fs::create_dir_all(&folder).unwrap_or_else(|e| unreachable!("{e}"));
        std::fs::write(folder.join("product.hbs"), source).unwrap_or_else(|e| unreachable!("{e}"));
        let theme =
            Theme::load(dir.path(), &embedded_names()).unwrap_or_else(|e| unreachable!("{e:#}"));
        (dir, theme)
    }

    #[test]
    fn a_theme_template_is_localized_like_an_embedded_one() {
        let i18n = Arc::new(I18n::load().unwrap_or_else(|e| unreachable!("{e:#}")));
        let (_dir, theme) =
            theme_with_product("<b>{{t \"nav-cart\"}}</b> {{t \"search-total\" count=n}}");
        let r = registry(i18n, &theme).unwrap_or_else(|e| unreachable!("{e:#}"));
        let es = r.render(
            &localized(Locale::Es, "product"),
            &json!({"locale": "es", "n": 2}),
        );
        assert_eq!(es.unwrap_or_default(), "<b>Carrito</b> 2 productos");
    }

    #[test]
    fn unknown_messages_and_bad_syntax_stop_the_build_naming_the_file() {
        let i18n = Arc::new(I18n::load().unwrap_or_else(|e| unreachable!("{e:#}")));
        for (source, says) in [
            ("{{t \"no-such-id\"}}", "no-such-id"),
            ("{{t \"no-such-id\" count=1}}", "no-such-id"),
            ("{{#if x}}never closed", "product.hbs"),
            ("{{ unclosed", "never closed"),
        ] {
            let (_dir, theme) = theme_with_product(source);
            let err = registry(i18n.clone(), &theme)
                .err()
                .unwrap_or_else(|| unreachable!("{source} accepted"));
            let text = format!("{err:#}");
            assert!(
                text.contains("templates/product.hbs") && text.contains(says),
                "{text}"
            );
        }
        // An id made at render time cannot be checked at start.
        let (_dir, theme) = theme_with_product("{{t \"status-\" order.status}}");
        assert!(registry(i18n, &theme).is_ok());
    }
}
