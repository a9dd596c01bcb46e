//! Orders stored before shipping, taxes and payments existed (no details,
//! no payment, status `placed`, the address as text) read back as
//! `legacy_payment` says, with `subtotal == total`, and still move on.
//! The rows are written raw, so each store has its own test.

use std::sync::Arc;

use mongodb::bson::{doc, Bson};
use tienda::domain::address::Address;
use tienda::domain::orders::{legacy_payment, OrderStatus};
use tienda::domain::payments::{PaymentMethod, PaymentStatus};
use tienda::domain::shipping::ShippingQuote;
use tienda::i18n::Locale;
use tienda::store::Store;

use crate::support::{set_status, t, Backend};

const ITEMS: &str = r#"[{"product_id":"p1","variant_id":"p1","name":"Lamp","description":"Old lamp","unit_price":1999,"quantity":2,"line_total":3998}]"#;

/// What both stores must answer for the two old orders: 7001 `placed`,
/// 7002 `paid`, each of 3998 with a one-line address.
async fn old_orders_read_back(store: Arc<dyn Store>) {
    for (number, status) in [
        (7001, OrderStatus::AwaitingPayment),
        (7002, OrderStatus::Paid),
    ] {
        let o = store
            .get_order(number)
            .await
            .expect("an old order decodes")
            .expect("found");
        assert_eq!(o.status, status);
        assert_eq!(o.history[0].status, status);
        assert_eq!((o.subtotal, o.total), (3998, 3998), "subtotal is the total");
        assert_eq!(o.shipping, ShippingQuote::default());
        assert!(o.taxes.is_empty());
        assert_eq!(o.payment, legacy_payment(number, status, 3998));
        assert_eq!(o.payment.method, PaymentMethod::BankTransfer);
        assert_eq!(o.payment.reference, format!("ORDER-{number}"));
        assert_eq!(o.tracking, None);
        assert_eq!(o.locale, Locale::En);
        assert_eq!(
            o.delivery_address,
            Address::from_legacy("1 Calle Mayor, Madrid", "")
        );
        assert_eq!(o.items[0].line_total, 3998);
        assert_eq!(o.created_at, t(1));
    }
    assert_eq!(
        store
            .get_order(7002)
            .await
            .expect("get")
            .expect("found")
            .payment
            .status,
        PaymentStatus::Paid
    );
    let (listed, _) = store
        .list_orders(&Default::default(), Default::default())
        .await
        .expect("list");
    assert_eq!(
        listed.iter().map(|o| o.number).collect::<Vec<_>>(),
        vec![7002, 7001]
    );

    // The old bank transfer is marked paid by an admin, as then.
    let paid = set_status(&store, 7001, OrderStatus::Paid, "admin@shop.test", t(10))
        .await
        .expect("pay an old order");
    assert_eq!(paid.payment.status, PaymentStatus::Paid);
    assert_eq!(paid.payment.paid, 3998);
    assert_eq!(paid.subtotal, 3998);
    assert_eq!(store.get_order(7001).await.expect("get"), Some(paid));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn old_orders_read_back_sqlite() {
    let backend = Backend::sqlite().await;
    let path = backend.url().trim_start_matches("sqlite://").to_owned();
    let history = |status: &str| {
        format!(
            r#"[{{"status":"{status}","at":"2025-06-15T15:06:40.001Z","by":"ana@example.com"}}]"#
        )
    };
    {
        let c = rusqlite::Connection::open(&path).expect("open raw");
        c.busy_timeout(std::time::Duration::from_secs(5))
            .expect("busy timeout");
        for (number, status) in [(7001, "placed"), (7002, "paid")] {
            // The columns of the release before payments; `details` is left
            // to its default.
            c.execute(
                "INSERT INTO orders (number, email, status, items, total, currency,
                   delivery_address, created_at, history)
                 VALUES (?1, 'ana@example.com', ?2, ?3, 3998, 'EUR',
                   '1 Calle Mayor, Madrid', ?4, ?5)",
                rusqlite::params![
                    number,
                    status,
                    ITEMS,
                    1_750_000_000_001_i64,
                    history(status)
                ],
            )
            .expect("an old order row");
        }
    }
    old_orders_read_back(backend.store()).await;
    backend.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn old_orders_read_back_mongo() {
    let backend = Backend::mongo().await;
    let db = backend.raw_mongo().await;
    let at = mongodb::bson::DateTime::from_millis(1_750_000_000_001);
    let items: Bson = serde_json::from_str::<serde_json::Value>(ITEMS)
        .expect("items")
        .try_into()
        .expect("items as BSON");
    for (number, status) in [(7001_i64, "placed"), (7002_i64, "paid")] {
        db.collection::<mongodb::bson::Document>("orders")
            .insert_one(doc! {
                "_id": number, "number": number, "email": "ana@example.com",
                "status": status, "items": items.clone(), "total": 3998_i64,
                "currency": "EUR", "delivery_address": "1 Calle Mayor, Madrid",
                "created_at": at,
                "history": [{ "status": status, "at": at, "by": "ana@example.com" }],
            })
            .await
            .expect("an old order document");
    }
    old_orders_read_back(backend.store()).await;
    backend.finish().await;
}
