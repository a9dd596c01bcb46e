use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tienda::domain::chat::{Message, MessageFilter, MessageType};
use tienda::domain::new_id;
use tienda::store::Store;

use crate::support::message;

const ANA: &str = "ana@example.com";
const BOB: &str = "bob@example.com";
const STAFF: &str = "staff@shop.test";

fn bodies(messages: &[Message]) -> Vec<&str> {
    messages.iter().map(|m| m.body.as_str()).collect()
}

fn filter(limit: u64) -> MessageFilter {
    MessageFilter {
        limit,
        ..MessageFilter::default()
    }
}

pub async fn messages_filters_and_paging(store: Arc<dyn Store>) {
    // Two messages share a millisecond: ties are ordered by id, so give
    // the later one the greater id.
    let mut tie = [
        message(BOB, MessageType::Customer, None, "bob asks", 40),
        message(STAFF, MessageType::Staff, Some(BOB), "to bob", 40),
    ];
    let (lo, hi) = if tie[0].id < tie[1].id {
        (tie[0].id.clone(), tie[1].id.clone())
    } else {
        (tie[1].id.clone(), tie[0].id.clone())
    };
    tie[0].id = lo;
    tie[1].id = hi;
    let all = vec![
        message(ANA, MessageType::Customer, None, "ana asks", 10),
        message(STAFF, MessageType::Staff, Some(ANA), "to ana", 20),
        message(STAFF, MessageType::Staff, None, "to all", 30),
        tie[0].clone(),
        tie[1].clone(),
        message(ANA, MessageType::Customer, None, "ana again", 50),
    ];
    // Inserted out of order: listing order comes from the data.
    for i in [5, 0, 3, 1, 4, 2] {
        store.insert_message(&all[i]).await.expect("insert");
    }

    let everything = store.list_messages(&filter(50)).await.expect("all");
    assert_eq!(everything, all, "oldest first, exact round trip");

    let newest = store.list_messages(&filter(2)).await.expect("newest 2");
    assert_eq!(bodies(&newest), vec!["to bob", "ana again"]);
    assert!(store.list_messages(&filter(0)).await.expect("0").is_empty());

    let anas_channel = MessageFilter {
        channel_of: Some(ANA.into()),
        ..filter(50)
    };
    assert_eq!(
        bodies(&store.list_messages(&anas_channel).await.expect("channel")),
        vec!["ana asks", "to ana", "ana again"]
    );
    let staff_channel = MessageFilter {
        channel_of: Some(STAFF.into()),
        ..filter(50)
    };
    assert_eq!(
        bodies(&store.list_messages(&staff_channel).await.expect("staff")),
        vec!["to ana", "to all", "to bob"]
    );

    let bob_sees = MessageFilter {
        visible_to: Some(BOB.into()),
        ..filter(50)
    };
    assert_eq!(
        bodies(&store.list_messages(&bob_sees).await.expect("visible")),
        vec!["ana asks", "to all", "bob asks", "to bob", "ana again"],
        "public messages, his own and answers to him; not answers to ana"
    );
    let ana_sees = MessageFilter {
        visible_to: Some(ANA.into()),
        ..filter(50)
    };
    assert_eq!(
        bodies(&store.list_messages(&ana_sees).await.expect("visible")),
        vec!["ana asks", "to ana", "to all", "bob asks", "ana again"]
    );

    // Both filters at once.
    let both = MessageFilter {
        channel_of: Some(BOB.into()),
        visible_to: Some(BOB.into()),
        ..filter(50)
    };
    assert_eq!(
        bodies(&store.list_messages(&both).await.expect("both")),
        vec!["bob asks", "to bob"]
    );

    // Paging backwards with `before`, including across the tie.
    let page = |before: &str, limit: u64| MessageFilter {
        before: Some(before.to_owned()),
        ..filter(limit)
    };
    assert_eq!(
        bodies(&store.list_messages(&page(&all[5].id, 2)).await.expect("p1")),
        vec!["bob asks", "to bob"]
    );
    assert_eq!(
        bodies(&store.list_messages(&page(&all[4].id, 2)).await.expect("p2")),
        vec!["to all", "bob asks"],
        "strictly before, ties by id"
    );
    assert_eq!(
        bodies(
            &store
                .list_messages(&page(&all[3].id, 10))
                .await
                .expect("p3")
        ),
        vec!["ana asks", "to ana", "to all"]
    );
    assert!(store
        .list_messages(&page(&all[0].id, 10))
        .await
        .expect("p4")
        .is_empty());
    let paged_channel = MessageFilter {
        channel_of: Some(ANA.into()),
        before: Some(all[5].id.clone()),
        ..filter(1)
    };
    assert_eq!(
        bodies(&store.list_messages(&paged_channel).await.expect("p5")),
        vec!["to ana"]
    );
    // An unknown cursor pages from the newest.
    assert_eq!(
        bodies(&store.list_messages(&page(&new_id(), 1)).await.expect("p6")),
        vec!["ana again"]
    );
}

pub async fn watch_feed(store: Arc<dyn Store>) {
    let feed = store.watch_messages().await;
    match store.is_shared() {
        // One process owns the file: its local hub sees every insert, and
        // asking for a feed is a mistake the store names.
        false => assert!(feed.is_err(), "the embedded store has no feed"),
        true => {
            let mut feed = feed.expect("a shared store offers a feed");
            let first = message(ANA, MessageType::Customer, None, "hello", 1);
            let second = message(STAFF, MessageType::Staff, Some(ANA), "hi ana", 2);
            store.insert_message(&first).await.expect("insert");
            store.insert_message(&second).await.expect("insert");
            for expected in [first, second] {
                let got = tokio::time::timeout(Duration::from_secs(10), feed.next())
                    .await
                    .expect("feed delivers within 10 s")
                    .expect("feed open")
                    .expect("feed item");
                assert_eq!(got, expected);
            }
        }
    }
}
