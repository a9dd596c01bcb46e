use std::sync::Arc;

use tienda::domain::catalog::ProductFields;
use tienda::domain::{new_id, Page};
use tienda::store::Store;

use crate::support;
use crate::support::{line, list, product, read_product, t};

pub async fn products_crud(store: Arc<dyn Store>) {
    let lamp = product("Lamp", "home", 1999, 3, t(0));
    let mug = product("Mug", "kitchen", 899, 10, t(1));
    store.insert_product(&lamp).await.expect("insert lamp");
    store.insert_product(&mug).await.expect("insert mug");

    let got = read_product(&store, &lamp.id).await;
    assert_eq!(got.as_ref(), Some(&lamp), "round trip is exact");
    assert_eq!(read_product(&store, &new_id()).await, None);

    // In the order asked, unknown ids skipped.
    let ids = vec![mug.id.clone(), new_id(), lamp.id.clone()];
    let many = store.get_products(&ids).await.expect("get many");
    assert_eq!(many, vec![mug.clone(), lamp.clone()]);
    assert!(store.get_products(&[]).await.expect("none").is_empty());

    let fields = ProductFields {
        name: "Desk lamp".into(),
        description: "Brighter".into(),
        category: "office".into(),
        photo_url: "/static/photos/desk-lamp.svg".into(),
        ..support::fields(&lamp, 2499, 7)
    };
    let replaced = store
        .replace_product(&lamp.id, &fields, t(50))
        .await
        .expect("replace")
        .expect("lamp exists");
    assert_eq!(replaced.id, lamp.id);
    assert_eq!(replaced.name, "Desk lamp");
    assert_eq!(replaced.category, "office");
    assert_eq!(replaced.price, 2499);
    assert_eq!(replaced.stock, 7);
    assert_eq!(replaced.created_at, lamp.created_at);
    assert_eq!(replaced.updated_at, t(50));
    assert_eq!(read_product(&store, &lamp.id).await, Some(replaced));
    assert_eq!(
        store
            .replace_product(&new_id(), &fields, t(51))
            .await
            .expect("replace missing"),
        None
    );

    assert!(store.delete_product(&lamp.id).await.expect("delete"));
    assert!(!store.delete_product(&lamp.id).await.expect("delete again"));
    assert_eq!(read_product(&store, &lamp.id).await, None);
    assert!(read_product(&store, &mug.id).await.is_some());
}

pub async fn list_order_paging_and_category(store: Arc<dyn Store>) {
    // Two products share a timestamp: ties are broken by id, so insert them
    // in id order (which is also insertion order, as SQLite lists them).
    let mut same_ms = [
        product("Tie A", "books", 100, 1, t(5)),
        product("Tie B", "toys", 100, 1, t(5)),
    ];
    same_ms.sort_by(|a, b| a.id.cmp(&b.id));
    let all = vec![
        product("First", "books", 100, 1, t(1)),
        product("Second", "toys", 100, 1, t(2)),
        product("Third", "books", 100, 1, t(3)),
        same_ms[0].clone(),
        same_ms[1].clone(),
        product("Last", "books", 100, 1, t(9)),
    ];
    for p in &all {
        store.insert_product(p).await.expect("insert");
    }
    let names = |items: &[tienda::domain::catalog::Product]| {
        items.iter().map(|p| p.name.clone()).collect::<Vec<_>>()
    };

    let (items, total) = list(&store, None, Page::default()).await;
    assert_eq!(total, 6);
    assert_eq!(names(&items), names(&all), "creation order");

    let (items, total) = list(
        &store,
        None,
        Page {
            offset: 2,
            limit: 3,
        },
    )
    .await;
    assert_eq!(total, 6);
    assert_eq!(names(&items), names(&all[2..5]));

    let (items, total) = list(
        &store,
        None,
        Page {
            offset: 10,
            limit: 3,
        },
    )
    .await;
    assert_eq!((items.len(), total), (0, 6));

    let (items, total) = list(
        &store,
        None,
        Page {
            offset: 0,
            limit: 0,
        },
    )
    .await;
    assert_eq!((items.len(), total), (0, 6), "limit 0 is an empty page");

    let books: Vec<_> = all
        .iter()
        .filter(|p| p.category == "books")
        .cloned()
        .collect();
    let (items, total) = list(&store, Some("books"), Page::default()).await;
    assert_eq!(total, books.len() as u64);
    assert_eq!(items, books);

    let (items, total) = list(
        &store,
        Some("books"),
        Page {
            offset: 1,
            limit: 1,
        },
    )
    .await;
    assert_eq!(total, books.len() as u64);
    assert_eq!(names(&items), names(&books[1..2]));

    let (items, total) = list(&store, Some("garden"), Page::default()).await;
    assert_eq!((items.len(), total), (0, 0));

    // A category value is data, never an operator.
    let (items, _) = list(&store, Some("{\"$ne\": null}"), Page::default()).await;
    assert!(items.is_empty());

    assert_eq!(
        store.categories().await.expect("categories"),
        vec!["books".to_owned(), "toys".to_owned()]
    );
}

pub async fn seed_only_when_empty(store: Arc<dyn Store>) {
    let demo = tienda::domain::demo::catalog("EUR", t(0));
    assert!(!demo.is_empty());
    assert!(store.seed_products(&demo).await.expect("seed"));
    let (items, total) = list(
        &store,
        None,
        Page {
            offset: 0,
            limit: 200,
        },
    )
    .await;
    assert_eq!(total, demo.len() as u64);
    assert_eq!(items, demo, "seeded in order, exactly");

    let again = tienda::domain::demo::catalog("EUR", t(100));
    assert!(!store.seed_products(&again).await.expect("seed again"));
    let (_, total) = list(&store, None, Page::default()).await;
    assert_eq!(total, demo.len() as u64, "second seed adds nothing");

    // Two instances seeding an empty catalog at once: exactly one does.
    for p in &demo {
        assert!(store.delete_product(&p.id).await.expect("delete"));
    }
    let tasks: Vec<_> = (0..2)
        .map(|i| {
            let store = store.clone();
            let batch = tienda::domain::demo::catalog("EUR", t(1_000 + i));
            tokio::spawn(async move { store.seed_products(&batch).await })
        })
        .collect();
    let mut seeded = 0;
    for task in tasks {
        if task.await.expect("join").expect("seed") {
            seeded += 1;
        }
    }
    assert_eq!(seeded, 1, "one seed wins");
    let (items, total) = list(
        &store,
        None,
        Page {
            offset: 0,
            limit: 200,
        },
    )
    .await;
    assert_eq!(total, demo.len() as u64, "no double catalog");

    // Emptied again, the catalog takes a seed again.
    for p in &items {
        assert!(store.delete_product(&p.id).await.expect("delete"));
    }
    let one = vec![product("Only", "misc", 1, 1, t(200))];
    assert!(store.seed_products(&one).await.expect("reseed"));
    let (items, _) = list(&store, None, Page::default()).await;
    assert_eq!(items, one);
}

/// Catalog reads go through the store's cache: every write through the store
/// (product writes, checkouts taking stock, cancellations putting it back)
/// shows on the very next read, on both stores.
pub async fn catalog_reads_see_every_write(store: Arc<dyn Store>) {
    let lamp = product("Lamp", "home", 1999, 5, t(0));
    store.insert_product(&lamp).await.expect("insert");
    // Read twice: the second answer may come from the cache.
    for _ in 0..2 {
        assert_eq!(
            read_product(&store, &lamp.id).await.map(|p| p.stock),
            Some(5)
        );
        assert_eq!(list(&store, Some("home"), Page::default()).await.1, 1);
    }

    let mug = product("Mug", "home", 899, 2, t(1));
    store.insert_product(&mug).await.expect("insert mug");
    assert_eq!(
        list(&store, Some("home"), Page::default()).await.1,
        2,
        "an insert"
    );

    let fields = ProductFields {
        name: "Desk lamp".into(),
        category: "home".into(),
        ..support::fields(&lamp, 2499, 5)
    };
    store
        .replace_product(&lamp.id, &fields, t(2))
        .await
        .expect("replace");
    assert_eq!(
        read_product(&store, &lamp.id).await.map(|p| p.name),
        Some("Desk lamp".into()),
        "a replace"
    );
    assert_eq!(
        list(&store, Some("home"), Page::default()).await.0[0].price,
        2499,
        "a replace, in the list"
    );

    store
        .add_to_cart("ana@example.com", line(&lamp.id), 2, t(3))
        .await
        .expect("add");
    store
        .set_delivery_address("ana@example.com", &crate::support::home(), t(3))
        .await
        .expect("address");
    let order = store
        .place_order(crate::support::checkout("ana@example.com", None, t(4)))
        .await
        .expect("checkout")
        .order;
    assert_eq!(
        read_product(&store, &lamp.id).await.map(|p| p.stock),
        Some(3),
        "a checkout"
    );
    assert_eq!(
        list(&store, None, Page::default()).await.0[0].stock,
        3,
        "a checkout, in the list"
    );

    crate::support::set_status(
        &store,
        order.number,
        tienda::domain::orders::OrderStatus::Cancelled,
        "admin@example.com",
        t(5),
    )
    .await
    .expect("cancel");
    assert_eq!(
        read_product(&store, &lamp.id).await.map(|p| p.stock),
        Some(5),
        "a cancellation"
    );

    store.delete_product(&mug.id).await.expect("delete");
    assert_eq!(read_product(&store, &mug.id).await, None, "a delete");
    assert_eq!(
        list(&store, Some("home"), Page::default()).await.1,
        1,
        "a delete, in the list"
    );
}

/// A checkout whose caller stops waiting (a client that hangs up) still
/// commits in the store, and the catalog then shows the stock it took: no
/// stale answer outlives the write.
pub async fn a_checkout_abandoned_by_its_caller_still_refreshes_the_catalog(store: Arc<dyn Store>) {
    let lamp = support::stocked(&store, "Lamp", 1999, 5).await;
    let at = t(10);
    store
        .add_to_cart("ana@example.com", line(&lamp.id), 2, at)
        .await
        .expect("add");
    // Read twice: the second answer may come from the cache.
    for _ in 0..2 {
        assert_eq!(
            read_product(&store, &lamp.id).await.map(|p| p.stock),
            Some(5)
        );
    }
    let checkout = store.place_order(tienda::store::Checkout {
        delivery_address: Some(support::home()),
        ..support::checkout("ana@example.com", None, at)
    });
    // The caller gives up as soon as the checkout has started.
    let given_up = tokio::time::timeout(std::time::Duration::from_micros(1), checkout).await;
    let mut stock = None;
    for _ in 0..100 {
        stock = read_product(&store, &lamp.id).await.map(|p| p.stock);
        if stock == Some(3) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let placed = store
        .list_orders(&Default::default(), Page::default())
        .await
        .expect("orders")
        .1;
    assert_eq!(placed, 1, "the store committed the checkout ({given_up:?})");
    assert_eq!(stock, Some(3), "the catalog shows the stock it took");
}
