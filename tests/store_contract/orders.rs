use std::sync::Arc;

use tienda::domain::address::Address;
use tienda::domain::mail::MailKind;
use tienda::domain::orders::{OrderFilter, OrderStatus};
use tienda::domain::Page;
use tienda::store::{Store, StoreError};

use crate::support;
use crate::support::{
    checkout, line, outbox_count, payload, read_product, ready_cart, set_status, stock_of, stocked,
    t,
};

const ANA: &str = "ana@example.com";
const BOB: &str = "bob@example.com";

pub async fn checkout_happy_path(store: Arc<dyn Store>) {
    let lamp = stocked(&store, "Lamp", 1999, 5).await;
    let mug = stocked(&store, "Mug", 899, 10).await;
    ready_cart(&store, ANA, &lamp, 2).await;
    store
        .add_to_cart(ANA, line(&mug.id), 3, t(3))
        .await
        .expect("add");

    let order = store
        .place_order(checkout(ANA, None, t(100)))
        .await
        .expect("checkout")
        .order;
    assert_eq!(order.number, 1001, "first order number");
    assert_eq!(order.email, ANA);
    assert_eq!(order.status, OrderStatus::AwaitingPayment);
    assert_eq!(order.currency, "EUR");
    assert_eq!(order.delivery_address, support::home());
    assert_eq!(order.created_at, t(100));
    assert_eq!(order.total, 2 * 1999 + 3 * 899);
    assert_eq!(order.items.len(), 2);
    assert_eq!(order.items[0].product_id, lamp.id);
    assert_eq!(order.items[0].name, "Lamp");
    assert_eq!(order.items[0].description, lamp.description);
    assert_eq!(
        (
            order.items[0].unit_price,
            order.items[0].quantity,
            order.items[0].line_total
        ),
        (1999, 2, 3998)
    );
    assert_eq!(order.history.len(), 1);
    assert_eq!(order.history[0].status, OrderStatus::AwaitingPayment);
    assert_eq!(order.history[0].by, ANA);
    assert_eq!(order.history[0].at, t(100));

    assert_eq!(stock_of(&store, &lamp.id).await, 3);
    assert_eq!(stock_of(&store, &mug.id).await, 7);
    assert_eq!(
        store.get_cart(ANA).await.expect("cart"),
        None,
        "cart emptied"
    );
    assert_eq!(
        store.get_order(1001).await.expect("get").as_ref(),
        Some(&order)
    );
    assert_eq!(store.get_order(999).await.expect("get missing"), None);

    let (mails, total) = store.list_mail(None, Page::default()).await.expect("mail");
    assert_eq!(total, 2, "confirmation and notice written with the order");
    let mut kinds: Vec<_> = mails.iter().map(|m| m.kind.as_str()).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            MailKind::OrderConfirmation.as_str(),
            MailKind::OrderNotice.as_str()
        ]
    );
    assert!(mails
        .iter()
        .all(|m| m.payload == payload(serde_json::json!({ "number": 1001 }))));

    ready_cart(&store, BOB, &mug, 1).await;
    let second = store
        .place_order(checkout(BOB, None, t(200)))
        .await
        .expect("second checkout")
        .order;
    assert_eq!(second.number, 1002);
    assert_eq!(stock_of(&store, &mug.id).await, 6);
    assert_eq!(outbox_count(&store).await, 4);
}

pub async fn checkout_refusals(store: Arc<dyn Store>) {
    let lamp = stocked(&store, "Lamp", 1999, 5).await;
    let err = store
        .place_order(checkout(ANA, None, t(1)))
        .await
        .expect_err("no cart");
    assert!(matches!(err, StoreError::CartEmpty), "got {err:?}");

    store
        .add_to_cart(ANA, line(&lamp.id), 1, t(2))
        .await
        .expect("add");
    let err = store
        .place_order(checkout(ANA, None, t(3)))
        .await
        .expect_err("no address");
    assert!(matches!(err, StoreError::NoDeliveryAddress), "got {err:?}");

    store
        .remove_from_cart(ANA, &lamp.id, t(4))
        .await
        .expect("remove");
    store
        .set_delivery_address(ANA, &Address::from_legacy("1 Calle Mayor", "ES"), t(5))
        .await
        .expect("address");
    let err = store
        .place_order(checkout(ANA, None, t(6)))
        .await
        .expect_err("empty cart");
    assert!(matches!(err, StoreError::CartEmpty), "got {err:?}");

    // A product deleted since it was added refuses the checkout.
    let gone = stocked(&store, "Gone", 100, 5).await;
    store
        .add_to_cart(ANA, line(&gone.id), 1, t(7))
        .await
        .expect("add");
    assert!(store.delete_product(&gone.id).await.expect("delete"));
    let err = store
        .place_order(checkout(ANA, None, t(8)))
        .await
        .expect_err("deleted product");
    assert!(
        matches!(&err, StoreError::ProductNotFound { product_id } if *product_id == gone.id),
        "got {err:?}"
    );
    assert_eq!(outbox_count(&store).await, 0);
    assert_eq!(
        store
            .list_orders(&OrderFilter::default(), Page::default())
            .await
            .expect("list")
            .1,
        0
    );

    // The checkout's own address wins over (and stands in for) the cart's.
    store
        .remove_from_cart(ANA, &gone.id, t(9))
        .await
        .expect("remove");
    store
        .add_to_cart(BOB, line(&lamp.id), 1, t(10))
        .await
        .expect("add");
    let mut c = checkout(BOB, None, t(11));
    c.delivery_address = Some(Address::from_legacy("Override 5", "ES"));
    let order = store.place_order(c).await.expect("checkout").order;
    assert_eq!(
        order.delivery_address,
        Address::from_legacy("Override 5", "ES")
    );
    assert_eq!(order.number, 1001, "refusals burned no number");
}

pub async fn checkout_idempotency(store: Arc<dyn Store>) {
    let lamp = stocked(&store, "Lamp", 1999, 5).await;
    ready_cart(&store, ANA, &lamp, 2).await;
    let first = store
        .place_order(checkout(ANA, Some("key-1"), t(10)))
        .await
        .expect("checkout");
    assert!(!first.replayed, "a new key places an order");
    // Even in the same millisecond (the route tells 201 from 200 by this flag).
    let again = store
        .place_order(checkout(ANA, Some("key-1"), t(10)))
        .await
        .expect("retried checkout");
    assert!(again.replayed, "the same key replays");
    assert_eq!(again.order, first.order, "same key, same order");
    assert_eq!(stock_of(&store, &lamp.id).await, 3, "stock taken once");
    assert_eq!(outbox_count(&store).await, 2, "mail written once");

    // A new key is a new checkout (and the cart is empty now).
    let err = store
        .place_order(checkout(ANA, Some("key-2"), t(30)))
        .await
        .expect_err("new key, empty cart");
    assert!(matches!(err, StoreError::CartEmpty), "got {err:?}");

    // Keys belong to one customer: Bob's "key-1" is his own.
    ready_cart(&store, BOB, &lamp, 1).await;
    let bobs = store
        .place_order(checkout(BOB, Some("key-1"), t(40)))
        .await
        .expect("bob")
        .order;
    assert_eq!(bobs.number, 1002);
    assert_eq!(bobs.email, BOB);

    // Without a key, every checkout is new.
    ready_cart(&store, ANA, &lamp, 1).await;
    let plain = store
        .place_order(checkout(ANA, None, t(50)))
        .await
        .expect("no key")
        .order;
    assert_eq!(plain.number, 1003);
    ready_cart(&store, ANA, &lamp, 1).await;
    let plain2 = store
        .place_order(checkout(ANA, None, t(60)))
        .await
        .expect("no key again")
        .order;
    assert_eq!(plain2.number, 1004);
}

pub async fn over_stock_checkout_rolls_back(store: Arc<dyn Store>) {
    let lamp = stocked(&store, "Lamp", 1999, 5).await;
    let mug = stocked(&store, "Mug", 899, 4).await;
    ready_cart(&store, BOB, &lamp, 1).await;
    let first = store
        .place_order(checkout(BOB, None, t(5)))
        .await
        .expect("first order")
        .order;
    assert_eq!(first.number, 1001);
    let mails_before = outbox_count(&store).await;

    ready_cart(&store, ANA, &lamp, 2).await;
    store
        .add_to_cart(ANA, line(&mug.id), 4, t(6))
        .await
        .expect("add");
    // The mug's stock drops after it went into the cart.
    let fields = support::fields(&mug, mug.price, 3);
    store
        .replace_product(&mug.id, &fields, t(7))
        .await
        .expect("replace")
        .expect("mug");
    let cart_before = store.get_cart(ANA).await.expect("cart").expect("cart");

    let err = store
        .place_order(checkout(ANA, None, t(8)))
        .await
        .expect_err("over stock");
    assert!(
        matches!(&err, StoreError::InsufficientStock { product_id, requested: 4, .. } if *product_id == mug.id),
        "got {err:?}"
    );
    assert_eq!(stock_of(&store, &lamp.id).await, 4, "lamp not decremented");
    assert_eq!(stock_of(&store, &mug.id).await, 3);
    assert_eq!(
        store.get_cart(ANA).await.expect("cart"),
        Some(cart_before),
        "cart intact"
    );
    assert_eq!(outbox_count(&store).await, mails_before, "no mail");
    assert_eq!(store.get_order(1002).await.expect("get"), None);

    store
        .set_cart_quantity(ANA, &mug.id, 3, t(9))
        .await
        .expect("lower");
    let next = store
        .place_order(checkout(ANA, None, t(10)))
        .await
        .expect("checkout")
        .order;
    assert_eq!(next.number, 1002, "the refused checkout burned no number");
    assert_eq!(stock_of(&store, &lamp.id).await, 2);
    assert_eq!(stock_of(&store, &mug.id).await, 0);
}

pub async fn concurrent_checkouts_never_oversell(store: Arc<dyn Store>) {
    let lamp = stocked(&store, "Lamp", 1999, 10).await;
    let customers: Vec<String> = (0..30).map(|i| format!("c{i}@example.com")).collect();
    for c in &customers {
        ready_cart(&store, c, &lamp, 1).await;
    }
    let tasks: Vec<_> = customers
        .iter()
        .map(|c| {
            let (store, c) = (store.clone(), c.clone());
            tokio::spawn(async move {
                store
                    .place_order(checkout(&c, None, t(100)))
                    .await
                    .map(|p| p.order)
            })
        })
        .collect();
    let mut numbers = Vec::new();
    let mut refused = 0;
    for task in tasks {
        match task.await.expect("join") {
            Ok(order) => numbers.push(order.number),
            Err(StoreError::InsufficientStock { .. }) => refused += 1,
            Err(other) => panic!("unexpected checkout error: {other:?}"),
        }
    }
    numbers.sort();
    assert_eq!(
        numbers,
        (1001..=1010).collect::<Vec<_>>(),
        "10 orders, gapless"
    );
    assert_eq!(refused, 20);
    assert_eq!(stock_of(&store, &lamp.id).await, 0);
    let (_, total) = store
        .list_orders(&OrderFilter::default(), Page::default())
        .await
        .expect("list");
    assert_eq!(total, 10);
    assert_eq!(outbox_count(&store).await, 20);
}

pub async fn status_transitions_and_cancel_restock(store: Arc<dyn Store>) {
    let lamp = stocked(&store, "Lamp", 1999, 5).await;
    ready_cart(&store, ANA, &lamp, 2).await;
    let order = store
        .place_order(checkout(ANA, None, t(10)))
        .await
        .expect("checkout")
        .order;
    assert_eq!(stock_of(&store, &lamp.id).await, 3);

    let paid = set_status(
        &store,
        order.number,
        OrderStatus::Paid,
        "admin@shop.test",
        t(20),
    )
    .await
    .expect("pay");
    assert_eq!(paid.status, OrderStatus::Paid);
    assert_eq!(paid.history.len(), 2);
    assert_eq!(paid.history[1].by, "admin@shop.test");
    assert_eq!(paid.history[1].at, t(20));

    let err = set_status(
        &store,
        order.number,
        OrderStatus::Delivered,
        "admin@shop.test",
        t(30),
    )
    .await
    .expect_err("skip shipping");
    assert!(
        matches!(
            err,
            StoreError::InvalidTransition {
                from: OrderStatus::Paid,
                to: OrderStatus::Delivered
            }
        ),
        "got {err:?}"
    );
    assert_eq!(
        store.get_order(order.number).await.expect("get").as_ref(),
        Some(&paid),
        "refused change stores nothing"
    );

    let cancelled = set_status(
        &store,
        order.number,
        OrderStatus::Cancelled,
        "admin@shop.test",
        t(40),
    )
    .await
    .expect("cancel");
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert_eq!(stock_of(&store, &lamp.id).await, 5, "cancel restocks");
    assert_eq!(
        store.get_order(order.number).await.expect("get"),
        Some(cancelled)
    );
    let err = set_status(
        &store,
        order.number,
        OrderStatus::Paid,
        "admin@shop.test",
        t(50),
    )
    .await
    .expect_err("cancelled is final");
    assert!(
        matches!(err, StoreError::InvalidTransition { .. }),
        "got {err:?}"
    );
    assert_eq!(stock_of(&store, &lamp.id).await, 5);

    let err = set_status(&store, 4242, OrderStatus::Paid, "admin@shop.test", t(60))
        .await
        .expect_err("unknown order");
    assert!(
        matches!(err, StoreError::OrderNotFound { number: 4242 }),
        "got {err:?}"
    );

    // The whole lifecycle; cancelling after the product was deleted is fine.
    ready_cart(&store, BOB, &lamp, 1).await;
    let n = store
        .place_order(checkout(BOB, None, t(70)))
        .await
        .expect("checkout")
        .order
        .number;
    for status in [
        OrderStatus::Paid,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
    ] {
        set_status(&store, n, status, "admin@shop.test", t(80))
            .await
            .expect("advance");
    }
    let done = store.get_order(n).await.expect("get").expect("order");
    assert_eq!(done.status, OrderStatus::Delivered);
    assert_eq!(done.history.len(), 4);

    ready_cart(&store, BOB, &lamp, 1).await;
    let n = store
        .place_order(checkout(BOB, None, t(90)))
        .await
        .expect("checkout")
        .order
        .number;
    assert!(store.delete_product(&lamp.id).await.expect("delete"));
    set_status(&store, n, OrderStatus::Cancelled, "admin@shop.test", t(95))
        .await
        .expect("cancel with product gone");
    assert_eq!(read_product(&store, &lamp.id).await, None);
}

pub async fn list_orders_filters_newest_first(store: Arc<dyn Store>) {
    let lamp = stocked(&store, "Lamp", 100, 100).await;
    for (i, email) in [ANA, BOB, ANA, ANA, BOB].iter().enumerate() {
        ready_cart(&store, email, &lamp, 1).await;
        store
            .place_order(checkout(email, None, t(10 + i as i64)))
            .await
            .expect("checkout");
    }
    set_status(&store, 1003, OrderStatus::Paid, "admin@shop.test", t(50))
        .await
        .expect("pay");
    set_status(&store, 1002, OrderStatus::Paid, "admin@shop.test", t(51))
        .await
        .expect("pay");
    let numbers = |orders: &[tienda::domain::orders::Order]| {
        orders.iter().map(|o| o.number).collect::<Vec<_>>()
    };

    let (all, total) = store
        .list_orders(&OrderFilter::default(), Page::default())
        .await
        .expect("all");
    assert_eq!(total, 5);
    assert_eq!(numbers(&all), vec![1005, 1004, 1003, 1002, 1001]);

    let anas = OrderFilter {
        email: Some(ANA.into()),
        ..OrderFilter::default()
    };
    let (items, total) = store
        .list_orders(&anas, Page::default())
        .await
        .expect("ana");
    assert_eq!(total, 3);
    assert_eq!(numbers(&items), vec![1004, 1003, 1001]);
    let (items, total) = store
        .list_orders(
            &anas,
            Page {
                offset: 1,
                limit: 1,
            },
        )
        .await
        .expect("ana page");
    assert_eq!((numbers(&items), total), (vec![1003], 3));

    let paid = OrderFilter {
        status: Some(OrderStatus::Paid),
        ..OrderFilter::default()
    };
    let (items, total) = store
        .list_orders(&paid, Page::default())
        .await
        .expect("paid");
    assert_eq!((numbers(&items), total), (vec![1003, 1002], 2));
    assert!(items.iter().all(|o| o.status == OrderStatus::Paid));

    let both = OrderFilter {
        email: Some(BOB.into()),
        status: Some(OrderStatus::AwaitingPayment),
        ..OrderFilter::default()
    };
    let (items, total) = store
        .list_orders(&both, Page::default())
        .await
        .expect("bob placed");
    assert_eq!((numbers(&items), total), (vec![1005], 1));

    let (items, total) = store
        .list_orders(
            &OrderFilter::default(),
            Page {
                offset: 0,
                limit: 0,
            },
        )
        .await
        .expect("limit 0");
    assert_eq!((items.len(), total), (0, 5));
}

/// The one checkout sequence, step by step, as both stores run it: a
/// replayed key answers before the cart is read; prices are the ones at
/// checkout, not when the line was added; the stock is taken and the number
/// given only for an order that is placed; the cart is emptied and the
/// mails see the numbered order.
pub async fn checkout_sequence_is_one_behaviour(store: Arc<dyn Store>) {
    let lamp = stocked(&store, "Lamp", 1999, 5).await;
    ready_cart(&store, ANA, &lamp, 2).await;
    // The price changes after the line went into the cart: the order takes
    // today's price.
    let fields = support::fields(&lamp, 2500, lamp.stock);
    store
        .replace_product(&lamp.id, &fields, t(3))
        .await
        .expect("reprice");
    let first = store
        .place_order(checkout(ANA, Some("k"), t(10)))
        .await
        .expect("checkout")
        .order;
    assert_eq!(first.number, 1001);
    assert_eq!(first.items[0].unit_price, 2500, "price at checkout");
    assert_eq!(first.total, 5000);
    assert_eq!(
        store.get_cart(ANA).await.expect("cart"),
        None,
        "cart emptied"
    );
    assert_eq!(stock_of(&store, &lamp.id).await, 3);
    let mails = store
        .list_mail(None, Page::default())
        .await
        .expect("mail")
        .0;
    assert!(
        mails
            .iter()
            .all(|m| m.payload.as_json().contains("\"number\":1001")),
        "the mails see the numbered order"
    );

    // A later price change leaves the order's snapshot alone.
    let fields = support::fields(&lamp, 100, 3);
    store
        .replace_product(&lamp.id, &fields, t(11))
        .await
        .expect("reprice again");
    assert_eq!(
        store
            .get_order(1001)
            .await
            .expect("get")
            .expect("order")
            .items[0]
            .unit_price,
        2500
    );

    // The same key with a new cart: the first order answers, and neither
    // the new cart nor the stock is touched.
    ready_cart(&store, ANA, &lamp, 1).await;
    let cart = store.get_cart(ANA).await.expect("cart");
    let replay = store
        .place_order(checkout(ANA, Some("k"), t(20)))
        .await
        .expect("replay");
    assert!(replay.replayed);
    assert_eq!(replay.order, first);
    assert_eq!(
        store.get_cart(ANA).await.expect("cart"),
        cart,
        "cart untouched"
    );
    assert_eq!(stock_of(&store, &lamp.id).await, 3, "no stock taken");

    // A refused checkout (the product is gone) takes no number: the next
    // placed order gets 1002.
    let gone = stocked(&store, "Gone", 100, 5).await;
    ready_cart(&store, BOB, &gone, 1).await;
    store.delete_product(&gone.id).await.expect("delete");
    store
        .place_order(checkout(BOB, None, t(30)))
        .await
        .expect_err("missing product");
    let next = store
        .place_order(checkout(ANA, None, t(40)))
        .await
        .expect("next")
        .order;
    assert_eq!(next.number, 1002);
}
