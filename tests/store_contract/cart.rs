use std::sync::Arc;

use tienda::domain::address::Address;
use tienda::domain::new_id;
use tienda::store::{Store, StoreError};

use crate::support;
use crate::support::{line, stocked, t};

const ANA: &str = "ana@example.com";

pub async fn add_raise_and_refusals(store: Arc<dyn Store>) {
    let lamp = stocked(&store, "Lamp", 1999, 5).await;
    assert_eq!(store.get_cart(ANA).await.expect("no cart yet"), None);

    let cart = store
        .add_to_cart(ANA, line(&lamp.id), 2, t(10))
        .await
        .expect("add");
    assert_eq!(cart.email, ANA);
    assert_eq!(cart.items.len(), 1);
    assert_eq!(cart.items[0].product_id, lamp.id);
    assert_eq!(cart.items[0].quantity, 2);
    assert_eq!(cart.items[0].added_at, t(10));
    assert_eq!((cart.created_at, cart.updated_at), (t(10), t(10)));

    let cart = store
        .add_to_cart(ANA, line(&lamp.id), 3, t(20))
        .await
        .expect("raise");
    assert_eq!(cart.items.len(), 1, "same product raises its line");
    assert_eq!(cart.items[0].quantity, 5);
    assert_eq!((cart.created_at, cart.updated_at), (t(10), t(20)));
    assert_eq!(
        store.get_cart(ANA).await.expect("get").as_ref(),
        Some(&cart)
    );

    let err = store
        .add_to_cart(ANA, line(&lamp.id), 1, t(30))
        .await
        .expect_err("over stock");
    match err {
        StoreError::InsufficientStock {
            product_id,
            available,
            requested,
            ..
        } => {
            assert_eq!(product_id, lamp.id);
            assert_eq!(available, 5);
            assert_eq!(requested, 6, "the line quantity that was wanted");
        }
        other => panic!("expected InsufficientStock, got {other:?}"),
    }

    let ghost = new_id();
    let err = store
        .add_to_cart(ANA, line(&ghost), 1, t(40))
        .await
        .expect_err("unknown product");
    assert!(
        matches!(&err, StoreError::ProductNotFound { product_id } if *product_id == ghost),
        "got {err:?}"
    );
    assert_eq!(
        store.get_cart(ANA).await.expect("get").as_ref(),
        Some(&cart),
        "refusals leave the cart as it was"
    );

    // Another customer's cart is separate.
    let bob = store
        .add_to_cart("bob@example.com", line(&lamp.id), 1, t(50))
        .await
        .expect("bob adds");
    assert_eq!(bob.items[0].quantity, 1);
    assert_eq!(
        store.get_cart(ANA).await.expect("get").expect("ana").items[0].quantity,
        5
    );
}

pub async fn set_remove_and_address(store: Arc<dyn Store>) {
    let lamp = stocked(&store, "Lamp", 1999, 5).await;
    let mug = stocked(&store, "Mug", 899, 10).await;

    let err = store
        .set_cart_quantity(ANA, &lamp.id, 1, t(1))
        .await
        .expect_err("no cart");
    assert!(
        matches!(&err, StoreError::CartLineNotFound { product_id } if *product_id == lamp.id),
        "got {err:?}"
    );

    store
        .add_to_cart(ANA, line(&lamp.id), 1, t(2))
        .await
        .expect("add");
    store
        .add_to_cart(ANA, line(&mug.id), 1, t(3))
        .await
        .expect("add");
    let cart = store
        .set_cart_quantity(ANA, &lamp.id, 4, t(4))
        .await
        .expect("set");
    assert_eq!(cart.items[0].quantity, 4);
    assert_eq!(cart.updated_at, t(4));

    let err = store
        .set_cart_quantity(ANA, &lamp.id, 6, t(5))
        .await
        .expect_err("over stock");
    assert!(
        matches!(
            err,
            StoreError::InsufficientStock {
                available: 5,
                requested: 6,
                ..
            }
        ),
        "got {err:?}"
    );

    let other = stocked(&store, "Other", 1, 1).await;
    let err = store
        .set_cart_quantity(ANA, &other.id, 1, t(6))
        .await
        .expect_err("no such line");
    assert!(
        matches!(err, StoreError::CartLineNotFound { .. }),
        "got {err:?}"
    );

    let cart = store
        .set_cart_quantity(ANA, &lamp.id, 0, t(7))
        .await
        .expect("set 0");
    assert_eq!(cart.items.len(), 1, "0 removes the line");
    assert_eq!(cart.items[0].product_id, mug.id);

    // A deleted product's line can still be removed.
    assert!(store.delete_product(&mug.id).await.expect("delete mug"));
    let cart = store
        .remove_from_cart(ANA, &mug.id, t(8))
        .await
        .expect("remove");
    assert!(cart.items.is_empty());
    let err = store
        .remove_from_cart(ANA, &mug.id, t(9))
        .await
        .expect_err("remove again");
    assert!(
        matches!(err, StoreError::CartLineNotFound { .. }),
        "got {err:?}"
    );
    let kept = store.get_cart(ANA).await.expect("get").expect("cart kept");
    assert!(kept.items.is_empty());
    assert_eq!(kept.updated_at, t(8));

    // The address makes a cart if there is none, and is kept.
    let rivoli = Address {
        name: "Bob Martin".into(),
        line1: "2 Rue de Rivoli".into(),
        line2: "Bâtiment B".into(),
        city: "Paris".into(),
        postal_code: "75004".into(),
        region: "Île-de-France".into(),
        country: "FR".into(),
        phone: "+33 1 23 45 67 89".into(),
    };
    let cart = store
        .set_delivery_address("bob@example.com", &rivoli, t(10))
        .await
        .expect("address");
    assert_eq!(cart.delivery_address.as_ref(), Some(&rivoli));
    assert!(cart.items.is_empty());
    let cart = store
        .add_to_cart("bob@example.com", line(&lamp.id), 2, t(11))
        .await
        .expect("add");
    assert_eq!(cart.delivery_address.as_ref(), Some(&rivoli));
    assert_eq!(cart.created_at, t(10));
    assert_eq!(
        store.get_cart("bob@example.com").await.expect("get"),
        Some(cart)
    );
}

pub async fn concurrent_adds_by_one_customer(store: Arc<dyn Store>) {
    let mut products = Vec::new();
    for i in 0..20 {
        products.push(stocked(&store, &format!("Item {i}"), 100, 5).await);
    }
    let tasks: Vec<_> = products
        .iter()
        .map(|p| {
            let (store, id) = (store.clone(), p.id.clone());
            tokio::spawn(async move { store.add_to_cart(ANA, line(&id), 1, t(1)).await })
        })
        .collect();
    for task in tasks {
        task.await.expect("join").expect("concurrent add");
    }
    let cart = store.get_cart(ANA).await.expect("get").expect("cart");
    let mut in_cart: Vec<_> = cart.items.iter().map(|l| l.product_id.clone()).collect();
    let mut expected: Vec<_> = products.iter().map(|p| p.id.clone()).collect();
    in_cart.sort();
    expected.sort();
    assert_eq!(in_cart, expected, "no add was lost");
}

pub async fn cart_with_products(store: Arc<dyn Store>) {
    assert_eq!(
        store.get_cart_with_products(ANA).await.expect("no cart"),
        (None, Vec::new())
    );
    let lamp = stocked(&store, "Lamp", 1999, 5).await;
    let rug = stocked(&store, "Rug", 4500, 2).await;
    store
        .add_to_cart(ANA, line(&rug.id), 1, t(10))
        .await
        .expect("rug");
    store
        .add_to_cart(ANA, line(&lamp.id), 2, t(20))
        .await
        .expect("lamp");

    let (cart, products) = store.get_cart_with_products(ANA).await.expect("get");
    let cart = cart.expect("cart");
    assert_eq!(
        Some(&cart),
        store.get_cart(ANA).await.expect("get").as_ref()
    );
    assert_eq!(products, vec![rug.clone(), lamp.clone()], "in line order");

    // A line whose product was deleted stays; the product is simply absent.
    assert!(store.delete_product(&rug.id).await.expect("delete"));
    let (cart, products) = store.get_cart_with_products(ANA).await.expect("get");
    assert_eq!(cart.expect("cart").items.len(), 2);
    assert_eq!(products, vec![lamp]);
}

const GUEST: &str = "guest:0190aaaa-0000-7000-8000-000000000001";

pub async fn guest_cart_merges_into_the_customers_once(store: Arc<dyn Store>) {
    let lamp = stocked(&store, "Lamp", 1999, 5).await;
    let rug = stocked(&store, "Rug", 4500, 2).await;
    let kite = stocked(&store, "Kite", 900, 9).await;
    store
        .add_to_cart(ANA, line(&lamp.id), 2, t(1))
        .await
        .expect("mine");
    store
        .add_to_cart(GUEST, line(&lamp.id), 4, t(2))
        .await
        .expect("guest lamp");
    store
        .add_to_cart(GUEST, line(&rug.id), 2, t(3))
        .await
        .expect("guest rug");
    store
        .add_to_cart(GUEST, line(&kite.id), 1, t(4))
        .await
        .expect("guest kite");
    store
        .set_delivery_address(GUEST, &Address::from_legacy("1 Main Street", "US"), t(5))
        .await
        .expect("guest address");
    // The rug sells out to someone else before the guest logs in.
    let sold_out = support::fields(&rug, rug.price, 0);
    store
        .replace_product(&rug.id, &sold_out, t(6))
        .await
        .expect("rug sold out");

    let merged = store
        .merge_carts(GUEST, ANA, t(10))
        .await
        .expect("merge")
        .expect("there was a guest cart");
    let lines: Vec<(&str, i64)> = merged
        .items
        .iter()
        .map(|l| (l.product_id.as_str(), l.quantity))
        .collect();
    assert_eq!(
        lines,
        [
            (lamp.id.as_str(), 5),
            (rug.id.as_str(), 1),
            (kite.id.as_str(), 1)
        ],
        "lamp 2 + 4 capped at its 5; the sold-out rug kept, shown unavailable"
    );
    assert_eq!(merged.email, ANA);
    assert_eq!(
        merged.delivery_address,
        Some(Address::from_legacy("1 Main Street", "US"))
    );
    assert_eq!(merged.updated_at, t(10));
    assert_eq!(
        store.get_cart(ANA).await.expect("get").as_ref(),
        Some(&merged)
    );
    assert_eq!(
        store.get_cart(GUEST).await.expect("get"),
        None,
        "guest cart gone"
    );
    assert_eq!(
        store.merge_carts(GUEST, ANA, t(11)).await.expect("again"),
        None,
        "a second merge finds nothing and changes nothing"
    );
    assert_eq!(
        store.get_cart(ANA).await.expect("get").as_ref(),
        Some(&merged)
    );
}

pub async fn concurrent_logins_merge_a_guest_cart_once(store: Arc<dyn Store>) {
    let lamp = stocked(&store, "Lamp", 1999, 100).await;
    store
        .add_to_cart(ANA, line(&lamp.id), 1, t(1))
        .await
        .expect("mine");
    store
        .add_to_cart(GUEST, line(&lamp.id), 3, t(2))
        .await
        .expect("guest");
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.merge_carts(GUEST, ANA, t(3)).await })
        })
        .collect();
    let mut merges = 0;
    for task in tasks {
        if task.await.expect("join").expect("merge").is_some() {
            merges += 1;
        }
    }
    assert_eq!(merges, 1, "exactly one login merged");
    let cart = store.get_cart(ANA).await.expect("get").expect("cart");
    assert_eq!(cart.items.len(), 1, "no duplicate line");
    assert_eq!(cart.items[0].quantity, 4, "added once: 1 + 3");
    assert_eq!(store.get_cart(GUEST).await.expect("get"), None);
}
