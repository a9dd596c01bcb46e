//! The dashboard's figures: the same from the same orders on every store,
//! kept by checkout and status changes (a cancellation, a partial refund), and
//! computed again from the orders when a store from before them is upgraded.

use std::sync::Arc;

use tienda::domain::orders::{Order, OrderAction, OrderStatus};
use tienda::domain::payments::Refund;
use tienda::domain::stats::{SalesStats, StatsRange};
use tienda::store::Store;
use time::macros::date;

use crate::support::{checkout, line, ready_cart, set_status, stocked, t, update, user, Backend};

const DAY: i64 = 86_400_000;
const ADMIN: &str = "boss@shop.test";

/// `support::t(0)` is 2025-06-15T15:06:40Z: these are its day and the two after.
fn range() -> StatsRange {
    StatsRange::parse(
        Some("2025-06-15"),
        Some("2025-06-17"),
        date!(2026 - 01 - 01),
    )
    .expect("a good range")
}

async fn stats(store: &Arc<dyn Store>, range: StatsRange) -> SalesStats {
    let figures = store.sales_figures(&range).await.expect("figures");
    SalesStats::new(range, figures, Vec::new(), "EUR")
}

async fn order(store: &Arc<dyn Store>, email: &str, lines: &[(&str, i64)], at: i64) -> Order {
    let (first, rest) = lines.split_first().expect("a line");
    let product = store
        .get_product(first.0)
        .await
        .expect("read")
        .expect("exists")
        .value()
        .clone();
    ready_cart(store, email, &product, first.1).await;
    for (id, quantity) in rest {
        store
            .add_to_cart(email, line(id), *quantity, t(at))
            .await
            .expect("add");
    }
    store
        .place_order(checkout(email, None, t(at)))
        .await
        .expect("checkout")
        .order
}

/// Places five orders over three days, cancels one and refunds part of
/// another; returns what each figure must be.
async fn shop_with_orders(store: &Arc<dyn Store>) -> (Vec<Order>, [String; 3]) {
    let a = stocked(store, "Anvil", 1000, 50).await;
    let b = stocked(store, "Bell", 250, 50).await;
    let c = stocked(store, "Candle", 400, 50).await;
    for (email, at) in [
        ("old@x.test", -DAY),
        ("new1@x.test", 5),
        ("new2@x.test", 2 * DAY),
    ] {
        let mut u = user(email);
        u.created_at = t(at);
        store.create_user(&u, &[]).await.expect("user");
    }
    let o1 = order(store, "ana@x.test", &[(&a.id, 2)], 10).await;
    let o2 = order(store, "ben@x.test", &[(&b.id, 1), (&c.id, 1)], 20).await;
    let o3 = order(store, "cy@x.test", &[(&b.id, 3)], DAY).await;
    let o4 = order(store, "dee@x.test", &[(&a.id, 1)], 2 * DAY).await;
    let o5 = order(store, "ana@x.test", &[(&c.id, 2)], 2 * DAY + 10).await;
    set_status(store, o3.number, OrderStatus::Cancelled, ADMIN, t(DAY + 5))
        .await
        .expect("cancel");
    set_status(store, o4.number, OrderStatus::Paid, ADMIN, t(3 * DAY))
        .await
        .expect("paid");
    let refund = Refund {
        id: "refund-1".into(),
        key: String::new(),
        amount: 300,
        at: t(3 * DAY),
        by: ADMIN.into(),
    };
    update(
        store,
        o4.number,
        OrderAction::Refund(refund),
        ADMIN,
        t(3 * DAY),
        None,
    )
    .await
    .expect("refund");
    for status in [OrderStatus::Paid, OrderStatus::Shipped] {
        set_status(store, o5.number, status, ADMIN, t(3 * DAY))
            .await
            .expect("on its way");
    }
    (vec![o1, o2, o3, o4, o5], [a.id, b.id, c.id])
}

pub async fn figures_follow_checkout_cancel_and_refund(store: Arc<dyn Store>) {
    let (o, [a, b, c]) = shop_with_orders(&store).await;
    let s = stats(&store, range()).await;
    assert_eq!(
        (s.from.as_str(), s.to.as_str()),
        ("2025-06-15", "2025-06-17")
    );
    let days: Vec<_> = s
        .days
        .iter()
        .map(|d| (d.date.as_str(), d.orders, d.revenue))
        .collect();
    let day0 = o[0].total + o[1].total;
    let day2 = o[3].total - 300 + o[4].total;
    assert_eq!(
        days,
        [
            ("2025-06-15", 2, day0),
            ("2025-06-16", 0, 0),
            ("2025-06-17", 2, day2)
        ],
        "the cancelled order leaves its day, the refund lowers its order's day"
    );
    assert_eq!((s.orders, s.revenue), (4, day0 + day2));
    assert_eq!(
        day0 + day2,
        2000 + 250 + 400 + 1000 - 300 + 800,
        "free shipping, no tax"
    );
    assert_eq!(s.average_order_value, (4150 + 2) / 4, "1037.5 rounds up");
    let statuses = s.by_status.all();
    let count = |st| statuses.iter().find(|(s, _)| *s == st).map(|(_, n)| *n);
    assert_eq!(count(OrderStatus::AwaitingPayment), Some(2));
    assert_eq!(count(OrderStatus::Cancelled), Some(1));
    assert_eq!(
        count(OrderStatus::Paid),
        Some(1),
        "a partial refund stays paid"
    );
    assert_eq!(count(OrderStatus::Shipped), Some(1));
    assert_eq!(count(OrderStatus::Delivered), Some(0));
    assert_eq!(count(OrderStatus::Refunded), Some(0));
    let top: Vec<_> = s
        .top_products
        .iter()
        .map(|p| (p.product_id.as_str(), p.title.as_str(), p.units, p.revenue))
        .collect();
    assert_eq!(
        top,
        [
            (a.as_str(), "Anvil", 3, 3000),
            (c.as_str(), "Candle", 3, 1200),
            (b.as_str(), "Bell", 1, 250),
        ],
        "by units, then revenue; the cancelled units left out"
    );
    assert_eq!(s.new_customers, 2, "created in the range");
    assert_eq!(s.currency, "EUR");

    // The day that only had the cancelled order.
    let one = StatsRange::parse(
        Some("2025-06-16"),
        Some("2025-06-16"),
        date!(2026 - 01 - 01),
    )
    .expect("range");
    let s = stats(&store, one).await;
    assert_eq!(
        (s.days.len(), s.orders, s.revenue, s.average_order_value),
        (1, 0, 0, 0)
    );
    assert!(s.top_products.is_empty(), "{:?}", s.top_products);
    assert_eq!(s.by_status.cancelled, 1, "statuses are every order now");
    assert_eq!(s.new_customers, 0);
}

/// An upgraded store shows its history: the figures computed from the orders
/// (SQLite's last migration, MongoDB schema step 5) are the ones checkout kept.
pub async fn upgrade_backfills_the_figures(backend: Backend) -> Backend {
    let store = backend.store();
    shop_with_orders(&store).await;
    let kept = stats(&store, range()).await;
    store.close().await;
    if backend.url().starts_with("sqlite://") {
        let path = backend.url().trim_start_matches("sqlite://").to_owned();
        let c = rusqlite::Connection::open(path).expect("open the file");
        // The figures' migration is the last one.
        let before = tienda::store::sqlite::SCHEMA_VERSION - 1;
        c.execute_batch(&format!(
            "DROP TABLE stats_days; DROP TABLE stats_products; DROP TABLE stats_statuses;
             PRAGMA user_version = {before};"
        ))
        .expect("back to the version before the figures");
    } else {
        let db = backend.raw_mongo().await;
        for name in ["stats_days", "stats_products", "stats_statuses"] {
            db.collection::<mongodb::bson::Document>(name)
                .drop()
                .await
                .expect("drop");
        }
        db.collection::<mongodb::bson::Document>("meta")
            .update_one(
                mongodb::bson::doc! { "_id": "schema" },
                mongodb::bson::doc! { "$set": { "version": 4_i64 } },
            )
            .await
            .expect("back to version 4");
    }
    let upgraded = tienda::store::open(backend.url(), 4)
        .await
        .expect("open and migrate");
    let backfilled = stats(&upgraded, range()).await;
    assert_eq!(backfilled, kept);
    upgraded.close().await;
    backend
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn upgrade_backfills_the_figures_sqlite() {
    upgrade_backfills_the_figures(Backend::sqlite().await)
        .await
        .finish()
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn upgrade_backfills_the_figures_mongo() {
    upgrade_backfills_the_figures(Backend::mongo().await)
        .await
        .finish()
        .await;
}
