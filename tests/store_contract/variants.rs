//! Products sold in sizes and colours: each variant's own stock, SKUs
//! unique across the shop, and variants archived instead of deleted.

use std::collections::BTreeMap;
use std::sync::Arc;

use tienda::domain::cart::CartView;
use tienda::domain::catalog::{Product, ProductInput, ProductOption, VariantInput};
use tienda::domain::orders::OrderStatus;
use tienda::domain::photos::ProductPhoto;
use tienda::domain::{new_id, Page};
use tienda::store::{LineRef, Store, StoreError};

use crate::support::{checkout, home, read_product, set_status, t};

const ANA: &str = "ana@example.com";

fn tee_input(skus: &str, variants: &[(&str, &str, i64)]) -> ProductInput {
    ProductInput {
        name: "Tee".into(),
        description: "Cotton".into(),
        category: "clothing".into(),
        price: 1500,
        currency: None,
        photo_url: String::new(),
        stock: None,
        tax_class: None,
        weight: None,
        options: vec![
            ProductOption {
                name: "Size".into(),
                values: vec!["S".into(), "M".into()],
            },
            ProductOption {
                name: "Colour".into(),
                values: vec!["red".into(), "blue".into()],
            },
        ],
        variants: variants
            .iter()
            .map(|(size, colour, stock)| VariantInput {
                id: None,
                sku: Some(format!("{skus}-{size}-{colour}")),
                options: BTreeMap::from([
                    ("Size".to_owned(), (*size).to_owned()),
                    ("Colour".to_owned(), (*colour).to_owned()),
                ]),
                price: (*size == "M").then_some(1700),
                stock: *stock,
                weight: None,
                photo_id: None,
            })
            .collect(),
        low_stock_threshold: None,
    }
}

/// A T-shirt in S/red, M/blue and M/red, stored.
async fn tee(store: &Arc<dyn Store>, skus: &str, stock: i64) -> Product {
    let fields = tee_input(
        skus,
        &[
            ("S", "red", stock),
            ("M", "blue", stock),
            ("M", "red", stock),
        ],
    )
    .validate("EUR", None)
    .expect("a valid tee");
    let product = Product::from_fields(new_id(), fields, t(0));
    store.insert_product(&product).await.expect("insert tee");
    product
}

fn variant<'p>(p: &'p Product, size: &str, colour: &str) -> LineRef<'p> {
    let v = p
        .variants
        .iter()
        .find(|v| v.options["Size"] == size && v.options["Colour"] == colour)
        .expect("that variant");
    LineRef {
        product_id: &p.id,
        variant_id: &v.id,
    }
}

fn stock_of(p: &Product, variant_id: &str) -> i64 {
    p.variant(variant_id).expect("variant").stock
}

pub async fn variants_round_trip_on_every_read(store: Arc<dyn Store>) {
    let tee = tee(&store, "TEE", 4).await;
    assert_eq!(tee.stock, 12, "the product's stock is its variants' sum");
    let read = read_product(&store, &tee.id).await.expect("the tee");
    assert_eq!(read, tee);
    assert_eq!(read.price_range(), (1500, 1700));
    assert_eq!(
        read.variant_title(
            read.variant(variant(&tee, "M", "blue").variant_id)
                .expect("m/blue")
        ),
        "M / blue"
    );
    let listed = store
        .list_products(Some("clothing"), Page::default())
        .await
        .expect("list");
    assert_eq!(listed.value().items, vec![tee.clone()]);
    let scanned = store.scan_products(None, 10).await.expect("scan");
    assert_eq!(scanned, vec![tee.clone()]);
    let many = store
        .get_products(std::slice::from_ref(&tee.id))
        .await
        .expect("many");
    assert_eq!(many, vec![tee]);
}

pub async fn racing_checkouts_take_one_variants_stock_only(store: Arc<dyn Store>) {
    let tee = tee(&store, "RACE", 10).await;
    let m_blue = variant(&tee, "M", "blue");
    let customers: Vec<String> = (0..50).map(|i| format!("c{i}@example.com")).collect();
    for c in &customers {
        store.add_to_cart(c, m_blue, 1, t(1)).await.expect("add");
        store
            .set_delivery_address(c, &home(), t(2))
            .await
            .expect("address");
    }
    let tasks: Vec<_> = customers
        .iter()
        .map(|c| {
            let (store, c) = (store.clone(), c.clone());
            tokio::spawn(async move { store.place_order(checkout(&c, None, t(10))).await })
        })
        .collect();
    let (mut placed, mut refused) = (Vec::new(), 0);
    for task in tasks {
        match task.await.expect("join") {
            Ok(p) => placed.push(p.order),
            Err(StoreError::InsufficientStock { variant_id, .. }) => {
                assert_eq!(variant_id, m_blue.variant_id);
                refused += 1;
            }
            Err(other) => panic!("unexpected checkout error: {other:?}"),
        }
    }
    assert_eq!(
        (placed.len(), refused),
        (10, 40),
        "exactly the 10 units sold"
    );
    let item = &placed[0].items[0];
    assert_eq!(item.variant_id, m_blue.variant_id);
    assert_eq!(
        (item.sku.as_str(), item.variant.as_str()),
        ("RACE-M-BLUE", "M / blue")
    );
    assert_eq!(item.unit_price, 1700, "the variant's own price");
    let now = read_product(&store, &tee.id).await.expect("tee");
    assert_eq!(stock_of(&now, m_blue.variant_id), 0);
    assert_eq!(
        stock_of(&now, variant(&tee, "S", "red").variant_id),
        10,
        "untouched"
    );
    assert_eq!(
        stock_of(&now, variant(&tee, "M", "red").variant_id),
        10,
        "untouched"
    );
    assert_eq!(now.stock, 20);
}

pub async fn removed_variants_are_archived_not_deleted(store: Arc<dyn Store>) {
    let tee = tee(&store, "ARC", 5).await;
    let s_red = variant(&tee, "S", "red");
    let m_blue = variant(&tee, "M", "blue");
    // Ana bought an S/red and has another in her cart, with an M/blue.
    store.add_to_cart(ANA, s_red, 1, t(1)).await.expect("add");
    store
        .set_delivery_address(ANA, &home(), t(2))
        .await
        .expect("address");
    let bought = store
        .place_order(checkout(ANA, None, t(3)))
        .await
        .expect("checkout")
        .order;
    store
        .add_to_cart(ANA, s_red, 2, t(4))
        .await
        .expect("add again");
    store
        .add_to_cart(ANA, m_blue, 1, t(5))
        .await
        .expect("add m/blue");
    store
        .set_delivery_address(ANA, &home(), t(5))
        .await
        .expect("address");

    // The admin stops selling S/red (the catalog replaces what it reads now).
    let current = read_product(&store, &tee.id).await.expect("tee");
    let fields = tee_input("ARC", &[("M", "blue", 5), ("M", "red", 5)])
        .validate("EUR", Some(&current))
        .expect("valid replace");
    let replaced = store
        .replace_product(&tee.id, &fields, t(6))
        .await
        .expect("replace")
        .expect("exists");
    let archived = replaced.variant(s_red.variant_id).expect("kept");
    assert!(archived.archived, "archived, not deleted");
    assert_eq!(
        replaced.variant(m_blue.variant_id).map(|v| v.archived),
        Some(false)
    );
    assert_eq!(replaced.stock, 10, "archived stock is not for sale");

    let (cart, products) = store.get_cart_with_products(ANA).await.expect("cart");
    let methods = store.shipping_methods().await.expect("shipping methods");
    let rules = checkout(ANA, None, t(7)).rules;
    let view = CartView::build(ANA, cart.as_ref(), &products, "EUR", &methods, &rules);
    let line = view
        .items
        .iter()
        .find(|l| l.variant_id == s_red.variant_id)
        .expect("line kept");
    assert!(!line.available, "an archived variant's line is unavailable");
    assert!(!view.ready);
    match store.add_to_cart(ANA, s_red, 1, t(7)).await {
        Err(StoreError::VariantNotSold { variant_id, .. }) => {
            assert_eq!(variant_id, s_red.variant_id)
        }
        other => panic!("expected VariantNotSold, got {other:?}"),
    }
    match store.place_order(checkout(ANA, None, t(8))).await {
        Err(StoreError::VariantNotSold { .. }) => {}
        other => panic!("expected VariantNotSold, got {other:?}"),
    }
    // The past order keeps its snapshot; cancelling it gives the unit back
    // to the archived variant, not to what is for sale.
    let order = store
        .get_order(bought.number)
        .await
        .expect("get")
        .expect("order");
    assert_eq!(order.items, bought.items);
    set_status(&store, bought.number, OrderStatus::Cancelled, ANA, t(9))
        .await
        .expect("cancel");
    let now = read_product(&store, &tee.id).await.expect("tee");
    assert_eq!(stock_of(&now, s_red.variant_id), 5);
    assert_eq!(now.stock, 10);
    // Removing the archived line still works.
    let cart = store
        .remove_from_cart(ANA, s_red.variant_id, t(10))
        .await
        .expect("remove");
    assert_eq!(cart.items.len(), 1);
}

pub async fn skus_are_unique_across_the_shop(store: Arc<dyn Store>) {
    let first = tee(&store, "DUP", 1).await;
    let again = tee_input("DUP", &[("S", "red", 1)])
        .validate("EUR", None)
        .expect("valid on its own");
    let second = Product::from_fields(new_id(), again, t(1));
    match store.insert_product(&second).await {
        Err(StoreError::SkuTaken { sku }) => assert_eq!(sku, "DUP-S-RED"),
        other => panic!("expected SkuTaken, got {other:?}"),
    }
    assert_eq!(
        read_product(&store, &second.id).await,
        None,
        "nothing stored"
    );

    let other = tee(&store, "OTHER", 1).await;
    let stealing = tee_input("DUP", &[("M", "blue", 1)])
        .validate("EUR", Some(&other))
        .expect("valid on its own");
    match store.replace_product(&other.id, &stealing, t(2)).await {
        Err(StoreError::SkuTaken { sku }) => assert_eq!(sku, "DUP-M-BLUE"),
        other => panic!("expected SkuTaken, got {other:?}"),
    }
    assert_eq!(
        read_product(&store, &other.id).await,
        Some(other),
        "unchanged"
    );
    // A product may swap SKUs among its own variants.
    let swapped = {
        let mut input = tee_input("DUP", &[("S", "red", 1), ("M", "blue", 1), ("M", "red", 1)]);
        for (v, id) in input.variants.iter_mut().zip(&first.variants) {
            v.id = Some(id.id.clone());
        }
        let (a, b) = (input.variants[0].sku.clone(), input.variants[1].sku.clone());
        input.variants[0].sku = b;
        input.variants[1].sku = a;
        input.validate("EUR", Some(&first)).expect("valid swap")
    };
    let stored = store
        .replace_product(&first.id, &swapped, t(3))
        .await
        .expect("swap")
        .expect("exists");
    assert_eq!(stored.variants[0].sku, "DUP-M-BLUE");
}

pub async fn product_photos_are_stored_in_order(store: Arc<dyn Store>) {
    let tee = tee(&store, "PIC", 1).await;
    let photos = vec![
        ProductPhoto {
            id: new_id(),
            width: 1200,
            height: 800,
        },
        ProductPhoto {
            id: new_id(),
            width: 400,
            height: 400,
        },
    ];
    let stored = store
        .set_product_photos(&tee.id, &photos, "/photos/first", t(5))
        .await
        .expect("set photos")
        .expect("exists");
    assert_eq!(stored.photos, photos);
    assert_eq!(stored.photo_url, "/photos/first");
    assert_eq!(stored.updated_at, t(5));
    assert_eq!(read_product(&store, &tee.id).await, Some(stored));
    assert_eq!(
        store
            .set_product_photos(&new_id(), &photos, "", t(6))
            .await
            .expect("no such product"),
        None
    );
}
