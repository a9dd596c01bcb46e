//! The shop's colours: `shop.primary_color` as the CSS variables the
//! stylesheet uses, with text on it and links kept readable (WCAG AA
//! contrast) whatever colour the owner picks.

/// The stylesheet `/theme.css` for `primary` (`#rgb` or `#rrggbb`, checked
/// by the config).
pub fn css(primary: &str) -> String {
    let rgb = parse(primary).unwrap_or((0x2b, 0x6c, 0xb0));
    let on_primary = if contrast(rgb, WHITE) >= AA {
        "#fff"
    } else {
        INK
    };
    // Links sit on the light page background.
    let link = if contrast(rgb, PAGE) >= AA {
        primary
    } else {
        INK
    };
    format!(":root{{--primary:{primary};--on-primary:{on_primary};--link:{link}}}\n")
}

/// WCAG AA for normal text.
const AA: f64 = 4.5;
const WHITE: (u8, u8, u8) = (0xff, 0xff, 0xff);
const PAGE: (u8, u8, u8) = (0xf7, 0xfa, 0xfc);
const INK: &str = "#1a202c";

fn parse(hex: &str) -> Option<(u8, u8, u8)> {
    let digits = hex.strip_prefix('#')?;
    let channel = |s: &str| u8::from_str_radix(s, 16).ok();
    match digits.len() {
        3 => {
            let d: Vec<u8> = digits
                .chars()
                .map(|c| channel(&c.to_string()).map(|v| v * 17))
                .collect::<Option<_>>()?;
            Some((d[0], d[1], d[2]))
        }
        6 => Some((
            channel(&digits[0..2])?,
            channel(&digits[2..4])?,
            channel(&digits[4..6])?,
        )),
        _ => None,
    }
}

/// WCAG relative luminance.
fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
}

/// WCAG contrast ratio of two colours.
fn contrast(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dark_colours_carry_white_text_and_serve_as_links() {
        let css = css("#2b6cb0");
        assert!(css.contains("--on-primary:#fff"), "{css}");
        assert!(css.contains("--link:#2b6cb0"), "{css}");
    }

    #[test]
    fn light_colours_get_dark_text_and_dark_links() {
        let css = css("#fe0");
        assert!(css.contains("--on-primary:#1a202c"), "{css}");
        assert!(css.contains("--link:#1a202c"), "{css}");
        assert!(css.contains("--primary:#fe0"), "{css}");
    }

    #[test]
    fn contrast_matches_the_wcag_extremes() {
        assert!((contrast((0, 0, 0), WHITE) - 21.0).abs() < 1e-9);
        assert!((contrast(WHITE, WHITE) - 1.0).abs() < 1e-9);
    }
}
