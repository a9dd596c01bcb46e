//! What a page tells search engines and link previews: its title and
//! description, the one URL it should be known by, Open Graph tags, and for
//! products the schema.org `Product` Google reads prices and stock from.

use serde::Serialize;

use crate::domain::catalog::Product;
use crate::templates::format_money;

/// Longest meta description, in characters (what result pages show).
const DESCRIPTION_CHARS: usize = 160;

/// schema.org's `Product` with one `Offer`, as Google reads prices and stock.
#[derive(Serialize)]
struct ProductData<'a> {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@type")]
    kind: &'static str,
    name: &'a str,
    description: &'a str,
    image: [&'a str; 1],
    sku: &'a str,
    category: &'a str,
    url: &'a str,
    offers: Offer<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Offer<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    url: &'a str,
    price: &'a str,
    price_currency: &'a str,
    availability: &'static str,
    item_condition: &'static str,
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
    /// On a product's page: its Open Graph tags and structured data.
    pub product: Option<ProductHead>,
}

/// What a product page adds to its head (templates/head.hbs writes the tags).
#[derive(Debug, Clone, Serialize)]
pub struct ProductHead {
    /// The page's absolute URL.
    pub url: String,
    /// The photo's absolute URL.
    pub image: String,
    /// The price as a plain decimal, e.g. `89.99`.
    pub price: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Open Graph's `in stock` or `out of stock`.
    pub availability: &'static str,
    /// JSON-LD, already made safe to sit inside a `<script>` element.
    pub json_ld: String,
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
        let in_stock = product.stock > 0;
        let description = if product.description.trim().is_empty() {
            product.name.clone()
        } else {
            snippet(&product.description)
        };
        let data = ProductData {
            context: "https://schema.org",
            kind: "Product",
            name: &product.name,
            description: &description,
            image: [&image],
            sku: &product.id,
            category: &product.category,
            url: &url,
            offers: Offer {
                kind: "Offer",
                url: &url,
                price: &price,
                price_currency: &product.currency,
                availability: if in_stock {
                    "https://schema.org/InStock"
                } else {
                    "https://schema.org/OutOfStock"
                },
                item_condition: "https://schema.org/NewCondition",
            },
        };
        // Serializing these plain strings cannot fail; if it did, the page
        // would only lose its structured data.
        let json_ld = serde_json::to_string(&data)
            .map(|json| script_safe(&json))
            .unwrap_or_default();
        Self {
            title: product.name.clone(),
            description,
            canonical: Some(url.clone()),
            product: Some(ProductHead {
                url,
                image,
                price,
                currency: product.currency.clone(),
                availability: if in_stock { "in stock" } else { "out of stock" },
                json_ld,
            }),
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
    let mut safe = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => safe.push_str("\\u003c"),
            '>' => safe.push_str("\\u003e"),
            '&' => safe.push_str("\\u0026"),
            c => safe.push(c),
        }
    }
    safe
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
