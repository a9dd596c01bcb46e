//! Low-stock alerts (once per crossing, cleared by a restock above the
//! level), the low-stock list, the admin's quick variant edit and the
//! admin's product search.

use std::sync::Arc;

use tienda::domain::catalog::{LowStockAlerts, LowStockVariant, Product, VariantChange};
use tienda::domain::mail::MailKind;
use tienda::domain::orders::OrderStatus;
use tienda::domain::Page;
use tienda::store::{Store, StoreError};

use crate::support::{self, checkout, fields, product, ready_cart, set_status, stock_of, t};

const NOTIFY: &str = "notify@shop.test";

/// Inserts a product sold one way with its own level (`None`: the default).
async fn with_level(store: &Arc<dyn Store>, name: &str, stock: i64, level: Option<i64>) -> Product {
    let p = Product {
        low_stock_threshold: level,
        ..product(name, "misc", 1000, stock, t(0))
    };
    store.insert_product(&p).await.expect("insert product");
    p
}

/// `email` buys `quantity` of `p`, alerts at `default` for products
/// without a level; the order's number.
async fn buy(store: &Arc<dyn Store>, email: &str, p: &Product, quantity: i64, default: i64) -> i64 {
    ready_cart(store, email, p, quantity).await;
    store
        .place_order(tienda::store::Checkout {
            low_stock: LowStockAlerts::new(default, NOTIFY),
            ..checkout(email, None, t(10))
        })
        .await
        .expect("checkout")
        .order
        .number
}

/// The low-stock mails queued so far, oldest first, as their payloads.
async fn alerts(store: &Arc<dyn Store>) -> Vec<serde_json::Value> {
    let (mails, _) = store
        .list_mail(
            None,
            Page {
                offset: 0,
                limit: Page::MAX_LIMIT,
            },
        )
        .await
        .expect("list mail");
    let mut low: Vec<serde_json::Value> = mails
        .into_iter()
        .rev()
        .filter(|m| m.kind == MailKind::LowStock)
        .map(|m| {
            assert_eq!(m.to, NOTIFY);
            serde_json::from_str(m.payload.as_json()).expect("payload")
        })
        .collect();
    low.iter_mut().for_each(|p| {
        p["variants"]
            .as_array_mut()
            .expect("variants")
            .iter_mut()
            .for_each(|v| {
                v.as_object_mut().expect("variant").remove("product_id");
            })
    });
    low
}

fn set(stock: i64) -> VariantChange {
    VariantChange {
        price: None,
        stock: Some(stock),
    }
}

pub async fn a_crossing_alerts_once_until_restocked_above(store: Arc<dyn Store>) {
    // The product's own level (5) wins over the default (0).
    let lamp = with_level(&store, "Lamp", 8, Some(5)).await;
    buy(&store, "a@example.com", &lamp, 2, 0).await; // 8 → 6: above
    assert!(alerts(&store).await.is_empty(), "still above its level");

    buy(&store, "b@example.com", &lamp, 1, 0).await; // 6 → 5: crosses
    let sent = alerts(&store).await;
    assert_eq!(sent.len(), 1, "one alert");
    assert_eq!(sent[0]["count"], 1);
    let v = &sent[0]["variants"][0];
    assert_eq!(v["product_name"], "Lamp");
    assert_eq!(v["sku"], lamp.variants[0].sku.as_str());
    assert_eq!(v["variant_id"], lamp.variants[0].id.as_str());
    assert_eq!(
        (v["stock"].as_i64(), v["threshold"].as_i64()),
        (Some(5), Some(5))
    );

    buy(&store, "c@example.com", &lamp, 1, 0).await; // 5 → 4
    assert_eq!(alerts(&store).await.len(), 1, "no second alert while low");

    // A stock edit to exactly the level is not above it: still flagged.
    store
        .set_variant(&lamp.id, &lamp.variants[0].id, &set(5), t(20))
        .await
        .expect("set")
        .expect("exists");
    buy(&store, "d@example.com", &lamp, 1, 0).await; // 5 → 4
    assert_eq!(alerts(&store).await.len(), 1, "restocked to the level only");

    // A replace above the level clears it: the next crossing alerts again.
    let current = support::read_product(&store, &lamp.id).await.expect("lamp");
    store
        .replace_product(&lamp.id, &fields(&current, 1000, 9), t(30))
        .await
        .expect("replace")
        .expect("exists");
    buy(&store, "e@example.com", &lamp, 3, 0).await; // 9 → 6
    assert_eq!(alerts(&store).await.len(), 1);
    let crossing = buy(&store, "f@example.com", &lamp, 2, 0).await; // 6 → 4
    assert_eq!(
        alerts(&store).await.len(),
        2,
        "alerts again after a restock"
    );

    // A cancellation that puts the stock back above the level clears it too.
    set_status(
        &store,
        crossing,
        OrderStatus::Cancelled,
        "admin@example.com",
        t(40),
    )
    .await
    .expect("cancel"); // 4 → 6
    assert_eq!(stock_of(&store, &lamp.id).await, 6);
    buy(&store, "g@example.com", &lamp, 1, 0).await; // 6 → 5
    assert_eq!(
        alerts(&store).await.len(),
        3,
        "alerts again after a cancellation"
    );

    // The quick edit above the level clears it as well.
    store
        .set_variant(&lamp.id, &lamp.variants[0].id, &set(7), t(50))
        .await
        .expect("set")
        .expect("exists");
    buy(&store, "h@example.com", &lamp, 3, 0).await; // 7 → 4
    assert_eq!(
        alerts(&store).await.len(),
        4,
        "alerts again after a quick edit"
    );
}

pub async fn concurrent_crossings_alert_once(store: Arc<dyn Store>) {
    // No level of its own: the default (10) applies.
    let lamp = with_level(&store, "Lamp", 20, None).await;
    let customers: Vec<String> = (0..20).map(|i| format!("c{i}@example.com")).collect();
    for c in &customers {
        ready_cart(&store, c, &lamp, 1).await;
    }
    let tasks: Vec<_> = customers
        .iter()
        .map(|c| {
            let (store, c) = (store.clone(), c.clone());
            tokio::spawn(async move {
                store
                    .place_order(tienda::store::Checkout {
                        low_stock: LowStockAlerts::new(10, NOTIFY),
                        ..checkout(&c, None, t(100))
                    })
                    .await
                    .map(|p| p.order.number)
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("join").expect("checkout");
    }
    assert_eq!(stock_of(&store, &lamp.id).await, 0);
    let sent = alerts(&store).await;
    assert_eq!(sent.len(), 1, "20 orders crossing 10 at once: one alert");
    assert_eq!(sent[0]["variants"][0]["threshold"], 10);
}

pub async fn a_level_of_zero_alerts_at_zero(store: Arc<dyn Store>) {
    let lamp = with_level(&store, "Lamp", 2, Some(0)).await;
    buy(&store, "a@example.com", &lamp, 1, 5).await; // 2 → 1
    assert!(alerts(&store).await.is_empty(), "1 is above 0");
    buy(&store, "b@example.com", &lamp, 1, 5).await; // 1 → 0
    let sent = alerts(&store).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["variants"][0]["stock"], 0);
    assert_eq!(sent[0]["variants"][0]["threshold"], 0);
}

pub async fn no_notify_address_no_alert(store: Arc<dyn Store>) {
    let lamp = with_level(&store, "Lamp", 3, None).await;
    ready_cart(&store, "a@example.com", &lamp, 1).await;
    store
        .place_order(tienda::store::Checkout {
            low_stock: LowStockAlerts::new(5, ""),
            ..checkout("a@example.com", None, t(10))
        })
        .await
        .expect("checkout");
    assert!(alerts(&store).await.is_empty());
}

pub async fn low_stock_variants_lowest_first(store: Arc<dyn Store>) {
    let _plenty = with_level(&store, "Plenty", 50, None).await;
    let bulb = with_level(&store, "Bulb", 4, None).await; // default 5
    let cable = with_level(&store, "Cable", 9, Some(10)).await; // own level
    let _fuse = with_level(&store, "Fuse", 3, Some(2)).await; // above its own
    let out = with_level(&store, "Out", 0, None).await;
    let low = store.low_stock_variants(5, 10).await.expect("low");
    let row = |p: &Product, stock: i64, threshold: i64| LowStockVariant {
        product_id: p.id.clone(),
        product_name: p.name.clone(),
        variant_id: p.variants[0].id.clone(),
        sku: p.variants[0].sku.clone(),
        title: String::new(),
        stock,
        threshold,
    };
    assert_eq!(
        low,
        vec![row(&out, 0, 5), row(&bulb, 4, 5), row(&cable, 9, 10)]
    );
    assert_eq!(store.low_stock_variants(5, 2).await.expect("low").len(), 2);
    assert_eq!(
        store.low_stock_variants(0, 10).await.expect("low"),
        vec![row(&out, 0, 0), row(&cable, 9, 10)],
        "the default level moves"
    );
}

pub async fn set_variant_writes_one_variant(store: Arc<dyn Store>) {
    let lamp = with_level(&store, "Lamp", 8, None).await;
    let vid = lamp.variants[0].id.clone();
    let change = VariantChange {
        price: Some(2500),
        stock: Some(12),
    };
    let (before, after) = store
        .set_variant(&lamp.id, &vid, &change, t(60))
        .await
        .expect("set")
        .expect("exists");
    assert_eq!((before.price, before.stock), (1000, 8));
    assert_eq!(
        (after.variants[0].price, after.variants[0].stock),
        (2500, 12)
    );
    assert_eq!((after.price, after.stock), (2500, 12), "sold one way");
    assert_eq!(after.updated_at, t(60));
    assert_eq!(support::read_product(&store, &lamp.id).await, Some(after));

    let (_, after) = store
        .set_variant(&lamp.id, &vid, &set(3), t(61))
        .await
        .expect("set")
        .expect("exists");
    assert_eq!((after.price, after.stock), (2500, 3), "price kept");

    let unknown = tienda::domain::new_id();
    assert!(store
        .set_variant(&unknown, &vid, &set(1), t(62))
        .await
        .expect("no product")
        .is_none());
    assert!(matches!(
        store.set_variant(&lamp.id, &unknown, &set(1), t(62)).await,
        Err(StoreError::VariantNotSold { .. })
    ));
}

pub async fn concurrent_quick_edits_and_checkouts_keep_stock(store: Arc<dyn Store>) {
    let lamp = with_level(&store, "Lamp", 100, None).await;
    let vid = lamp.variants[0].id.clone();
    let customers: Vec<String> = (0..10).map(|i| format!("c{i}@example.com")).collect();
    for c in &customers {
        ready_cart(&store, c, &lamp, 1).await;
    }
    let mut tasks = Vec::new();
    for (i, c) in customers.iter().enumerate() {
        let (s, c) = (store.clone(), c.clone());
        tasks.push(tokio::spawn(async move {
            s.place_order(checkout(&c, None, t(100))).await.map(|_| ())
        }));
        let (s, id, vid) = (store.clone(), lamp.id.clone(), vid.clone());
        tasks.push(tokio::spawn(async move {
            let price = VariantChange {
                price: Some(1000 + i as i64),
                stock: None,
            };
            s.set_variant(&id, &vid, &price, t(100)).await.map(|_| ())
        }));
    }
    for task in tasks {
        task.await.expect("join").expect("write");
    }
    let now = support::read_product(&store, &lamp.id).await.expect("lamp");
    assert_eq!(now.variants[0].stock, 90, "no price edit undid a checkout");
    assert_eq!(now.stock, 90);
}

pub async fn find_products_by_name_or_sku(store: Arc<dyn Store>) {
    let lamp = with_level(&store, "Desk Lamp", 8, None).await;
    let _mug = with_level(&store, "Mug", 8, None).await;
    let floor = with_level(&store, "Floor lamp", 8, None).await;
    let names = |found: &(Vec<Product>, u64)| -> (Vec<String>, u64) {
        (found.0.iter().map(|p| p.name.clone()).collect(), found.1)
    };
    let page = Page::default();
    let found = store.find_products("LAMP", page).await.expect("find");
    assert_eq!(
        names(&found),
        (vec!["Desk Lamp".into(), "Floor lamp".into()], 2)
    );
    let sku = floor.variants[0].sku.to_ascii_lowercase();
    let found = store.find_products(&sku, page).await.expect("find");
    assert_eq!(names(&found), (vec!["Floor lamp".into()], 1));
    let found = store.find_products("", page).await.expect("find");
    assert_eq!(found.1, 3);
    let second = Page {
        offset: 1,
        limit: 1,
    };
    let found = store.find_products("lamp", second).await.expect("find");
    assert_eq!(names(&found), (vec!["Floor lamp".into()], 2));
    // Wildcards are literal.
    for literal in ["%", "_", ".*", "(", "\\"] {
        let found = store.find_products(literal, page).await.expect("find");
        assert_eq!(found.1, 0, "{literal}");
    }
    assert_eq!(lamp.low_stock_threshold, None);
}
