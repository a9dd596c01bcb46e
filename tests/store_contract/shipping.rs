//! Shipping methods as the admin manages them, and what a checkout takes
//! from them and from the catalog: the method and its price, the taxes by
//! country and tax class, the cart's weight.

use std::sync::Arc;

use tienda::domain::address::Address;
use tienda::domain::catalog::Product;
use tienda::domain::checkout::CheckoutRules;
use tienda::domain::orders::{OrderFilter, OrderStatus};
use tienda::domain::payments::{PaymentMethod, PaymentStatus};
use tienda::domain::pricing::TaxLine;
use tienda::domain::shipping::{ShippingMethod, ShippingQuote, ShippingZone, WeightBand};
use tienda::domain::tax::{CountryRates, TaxClass, TaxTable};
use tienda::domain::Page;
use tienda::i18n::Locale;
use tienda::store::{Store, StoreError};

use crate::support::{
    checkout, line, outbox_count, product, read_product, standard_shipping, stock_of, stocked, t,
    STANDARD,
};

const ANA: &str = "ana@example.com";
const BOB: &str = "bob@example.com";

/// A zone at a flat price.
pub fn zone(name: &str, countries: &[&str], price: i64) -> ShippingZone {
    ShippingZone {
        name: name.to_owned(),
        countries: countries.iter().map(|c| (*c).to_owned()).collect(),
        price,
        free_above: None,
        weight_bands: Vec::new(),
    }
}

/// A method with these zones at `position`.
pub fn method(id: &str, name: &str, position: i64, zones: Vec<ShippingZone>) -> ShippingMethod {
    ShippingMethod {
        id: id.to_owned(),
        name: name.to_owned(),
        zones,
        position,
    }
}

/// Spain's rates: 21% standard, 10% reduced.
pub fn spain_rules(prices_include_tax: bool) -> Arc<CheckoutRules> {
    Arc::new(CheckoutRules {
        taxes: TaxTable::new([(
            "ES".to_owned(),
            CountryRates {
                standard: 2100,
                reduced: Some(1000),
            },
        )]),
        prices_include_tax,
        default_country: "ES".to_owned(),
        default_shipping: None,
    })
}

/// A structured address in `country`.
pub fn address(name: &str, country: &str) -> Address {
    Address {
        name: name.to_owned(),
        line1: "Calle Mayor 1".to_owned(),
        line2: "3º B".to_owned(),
        city: "Madrid".to_owned(),
        postal_code: "28013".to_owned(),
        region: "Madrid".to_owned(),
        country: country.to_owned(),
        phone: "+34 600 123 456".to_owned(),
    }
}

async fn methods(store: &Arc<dyn Store>) -> Vec<ShippingMethod> {
    store.shipping_methods().await.expect("shipping methods")
}

/// Put, list (by position, then id), replace and delete, every field read
/// back as it was put.
pub async fn shipping_methods_crud(store: Arc<dyn Store>) {
    assert_eq!(
        methods(&store).await,
        vec![standard_shipping()],
        "a fresh store"
    );
    let express = method(
        "express",
        "Express (24 h)",
        2,
        vec![
            zone("Peninsula", &["ES", "PT"], 995),
            ShippingZone {
                free_above: Some(10_000),
                ..zone("Rest of the world", &[], 2495)
            },
        ],
    );
    let economy = method(
        "economy",
        "Economy",
        1,
        vec![ShippingZone {
            name: "EU".to_owned(),
            countries: vec!["ES".into(), "FR".into(), "DE".into()],
            price: 0,
            free_above: Some(5000),
            weight_bands: vec![
                WeightBand {
                    up_to_grams: 1000,
                    price: 300,
                },
                WeightBand {
                    up_to_grams: 5000,
                    price: 700,
                },
            ],
        }],
    );
    let b_second = method("b-second", "Courier B", 1, vec![zone("All", &[], 500)]);
    let a_first = method("a-first", "Courier A", 1, vec![zone("All", &[], 600)]);
    let pickup = method(
        "pickup",
        "Pick up in the shop",
        -1,
        vec![zone("ES", &["ES"], 0)],
    );
    for m in [&express, &economy, &b_second, &a_first, &pickup] {
        store.put_shipping_method(m).await.expect("put");
    }
    let listed = methods(&store).await;
    assert_eq!(
        listed,
        vec![
            pickup.clone(),
            standard_shipping(),
            a_first.clone(),
            b_second.clone(),
            economy.clone(),
            express.clone()
        ],
        "by position, then id"
    );

    // Putting an id again replaces that method, its position too.
    let economy2 = method(
        "economy",
        "Economy (slow)",
        3,
        vec![zone("Iberia", &["ES", "PT"], 250)],
    );
    store.put_shipping_method(&economy2).await.expect("replace");
    assert_eq!(
        methods(&store).await,
        vec![
            pickup.clone(),
            standard_shipping(),
            a_first.clone(),
            b_second.clone(),
            express.clone(),
            economy2.clone()
        ],
        "replaced, not added"
    );

    assert!(store
        .delete_shipping_method("a-first")
        .await
        .expect("delete"));
    assert!(!store
        .delete_shipping_method("a-first")
        .await
        .expect("delete again"));
    assert!(!store
        .delete_shipping_method("never-was")
        .await
        .expect("delete unknown"));
    assert_eq!(
        methods(&store).await,
        vec![pickup, standard_shipping(), b_second, express, economy2]
    );
}

/// A checkout snapshots the method, its price, the taxes by the rules, the
/// structured address, the payment and the language into the order, and
/// every read gives the same order back.
pub async fn checkout_snapshots_shipping_taxes_and_payment(store: Arc<dyn Store>) {
    let flat = method(
        "flat",
        "Flat rate",
        1,
        vec![zone("Iberia", &["ES", "PT"], 495)],
    );
    store.put_shipping_method(&flat).await.expect("put");
    let lamp = stocked(&store, "Lamp", 1500, 10).await;
    let home = address("Ana García", "ES");

    // EU style: €30.00 of goods and €4.95 shipping, both including 21%:
    // 3495 × 2100 / 12100 = 606.57… → 607 of tax inside a total of 3495.
    store
        .add_to_cart(ANA, line(&lamp.id), 2, t(1))
        .await
        .expect("add");
    store
        .set_delivery_address(ANA, &home, t(2))
        .await
        .expect("address");
    let mut c = checkout(ANA, None, t(10));
    c.shipping_method = Some("flat".into());
    c.rules = spain_rules(true);
    c.locale = Locale::Es;
    let order = store.place_order(c).await.expect("checkout").order;
    assert_eq!(order.number, 1001);
    assert_eq!(order.status, OrderStatus::AwaitingPayment);
    assert_eq!(order.subtotal, 3000);
    assert_eq!(
        order.shipping,
        ShippingQuote {
            method: "flat".into(),
            name: "Flat rate".into(),
            price: 495
        }
    );
    assert_eq!(
        order.taxes,
        vec![TaxLine {
            rate: 2100,
            amount: 607
        }]
    );
    assert!(order.prices_include_tax);
    assert_eq!(order.total, 3495);
    assert_eq!(order.delivery_address, home);
    assert_eq!(order.payment.method, PaymentMethod::BankTransfer);
    assert_eq!(order.payment.status, PaymentStatus::Pending);
    assert_eq!(order.payment.reference, "ORDER-1001");
    assert_eq!((order.payment.paid, order.payment.refunded), (0, 0));
    assert_eq!(order.payment.hold_until, None, "only a card order holds");
    assert_eq!(order.locale, Locale::Es);

    // US style, cash on delivery: the same goods and shipping net, 21% on
    // top: 3495 × 2100 / 10000 = 733.95 → 734, total 3495 + 734 = 4229.
    let bobs_home = Address {
        country: "PT".into(),
        ..address("Bob Martin", "PT")
    };
    store
        .add_to_cart(BOB, line(&lamp.id), 2, t(20))
        .await
        .expect("add");
    let mut c = checkout(BOB, None, t(30));
    c.delivery_address = Some(bobs_home.clone());
    c.shipping_method = Some("flat".into());
    c.payment_method = PaymentMethod::CashOnDelivery;
    c.rules = Arc::new(CheckoutRules {
        taxes: TaxTable::new([(
            "PT".to_owned(),
            CountryRates {
                standard: 2100,
                reduced: None,
            },
        )]),
        ..(*spain_rules(false)).clone()
    });
    let bobs = store.place_order(c).await.expect("checkout").order;
    assert_eq!(bobs.number, 1002);
    assert_eq!((bobs.subtotal, bobs.shipping.price), (3000, 495));
    assert_eq!(
        bobs.taxes,
        vec![TaxLine {
            rate: 2100,
            amount: 734
        }]
    );
    assert!(!bobs.prices_include_tax);
    assert_eq!(bobs.total, 4229);
    assert_eq!(bobs.delivery_address, bobs_home);
    assert_eq!(bobs.payment.method, PaymentMethod::CashOnDelivery);
    assert_eq!(bobs.payment.status, PaymentStatus::OnDelivery);
    assert_eq!(bobs.payment.reference, "ORDER-1002");
    assert_eq!(bobs.locale, Locale::En);

    // Every read answers the orders as placed.
    assert_eq!(
        store.get_order(1001).await.expect("get"),
        Some(order.clone())
    );
    assert_eq!(
        store.get_order(1002).await.expect("get"),
        Some(bobs.clone())
    );
    let (listed, total) = store
        .list_orders(&OrderFilter::default(), Page::default())
        .await
        .expect("list");
    assert_eq!(total, 2);
    assert_eq!(listed, vec![bobs, order]);
    // A later change of the method leaves the orders' snapshots alone.
    let dearer = method("flat", "Flat rate (new)", 1, vec![zone("All", &[], 999)]);
    store.put_shipping_method(&dearer).await.expect("replace");
    let again = store.get_order(1001).await.expect("get").expect("order");
    assert_eq!((again.shipping.price, again.total), (495, 3495));
}

/// No method ships there: `NoShipping`, and nothing changes (no stock, no
/// order number, no mail, the cart kept).
pub async fn no_shipping_method_refuses_and_changes_nothing(store: Arc<dyn Store>) {
    // The shop ships to Iberia only (the standard method replaced), and
    // by courier to France.
    let iberia = method(
        STANDARD,
        "Standard",
        0,
        vec![zone("Iberia", &["ES", "PT"], 0)],
    );
    store.put_shipping_method(&iberia).await.expect("replace");
    let courier = method("courier", "Courier", 1, vec![zone("France", &["FR"], 1200)]);
    store.put_shipping_method(&courier).await.expect("put");
    let lamp = stocked(&store, "Lamp", 1500, 5).await;
    store
        .add_to_cart(ANA, line(&lamp.id), 2, t(1))
        .await
        .expect("add");
    store
        .set_delivery_address(ANA, &address("Ana", "JP"), t(2))
        .await
        .expect("address");
    let cart = store.get_cart(ANA).await.expect("cart");

    let refusals = [
        (
            None,
            "JP",
            StoreError::NoShipping {
                method: None,
                country: "JP".into(),
            },
        ),
        (
            Some("courier"),
            "ES",
            StoreError::NoShipping {
                method: Some("courier".into()),
                country: "ES".into(),
            },
        ),
        (
            Some("nope"),
            "ES",
            StoreError::NoShipping {
                method: Some("nope".into()),
                country: "ES".into(),
            },
        ),
    ];
    for (i, (asked, country, expected)) in refusals.into_iter().enumerate() {
        let mut c = checkout(ANA, None, t(10 + i as i64));
        c.shipping_method = asked.map(str::to_owned);
        c.delivery_address = Some(address("Ana", country));
        c.rules = spain_rules(true);
        let err = store.place_order(c).await.expect_err("no shipping");
        assert_eq!(format!("{err:?}"), format!("{expected:?}"));
        assert_eq!(stock_of(&store, &lamp.id).await, 5, "no stock taken");
        assert_eq!(store.get_cart(ANA).await.expect("cart"), cart, "cart kept");
        assert_eq!(outbox_count(&store).await, 0, "no mail");
        assert_eq!(store.get_order(1001).await.expect("get"), None);
    }

    // The cart's own address (Japan) is refused too; then to France by
    // courier the order takes the first number.
    let mut c = checkout(ANA, None, t(20));
    c.rules = spain_rules(true);
    assert!(matches!(
        store.place_order(c).await,
        Err(StoreError::NoShipping { method: None, ref country }) if country == "JP"
    ));
    let mut c = checkout(ANA, None, t(30));
    c.delivery_address = Some(address("Ana", "FR"));
    c.rules = spain_rules(true);
    let order = store.place_order(c).await.expect("checkout").order;
    assert_eq!(order.number, 1001, "the refusals used no number");
    assert_eq!(
        order.shipping.method, "courier",
        "the first that ships there"
    );
    assert_eq!(order.shipping.price, 1200);
    assert!(order.taxes.is_empty(), "no rates for France");
    assert_eq!(order.total, 3000 + 1200);
    assert_eq!(stock_of(&store, &lamp.id).await, 3);
}

/// A reduced-rate book with its weight, a lamp whose variant weighs its
/// own: stored and read back on every read, and priced by the checkout.
pub async fn weight_and_tax_class_from_the_catalog(store: Arc<dyn Store>) {
    let mut book = product("Book", "books", 2000, 10, t(0));
    book.tax_class = TaxClass::Reduced;
    book.weight = Some(400);
    let mut lamp: Product = product("Lamp", "home", 1000, 10, t(1));
    lamp.weight = Some(1000);
    lamp.variants[0].weight = Some(1500);
    store.insert_product(&book).await.expect("insert");
    store.insert_product(&lamp).await.expect("insert");

    assert_eq!(read_product(&store, &book.id).await.as_ref(), Some(&book));
    assert_eq!(read_product(&store, &lamp.id).await.as_ref(), Some(&lamp));
    let ids = vec![book.id.clone(), lamp.id.clone()];
    assert_eq!(
        store.get_products(&ids).await.expect("get products"),
        vec![book.clone(), lamp.clone()]
    );
    let listed = store
        .list_products(None, Page::default())
        .await
        .expect("list");
    assert_eq!(listed.items, vec![book.clone(), lamp.clone()]);
    let scanned = store.scan_products(None, 10).await.expect("scan");
    assert!(scanned.contains(&book) && scanned.contains(&lamp));

    // A replace changes them, and a weight can be taken away again.
    let mut fields = crate::support::fields(&lamp, lamp.price, lamp.stock);
    fields.tax_class = TaxClass::Reduced;
    fields.weight = None;
    fields.variants[0].weight = Some(2500);
    let replaced = store
        .replace_product(&lamp.id, &fields, t(2))
        .await
        .expect("replace")
        .expect("lamp");
    assert_eq!(
        (
            replaced.tax_class,
            replaced.weight,
            replaced.variants[0].weight
        ),
        (TaxClass::Reduced, None, Some(2500))
    );
    assert_eq!(read_product(&store, &lamp.id).await, Some(replaced));
    let mut fields = crate::support::fields(&lamp, lamp.price, lamp.stock);
    fields.variants[0].weight = Some(1500);
    let lamp = store
        .replace_product(&lamp.id, &fields, t(3))
        .await
        .expect("replace back")
        .expect("lamp");
    assert_eq!(lamp.weight, Some(1000));
    assert_eq!(lamp.tax_class, TaxClass::Standard);

    // Parcels by weight to Spain. Two books (2 × 400 g, the product's
    // weight) and the lamp (1500 g, its variant's own, not the product's
    // 1000 g) weigh 2300 g: the 5 kg band, 900. (1800 g would be 500, no
    // weight at all 300.)
    let parcel = method(
        "parcel",
        "Parcel",
        5,
        vec![ShippingZone {
            name: "Spain".into(),
            countries: vec!["ES".into()],
            price: 0,
            free_above: None,
            weight_bands: vec![
                WeightBand {
                    up_to_grams: 1000,
                    price: 300,
                },
                WeightBand {
                    up_to_grams: 2000,
                    price: 500,
                },
                WeightBand {
                    up_to_grams: 5000,
                    price: 900,
                },
            ],
        }],
    );
    store.put_shipping_method(&parcel).await.expect("put");
    store
        .add_to_cart(ANA, line(&book.id), 2, t(4))
        .await
        .expect("add books");
    store
        .add_to_cart(ANA, line(&lamp.id), 1, t(5))
        .await
        .expect("add lamp");
    let mut c = checkout(ANA, None, t(10));
    c.delivery_address = Some(address("Ana", "ES"));
    c.shipping_method = Some("parcel".into());
    c.rules = spain_rules(true);
    let order = store.place_order(c).await.expect("checkout").order;
    // Gross amounts: at 21% the lamp 1000 and shipping 900, 1900 × 2100 /
    // 12100 = 329.75… → 330; at 10% the books 4000 × 1000 / 11000 =
    // 363.63… → 364. Highest rate first.
    assert_eq!(order.subtotal, 5000);
    assert_eq!(order.shipping.price, 900, "priced by 2300 g");
    assert_eq!(
        order.taxes,
        vec![
            TaxLine {
                rate: 2100,
                amount: 330
            },
            TaxLine {
                rate: 1000,
                amount: 364
            }
        ]
    );
    assert_eq!(order.total, 5900);
    assert_eq!(
        store.get_order(order.number).await.expect("get"),
        Some(order)
    );
}
