use std::sync::Arc;

use serde_json::json;
use tienda::domain::accounts::Role;
use tienda::domain::audit::{AuditEntry, AuditFilter};
use tienda::domain::dates::DayRange;
use tienda::domain::{from_millis, new_id, Page};
use tienda::store::Store;
use time::macros::date;

/// 2026-03-01T00:00:00Z plus `hours`.
fn at(hours: i64) -> tienda::domain::Timestamp {
    from_millis(1_772_323_200_000 + hours * 3_600_000)
}

fn entry(actor: &str, action: &str, target: &str, hours: i64) -> AuditEntry {
    AuditEntry {
        id: new_id(),
        at: at(hours),
        actor: actor.into(),
        role: if actor.starts_with("staff") {
            Role::Staff
        } else {
            Role::Admin
        },
        action: action.into(),
        target: target.into(),
        before: Some(json!({ "status": "paid", "n": 1 })),
        after: Some(json!({ "status": "shipped", "n": 2 })),
    }
}

fn ids(entries: &[AuditEntry]) -> Vec<&str> {
    entries.iter().map(|e| e.id.as_str()).collect()
}

/// Entries come back exactly as appended, newest first, and every filter
/// narrows the list and its count the same way on both stores.
pub async fn audit_log_appends_and_filters(store: Arc<dyn Store>) {
    let written = [
        entry("boss@example.com", "product.update", "product:p1", 0),
        entry("staff@example.com", "order.status", "order:7", 1),
        entry("boss@example.com", "order.refund", "order:7", 25),
        entry("staff@example.com", "order.status", "order:8", 49),
        entry("boss@example.com", "orderly.thing", "x:1", 50),
    ];
    for e in &written {
        store.append_audit(e).await.expect("append");
    }

    let (all, total) = store
        .list_audit(&AuditFilter::default(), Page::default())
        .await
        .expect("list");
    assert_eq!(total, 5);
    let newest_first: Vec<&str> = written.iter().rev().map(|e| e.id.as_str()).collect();
    assert_eq!(ids(&all), newest_first);
    assert_eq!(all[4], written[0], "every field reads back as written");

    let cases: Vec<(AuditFilter, Vec<usize>)> = vec![
        (
            AuditFilter {
                actor: Some("staff@example.com".into()),
                ..Default::default()
            },
            vec![3, 1],
        ),
        (
            AuditFilter {
                action: Some("order.status".into()),
                ..Default::default()
            },
            vec![3, 1],
        ),
        (
            // A prefix ending in a dot is every action on that thing, and
            // no other thing whose name merely starts the same.
            AuditFilter {
                action: Some("order.".into()),
                ..Default::default()
            },
            vec![3, 2, 1],
        ),
        (
            AuditFilter {
                target: Some("order:7".into()),
                ..Default::default()
            },
            vec![2, 1],
        ),
        (
            AuditFilter {
                days: DayRange {
                    from: Some(date!(2026 - 03 - 02)),
                    to: Some(date!(2026 - 03 - 02)),
                },
                ..Default::default()
            },
            vec![2],
        ),
        (
            AuditFilter {
                actor: Some("boss@example.com".into()),
                action: Some("order.".into()),
                target: Some("order:7".into()),
                days: DayRange {
                    from: Some(date!(2026 - 03 - 01)),
                    to: None,
                },
            },
            vec![2],
        ),
        (
            AuditFilter {
                actor: Some("nobody@example.com".into()),
                ..Default::default()
            },
            vec![],
        ),
    ];
    for (filter, expected) in cases {
        let (found, total) = store
            .list_audit(&filter, Page::default())
            .await
            .expect("filtered list");
        let want: Vec<&str> = expected.iter().map(|&i| written[i].id.as_str()).collect();
        assert_eq!(ids(&found), want, "{filter:?}");
        assert_eq!(total, want.len() as u64, "{filter:?}");
    }

    let (page, total) = store
        .list_audit(
            &AuditFilter::default(),
            Page {
                offset: 1,
                limit: 2,
            },
        )
        .await
        .expect("page");
    assert_eq!(total, 5, "the count covers every page");
    assert_eq!(ids(&page), newest_first[1..3].to_vec());
}

/// Before and after come back as the same JSON, whatever keys and values
/// the recorded thing has.
pub async fn audit_values_round_trip(store: Arc<dyn Store>) {
    let mut e = entry("boss@example.com", "product.update", "product:p1", 0);
    e.before = None;
    e.after = Some(json!({
        "$set": { "a.b": [1, -2, 3.5, null, true] },
        "name": "Café «Ñ» 🍰 =HYPERLINK(\"x\")",
        "big": i64::MAX,
    }));
    store.append_audit(&e).await.expect("append");
    let (found, _) = store
        .list_audit(&AuditFilter::default(), Page::default())
        .await
        .expect("list");
    assert_eq!(found, vec![e]);
}
