//! Which language a visitor gets: the one they chose (a cookie), else the
//! best of their browser's `Accept-Language` the shop offers, else the
//! shop's default.

use fluent_langneg::LanguageIdentifier;
use fluent_langneg::{negotiate_languages, NegotiationStrategy};

use super::Locale;

/// The language for a visitor: `chosen` (their cookie) if the shop offers
/// it, else the best match of `accept_language` among `offered`, else
/// `default`.
pub fn choose(
    chosen: Option<&str>,
    accept_language: Option<&str>,
    offered: &[Locale],
    default: Locale,
) -> Locale {
    if let Some(locale) = chosen
        .and_then(|c| c.parse::<Locale>().ok())
        .filter(|l| offered.contains(l))
    {
        return locale;
    }
    let Some(header) = accept_language else {
        return default;
    };
    let requested = fluent_langneg::accepted_languages::parse(header);
    let available: Vec<LanguageIdentifier> = offered
        .iter()
        .filter_map(|l| l.tag().parse().ok())
        .collect();
    let fallback: Option<LanguageIdentifier> = default.tag().parse().ok();
    negotiate_languages(
        &requested,
        &available,
        fallback.as_ref(),
        NegotiationStrategy::Lookup,
    )
    .first()
    .and_then(|best| best.language.as_str().parse().ok())
    .unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: &[Locale] = &[Locale::En, Locale::Es];

    #[test]
    fn the_cookie_wins_then_the_browser_then_the_default() {
        assert_eq!(
            choose(Some("es"), Some("en-US"), BOTH, Locale::En),
            Locale::Es
        );
        assert_eq!(
            choose(None, Some("es-MX,es;q=0.9,en;q=0.8"), BOTH, Locale::En),
            Locale::Es
        );
        assert_eq!(
            choose(None, Some("fr-FR, en;q=0.5"), BOTH, Locale::Es),
            Locale::En
        );
        assert_eq!(choose(None, Some("fr-FR"), BOTH, Locale::Es), Locale::Es);
        assert_eq!(choose(None, None, BOTH, Locale::Es), Locale::Es);
        assert_eq!(choose(None, Some(";;;q=x,,"), BOTH, Locale::En), Locale::En);
    }

    #[test]
    fn a_language_the_shop_does_not_offer_is_not_chosen() {
        assert_eq!(
            choose(Some("es"), None, &[Locale::En], Locale::En),
            Locale::En
        );
        assert_eq!(choose(Some("xx"), None, BOTH, Locale::En), Locale::En);
        assert_eq!(
            choose(None, Some("es"), &[Locale::En], Locale::En),
            Locale::En
        );
    }
}
