//! MongoDB only: the indexes and document shapes the design fixes, so other
//! tools (and other instances) can rely on them.

use mongodb::bson::{doc, Bson, Document};

use crate::support::{checkout, ready_cart, stocked, t, user, Backend};

async fn indexes(db: &mongodb::Database, collection: &str) -> Vec<Document> {
    use futures_util::TryStreamExt;
    let specs: Vec<mongodb::IndexModel> = db
        .collection::<Document>(collection)
        .list_indexes()
        .await
        .expect("list indexes")
        .try_collect()
        .await
        .expect("indexes");
    specs
        .into_iter()
        .map(|m| {
            let mut d = doc! { "keys": m.keys };
            if let Some(o) = m.options {
                d.insert("unique", o.unique.unwrap_or(false));
                if let Some(p) = o.partial_filter_expression {
                    d.insert("partial", p);
                }
            }
            d
        })
        .collect()
}

fn has(specs: &[Document], keys: Document, unique: bool) -> bool {
    specs.iter().any(|s| {
        s.get_document("keys").ok() == Some(&keys)
            && s.get_bool("unique").unwrap_or(false) == unique
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mongo_indexes_and_document_shapes() {
    let backend = Backend::mongo().await;
    let store = backend.store();
    let db = backend.raw_mongo().await;

    let users = indexes(&db, "users").await;
    assert!(has(&users, doc! { "email": 1 }, true), "{users:?}");
    let products = indexes(&db, "products").await;
    assert!(has(
        &products,
        doc! { "category": 1, "created_at": 1, "_id": 1 },
        false
    ));
    assert!(has(&products, doc! { "created_at": 1, "_id": 1 }, false));
    let orders = indexes(&db, "orders").await;
    assert!(has(&orders, doc! { "number": 1 }, true), "{orders:?}");
    let idem = orders
        .iter()
        .find(|s| s.get_document("keys").ok() == Some(&doc! { "email": 1, "idempotency_key": 1 }))
        .expect("idempotency index");
    assert!(idem.get_bool("unique").expect("unique flag"));
    assert_eq!(
        idem.get_document("partial").expect("partial"),
        &doc! { "idempotency_key": { "$exists": true } }
    );
    let messages = indexes(&db, "messages").await;
    for keys in [
        doc! { "created_at": 1, "_id": 1 },
        doc! { "email": 1, "created_at": 1 },
        doc! { "to": 1, "created_at": 1 },
    ] {
        assert!(
            has(&messages, keys.clone(), false),
            "{keys:?} in {messages:?}"
        );
    }
    let sessions = indexes(&db, "sessions").await;
    assert!(has(&sessions, doc! { "user_id": 1 }, false));
    assert!(has(&sessions, doc! { "expires_at": 1 }, false));
    let outbox = indexes(&db, "outbox").await;
    assert!(has(
        &outbox,
        doc! { "status": 1, "next_attempt_at": 1 },
        false
    ));
    let limits = indexes(&db, "rate_limits").await;
    assert!(has(&limits, doc! { "expires_at": 1 }, false));

    // Opening again (a second instance) is fine: index creation is idempotent.
    let second = tienda::store::open(backend.url(), 2)
        .await
        .expect("second instance opens the same database");
    second.ping().await.expect("ping");

    let ana = user("ana@example.com");
    store.create_user(&ana, &[]).await.expect("user");
    let lamp = stocked(&store, "Lamp", 1999, 5).await;
    ready_cart(&store, "ana@example.com", &lamp, 1).await;
    let cart = db
        .collection::<Document>("cart")
        .find_one(doc! {})
        .await
        .expect("find")
        .expect("cart");
    assert_eq!(cart.get_str("_id").expect("_id"), "ana@example.com");
    assert!(matches!(cart.get("created_at"), Some(Bson::DateTime(_))));

    store
        .place_order(checkout("ana@example.com", None, t(10)))
        .await
        .expect("order");
    ready_cart(&store, "ana@example.com", &lamp, 1).await;
    store
        .place_order(checkout("ana@example.com", Some("k"), t(20)))
        .await
        .expect("keyed order");
    let coll = db.collection::<Document>("orders");
    let plain = coll
        .find_one(doc! { "_id": 1001_i64 })
        .await
        .expect("find")
        .expect("order 1001");
    assert_eq!(plain.get_i64("number").expect("number"), 1001);
    assert!(!plain.contains_key("idempotency_key"), "absent, not null");
    assert_eq!(
        plain
            .get_datetime("created_at")
            .expect("date")
            .timestamp_millis(),
        1_750_000_000_010
    );
    let keyed = coll
        .find_one(doc! { "_id": 1002_i64 })
        .await
        .expect("find")
        .expect("order 1002");
    assert_eq!(keyed.get_str("idempotency_key").expect("key"), "k");

    let user_doc = db
        .collection::<Document>("users")
        .find_one(doc! { "_id": &ana.id })
        .await
        .expect("find");
    assert!(user_doc.is_some(), "users keyed by id");
    let product_doc = db
        .collection::<Document>("products")
        .find_one(doc! { "_id": &lamp.id })
        .await
        .expect("find")
        .expect("product keyed by id");
    assert_eq!(product_doc.get_i64("price").expect("price"), 1999);

    backend.finish().await;
}

/// Two instances on one database: a message one of them stores reaches the
/// other's feed. This is how the chat scales out.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mongo_instances_share_chat() {
    use futures_util::StreamExt;
    use tienda::domain::chat::{Message, MessageType};

    let backend = Backend::mongo().await;
    let a = backend.store();
    let b = tienda::store::open(backend.url(), 2)
        .await
        .expect("second instance");
    let mut feed_a = a.watch_messages().await.expect("a feed");
    let message = Message {
        id: tienda::domain::new_id(),
        author: "Ana".into(),
        email: "ana@example.com".into(),
        kind: MessageType::Customer,
        body: "hola from instance b".into(),
        to: None,
        created_at: t(5),
    };
    b.insert_message(&message).await.expect("insert on b");
    let got = tokio::time::timeout(std::time::Duration::from_secs(10), feed_a.next())
        .await
        .expect("delivered within 10 s")
        .expect("feed open")
        .expect("message");
    assert_eq!(got, message);
    b.close().await;
    drop(feed_a);
    backend.finish().await;
}

/// Instances of a new release starting together on a database the previous
/// release wrote (no recorded version, accounts without `locale`): every one
/// opens, the accounts are migrated once into today's shape, and the version
/// is recorded once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mongo_instances_starting_together_migrate_an_old_database_once() {
    use futures_util::TryStreamExt;
    use tienda::store::mongo::schema::SCHEMA_VERSION;

    let backend = Backend::mongo().await;
    let db = backend.raw_mongo().await;
    // Back to what the previous release left: no version, an old account.
    db.collection::<Document>("meta")
        .drop()
        .await
        .expect("forget the version");
    db.collection::<Document>("users")
        .insert_one(doc! {
            "_id": "old-account", "name": "Old", "phone": "+34600000000",
            "email": "old@example.com", "role": "customer",
            "password_hash": "$argon2id$fake", "created_at": mongodb::bson::DateTime::now(),
        })
        .await
        .expect("an account without locale");

    let opens = (0..4).map(|_| tienda::store::open(backend.url(), 2));
    let stores = futures_util::future::join_all(opens).await;
    for store in &stores {
        assert!(store.is_ok(), "{:?}", store.as_ref().err());
    }
    let metas: Vec<Document> = db
        .collection::<Document>("meta")
        .find(doc! {})
        .await
        .expect("find")
        .try_collect()
        .await
        .expect("meta");
    assert_eq!(metas.len(), 1, "{metas:?}");
    assert_eq!(metas[0].get_str("_id").expect("_id"), "schema");
    assert_eq!(
        metas[0].get_i64("version").expect("version"),
        SCHEMA_VERSION as i64
    );
    let old = db
        .collection::<Document>("users")
        .find_one(doc! { "_id": "old-account" })
        .await
        .expect("find")
        .expect("still there");
    assert_eq!(old.get("locale"), Some(&Bson::Null), "{old}");
    let user = backend
        .store()
        .get_user_by_email("old@example.com")
        .await
        .expect("read")
        .expect("found");
    assert_eq!(user.locale, None);

    // A database recorded newer than this binary knows is refused by every
    // instance, before it writes anything.
    db.collection::<Document>("meta")
        .update_one(
            doc! { "_id": "schema" },
            doc! { "$set": { "version": 99_i64 } },
        )
        .await
        .expect("newer");
    let refused = tienda::store::open(backend.url(), 2)
        .await
        .err()
        .expect("refused");
    assert!(
        format!("{refused:#}").contains("schema version 99"),
        "{refused:#}"
    );
    for store in stores.into_iter().flatten() {
        store.close().await;
    }
    backend.finish().await;
}
