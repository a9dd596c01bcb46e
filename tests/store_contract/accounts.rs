use std::sync::Arc;

use tienda::domain::accounts::{Erasure, PasswordReset, Role, Session, User};
use tienda::domain::mail::{MailKind, MailStatus};
use tienda::domain::{new_id, Page, Timestamp};
use tienda::store::{Store, StoreError};

use crate::support::{mail, outbox_count, t, user};

fn session(user_id: &str, created: Timestamp, expires: Timestamp) -> Session {
    Session {
        id: new_id(),
        user_id: user_id.to_owned(),
        created_at: created,
        expires_at: expires,
        revoked_at: None,
    }
}

/// Asks for a password reset for `user`, valid until t(3,600), with its mail.
async fn request_reset(store: &Arc<dyn Store>, user: &User, token_hash: &str, at: Timestamp) {
    let reset = PasswordReset {
        token_hash: token_hash.into(),
        user_id: user.id.clone(),
        expires_at: t(3_600),
    };
    store
        .create_password_reset(&reset, &mail(MailKind::PasswordReset, &user.email, at))
        .await
        .expect("create reset");
}

pub async fn users_unique_email_roles_delete(store: Arc<dyn Store>) {
    let ana = user("ana@example.com");
    let mails = [
        mail(MailKind::Welcome, &ana.email, t(0)),
        mail(MailKind::RegistrationNotice, "notify@shop.test", t(0)),
    ];
    store.create_user(&ana, &mails).await.expect("create ana");
    let (listed, total) = store
        .list_mail(Some(MailStatus::Pending), Page::default())
        .await
        .expect("list mail");
    assert_eq!(total, 2, "welcome and notice written with the user");
    let mut listed_ids: Vec<_> = listed.iter().map(|m| m.id.clone()).collect();
    let mut mail_ids: Vec<_> = mails.iter().map(|m| m.id.clone()).collect();
    listed_ids.sort();
    mail_ids.sort();
    assert_eq!(listed_ids, mail_ids);
    let welcome = listed
        .iter()
        .find(|m| m.id == mails[0].id)
        .expect("welcome listed");
    assert_eq!(welcome, &mails[0], "mail round trip is exact");

    // Same email, new id: refused as Duplicate, and its mail is not written.
    let twin = user("ana@example.com");
    let twin_mail = [mail(MailKind::Welcome, &twin.email, t(1))];
    let err = store
        .create_user(&twin, &twin_mail)
        .await
        .expect_err("duplicate email");
    assert!(
        matches!(err, StoreError::Duplicate { what: "email" }),
        "got {err:?}"
    );
    assert_eq!(outbox_count(&store).await, 2, "refused user writes no mail");
    assert_eq!(store.get_user(&twin.id).await.expect("get twin"), None);

    assert_eq!(
        store.get_user(&ana.id).await.expect("get").as_ref(),
        Some(&ana)
    );
    assert_eq!(
        store
            .get_user_by_email("ana@example.com")
            .await
            .expect("by email")
            .as_ref(),
        Some(&ana)
    );
    // Values are data, never query operators.
    for odd in ["{\"$ne\": null}", "$ne", "{\"$gt\": \"\"}"] {
        assert_eq!(store.get_user_by_email(odd).await.expect("odd"), None);
        assert_eq!(store.get_user(odd).await.expect("odd id"), None);
    }
    assert_eq!(
        store
            .get_user_by_email("nobody@example.com")
            .await
            .expect("by email"),
        None
    );

    assert!(store
        .set_role("ana@example.com", Role::Admin)
        .await
        .expect("set role"));
    assert_eq!(
        store.get_user(&ana.id).await.expect("get").map(|u| u.role),
        Some(Role::Admin)
    );
    assert!(!store
        .set_role("nobody@example.com", Role::Admin)
        .await
        .expect("set role of nobody"));

    let s = session(&ana.id, t(10), t(10_000));
    store.create_session(&s).await.expect("session");
    assert!(store
        .erase_account(&Erasure::of(&ana))
        .await
        .expect("delete"));
    assert_eq!(store.get_user(&ana.id).await.expect("get"), None);
    assert_eq!(
        store.get_session(&s.id).await.expect("session gone"),
        None,
        "sessions go with the user"
    );
    assert!(!store
        .erase_account(&Erasure::of(&ana))
        .await
        .expect("delete again"));

    // The email is free again.
    store
        .create_user(&user("ana@example.com"), &[])
        .await
        .expect("email reusable after delete");
}

pub async fn sessions_lifecycle(store: Arc<dyn Store>) {
    let ana = user("ana@example.com");
    let bob = user("bob@example.com");
    store.create_user(&ana, &[]).await.expect("ana");
    store.create_user(&bob, &[]).await.expect("bob");

    let old = session(&ana.id, t(0), t(1_000));
    let new = session(&ana.id, t(100), t(5_000));
    let bobs = session(&bob.id, t(50), t(5_000));
    for s in [&old, &new, &bobs] {
        store.create_session(s).await.expect("create session");
    }
    assert_eq!(
        store.get_session(&new.id).await.expect("get").as_ref(),
        Some(&new)
    );
    assert_eq!(store.get_session(&new_id()).await.expect("get"), None);
    assert_eq!(
        store.list_sessions(&ana.id).await.expect("list"),
        vec![new.clone(), old.clone()],
        "newest first"
    );

    assert!(store.revoke_session(&new.id, t(200)).await.expect("revoke"));
    assert!(
        !store.revoke_session(&new.id, t(300)).await.expect("again"),
        "already revoked"
    );
    assert!(!store
        .revoke_session(&new_id(), t(300))
        .await
        .expect("unknown"));
    let revoked = store
        .get_session(&new.id)
        .await
        .expect("get")
        .expect("still there");
    assert_eq!(revoked.revoked_at, Some(t(200)), "first revocation kept");
    assert!(!revoked.is_live(t(201)));

    assert_eq!(
        store
            .revoke_user_sessions(&ana.id, t(400))
            .await
            .expect("revoke all"),
        1,
        "only the live one"
    );
    assert_eq!(
        store
            .get_session(&old.id)
            .await
            .expect("get")
            .and_then(|s| s.revoked_at),
        Some(t(400))
    );
    assert!(store
        .get_session(&bobs.id)
        .await
        .expect("bob")
        .expect("bob's session")
        .is_live(t(400)));

    // Purge drops what expired strictly before the instant.
    assert_eq!(store.purge_sessions(t(1_000)).await.expect("purge"), 0);
    assert_eq!(store.purge_sessions(t(1_001)).await.expect("purge"), 1);
    assert_eq!(store.get_session(&old.id).await.expect("get"), None);
    assert_eq!(store.list_sessions(&ana.id).await.expect("list").len(), 1);
    assert_eq!(store.purge_sessions(t(10_000)).await.expect("purge"), 2);
}

pub async fn password_reset_once_expiry_revokes(store: Arc<dyn Store>) {
    let ana = user("ana@example.com");
    store.create_user(&ana, &[]).await.expect("ana");
    let s1 = session(&ana.id, t(0), t(100_000));
    let s2 = session(&ana.id, t(1), t(100_000));
    store.create_session(&s1).await.expect("s1");
    store.create_session(&s2).await.expect("s2");

    request_reset(&store, &ana, "hash-of-token-1", t(0)).await;
    assert_eq!(outbox_count(&store).await, 1, "reset mail written with it");

    assert_eq!(
        store
            .consume_password_reset("no-such-hash", "$new", t(10))
            .await
            .expect("unknown"),
        None
    );
    assert_eq!(
        store
            .consume_password_reset("hash-of-token-1", "$argon2id$new", t(10))
            .await
            .expect("consume"),
        Some(ana.id.clone())
    );
    let after = store.get_user(&ana.id).await.expect("get").expect("ana");
    assert_eq!(after.password_hash, "$argon2id$new");
    for id in [&s1.id, &s2.id] {
        let s = store.get_session(id).await.expect("get").expect("session");
        assert_eq!(s.revoked_at, Some(t(10)), "every session revoked");
    }
    assert_eq!(
        store
            .consume_password_reset("hash-of-token-1", "$argon2id$again", t(11))
            .await
            .expect("second use"),
        None,
        "a reset works once"
    );
    assert_eq!(
        store
            .get_user(&ana.id)
            .await
            .expect("get")
            .map(|u| u.password_hash),
        Some("$argon2id$new".to_owned())
    );

    // Expired: refused, nothing changes.
    request_reset(&store, &ana, "hash-of-token-2", t(20)).await;
    assert_eq!(
        store
            .consume_password_reset("hash-of-token-2", "$argon2id$late", t(3_600))
            .await
            .expect("at expiry"),
        None
    );
    assert_eq!(
        store
            .get_user(&ana.id)
            .await
            .expect("get")
            .map(|u| u.password_hash),
        Some("$argon2id$new".to_owned())
    );
}

pub async fn session_with_user(store: Arc<dyn Store>) {
    let ana = user("ana@example.com");
    store.create_user(&ana, &[]).await.expect("ana");
    let live = session(&ana.id, t(0), t(5_000));
    store.create_session(&live).await.expect("session");

    assert_eq!(
        store.get_session_user(&live.id).await.expect("get"),
        Some((live.clone(), ana.clone()))
    );
    assert_eq!(
        store.get_session_user(&new_id()).await.expect("unknown"),
        None
    );
    // A revoked session still resolves: the caller decides liveness.
    store.revoke_session(&live.id, t(10)).await.expect("revoke");
    let (revoked, _) = store
        .get_session_user(&live.id)
        .await
        .expect("get revoked")
        .expect("still stored");
    assert_eq!(revoked.revoked_at, Some(t(10)));
    assert!(store
        .erase_account(&Erasure::of(&ana))
        .await
        .expect("delete"));
    assert_eq!(
        store
            .get_session_user(&live.id)
            .await
            .expect("after delete"),
        None,
        "no session without its user"
    );
}

/// Sessions read through the store's cache: every change to them or their
/// user made through the store shows on the very next read, on both stores.
pub async fn session_reads_see_every_account_write(store: Arc<dyn Store>) {
    let ana = user("ana@example.com");
    store.create_user(&ana, &[]).await.expect("ana");
    let read = |id: String| {
        let store = store.clone();
        async move { store.get_session_user(&id).await.expect("read") }
    };
    let s1 = session(&ana.id, t(0), t(50_000));
    store.create_session(&s1).await.expect("session");
    // Read twice: the second answer may come from the cache.
    for _ in 0..2 {
        let (s, u) = read(s1.id.clone()).await.expect("found");
        assert!(s.revoked_at.is_none());
        assert_eq!(u.role, Role::Customer);
    }
    store
        .set_role(&ana.email, Role::Admin)
        .await
        .expect("grant");
    assert_eq!(
        read(s1.id.clone()).await.expect("found").1.role,
        Role::Admin,
        "a role change"
    );
    store
        .set_role(&ana.email, Role::Customer)
        .await
        .expect("revoke role");
    assert_eq!(
        read(s1.id.clone()).await.expect("found").1.role,
        Role::Customer,
        "a role taken away"
    );
    store.revoke_session(&s1.id, t(10)).await.expect("revoke");
    assert!(
        read(s1.id.clone())
            .await
            .expect("found")
            .0
            .revoked_at
            .is_some(),
        "revoking a session"
    );

    let s2 = session(&ana.id, t(0), t(50_000));
    store.create_session(&s2).await.expect("session 2");
    assert!(read(s2.id.clone())
        .await
        .expect("found")
        .0
        .revoked_at
        .is_none());
    store
        .revoke_user_sessions(&ana.id, t(20))
        .await
        .expect("revoke all");
    assert!(
        read(s2.id.clone())
            .await
            .expect("found")
            .0
            .revoked_at
            .is_some(),
        "revoking a user's sessions"
    );

    let s3 = session(&ana.id, t(0), t(500));
    store.create_session(&s3).await.expect("session 3");
    assert!(read(s3.id.clone()).await.is_some());
    store.purge_sessions(t(10_000)).await.expect("purge");
    assert!(read(s3.id.clone()).await.is_none(), "purging sessions");

    let s4 = session(&ana.id, t(0), t(50_000));
    store.create_session(&s4).await.expect("session 4");
    assert!(read(s4.id.clone())
        .await
        .expect("found")
        .0
        .revoked_at
        .is_none());
    request_reset(&store, &ana, "hash-of-a-reset", t(0)).await;
    store
        .consume_password_reset("hash-of-a-reset", "$argon2id$new", t(30))
        .await
        .expect("consume")
        .expect("a live reset");
    assert!(
        read(s4.id.clone())
            .await
            .expect("found")
            .0
            .revoked_at
            .is_some(),
        "a password reset"
    );

    let s5 = session(&ana.id, t(0), t(50_000));
    store.create_session(&s5).await.expect("session 5");
    assert!(read(s5.id.clone()).await.is_some());
    store
        .erase_account(&Erasure::of(&ana))
        .await
        .expect("delete");
    assert!(read(s5.id.clone()).await.is_none(), "deleting a user");
}

pub async fn the_language_a_customer_picked_is_remembered(store: Arc<dyn Store>) {
    use tienda::i18n::Locale;
    let mut ana = user("ana@example.com");
    ana.locale = Some(Locale::Es);
    store.create_user(&ana, &[]).await.expect("create");
    let read = store.get_user(&ana.id).await.expect("get").expect("ana");
    assert_eq!(read.locale, Some(Locale::Es), "kept from registration");
    let bob = user("bob@example.com");
    store.create_user(&bob, &[]).await.expect("create");
    let read = store
        .get_user_by_email("bob@example.com")
        .await
        .expect("get")
        .expect("bob");
    assert_eq!(read.locale, None, "none picked");
    assert!(store.set_locale(&bob.id, Locale::En).await.expect("set"));
    let read = store.get_user(&bob.id).await.expect("get").expect("bob");
    assert_eq!(read.locale, Some(Locale::En));
    assert!(!store
        .set_locale("no-such-user", Locale::En)
        .await
        .expect("set"));
}

/// `staff` is stored as text beside `customer` and `admin` and read back by
/// every read that carries the user; revoking it is seen at once.
pub async fn staff_role_round_trips(store: Arc<dyn Store>) {
    let bea = user("bea@example.com");
    store.create_user(&bea, &[]).await.expect("bea");
    let s1 = session(&bea.id, t(0), t(50_000));
    store.create_session(&s1).await.expect("session");
    assert!(store
        .set_role("bea@example.com", Role::Staff)
        .await
        .expect("grant staff"));
    assert_eq!(
        store.get_user(&bea.id).await.expect("get").map(|u| u.role),
        Some(Role::Staff)
    );
    assert_eq!(
        store
            .get_user_by_email("bea@example.com")
            .await
            .expect("by email")
            .map(|u| u.role),
        Some(Role::Staff)
    );
    for _ in 0..2 {
        let (_, u) = store
            .get_session_user(&s1.id)
            .await
            .expect("read")
            .expect("found");
        assert_eq!(u.role, Role::Staff);
    }
    let mut cat = user("cat@example.com");
    cat.role = Role::Staff;
    store
        .create_user(&cat, &[])
        .await
        .expect("cat, created staff");
    assert_eq!(
        store.get_user(&cat.id).await.expect("get").map(|u| u.role),
        Some(Role::Staff)
    );
    assert!(store
        .set_role("bea@example.com", Role::Customer)
        .await
        .expect("revoke"));
    let (_, u) = store
        .get_session_user(&s1.id)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(u.role, Role::Customer, "a staff role taken away");
}
