//! Personal data: erasing an account (one transaction that deletes the
//! person and anonymises what the shop keeps) and exporting one, the same on
//! both stores.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tienda::domain::accounts::{
    AccountRules, Accounts, Erasure, Identity, PasswordReset, Role, Session, User,
};
use tienda::domain::address::Address;
use tienda::domain::chat::{Message, MessageFilter, MessageType};
use tienda::domain::mail::MailKind;
use tienda::domain::orders::{Order, OrderFilter, OrderStatus};
use tienda::domain::{new_id, Page};
use tienda::store::{ShopEvents, Store};

use crate::support;
use crate::support::{checkout, line, mail, message, ready_cart, set_status, stocked, t, user};

const ANA: &str = "ana@example.com";
const BOB: &str = "bob@example.com";
const STAFF: &str = "staff@shop.test";

fn session(user_id: &str) -> Session {
    Session {
        id: new_id(),
        user_id: user_id.to_owned(),
        created_at: t(0),
        expires_at: t(10_000_000),
        revoked_at: None,
    }
}

async fn orders_of(store: &Arc<dyn Store>, email: &str) -> Vec<Order> {
    let filter = OrderFilter {
        email: Some(email.to_owned()),
        ..OrderFilter::default()
    };
    store
        .list_orders(&filter, Page::default())
        .await
        .expect("list orders")
        .0
}

async fn every_message(store: &Arc<dyn Store>) -> Vec<Message> {
    store
        .list_messages(&MessageFilter {
            limit: 1000,
            ..MessageFilter::default()
        })
        .await
        .expect("list messages")
}

async fn mail_recipients(store: &Arc<dyn Store>) -> Vec<String> {
    let (mails, _) = store
        .list_mail(None, Page::default())
        .await
        .expect("list mail");
    mails.into_iter().map(|m| m.to).collect()
}

pub async fn erase_anonymises_orders_and_messages_and_deletes_the_rest(store: Arc<dyn Store>) {
    let lamp = stocked(&store, "Lamp", 1999, 50).await;
    let (ana, bob, staff) = (user(ANA), user(BOB), user(STAFF));
    for u in [&ana, &bob, &staff] {
        let welcome = mail(MailKind::Welcome, &u.email, t(0));
        store.create_user(u, &[welcome]).await.expect("create user");
    }
    let (ana_phone, bob_laptop) = (session(&ana.id), session(&bob.id));
    let ana_laptop = session(&ana.id);
    for s in [&ana_phone, &ana_laptop, &bob_laptop] {
        store.create_session(s).await.expect("session");
    }
    let reset = PasswordReset {
        token_hash: "ana-reset".into(),
        user_id: ana.id.clone(),
        expires_at: t(3_600),
    };
    store
        .create_password_reset(&reset, &mail(MailKind::PasswordReset, ANA, t(1)))
        .await
        .expect("reset");

    // Ana: two orders (one paid by staff), a cart left; Bob: one order, paid
    // by staff too.
    ready_cart(&store, ANA, &lamp, 2).await;
    let first = store
        .place_order(checkout(ANA, Some("key-1"), t(100)))
        .await
        .expect("ana's first order")
        .order;
    ready_cart(&store, ANA, &lamp, 1).await;
    let second = store
        .place_order(checkout(ANA, None, t(200)))
        .await
        .expect("ana's second order")
        .order;
    set_status(&store, first.number, OrderStatus::Paid, STAFF, t(300))
        .await
        .expect("paid");
    ready_cart(&store, ANA, &lamp, 3).await;
    ready_cart(&store, BOB, &lamp, 1).await;
    let bobs = store
        .place_order(checkout(BOB, Some("key-1"), t(400)))
        .await
        .expect("bob's order")
        .order;
    let bobs = set_status(&store, bobs.number, OrderStatus::Paid, STAFF, t(500))
        .await
        .expect("bob's paid");
    ready_cart(&store, BOB, &lamp, 4).await;

    let chat = [
        message(
            ANA,
            MessageType::Customer,
            None,
            "my address is 1 Calle Mayor",
            10,
        ),
        message(STAFF, MessageType::Staff, Some(ANA), "thanks Ana", 20),
        message(STAFF, MessageType::Staff, None, "to everyone", 30),
        message(BOB, MessageType::Customer, None, "bob asks", 40),
        message(STAFF, MessageType::Staff, Some(BOB), "to bob", 50),
    ];
    for m in &chat {
        store.insert_message(m).await.expect("message");
    }
    let bobs_cart = store.get_cart(BOB).await.expect("bob's cart");
    let bob_before = store.get_user(&bob.id).await.expect("bob");

    let erasure = Erasure::of(&ana);
    let gone = &erasure.placeholder;
    assert!(store.erase_account(&erasure).await.expect("erase"));

    // The person is gone: account, every session, reset, cart, their mail.
    assert_eq!(store.get_user(&ana.id).await.expect("user"), None);
    assert_eq!(store.get_user_by_email(ANA).await.expect("by email"), None);
    for s in [&ana_phone, &ana_laptop] {
        assert_eq!(store.get_session(&s.id).await.expect("session"), None);
        assert_eq!(store.get_session_user(&s.id).await.expect("s+u"), None);
    }
    assert!(store
        .list_sessions(&ana.id)
        .await
        .expect("sessions")
        .is_empty());
    assert_eq!(
        store
            .consume_password_reset("ana-reset", "$argon2id$new", t(10))
            .await
            .expect("reset"),
        None,
        "the reset link went with the account"
    );
    assert_eq!(store.get_cart(ANA).await.expect("cart"), None);
    let recipients = mail_recipients(&store).await;
    assert!(!recipients.iter().any(|to| to == ANA), "{recipients:?}");
    assert!(recipients.iter().any(|to| to == BOB), "{recipients:?}");

    // Their orders stay for the books: items, amounts, status and history,
    // under the placeholder, without the address.
    assert!(orders_of(&store, ANA).await.is_empty());
    let kept = orders_of(&store, gone).await;
    assert_eq!(
        kept.iter().map(|o| o.number).collect::<Vec<_>>(),
        vec![second.number, first.number],
        "both orders, as one former customer's"
    );
    let first_kept = store
        .get_order(first.number)
        .await
        .expect("get")
        .expect("kept");
    assert_eq!(first_kept.email, *gone);
    assert_eq!(
        first_kept.delivery_address,
        Address::from_legacy(Erasure::ADDRESS, "")
    );
    assert_eq!(first_kept.status, OrderStatus::Paid);
    assert_eq!(
        (
            first_kept.items.clone(),
            first_kept.total,
            first_kept.currency.clone()
        ),
        (first.items.clone(), first.total, first.currency.clone())
    );
    let history: Vec<(OrderStatus, &str)> = first_kept
        .history
        .iter()
        .map(|h| (h.status, h.by.as_str()))
        .collect();
    assert_eq!(
        history,
        vec![
            (OrderStatus::AwaitingPayment, gone.as_str()),
            (OrderStatus::Paid, STAFF)
        ]
    );
    assert!(!format!("{kept:?}").contains(ANA), "no trace of the email");
    assert!(!format!("{kept:?}").contains("Calle Mayor"), "no address");

    // Messages: theirs anonymised in place, answers to them re-addressed.
    let after = every_message(&store).await;
    assert_eq!(after.len(), chat.len(), "no message disappears");
    assert_eq!(after[0].id, chat[0].id);
    assert_eq!(after[0].author, Erasure::AUTHOR);
    assert_eq!(after[0].email, *gone);
    assert_eq!(after[0].body, Erasure::BODY);
    assert_eq!(after[0].created_at, chat[0].created_at);
    assert_eq!(after[1].to.as_deref(), Some(gone.as_str()));
    assert_eq!(
        (after[1].body.as_str(), after[1].email.as_str()),
        ("thanks Ana", STAFF)
    );
    assert!(!format!("{after:?}").contains(ANA));
    assert_eq!(after[2..], chat[2..], "everyone else's messages untouched");

    // Bob is untouched: account, session, cart and order.
    assert_eq!(store.get_user(&bob.id).await.expect("bob"), bob_before);
    assert!(store
        .get_session(&bob_laptop.id)
        .await
        .expect("bob's session")
        .is_some());
    assert_eq!(store.get_cart(BOB).await.expect("bob's cart"), bobs_cart);
    assert_eq!(
        store.get_order(bobs.number).await.expect("bob's order"),
        Some(bobs.clone())
    );

    // Once only; and the email is free for a new, empty account.
    assert!(!store.erase_account(&erasure).await.expect("again"));
    let again = user(ANA);
    store
        .create_user(&again, &[])
        .await
        .expect("the email registers again");
    assert!(orders_of(&store, ANA).await.is_empty(), "a new account");
    ready_cart(&store, ANA, &lamp, 1).await;
    let fresh = store
        .place_order(checkout(ANA, Some("key-1"), t(600)))
        .await
        .expect("the new account orders");
    assert!(!fresh.replayed, "the old key went with the old account");

    // Erasing staff re-signs their history entries on others' orders; the
    // customers' own data stays.
    assert!(store
        .erase_account(&Erasure::of(&staff))
        .await
        .expect("erase staff"));
    let bobs_now = store
        .get_order(bobs.number)
        .await
        .expect("get")
        .expect("bob's order");
    assert_eq!(bobs_now.email, BOB);
    assert_eq!(bobs_now.delivery_address, bobs.delivery_address);
    assert!(bobs_now.history.iter().all(|h| h.by != STAFF));
    assert_eq!(bobs_now.history[0].by, BOB);
}

/// Records which users' sessions the domain said ended.
#[derive(Default)]
struct Ended(Mutex<Vec<String>>);

impl ShopEvents for Ended {
    fn mail_queued(&self) {}
    fn session_ended(&self, _: &str) {}
    fn user_ended(&self, user_id: &str) {
        self.0.lock().expect("lock").push(user_id.to_owned());
    }
}

fn accounts(store: &Arc<dyn Store>, events: Arc<Ended>) -> Accounts {
    Accounts::new(
        store.clone(),
        events,
        AccountRules {
            admin_emails: vec![],
            session_ttl: Duration::from_secs(3600),
            public_url: "http://shop.test".into(),
            notify: "notify@shop.test".into(),
            jwt_secret: "a test secret that is long enough to sign with".into(),
        },
    )
}

pub async fn export_gathers_an_accounts_data(store: Arc<dyn Store>) {
    let lamp = stocked(&store, "Lamp", 1999, 50).await;
    let (ana, bob) = (user(ANA), user(BOB));
    for u in [&ana, &bob] {
        store.create_user(u, &[]).await.expect("create user");
    }
    let ana_session = session(&ana.id);
    store.create_session(&ana_session).await.expect("session");
    store
        .create_session(&session(&bob.id))
        .await
        .expect("session");

    ready_cart(&store, ANA, &lamp, 1).await;
    let first = store
        .place_order(checkout(ANA, None, t(100)))
        .await
        .expect("order")
        .order;
    store
        .add_to_cart(ANA, line(&lamp.id), 1, t(150))
        .await
        .expect("add");
    store
        .set_delivery_address(
            ANA,
            &Address::from_legacy("9 Rue de la Paix, Paris", "FR"),
            t(160),
        )
        .await
        .expect("address");
    let second = store
        .place_order(checkout(ANA, None, t(200)))
        .await
        .expect("order")
        .order;
    store
        .set_delivery_address(ANA, &support::home(), t(300))
        .await
        .expect("cart address");
    ready_cart(&store, BOB, &lamp, 1).await;
    store
        .place_order(checkout(BOB, None, t(400)))
        .await
        .expect("bob's order");

    // More messages than one read returns, so the export pages through them.
    let mut expected = Vec::new();
    for i in 0..205 {
        let m = if i % 2 == 0 {
            message(ANA, MessageType::Customer, None, &format!("ana {i}"), i)
        } else {
            message(
                STAFF,
                MessageType::Staff,
                Some(ANA),
                &format!("to ana {i}"),
                i,
            )
        };
        store.insert_message(&m).await.expect("message");
        expected.push(m);
    }
    for m in [
        message(BOB, MessageType::Customer, None, "bob asks", 1000),
        message(STAFF, MessageType::Staff, None, "to everyone", 1001),
    ] {
        store.insert_message(&m).await.expect("message");
    }

    let events = Arc::new(Ended::default());
    let accounts = accounts(&store, events.clone());
    let who = Identity {
        user: ana.clone(),
        session: ana_session.clone(),
    };
    let export = accounts.export(&who).await.expect("export");
    assert_eq!(export.profile.email, ANA);
    assert_eq!(export.profile.id, ana.id);
    assert_eq!(export.profile.phone, ana.phone);
    assert_eq!(
        export.orders.iter().map(|o| o.number).collect::<Vec<_>>(),
        vec![second.number, first.number],
        "their orders only, newest first"
    );
    assert_eq!(export.orders[1], first, "whole orders");
    let addresses: Vec<String> = export.addresses.iter().map(|a| a.one_line()).collect();
    assert_eq!(
        addresses,
        vec!["1 Calle Mayor, Madrid, ES", "9 Rue de la Paix, Paris, FR"],
        "the cart's, then the orders' (once each)"
    );
    assert_eq!(export.messages, expected, "their channel, oldest first");
    assert_eq!(
        export.sessions.iter().map(|s| &s.id).collect::<Vec<_>>(),
        vec![&ana_session.id]
    );
    let json = serde_json::to_value(&export).expect("serializes");
    assert!(json["exported_at"].is_string());
    assert!(!json.to_string().contains("argon2"), "never the hash");
    assert!(!json.to_string().contains(BOB), "nobody else's data");

    // The domain's erase goes through the same store call and ends the
    // user's sockets; an admin erases anyone but themself.
    let admin = Identity {
        user: User {
            role: Role::Admin,
            ..user(STAFF)
        },
        session: session(&new_id()),
    };
    assert!(
        accounts.erase_user(&admin, STAFF).await.is_err(),
        "staff has no account to erase"
    );
    assert!(accounts.erase_user(&who, ANA).await.is_err(), "not oneself");
    assert!(events.0.lock().expect("lock").is_empty());
    assert!(store.get_user(&ana.id).await.expect("user").is_some());
    accounts.erase_user(&admin, ANA).await.expect("erase");
    assert_eq!(events.0.lock().expect("lock").clone(), vec![ana.id.clone()]);
    assert_eq!(store.get_user(&ana.id).await.expect("user"), None);
    assert!(
        accounts.erase_user(&admin, ANA).await.is_err(),
        "nobody left to erase"
    );
}
