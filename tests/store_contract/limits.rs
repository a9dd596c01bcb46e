use std::sync::Arc;

use tienda::store::Store;

use crate::support::t;

pub async fn rate_limit_hits(store: Arc<dyn Store>) {
    for expected in 1..=3 {
        assert_eq!(
            store
                .hit("login:1.2.3.4", t(0), t(60_000))
                .await
                .expect("hit"),
            expected
        );
    }
    // Reading a window's count does not add to it.
    for _ in 0..2 {
        assert_eq!(store.hits("login:1.2.3.4", t(0)).await.expect("hits"), 3);
    }
    assert_eq!(
        store.hits("login:1.2.3.4", t(60_000)).await.expect("hits"),
        0,
        "no window yet"
    );
    assert_eq!(store.hits("nobody", t(0)).await.expect("hits"), 0);
    assert_eq!(
        store
            .hit("login:1.2.3.4", t(60_000), t(120_000))
            .await
            .expect("next window"),
        1,
        "a new window starts at 1"
    );
    assert_eq!(
        store
            .hit("login:5.6.7.8", t(0), t(60_000))
            .await
            .expect("other key"),
        1
    );

    // Concurrent hits are all counted.
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.hit("burst", t(0), t(60_000)).await })
        })
        .collect();
    let mut counts = Vec::new();
    for task in tasks {
        counts.push(task.await.expect("join").expect("hit"));
    }
    counts.sort();
    assert_eq!(counts, (1..=20).collect::<Vec<u64>>());

    assert_eq!(store.purge_limits(t(60_000)).await.expect("purge"), 0);
    assert_eq!(store.purge_limits(t(60_001)).await.expect("purge"), 3);
    assert_eq!(
        store
            .hit("login:1.2.3.4", t(0), t(60_000))
            .await
            .expect("hit after purge"),
        1
    );
    assert_eq!(store.purge_limits(t(200_000)).await.expect("purge"), 2);
}
