//! The demo catalog seeded into an empty store (`store.demo_catalog`).
//! Photos ship in `static/photos/`, so the demo works offline.

use std::collections::BTreeMap;

use super::catalog::{Product, ProductInput, ProductOption, VariantInput};
use super::tax::TaxClass;
use super::{from_millis, new_id, to_millis, Timestamp};

/// (category, name, description, price in minor units, stock, photo slug)
const ITEMS: &[(&str, &str, &str, i64, i64, &str)] = &[
    (
        "electronics",
        "Wireless Headphones",
        "Over-ear headphones with 30 hours of battery and active noise cancelling.",
        8999,
        25,
        "wireless-headphones",
    ),
    (
        "electronics",
        "Bluetooth Speaker",
        "Pocket speaker, waterproof, 12 hours of music.",
        3999,
        40,
        "bluetooth-speaker",
    ),
    (
        "electronics",
        "USB-C Charger 65W",
        "Fast charger for laptops and phones, two ports.",
        2999,
        60,
        "usb-c-charger-65w",
    ),
    (
        "electronics",
        "Mechanical Keyboard",
        "Tenkeyless keyboard with tactile switches and backlight.",
        7499,
        15,
        "mechanical-keyboard",
    ),
    (
        "electronics",
        "Wireless Mouse",
        "Quiet ergonomic mouse with a year of battery.",
        1999,
        80,
        "wireless-mouse",
    ),
    (
        "electronics",
        "E-Reader",
        "Glare-free 6-inch screen, weeks of battery.",
        11999,
        12,
        "e-reader",
    ),
    (
        "books",
        "The Rust Programming Language",
        "The official book on Rust, second edition.",
        3999,
        30,
        "the-rust-programming-language",
    ),
    (
        "books",
        "Cien años de soledad",
        "Gabriel García Márquez's novel of the Buendía family.",
        1899,
        20,
        "cien-anos-de-soledad",
    ),
    (
        "books",
        "A Field Guide to Birds",
        "Illustrated guide to 800 species.",
        2499,
        18,
        "a-field-guide-to-birds",
    ),
    (
        "books",
        "The Home Cook",
        "Recipes for every day of the year.",
        2999,
        22,
        "the-home-cook",
    ),
    (
        "books",
        "Poems of the Sea",
        "An anthology of sea poetry.",
        1499,
        35,
        "poems-of-the-sea",
    ),
    (
        "books",
        "Atlas of Remote Islands",
        "Fifty islands you will never visit.",
        2199,
        14,
        "atlas-of-remote-islands",
    ),
    (
        "home",
        "Ceramic Mug",
        "Hand-glazed stoneware mug, 350 ml.",
        1299,
        100,
        "ceramic-mug",
    ),
    (
        "home",
        "Desk Lamp",
        "Adjustable LED lamp with warm and cool light.",
        3499,
        28,
        "desk-lamp",
    ),
    (
        "home",
        "Linen Throw",
        "Soft washed linen blanket, 130 x 170 cm.",
        4999,
        16,
        "linen-throw",
    ),
    (
        "home",
        "French Press",
        "Glass and steel coffee press, 1 litre.",
        2799,
        33,
        "french-press",
    ),
    (
        "home",
        "Scented Candle",
        "Cedar and fig, 40 hours of burn time.",
        1599,
        45,
        "scented-candle",
    ),
    (
        "home",
        "Wall Clock",
        "Silent quartz movement, oak frame.",
        3899,
        10,
        "wall-clock",
    ),
    (
        "clothing",
        "Merino T-Shirt",
        "Lightweight merino wool tee.",
        4499,
        50,
        "merino-t-shirt",
    ),
    (
        "clothing",
        "Rain Jacket",
        "Packable waterproof shell.",
        8999,
        20,
        "rain-jacket",
    ),
    (
        "clothing",
        "Wool Socks",
        "Three pairs of hiking socks.",
        1899,
        70,
        "wool-socks",
    ),
    (
        "clothing",
        "Canvas Sneakers",
        "Classic low-top canvas shoes.",
        5499,
        24,
        "canvas-sneakers",
    ),
    (
        "clothing",
        "Knit Beanie",
        "Warm ribbed beanie in recycled wool.",
        1999,
        55,
        "knit-beanie",
    ),
    (
        "clothing",
        "Denim Jeans",
        "Straight-fit organic cotton jeans.",
        6999,
        30,
        "denim-jeans",
    ),
    (
        "sports",
        "Yoga Mat",
        "Non-slip 6 mm mat with carry strap.",
        2999,
        40,
        "yoga-mat",
    ),
    (
        "sports",
        "Water Bottle",
        "Insulated steel bottle, 750 ml.",
        2299,
        90,
        "water-bottle",
    ),
    (
        "sports",
        "Running Cap",
        "Breathable cap with reflective trim.",
        1799,
        38,
        "running-cap",
    ),
    (
        "sports",
        "Resistance Bands",
        "Set of five bands, light to extra heavy.",
        2499,
        27,
        "resistance-bands",
    ),
    (
        "sports",
        "Tennis Balls",
        "Can of three pressurised balls.",
        699,
        120,
        "tennis-balls",
    ),
    (
        "sports",
        "Cycling Gloves",
        "Padded fingerless gloves.",
        2199,
        26,
        "cycling-gloves",
    ),
    (
        "toys",
        "Wooden Train Set",
        "Forty pieces of beech-wood track and trains.",
        4999,
        12,
        "wooden-train-set",
    ),
    (
        "toys",
        "Puzzle 1000 Pieces",
        "A map of the world's mountains.",
        1999,
        30,
        "puzzle-1000-pieces",
    ),
    ("toys", "Kite", "Delta kite, easy to fly.", 2499, 18, "kite"),
    (
        "toys",
        "Building Blocks",
        "200 colourful blocks in a tub.",
        3499,
        22,
        "building-blocks",
    ),
    (
        "toys",
        "Plush Fox",
        "Soft toy fox, 30 cm.",
        1599,
        40,
        "plush-fox",
    ),
    (
        "toys",
        "Board Game: Harbours",
        "Trade and build in a busy port, 2-4 players.",
        3999,
        16,
        "board-game-harbours",
    ),
];

/// The demo product sold in sizes and colours, to show variants.
const SIZED: &str = "merino-t-shirt";

/// The demo products, created one millisecond apart so their order is
/// stable. Each goes through the same validation as an admin's input.
pub fn catalog(currency: &str, at: Timestamp) -> Vec<Product> {
    let start = to_millis(at);
    ITEMS
        .iter()
        .enumerate()
        .filter_map(|(i, (category, name, description, price, stock, photo))| {
            let created = from_millis(start + i as i64);
            let (options, variants) = if *photo == SIZED {
                sizes_and_colours(*price, *stock)
            } else {
                (Vec::new(), Vec::new())
            };
            let input = ProductInput {
                name: (*name).to_owned(),
                description: (*description).to_owned(),
                category: (*category).to_owned(),
                price: *price,
                currency: Some(currency.to_owned()),
                photo_url: format!("/static/photos/{photo}.svg"),
                stock: Some(*stock),
                // Books pay the reduced rate (as in Spain, 4-10%).
                tax_class: (*category == "books").then_some(TaxClass::Reduced),
                weight: None,
                options,
                variants,
                low_stock_threshold: None,
            };
            let fields = input.validate(currency, None).ok()?;
            Some(Product::from_fields(new_id(), fields, created))
        })
        .collect()
}

/// Size × colour for the T-shirt: `stock` units spread over the eight
/// variants, XL a little dearer.
fn sizes_and_colours(price: i64, stock: i64) -> (Vec<ProductOption>, Vec<VariantInput>) {
    let sizes = ["S", "M", "L", "XL"];
    let colours = ["black", "navy"];
    let each = stock / 8;
    let options = vec![
        ProductOption {
            name: "Size".into(),
            values: sizes.map(String::from).to_vec(),
        },
        ProductOption {
            name: "Colour".into(),
            values: colours.map(String::from).to_vec(),
        },
    ];
    let mut variants = Vec::new();
    for size in sizes {
        for colour in colours {
            let first = variants.is_empty();
            variants.push(VariantInput {
                id: None,
                sku: Some(format!("TEE-{size}-{}", colour.to_ascii_uppercase())),
                options: BTreeMap::from([
                    ("Size".to_owned(), size.to_owned()),
                    ("Colour".to_owned(), colour.to_owned()),
                ]),
                price: (size == "XL").then_some(price + 500),
                stock: if first { stock - each * 7 } else { each },
                weight: None,
                photo_id: None,
            });
        }
    }
    (options, variants)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_catalog_is_big_enough_and_valid() {
        let products = catalog("EUR", crate::domain::now());
        assert_eq!(products.len(), ITEMS.len(), "a demo item does not validate");
        let mut categories: Vec<_> = products.iter().map(|p| p.category.clone()).collect();
        categories.sort();
        categories.dedup();
        assert!(categories.len() >= 5);
        let tee = products
            .iter()
            .find(|p| p.name == "Merino T-Shirt")
            .expect("the T-shirt");
        assert_eq!((tee.options.len(), tee.sold_variants().count()), (2, 8));
        assert_eq!(tee.price_range(), (4499, 4999));
        assert_eq!(tee.stock, 50);
        for p in products {
            let file = p.photo_url.trim_start_matches('/');
            assert!(std::path::Path::new(file).is_file(), "missing photo {file}");
        }
    }
}
