use std::collections::HashSet;
use std::sync::Arc;

use tienda::domain::mail::{MailKind, MailStatus, OutboxMail};
use tienda::domain::Page;
use tienda::store::Store;

use crate::support::{mail, t, user};

/// Writes `n` pending mails due at `t(0)` (through a registration, the only
/// way mail enters the outbox besides checkout and resets).
async fn pending_mails(store: &Arc<dyn Store>, n: usize) -> Vec<OutboxMail> {
    let u = user("ana@example.com");
    let mails: Vec<_> = (0..n)
        .map(|i| mail(MailKind::Welcome, &format!("to{i}@example.com"), t(0)))
        .collect();
    store.create_user(&u, &mails).await.expect("create user");
    mails
}

fn ids(mails: &[OutboxMail]) -> HashSet<String> {
    mails.iter().map(|m| m.id.clone()).collect()
}

pub async fn claim_leases_and_statuses(store: Arc<dyn Store>) {
    let mails = pending_mails(&store, 3).await;

    assert!(
        store
            .claim_mail(t(-1), t(60_000), 10)
            .await
            .expect("claim early")
            .is_empty(),
        "nothing is due before its time"
    );

    let first = store.claim_mail(t(0), t(60_000), 2).await.expect("claim");
    assert_eq!(first.len(), 2, "at most `limit`");
    assert!(
        first.iter().all(|m| m.next_attempt_at == t(60_000)),
        "leased"
    );
    assert!(first.iter().all(|m| m.status == MailStatus::Pending));
    let rest = store
        .claim_mail(t(1), t(60_000), 10)
        .await
        .expect("claim rest");
    assert_eq!(rest.len(), 1);
    assert!(
        ids(&first).is_disjoint(&ids(&rest)),
        "a leased row is not claimed again"
    );
    assert!(store
        .claim_mail(t(59_999), t(120_000), 10)
        .await
        .expect("claim during lease")
        .is_empty());
    let again = store
        .claim_mail(t(60_000), t(120_000), 10)
        .await
        .expect("claim after lease");
    assert_eq!(
        ids(&again),
        ids(&mails),
        "an expired lease is claimable again"
    );

    let (sent, failing, dead) = (&mails[0], &mails[1], &mails[2]);
    store
        .mark_mail_sent(std::slice::from_ref(&sent.id), t(61_000))
        .await
        .expect("sent");
    store
        .mark_mail_failed(&failing.id, "smtp down", Some(t(200_000)))
        .await
        .expect("failed, retry");
    store
        .mark_mail_failed(&dead.id, "mailbox unknown", None)
        .await
        .expect("failed for good");

    let get = |status| {
        let store = store.clone();
        async move {
            store
                .list_mail(status, Page::default())
                .await
                .expect("list mail")
        }
    };
    let (items, total) = get(Some(MailStatus::Sent)).await;
    assert_eq!(total, 1);
    assert_eq!(items[0].id, sent.id);
    assert_eq!(items[0].sent_at, Some(t(61_000)));
    assert_eq!(items[0].attempts, 1);
    assert_eq!(items[0].last_error, None);

    let (items, total) = get(Some(MailStatus::Pending)).await;
    assert_eq!(total, 1);
    assert_eq!(items[0].id, failing.id);
    assert_eq!(items[0].attempts, 1);
    assert_eq!(items[0].last_error.as_deref(), Some("smtp down"));
    assert_eq!(items[0].next_attempt_at, t(200_000));
    assert_eq!(items[0].payload, failing.payload, "payload round trip");

    let (items, total) = get(Some(MailStatus::Failed)).await;
    assert_eq!(total, 1);
    assert_eq!(items[0].id, dead.id);
    assert_eq!(items[0].last_error.as_deref(), Some("mailbox unknown"));
    assert_eq!(get(None).await.1, 3);
    let (page, total) = store
        .list_mail(
            None,
            Page {
                offset: 1,
                limit: 1,
            },
        )
        .await
        .expect("page");
    assert_eq!((page.len(), total), (1, 3));

    // Sent and failed rows are never claimed; the retried one when due.
    assert!(store
        .claim_mail(t(199_999), t(300_000), 10)
        .await
        .expect("claim")
        .is_empty());
    let due = store
        .claim_mail(t(200_000), t(1_000_000), 10)
        .await
        .expect("claim");
    assert_eq!(ids(&due), ids(std::slice::from_ref(failing)));

    assert!(!store.retry_mail(&failing.id, t(1)).await.expect("pending"));
    assert!(!store.retry_mail(&sent.id, t(1)).await.expect("sent"));
    assert!(store.retry_mail(&dead.id, t(400_000)).await.expect("retry"));
    let back = store
        .claim_mail(t(400_000), t(500_000), 10)
        .await
        .expect("claim retried");
    assert_eq!(ids(&back), ids(std::slice::from_ref(dead)));
    assert_eq!(back[0].status, MailStatus::Pending);
    assert_eq!(back[0].attempts, 1);
}

pub async fn concurrent_claims_are_disjoint(store: Arc<dyn Store>) {
    let mails = pending_mails(&store, 12).await;
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.claim_mail(t(0), t(60_000), 5).await })
        })
        .collect();
    let mut seen = HashSet::new();
    let mut count = 0;
    for task in tasks {
        for m in task.await.expect("join").expect("claim") {
            count += 1;
            assert!(seen.insert(m.id), "a mail went to two senders");
        }
    }
    assert_eq!(count, 12);
    assert_eq!(seen, ids(&mails));
}
