//! Payments on both stores: card orders holding their stock until paid or
//! expired, webhook events acted on once however often and however
//! concurrently they arrive, and refunds held back so that racing ones
//! never give back more than was paid.

use std::sync::Arc;

use tienda::domain::orders::{Order, OrderAction, OrderStatus};
use tienda::domain::payments::{PaymentMethod, PaymentStatus, PendingRefund, Refund};
use tienda::domain::{Page, Timestamp};
use tienda::store::{Store, StoreError, Updated};

use crate::support::{checkout, outbox_count, ready_cart, stock_of, stocked, t, update};

const ANA: &str = "ana@example.com";
const SHOP: &str = "shop";
const STRIPE: &str = "stripe";
const ADMIN: &str = "admin@shop.test";

/// Places an order of `quantity` lamps for `email`, paid by `method`,
/// holding its stock until `hold_until`.
async fn place(
    store: &Arc<dyn Store>,
    email: &str,
    lamp: &tienda::domain::catalog::Product,
    quantity: i64,
    method: PaymentMethod,
    hold_until: Timestamp,
) -> Order {
    ready_cart(store, email, lamp, quantity).await;
    let mut c = checkout(email, None, t(10));
    c.payment_method = method;
    c.hold_until = hold_until;
    store.place_order(c).await.expect("checkout").order
}

async fn order(store: &Arc<dyn Store>, number: i64) -> Order {
    store
        .get_order(number)
        .await
        .expect("get order")
        .expect("order exists")
}

fn attach(intent: &str) -> OrderAction {
    OrderAction::AttachIntent {
        intent_id: intent.to_owned(),
        client_secret: format!("{intent}_secret_x"),
    }
}

fn card_paid(intent: &str, amount: i64) -> OrderAction {
    OrderAction::CardPaid {
        intent_id: intent.to_owned(),
        amount,
    }
}

/// The mails [`crate::support::order_mails`] wrote for order `number` of
/// this kind (e.g. `payment_received`).
async fn mails_of(store: &Arc<dyn Store>, number: i64, kind: &str) -> usize {
    let (mails, _) = store
        .list_mail(
            None,
            Page {
                offset: 0,
                limit: 1000,
            },
        )
        .await
        .expect("list mail");
    let wanted = serde_json::json!({ "number": number, "kind": kind });
    mails
        .iter()
        .filter(|m| {
            serde_json::from_str::<serde_json::Value>(m.payload.as_json()).ok()
                == Some(wanted.clone())
        })
        .count()
}

/// A card order attached to `intent`, ready for its webhook.
async fn card_order(
    store: &Arc<dyn Store>,
    email: &str,
    lamp: &tienda::domain::catalog::Product,
    intent: &str,
) -> Order {
    let placed = place(store, email, lamp, 1, PaymentMethod::Stripe, t(100_000)).await;
    update(store, placed.number, attach(intent), SHOP, t(11), None)
        .await
        .expect("attach")
        .order
}

/// Unpaid card orders whose hold ran out are listed, oldest hold first, and
/// expiring one cancels it and gives its stock back exactly once, even
/// when two expiries race.
pub async fn stock_hold_and_release(store: Arc<dyn Store>) {
    let lamp = stocked(&store, "Lamp", 1000, 20).await;
    let late = place(
        &store,
        "a@example.com",
        &lamp,
        2,
        PaymentMethod::Stripe,
        t(2000),
    )
    .await;
    let early = place(
        &store,
        "b@example.com",
        &lamp,
        3,
        PaymentMethod::Stripe,
        t(1000),
    )
    .await;
    // A transfer has no hold, whatever the checkout said.
    let transfer = place(
        &store,
        "c@example.com",
        &lamp,
        1,
        PaymentMethod::BankTransfer,
        t(500),
    )
    .await;
    assert_eq!(transfer.payment.hold_until, None);
    let future = place(
        &store,
        "d@example.com",
        &lamp,
        1,
        PaymentMethod::Stripe,
        t(100_000),
    )
    .await;
    // A card order paid before its hold ran out.
    let paid = place(
        &store,
        "e@example.com",
        &lamp,
        1,
        PaymentMethod::Stripe,
        t(800),
    )
    .await;
    assert_eq!(paid.payment.hold_until, Some(t(800)));
    update(&store, paid.number, attach("pi_paid"), SHOP, t(20), None)
        .await
        .expect("attach");
    update(
        &store,
        paid.number,
        card_paid("pi_paid", 1000),
        STRIPE,
        t(30),
        Some("evt_paid"),
    )
    .await
    .expect("paid");
    assert_eq!(stock_of(&store, &lamp.id).await, 20 - 2 - 3 - 1 - 1 - 1);

    let due = |now, limit| {
        let store = store.clone();
        async move { store.orders_to_expire(now, limit).await.expect("to expire") }
    };
    assert_eq!(due(t(999), 10).await, Vec::<i64>::new());
    assert_eq!(
        due(t(1000), 10).await,
        vec![early.number],
        "due at its hold"
    );
    assert_eq!(due(t(5000), 10).await, vec![early.number, late.number]);
    assert_eq!(due(t(5000), 1).await, vec![early.number]);

    let mails = outbox_count(&store).await;
    let expired = update(
        &store,
        early.number,
        OrderAction::Expire,
        SHOP,
        t(5000),
        None,
    )
    .await
    .expect("expire");
    assert!(expired.changed);
    assert_eq!(expired.order.status, OrderStatus::Cancelled);
    assert_eq!(expired.order.payment.status, PaymentStatus::Voided);
    assert_eq!(expired.order.payment.hold_until, None);
    let last = expired.order.history.last().expect("history");
    assert_eq!(
        (last.status, last.by.as_str(), last.at),
        (OrderStatus::Cancelled, SHOP, t(5000))
    );
    assert_eq!(order(&store, early.number).await, expired.order);
    assert_eq!(stock_of(&store, &lamp.id).await, 12 + 3, "its 3 back");
    assert_eq!(outbox_count(&store).await, mails + 1, "the cancelled mail");
    assert_eq!(mails_of(&store, early.number, "cancelled").await, 1);

    // Again: nothing.
    let again = update(
        &store,
        early.number,
        OrderAction::Expire,
        SHOP,
        t(6000),
        None,
    )
    .await
    .expect("expire again");
    assert!(!again.changed);
    assert_eq!(order(&store, early.number).await, expired.order);
    assert_eq!(stock_of(&store, &lamp.id).await, 15, "back once");
    assert_eq!(outbox_count(&store).await, mails + 1);

    // Not due, not a card, or paid: nothing either.
    for n in [future.number, transfer.number, paid.number] {
        let before = order(&store, n).await;
        let result = update(&store, n, OrderAction::Expire, SHOP, t(5000), None)
            .await
            .expect("expire");
        assert!(!result.changed, "order {n}");
        assert_eq!(order(&store, n).await, before);
    }
    assert_eq!(stock_of(&store, &lamp.id).await, 15);
    assert_eq!(due(t(5000), 10).await, vec![late.number]);

    // Two expiries at once (two instances' timers): one does it.
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                update(
                    &store,
                    late.number,
                    OrderAction::Expire,
                    SHOP,
                    t(7000),
                    None,
                )
                .await
            })
        })
        .collect();
    let mut changed = 0;
    for task in tasks {
        if task.await.expect("join").expect("expire").changed {
            changed += 1;
        }
    }
    assert_eq!(changed, 1, "one expiry changed the order");
    assert_eq!(stock_of(&store, &lamp.id).await, 15 + 2, "its 2 back once");
    let late_now = order(&store, late.number).await;
    assert_eq!(late_now.status, OrderStatus::Cancelled);
    assert_eq!(
        late_now
            .history
            .iter()
            .filter(|h| h.status == OrderStatus::Cancelled)
            .count(),
        1
    );
    assert_eq!(mails_of(&store, late.number, "cancelled").await, 1);
    assert_eq!(due(t(100_000), 10).await, vec![future.number]);
}

/// The PaymentIntent finds its order; the webhook's success marks it paid
/// once: the same event again is `EventSeen`, another event for it changes
/// nothing, and a refused event is not spent.
pub async fn payment_records_are_idempotent(store: Arc<dyn Store>) {
    let lamp = stocked(&store, "Lamp", 1500, 10).await;
    let placed = place(&store, ANA, &lamp, 2, PaymentMethod::Stripe, t(100_000)).await;
    let n = placed.number;
    assert_eq!(placed.total, 3000);
    assert_eq!(store.order_for_intent("pi_1").await.expect("intent"), None);

    let attached = update(&store, n, attach("pi_1"), SHOP, t(11), None)
        .await
        .expect("attach");
    assert!(attached.changed);
    assert_eq!(attached.order.payment.intent_id.as_deref(), Some("pi_1"));
    assert_eq!(
        attached.order.payment.client_secret.as_deref(),
        Some("pi_1_secret_x")
    );
    assert_eq!(order(&store, n).await, attached.order);
    assert_eq!(
        store.order_for_intent("pi_1").await.expect("intent"),
        Some(n)
    );
    assert_eq!(store.order_for_intent("pi_2").await.expect("intent"), None);
    // A second intent is not attached over the first.
    let second = update(&store, n, attach("pi_2"), SHOP, t(12), None)
        .await
        .expect("attach again");
    assert!(!second.changed);
    assert_eq!(store.order_for_intent("pi_2").await.expect("intent"), None);
    assert_eq!(
        store.order_for_intent("pi_1").await.expect("intent"),
        Some(n)
    );

    // Events refused (another amount, an unknown order) are not spent.
    let mails = outbox_count(&store).await;
    let err = update(
        &store,
        n,
        card_paid("pi_1", 2999),
        STRIPE,
        t(20),
        Some("evt_short"),
    )
    .await
    .expect_err("short");
    assert!(
        matches!(err, StoreError::PaymentMismatch { number } if number == n),
        "{err:?}"
    );
    let err = update(
        &store,
        4242,
        card_paid("pi_1", 3000),
        STRIPE,
        t(20),
        Some("evt_lost"),
    )
    .await
    .expect_err("unknown order");
    assert!(
        matches!(err, StoreError::OrderNotFound { number: 4242 }),
        "{err:?}"
    );
    assert_eq!(
        order(&store, n).await,
        attached.order,
        "refusals changed nothing"
    );

    let paid = update(
        &store,
        n,
        card_paid("pi_1", 3000),
        STRIPE,
        t(30),
        Some("evt_1"),
    )
    .await
    .expect("paid");
    assert!(paid.changed);
    let o = &paid.order;
    assert_eq!(o.status, OrderStatus::Paid);
    assert_eq!(o.payment.status, PaymentStatus::Paid);
    assert_eq!((o.payment.paid, o.payment.paid_at), (3000, Some(t(30))));
    assert_eq!(o.payment.hold_until, None, "paid: no hold");
    assert_eq!(o.history.len(), 2);
    assert_eq!(
        (o.history[1].status, o.history[1].by.as_str()),
        (OrderStatus::Paid, STRIPE)
    );
    assert_eq!(order(&store, n).await, paid.order);
    assert_eq!(outbox_count(&store).await, mails + 1);
    assert_eq!(mails_of(&store, n, "payment_received").await, 1);
    assert_eq!(
        store.orders_to_expire(t(200_000), 10).await.expect("due"),
        Vec::<i64>::new()
    );

    // The same event again: seen, nothing changes.
    let err = update(
        &store,
        n,
        card_paid("pi_1", 3000),
        STRIPE,
        t(40),
        Some("evt_1"),
    )
    .await
    .expect_err("replay");
    assert!(
        matches!(&err, StoreError::EventSeen { event_id } if event_id == "evt_1"),
        "{err:?}"
    );
    assert_eq!(order(&store, n).await, paid.order);
    assert_eq!(outbox_count(&store).await, mails + 1, "no second mail");

    // Another event saying the same: acted on, changing nothing.
    let dup = update(
        &store,
        n,
        card_paid("pi_1", 3000),
        STRIPE,
        t(50),
        Some("evt_2"),
    )
    .await
    .expect("another event");
    assert!(!dup.changed);
    assert_eq!(dup.order, paid.order);
    // The refused events were not spent: they are acted on now (and find
    // the order paid).
    for event in ["evt_short", "evt_lost"] {
        let late = update(
            &store,
            n,
            card_paid("pi_1", 3000),
            STRIPE,
            t(60),
            Some(event),
        )
        .await
        .expect("not seen before");
        assert!(!late.changed);
    }
    // A failure arriving after the success changes nothing either.
    let failed = OrderAction::CardFailed {
        intent_id: "pi_1".into(),
    };
    let late = update(&store, n, failed, STRIPE, t(70), Some("evt_3"))
        .await
        .expect("late failure");
    assert!(!late.changed);
    assert_eq!(order(&store, n).await, paid.order);
    assert_eq!(outbox_count(&store).await, mails + 1);
}

/// The customer pays just as the hold runs out, and the expiry and the
/// webhook race: whichever lands first, the stock is taken once or given
/// back once, and the money is recorded.
pub async fn expiry_racing_the_payment(store: Arc<dyn Store>) {
    let lamp = stocked(&store, "Lamp", 1000, 50).await;
    for round in 0..10 {
        let email = format!("r{round}@example.com");
        let placed = place(&store, &email, &lamp, 2, PaymentMethod::Stripe, t(1000)).await;
        let intent = format!("pi_{round}");
        update(&store, placed.number, attach(&intent), SHOP, t(11), None)
            .await
            .expect("attach");
        let before = stock_of(&store, &lamp.id).await;
        let n = placed.number;
        let expiry = {
            let store = store.clone();
            tokio::spawn(async move {
                update(&store, n, OrderAction::Expire, SHOP, t(2000), None).await
            })
        };
        let payment = {
            let store = store.clone();
            let event = format!("evt_{round}");
            tokio::spawn(async move {
                update(
                    &store,
                    n,
                    card_paid(&intent, 2000),
                    STRIPE,
                    t(2000),
                    Some(&event),
                )
                .await
            })
        };
        let expired = expiry.await.expect("join").expect("expire").changed;
        let paid = payment.await.expect("join").expect("paid");
        assert!(
            paid.changed,
            "round {round}: the payment is recorded either way"
        );
        let now = order(&store, n).await;
        assert_eq!(now.payment.paid, 2000, "round {round}");
        if expired {
            assert_eq!(now.status, OrderStatus::Cancelled, "round {round}");
            assert_eq!(
                now.payment.refundable(),
                2000,
                "round {round}: to be refunded"
            );
            assert_eq!(
                stock_of(&store, &lamp.id).await,
                before + 2,
                "round {round}"
            );
        } else {
            assert_eq!(now.status, OrderStatus::Paid, "round {round}");
            assert_eq!(stock_of(&store, &lamp.id).await, before, "round {round}");
        }
    }
}

fn count_outcomes(results: Vec<Result<Updated, StoreError>>) -> (usize, usize, usize) {
    let (mut changed, mut unchanged, mut seen) = (0, 0, 0);
    for result in results {
        match result {
            Ok(u) if u.changed => changed += 1,
            Ok(_) => unchanged += 1,
            Err(StoreError::EventSeen { .. }) => seen += 1,
            Err(other) => panic!("unexpected webhook error: {other:?}"),
        }
    }
    (changed, unchanged, seen)
}

async fn race(
    store: &Arc<dyn Store>,
    number: i64,
    intent: &str,
    events: Vec<String>,
) -> Vec<Result<Updated, StoreError>> {
    let tasks: Vec<_> = events
        .into_iter()
        .map(|event| {
            let (store, intent) = (store.clone(), intent.to_owned());
            tokio::spawn(async move {
                update(
                    &store,
                    number,
                    card_paid(&intent, 1000),
                    STRIPE,
                    t(30),
                    Some(&event),
                )
                .await
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("join"));
    }
    results
}

/// Twenty deliveries of one event at once, and twenty distinct events for
/// one payment at once: the order is paid once, with one history entry and
/// one mail.
pub async fn concurrent_webhooks_pay_once(store: Arc<dyn Store>) {
    let lamp = stocked(&store, "Lamp", 1000, 10).await;
    for (intent, distinct) in [("pi_same", false), ("pi_many", true)] {
        let o = card_order(&store, &format!("{intent}@example.com"), &lamp, intent).await;
        let events = (0..20)
            .map(|i| {
                if distinct {
                    format!("evt_{intent}_{i}")
                } else {
                    format!("evt_{intent}")
                }
            })
            .collect();
        let (changed, unchanged, seen) =
            count_outcomes(race(&store, o.number, intent, events).await);
        assert_eq!(changed, 1, "{intent}: one delivery pays the order");
        assert_eq!(unchanged + seen, 19, "{intent}");
        if distinct {
            assert_eq!(seen, 0, "{intent}: distinct events are none of them seen");
        }
        let now = order(&store, o.number).await;
        assert_eq!(now.status, OrderStatus::Paid);
        assert_eq!(
            (now.payment.status, now.payment.paid),
            (PaymentStatus::Paid, 1000)
        );
        assert_eq!(
            now.history
                .iter()
                .filter(|h| h.status == OrderStatus::Paid)
                .count(),
            1,
            "{intent}: one paid entry"
        );
        assert_eq!(now.history.len(), 2);
        assert_eq!(
            mails_of(&store, o.number, "payment_received").await,
            1,
            "{intent}"
        );
    }
}

fn refund(id: &str, key: &str, amount: i64) -> Refund {
    Refund {
        id: id.to_owned(),
        key: key.to_owned(),
        amount,
        at: t(100),
        by: ADMIN.to_owned(),
    }
}

/// A refund is held back before the gateway is asked: never more than
/// what is left, one of two racing holds wins, the refund completes the
/// hold and a release frees it.
pub async fn refund_holds(store: Arc<dyn Store>) {
    let lamp = stocked(&store, "Lamp", 3000, 10).await;
    let o = card_order(&store, ANA, &lamp, "pi_r").await;
    let n = o.number;
    update(
        &store,
        n,
        card_paid("pi_r", 3000),
        STRIPE,
        t(30),
        Some("evt_r"),
    )
    .await
    .expect("paid");
    let paid = order(&store, n).await;
    assert_eq!(paid.payment.refundable(), 3000);

    let reserve = |key: &str, amount| OrderAction::ReserveRefund {
        key: key.to_owned(),
        amount,
    };
    for amount in [3001, 0, -5] {
        let err = update(&store, n, reserve("k0", amount), ADMIN, t(40), None)
            .await
            .expect_err("too large");
        assert!(
            matches!(err, StoreError::RefundTooLarge { number, refundable: 3000 } if number == n),
            "{amount}: {err:?}"
        );
    }
    assert_eq!(order(&store, n).await, paid, "nothing stored");

    // Ten admins (or retries) hold 2000 each at once: one wins.
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let store = store.clone();
            let action = reserve(&format!("k{i}"), 2000);
            tokio::spawn(async move { (i, update(&store, n, action, ADMIN, t(50), None).await) })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        match task.await.expect("join") {
            (i, Ok(u)) => {
                assert!(u.changed);
                winners.push(format!("k{i}"));
            }
            (
                _,
                Err(StoreError::RefundTooLarge {
                    refundable: 1000, ..
                }),
            ) => {}
            (_, Err(other)) => panic!("unexpected refund error: {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one hold: {winners:?}");
    let key = winners.remove(0);
    let held = order(&store, n).await;
    assert_eq!(
        held.payment.pending_refunds,
        vec![PendingRefund {
            key: key.clone(),
            amount: 2000
        }]
    );
    assert_eq!(held.payment.refundable(), 1000);
    assert_eq!(held.history, paid.history, "a hold is not a status change");

    // The gateway answered: the refund completes the winner's hold.
    let mails = outbox_count(&store).await;
    let done = update(
        &store,
        n,
        OrderAction::Refund(refund("re_1", &key, 2000)),
        ADMIN,
        t(60),
        None,
    )
    .await
    .expect("refund");
    assert!(done.changed);
    let p = &done.order.payment;
    assert!(p.pending_refunds.is_empty());
    assert_eq!((p.refunded, p.refundable()), (2000, 1000));
    assert_eq!(p.status, PaymentStatus::PartiallyRefunded);
    assert_eq!(p.refunds, vec![refund("re_1", &key, 2000)]);
    assert_eq!(done.order.status, OrderStatus::Paid);
    assert_eq!(order(&store, n).await, done.order);
    assert_eq!(outbox_count(&store).await, mails + 1);
    assert_eq!(mails_of(&store, n, "refunded").await, 1);
    // Recorded again (the gateway's answer seen twice): nothing.
    let replay = update(
        &store,
        n,
        OrderAction::Refund(refund("re_1", &key, 2000)),
        ADMIN,
        t(61),
        None,
    )
    .await
    .expect("replay");
    assert!(!replay.changed);
    assert_eq!(order(&store, n).await, done.order);

    // A hold on the rest, then the gateway refuses it: released, free again.
    update(&store, n, reserve("k-rest", 1000), ADMIN, t(70), None)
        .await
        .expect("hold the rest");
    let err = update(&store, n, reserve("k-more", 1), ADMIN, t(71), None)
        .await
        .expect_err("nothing left");
    assert!(
        matches!(err, StoreError::RefundTooLarge { refundable: 0, .. }),
        "{err:?}"
    );
    let released = update(
        &store,
        n,
        OrderAction::ReleaseRefund {
            key: "k-rest".into(),
        },
        ADMIN,
        t(72),
        None,
    )
    .await
    .expect("release");
    assert!(released.changed);
    assert_eq!(released.order.payment.refundable(), 1000);
    assert_eq!(order(&store, n).await, done.order, "as before the hold");
    let again = update(
        &store,
        n,
        OrderAction::ReleaseRefund {
            key: "k-rest".into(),
        },
        ADMIN,
        t(73),
        None,
    )
    .await
    .expect("release again");
    assert!(!again.changed);

    // The rest, by hand: the order is refunded.
    let all = update(
        &store,
        n,
        OrderAction::Refund(refund("re_2", "", 1000)),
        ADMIN,
        t(80),
        None,
    )
    .await
    .expect("the rest");
    assert_eq!(all.order.status, OrderStatus::Refunded);
    assert_eq!(all.order.payment.status, PaymentStatus::Refunded);
    assert_eq!(all.order.payment.refundable(), 0);
    assert_eq!(order(&store, n).await, all.order);
    let err = update(&store, n, reserve("k-late", 1), ADMIN, t(90), None)
        .await
        .expect_err("nothing left");
    assert!(
        matches!(err, StoreError::RefundTooLarge { refundable: 0, .. }),
        "{err:?}"
    );
}
