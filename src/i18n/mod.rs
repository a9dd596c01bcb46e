//! The shop's languages: which ones there are, the messages of each (Fluent
//! files under `locales/`, embedded in the binary), and how money and dates
//! read in each (ICU4X). Pages, emails and error answers all speak through
//! here; product texts stay as the owner wrote them.

mod format;
mod negotiate;

use std::collections::{BTreeSet, HashMap};

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use rust_embed::RustEmbed;
use serde::{Deserialize, Serialize};

pub use format::Formats;
pub use negotiate::choose;

/// A language the shop speaks.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Locale {
    /// English.
    #[default]
    En,
    /// Spanish.
    Es,
}

impl Locale {
    /// The BCP 47 tag: `en`, `es`.
    pub fn tag(self) -> &'static str {
        self.into()
    }

    /// The language's own name, for the switcher ("Español").
    pub fn endonym(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::Es => "Español",
        }
    }

    /// Every language there are messages for.
    pub fn all() -> &'static [Locale] {
        <Self as strum::VariantArray>::VARIANTS
    }
}

#[derive(RustEmbed)]
#[folder = "locales/"]
struct Files;

/// Everything language-bound the pages and emails use.
pub struct I18n {
    /// The messages.
    pub translations: Translations,
    /// Money and dates.
    pub formats: Formats,
}

impl I18n {
    /// Loads the messages and builds the formatters; fails naming what is wrong.
    pub fn load() -> anyhow::Result<Self> {
        Ok(Self {
            translations: Translations::load()?,
            formats: Formats::new()?,
        })
    }
}

/// Every message in every language, checked at start.
pub struct Translations {
    bundles: HashMap<Locale, FluentBundle<FluentResource>>,
}

impl Translations {
    /// Loads every `locales/<tag>/*.ftl`; a file that does not parse, or a
    /// language missing a message English has, stops start-up naming it.
    pub fn load() -> anyhow::Result<Self> {
        let mut bundles = HashMap::new();
        // Each language's message ids, read while loading, for the
        // completeness check.
        let mut ids: HashMap<Locale, BTreeSet<String>> = HashMap::new();
        for &locale in Locale::all() {
            let lang: unic_langid::LanguageIdentifier = locale
                .tag()
                .parse()
                .map_err(|e| anyhow::anyhow!("locale {}: {e}", locale.tag()))?;
            let mut bundle = FluentBundle::new_concurrent(vec![lang]);
            // No Unicode isolation marks around placeables: they would show
            // in plain-text emails and in `<title>`.
            bundle.set_use_isolating(false);
            let prefix = format!("{}/", locale.tag());
            let mut names: Vec<_> = Files::iter().filter(|n| n.starts_with(&prefix)).collect();
            names.sort();
            for name in names {
                let file =
                    Files::get(&name).ok_or_else(|| anyhow::anyhow!("locales/{name} vanished"))?;
                let text = String::from_utf8(file.data.into_owned())
                    .map_err(|_| anyhow::anyhow!("locales/{name} is not UTF-8"))?;
                let resource = FluentResource::try_new(text).map_err(|(_, errors)| {
                    anyhow::anyhow!("locales/{name} does not parse: {errors:?}")
                })?;
                let found = ids.entry(locale).or_default();
                for entry in resource.entries() {
                    if let fluent_syntax::ast::Entry::Message(m) = entry {
                        found.insert(m.id.name.to_owned());
                    }
                }
                bundle.add_resource(resource).map_err(|errors| {
                    anyhow::anyhow!("locales/{name} repeats a message: {errors:?}")
                })?;
            }
            bundles.insert(locale, bundle);
        }
        check_complete(&ids)?;
        Ok(Self { bundles })
    }

    /// Whether `locale` itself has the message `id` (no fallback).
    pub fn has_message(&self, locale: Locale, id: &str) -> bool {
        self.bundles
            .get(&locale)
            .is_some_and(|bundle| bundle.has_message(id))
    }

    /// The message `id` in `locale`, with `args`; the English one if the
    /// language lacks it, the id itself if no language has it (so a typo
    /// shows on the page instead of failing it).
    pub fn message(&self, locale: Locale, id: &str, args: Option<&FluentArgs>) -> String {
        for candidate in [locale, Locale::En] {
            let Some(bundle) = self.bundles.get(&candidate) else {
                continue;
            };
            let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
                continue;
            };
            let mut errors = Vec::new();
            let text = bundle.format_pattern(pattern, args, &mut errors);
            if !errors.is_empty() {
                tracing::warn!(
                    id,
                    locale = locale.tag(),
                    ?errors,
                    "message formatted with errors"
                );
            }
            return text.into_owned();
        }
        tracing::warn!(id, "no such message");
        id.to_owned()
    }
}

/// Every message English has exists in every other language.
fn check_complete(ids: &HashMap<Locale, BTreeSet<String>>) -> anyhow::Result<()> {
    let none = BTreeSet::new();
    let english = ids.get(&Locale::En).unwrap_or(&none);
    for &locale in Locale::all() {
        let have = ids.get(&locale).unwrap_or(&none);
        let missing: Vec<&String> = english.difference(have).collect();
        if !missing.is_empty() {
            anyhow::bail!("locales/{}: missing messages {missing:?}", locale.tag());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_loads_complete() {
        let t = Translations::load().unwrap_or_else(|e| unreachable!("{e:#}"));
        assert_eq!(t.message(Locale::En, "nav-cart", None), "Cart");
        assert_eq!(t.message(Locale::Es, "nav-cart", None), "Carrito");
        assert_eq!(
            t.message(Locale::Es, "no-such-message", None),
            "no-such-message"
        );
    }

    #[test]
    fn a_language_missing_a_message_is_refused() {
        let set = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        let mut ids = HashMap::new();
        ids.insert(Locale::En, set(&["a", "b"]));
        ids.insert(Locale::Es, set(&["a"]));
        let err = check_complete(&ids)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("locales/es") && err.contains("\"b\""), "{err}");
        ids.insert(Locale::Es, set(&["a", "b", "extra"]));
        assert!(check_complete(&ids).is_ok());
    }
}
