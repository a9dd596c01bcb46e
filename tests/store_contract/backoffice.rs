//! The back office's reads and writes: order filters by number and dates,
//! the customer list, disabling an account, and mail queued on its own.

use std::sync::Arc;

use tienda::domain::accounts::{Session, User};
use tienda::domain::mail::{MailKind, MailStatus};
use tienda::domain::orders::{Order, OrderFilter, OrderStatus};
use tienda::domain::{new_id, Page, Timestamp};
use tienda::store::Store;
use time::macros::datetime;

use crate::support::{checkout, mail, ready_cart, set_status, stocked, t, user};

const ANA: &str = "ana@example.com";
const BOB: &str = "bob@example.com";

fn numbers(orders: &[Order]) -> Vec<i64> {
    orders.iter().map(|o| o.number).collect()
}

fn day(text: &str) -> Option<time::Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Some(time::Date::parse(text, &format).expect("a day"))
}

pub async fn order_filters_by_number_dates_and_together(store: Arc<dyn Store>) {
    let lamp = stocked(&store, "Lamp", 100, 100).await;
    // Either side of midnight, so the inclusive days are exact.
    let placed: [(&str, Timestamp); 5] = [
        (ANA, datetime!(2026-01-10 23:59:59.999 UTC)),
        (BOB, datetime!(2026-01-11 00:00 UTC)),
        (ANA, datetime!(2026-01-11 23:59:59.999 UTC)),
        (ANA, datetime!(2026-01-12 00:00 UTC)),
        (BOB, datetime!(2026-01-13 10:00 UTC)),
    ];
    for (email, at) in placed {
        ready_cart(&store, email, &lamp, 1).await;
        store
            .place_order(checkout(email, None, at))
            .await
            .expect("checkout");
    }
    set_status(&store, 1003, OrderStatus::Paid, "admin@shop.test", t(50))
        .await
        .expect("pay");

    let cases: Vec<(OrderFilter, Vec<i64>)> = vec![
        (
            OrderFilter {
                number: Some(1003),
                ..OrderFilter::default()
            },
            vec![1003],
        ),
        (
            OrderFilter {
                number: Some(9999),
                ..OrderFilter::default()
            },
            vec![],
        ),
        (
            OrderFilter {
                from: day("2026-01-11"),
                ..OrderFilter::default()
            },
            vec![1005, 1004, 1003, 1002],
        ),
        (
            OrderFilter {
                to: day("2026-01-11"),
                ..OrderFilter::default()
            },
            vec![1003, 1002, 1001],
        ),
        (
            OrderFilter {
                from: day("2026-01-11"),
                to: day("2026-01-11"),
                ..OrderFilter::default()
            },
            vec![1003, 1002],
        ),
        (
            OrderFilter {
                email: Some(ANA.into()),
                from: day("2026-01-11"),
                to: day("2026-01-12"),
                ..OrderFilter::default()
            },
            vec![1004, 1003],
        ),
        (
            OrderFilter {
                email: Some(ANA.into()),
                status: Some(OrderStatus::Paid),
                from: day("2026-01-11"),
                to: day("2026-01-12"),
                number: None,
            },
            vec![1003],
        ),
        (
            OrderFilter {
                status: Some(OrderStatus::AwaitingPayment),
                from: day("2026-01-11"),
                ..OrderFilter::default()
            },
            vec![1005, 1004, 1002],
        ),
        (
            OrderFilter {
                email: Some(BOB.into()),
                number: Some(1003),
                ..OrderFilter::default()
            },
            vec![],
        ),
        (
            OrderFilter {
                from: day("2026-01-14"),
                ..OrderFilter::default()
            },
            vec![],
        ),
    ];
    for (filter, expected) in cases {
        let (items, total) = store
            .list_orders(&filter, Page::default())
            .await
            .expect("list");
        assert_eq!(numbers(&items), expected, "{filter:?}");
        assert_eq!(total, expected.len() as u64, "{filter:?}");
    }

    // Paging keeps the filter and its total.
    let since = OrderFilter {
        from: day("2026-01-11"),
        ..OrderFilter::default()
    };
    let (items, total) = store
        .list_orders(
            &since,
            Page {
                offset: 1,
                limit: 2,
            },
        )
        .await
        .expect("page");
    assert_eq!((numbers(&items), total), (vec![1004, 1003], 4));
    let (items, total) = store
        .list_orders(
            &since,
            Page {
                offset: 0,
                limit: 0,
            },
        )
        .await
        .expect("count only");
    assert_eq!((items.len(), total), (0, 4));

    // A cancelled order still lists, and counts, by its day and its status.
    set_status(
        &store,
        1005,
        OrderStatus::Cancelled,
        "admin@shop.test",
        t(60),
    )
    .await
    .expect("cancel");
    for (filter, expected) in [
        (
            OrderFilter {
                from: day("2026-01-13"),
                to: day("2026-01-13"),
                ..OrderFilter::default()
            },
            vec![1005],
        ),
        (
            OrderFilter {
                status: Some(OrderStatus::Cancelled),
                ..OrderFilter::default()
            },
            vec![1005],
        ),
        (
            OrderFilter {
                status: Some(OrderStatus::AwaitingPayment),
                ..OrderFilter::default()
            },
            vec![1004, 1002, 1001],
        ),
        (OrderFilter::default(), vec![1005, 1004, 1003, 1002, 1001]),
    ] {
        let (items, total) = store
            .list_orders(&filter, Page::default())
            .await
            .expect("list");
        assert_eq!(numbers(&items), expected, "{filter:?}");
        assert_eq!(total, expected.len() as u64, "{filter:?}");
    }
}

fn account(email: &str, name: &str, at: i64) -> User {
    User {
        name: name.to_owned(),
        created_at: t(at),
        ..user(email)
    }
}

pub async fn customers_search_and_paging(store: Arc<dyn Store>) {
    for u in [
        account(ANA, "Ana Pérez", 1),
        account(BOB, "Bob Stone", 2),
        account("carla@shop.test", "Carla ANAYA", 3),
        account("dan@banana.test", "Dan", 4),
    ] {
        store.create_user(&u, &[]).await.expect("create");
    }
    let emails = |list: &[tienda::domain::accounts::CustomerSummary]| {
        list.iter().map(|c| c.email.clone()).collect::<Vec<_>>()
    };
    for (search, expected) in [
        (None, vec!["dan@banana.test", "carla@shop.test", BOB, ANA]),
        (Some("ana"), vec!["dan@banana.test", "carla@shop.test", ANA]),
        (Some("stone"), vec![BOB]),
        (Some("pérez"), vec![ANA]),
        (
            Some("."),
            vec!["dan@banana.test", "carla@shop.test", BOB, ANA],
        ),
        (Some("a.*"), vec![]),
        (Some("100%_"), vec![]),
        (Some("nobody"), vec![]),
    ] {
        let (items, total) = store
            .list_customers(search, Page::default())
            .await
            .expect("list");
        assert_eq!(emails(&items), expected, "{search:?}");
        assert_eq!(total, expected.len() as u64, "{search:?}");
    }
    let (items, total) = store
        .list_customers(
            None,
            Page {
                offset: 1,
                limit: 2,
            },
        )
        .await
        .expect("page");
    assert_eq!(
        (emails(&items), total),
        (vec!["carla@shop.test".to_owned(), BOB.to_owned()], 4)
    );
    let first = &items[0];
    assert_eq!(
        (first.name.as_str(), first.created_at, first.disabled_at),
        ("Carla ANAYA", t(3), None)
    );
}

fn session(user_id: &str, expires: i64) -> Session {
    Session {
        id: new_id(),
        user_id: user_id.to_owned(),
        created_at: t(0),
        expires_at: t(expires),
        revoked_at: None,
    }
}

pub async fn disabling_revokes_sessions_and_enabling_restores(store: Arc<dyn Store>) {
    let ana = user(ANA);
    let bob = user(BOB);
    store.create_user(&ana, &[]).await.expect("ana");
    store.create_user(&bob, &[]).await.expect("bob");
    let (one, two, ended, bobs) = (
        session(&ana.id, 10_000),
        session(&ana.id, 10_000),
        session(&ana.id, 10_000),
        session(&bob.id, 10_000),
    );
    for s in [&one, &two, &ended, &bobs] {
        store.create_session(s).await.expect("session");
    }
    store.revoke_session(&ended.id, t(5)).await.expect("logout");

    let disabled = store
        .set_disabled(ANA, Some(t(50)))
        .await
        .expect("disable")
        .expect("ana exists");
    assert_eq!(
        (disabled.id.as_str(), disabled.disabled_at),
        (ana.id.as_str(), Some(t(50)))
    );
    for s in [&one, &two] {
        let (session, user) = store
            .get_session_user(&s.id)
            .await
            .expect("read")
            .expect("kept");
        assert_eq!(session.revoked_at, Some(t(50)), "revoked with the disable");
        assert_eq!(user.disabled_at, Some(t(50)));
    }
    let ended = store
        .get_session(&ended.id)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(
        ended.revoked_at,
        Some(t(5)),
        "an ended session keeps its end"
    );
    let bobs = store
        .get_session(&bobs.id)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(bobs.revoked_at, None, "other accounts untouched");
    let by_email = store
        .get_user_by_email(ANA)
        .await
        .expect("read")
        .expect("ana");
    assert_eq!(by_email.disabled_at, Some(t(50)));
    let (listed, _) = store
        .list_customers(Some("ana@"), Page::default())
        .await
        .expect("list");
    assert_eq!(listed[0].disabled_at, Some(t(50)));

    let enabled = store
        .set_disabled(ANA, None)
        .await
        .expect("enable")
        .expect("ana exists");
    assert_eq!(enabled.disabled_at, None);
    let two = store
        .get_session(&two.id)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(two.revoked_at, Some(t(50)), "enabling revives no session");
    let fresh = session(&ana.id, 10_000);
    store.create_session(&fresh).await.expect("log in again");
    let (live, user) = store
        .get_session_user(&fresh.id)
        .await
        .expect("read")
        .expect("there");
    assert!(live.revoked_at.is_none() && user.disabled_at.is_none());

    assert_eq!(
        store
            .set_disabled("nobody@example.com", Some(t(60)))
            .await
            .expect("no such user"),
        None
    );
}

pub async fn mail_queued_on_its_own_is_pending(store: Arc<dyn Store>) {
    let (a, b) = (
        mail(MailKind::OrderConfirmation, ANA, t(10)),
        mail(MailKind::OrderConfirmation, BOB, t(11)),
    );
    store
        .queue_mail(&[a.clone(), b.clone()])
        .await
        .expect("queue");
    store.queue_mail(&[]).await.expect("nothing to queue");
    let (pending, total) = store
        .list_mail(Some(MailStatus::Pending), Page::default())
        .await
        .expect("list");
    assert_eq!(total, 2);
    let ids: Vec<_> = pending.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, vec![b.id.as_str(), a.id.as_str()], "newest first");
    assert_eq!(pending[1].to, ANA);
}
