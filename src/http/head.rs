//! What a page tells search engines and link previews: its title and
//! description, the one URL it should be known by, Open Graph tags, and for
//! products the schema.org `Product` Google reads prices and stock from.

use serde::Serialize;
use serde_json::json;

use crate::domain::catalog::Product;
use crate::templates::format_money;

/// Longest meta description, in characters (what result pages show).
const DESCRIPTION_CHARS: usize = 160;

/// One `<meta property=… content=…>` of the Open Graph protocol.
#[derive(Debug, Clone, Serialize)]
pub struct OpenGraphTag {
    /// E.g. `og:image`, `product:price:amount`.
    pub property: &'static str,
    /// The value.
    pub content: String,
}

/// The head of one page.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Head {
    /// The page's own title (the layout adds the shop's name).
    pub title: String,
    /// Meta description; empty means "the title, at the shop".
    pub description: String,
    /// Absolute URL that tracking parameters, paging or a trailing slash
    /// must not split the page's ranking across.
    pub canonical: Option<String>,
    /// Open Graph tags beyond the site name and title every page has.
    pub open_graph: Vec<OpenGraphTag>,
    /// JSON-LD, already made safe to sit inside a `<script>` element.
    pub json_ld: Option<String>,
}

impl Head {
    /// A head with only a title.
    pub fn titled(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            ..Self::default()
        }
    }

    /// With `text` (shortened to a snippet) as the meta description.
    pub fn described(mut self, text: &str) -> Self {
        self.description = snippet(text);
        self
    }

    /// Known by `base` + `path`.
    pub fn canonical(mut self, base: &str, path: &str) -> Self {
        self.canonical = Some(format!("{}{path}", base.trim_end_matches('/')));
        self
    }

    /// The head of a product's page: price, currency and availability in the
    /// Open Graph tags and in a schema.org `Product` with one `Offer`.
    pub fn product(product: &Product, base: &str) -> Self {
        let base = base.trim_end_matches('/');
        let url = format!("{base}/products/{}", product.id);
        let image = absolute(base, &product.photo_url);
        let price = format_money(product.price);
        let availability = if product.stock > 0 {
            "https://schema.org/InStock"
        } else {
            "https://schema.org/OutOfStock"
        };
        let tag = |property, content: &str| OpenGraphTag {
            property,
            content: content.to_owned(),
        };
        let description = if product.description.trim().is_empty() {
            product.name.clone()
        } else {
            snippet(&product.description)
        };
        let data = json!({
            "@context": "https://schema.org",
            "@type": "Product",
            "name": product.name,
            "description": description,
            "image": [image],
            "sku": product.id,
            "category": product.category,
            "url": url,
            "offers": {
                "@type": "Offer",
                "url": url,
                "price": price,
                "priceCurrency": product.currency,
                "availability": availability,
                "itemCondition": "https://schema.org/NewCondition",
            },
        });
        Self {
            title: product.name.clone(),
            open_graph: vec![
                tag("og:type", "product"),
                tag("og:url", &url),
                tag("og:description", &description),
                tag("og:image", &image),
                tag("product:price:amount", &price),
                tag("product:price:currency", &product.currency),
                tag(
                    "product:availability",
                    if product.stock > 0 {
                        "in stock"
                    } else {
                        "out of stock"
                    },
                ),
            ],
            description,
            canonical: Some(url),
            json_ld: Some(script_safe(&data.to_string())),
        }
    }
}

impl From<&str> for Head {
    fn from(title: &str) -> Self {
        Self::titled(title)
    }
}

impl From<&String> for Head {
    fn from(title: &String) -> Self {
        Self::titled(title.as_str())
    }
}

impl From<String> for Head {
    fn from(title: String) -> Self {
        Self::titled(title)
    }
}

/// `text` on one line, cut at a word boundary to fit a result snippet.
fn snippet(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = String::new();
    for word in words {
        let len = out.chars().count();
        if len + 1 + word.chars().count() > DESCRIPTION_CHARS {
            if out.is_empty() {
                out = word.chars().take(DESCRIPTION_CHARS - 1).collect();
            }
            out.push('…');
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// A photo URL as crawlers need it: paths under the shop become absolute.
fn absolute(base: &str, url: &str) -> String {
    if url.starts_with("http://") || url.starts_with("https://") {
        url.to_owned()
    } else if url.is_empty() {
        format!("{base}/static/placeholder.svg")
    } else {
        format!("{base}/{}", url.trim_start_matches('/'))
    }
}

/// JSON that cannot end its `<script>` element early nor open a comment:
/// `<`, `>` and `&` become `\u` escapes, which mean the same to a JSON reader.
fn script_safe(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_stop_at_a_word_and_say_so() {
        assert_eq!(snippet("  two\n words "), "two words");
        let long = "word ".repeat(100);
        let cut = snippet(&long);
        assert!(cut.chars().count() <= DESCRIPTION_CHARS, "{cut}");
        assert!(cut.ends_with("word…"), "{cut}");
        let one = "x".repeat(500);
        assert_eq!(snippet(&one).chars().count(), DESCRIPTION_CHARS);
    }

    #[test]
    fn json_ld_cannot_close_its_script() {
        let safe = script_safe(r#"{"name":"</script><!-- & more"}"#);
        assert!(!safe.contains('<') && !safe.contains('>') && !safe.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap_or_default();
        assert_eq!(back["name"], "</script><!-- & more");
    }

    #[test]
    fn photo_paths_become_absolute() {
        let base = "https://shop.example";
        assert_eq!(
            absolute(base, "/static/a.svg"),
            "https://shop.example/static/a.svg"
        );
        assert_eq!(absolute(base, "https://cdn.x/a.jpg"), "https://cdn.x/a.jpg");
        assert_eq!(
            absolute(base, ""),
            "https://shop.example/static/placeholder.svg"
        );
    }
}
