use std::sync::Arc;

use tienda::domain::catalog::ProductFields;
use tienda::domain::new_id;
use tienda::store::{Store, StoreError};

use crate::support::{checkout, fields, product, read_product, ready_cart, stocked, t, user};

/// An import writes every create and update, or, when one fails, none.
pub async fn import_is_all_or_nothing(store: Arc<dyn Store>) {
    let lamp = product("Lamp", "home", 1999, 3, t(0));
    let mug = product("Mug", "kitchen", 899, 10, t(1));
    store.insert_product(&lamp).await.expect("insert lamp");
    store.insert_product(&mug).await.expect("insert mug");

    let kite = product("Kite", "toys", 2500, 4, t(2));
    let brighter = ProductFields {
        name: "Brighter lamp".into(),
        ..fields(&lamp, 2100, 6)
    };
    store
        .import_products(vec![kite.clone()], vec![(lamp.id.clone(), brighter)], t(10))
        .await
        .expect("import");
    assert_eq!(read_product(&store, &kite.id).await, Some(kite.clone()));
    let now = read_product(&store, &lamp.id).await.expect("lamp");
    assert_eq!(
        (now.name.as_str(), now.price, now.stock, now.updated_at),
        ("Brighter lamp", 2100, 6, t(10))
    );

    // The create's SKU is the mug's: the lamp's update goes back too.
    let mut thief = product("Thief", "misc", 100, 1, t(3));
    thief.variants[0].sku = mug.variants[0].sku.clone();
    let renamed = ProductFields {
        name: "Renamed".into(),
        ..fields(&now, 1, 1)
    };
    let refused = store
        .import_products(vec![thief.clone()], vec![(lamp.id.clone(), renamed)], t(20))
        .await
        .expect_err("a SKU of another product");
    assert!(
        matches!(refused, StoreError::SkuTaken { .. }),
        "{refused:?}"
    );
    assert_eq!(read_product(&store, &lamp.id).await, Some(now.clone()));
    assert_eq!(read_product(&store, &thief.id).await, None);

    // An update of a product that is gone refuses and writes nothing.
    let ghost = product("Ghost", "misc", 1, 1, t(4));
    let other = product("Other", "misc", 1, 1, t(5));
    let refused = store
        .import_products(
            vec![other.clone()],
            vec![(new_id(), fields(&ghost, 1, 1))],
            t(30),
        )
        .await
        .expect_err("unknown product");
    assert!(
        matches!(refused, StoreError::ProductNotFound { .. }),
        "{refused:?}"
    );
    assert_eq!(read_product(&store, &other.id).await, None);
    let all = store.scan_products(None, 100).await.expect("scan");
    assert_eq!(all.len(), 3, "lamp, mug, kite");
}

/// `scan_orders` and `scan_users` read everything in bounded pieces, in
/// number and id order.
pub async fn scan_orders_and_users_in_pages(store: Arc<dyn Store>) {
    let mut ids = Vec::new();
    for i in 0..5 {
        let u = user(&format!("u{i}@example.com"));
        store.create_user(&u, &[]).await.expect("user");
        ids.push(u.id);
    }
    ids.sort();
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.scan_users(after.as_deref(), 2).await.expect("scan");
        assert!(page.len() <= 2);
        let Some(last) = page.last() else { break };
        after = Some(last.id.clone());
        seen.extend(page.into_iter().map(|u| u.id));
    }
    assert_eq!(seen, ids);

    let lamp = stocked(&store, "Lamp", 1000, 10).await;
    let mut numbers = Vec::new();
    for i in 0..3 {
        let email = format!("buyer{i}@example.com");
        ready_cart(&store, &email, &lamp, 1).await;
        let placed = store
            .place_order(checkout(&email, None, t(100 + i)))
            .await
            .expect("checkout");
        numbers.push(placed.order.number);
    }
    let first = store.scan_orders(0, 2).await.expect("scan orders");
    assert_eq!(
        first.iter().map(|o| o.number).collect::<Vec<_>>(),
        numbers[..2]
    );
    assert_eq!(first[0].email, "buyer0@example.com");
    let rest = store.scan_orders(numbers[1], 2).await.expect("scan orders");
    assert_eq!(
        rest.iter().map(|o| o.number).collect::<Vec<_>>(),
        numbers[2..]
    );
    assert!(store
        .scan_orders(numbers[2], 2)
        .await
        .expect("scan orders")
        .is_empty());
}
