//! Card payments through the shop, against the Stripe emulator (localstripe
//! on `TIENDA_TEST_STRIPE_URL`): an order paid by Stripe's signed webhook
//! with nobody coming back to the shop, a declined card, refunds (partial,
//! whole on cancellation, two racing), the hold that calls off an unpaid
//! order, and every webhook that must not move an order.
//!
//! localstripe sends each event once, about a second later, to every
//! endpoint ever registered with it (from any test of this run): each shop
//! here registers its own, and answers the others' events `ignored`.
//! Events the emulator cannot produce (a replay, a forgery, a late success)
//! are signed here exactly as Stripe signs them.

use std::time::Duration;

use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;
use tienda::config::{Seconds, Secret};
use tienda::domain::payments::PaymentMethod;

use crate::auth::wait_for_mail;
use crate::checkout::{add_to_cart, statuses, stock, update_mails};
use crate::helpers::*;
use crate::stripe_gateway::{next_event, now_unix, stripe_url, unique, Emulator, SECRET_KEY};

const WEBHOOK: &str = "/payments/stripe/webhook";
/// 3-D Secure card: Stripe.js completes the authentication.
const CARD_3DS: &str = "4000002500003155";
/// Paid at once.
const CARD_OK: &str = "4242424242424242";
/// Declined by the issuer.
const CARD_DECLINED: &str = "4000000000000341";

/// A shop that takes cards through the emulator, with one product.
struct CardShop {
    app: TestApp,
    /// The webhook signing secret the shop checks.
    secret: String,
    admin: String,
    product: String,
}

/// A card shop whose unpaid card orders hold their stock `hold_for`
/// seconds; with `registered`, the emulator delivers its events to it.
async fn card_shop(price: i64, hold_for: u64, registered: bool) -> CardShop {
    let secret = unique("whsec");
    let webhook_secret = secret.clone();
    let app = spawn_app_with(move |s| {
        take_cards(s, &webhook_secret);
        s.payment.hold_for = Seconds(hold_for);
    })
    .await;
    if registered {
        register_webhook(&app, &secret).await;
    }
    let admin = app.admin().await;
    let product = crate::checkout::id(&app.product(&admin, "Lamp", "home", price, 5).await);
    CardShop {
        app,
        secret,
        admin,
        product,
    }
}

/// Settings that take cards through the emulator, signing webhooks with `secret`.
pub(crate) fn take_cards(s: &mut tienda::config::Settings, secret: &str) {
    s.payment.methods = vec![PaymentMethod::BankTransfer, PaymentMethod::Stripe];
    s.payment.stripe.api_base = stripe_url();
    s.payment.stripe.secret_key = Secret::new(SECRET_KEY);
    s.payment.stripe.webhook_secret = Secret::new(secret);
    s.payment.stripe.publishable_key = "pk_test_tienda".into();
    // The emulator's stand-in for Stripe.js.
    s.payment.stripe.js_url = format!("{}/js.stripe.com/v3/", stripe_url());
}

/// Has the emulator deliver its payment events to `app`, signed with `secret`.
pub(crate) async fn register_webhook(app: &TestApp, secret: &str) {
    let form = [
        ("url", app.url(WEBHOOK)),
        ("secret", secret.to_owned()),
        ("events[]", "payment_intent.succeeded".into()),
        ("events[]", "payment_intent.payment_failed".into()),
        ("events[]", "payment_intent.canceled".into()),
    ];
    let r = reqwest::Client::new()
        .post(format!(
            "{}/_config/webhooks/{}",
            stripe_url(),
            unique("tienda")
        ))
        .form(&form)
        .send()
        .await
        .expect("register the webhook");
    assert_eq!(r.status(), 200);
}

/// A customer's card checkout of `quantity` units: their token and the order.
async fn card_order(shop: &CardShop, email: &str, quantity: i64) -> (String, Value) {
    let token = shop.app.customer(email).await;
    add_to_cart(&shop.app, &token, &shop.product, quantity).await;
    let placed = shop
        .app
        .post(
            "/orders",
            Some(&token),
            json!({"delivery_address": "Calle Mayor 1, Madrid", "payment_method": "stripe"}),
        )
        .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    (token, placed.body)
}

fn intent_of(order: &Value) -> String {
    order["payment"]["intent_id"]
        .as_str()
        .expect("the order's PaymentIntent")
        .to_owned()
}

fn number_of(order: &Value) -> i64 {
    order["number"].as_i64().expect("number")
}

/// `Stripe-Signature` for `body` at `t`, as Stripe computes it.
fn signature(secret: &str, t: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{t}.{body}").as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={t},v1={hex}")
}

/// A PaymentIntent event as Stripe sends it.
fn event(id: &str, kind: &str, intent: &str, amount: i64, number: i64) -> String {
    json!({
        "id": id, "object": "event", "api_version": "2024-06-20", "type": kind,
        "created": now_unix(), "livemode": false,
        "data": {"object": {
            "id": intent, "object": "payment_intent", "amount": amount,
            "amount_received": if kind == "payment_intent.succeeded" { amount } else { 0 },
            "currency": "eur", "status": "succeeded",
            "metadata": {"order_number": number.to_string()}
        }}
    })
    .to_string()
}

/// Delivers a webhook with this `Stripe-Signature` (none when `None`).
async fn deliver(app: &TestApp, signature: Option<&str>, body: &[u8]) -> Answer {
    let mut req = app
        .http
        .post(app.url(WEBHOOK))
        .header("content-type", "application/json; charset=utf-8")
        .body(body.to_vec());
    if let Some(sig) = signature {
        req = req.header("stripe-signature", sig);
    }
    TestApp::answer(req.send().await.expect("webhook")).await
}

/// Delivers `body` signed now with `secret`.
async fn deliver_signed(app: &TestApp, secret: &str, body: &str) -> Answer {
    deliver(
        app,
        Some(&signature(secret, now_unix(), body)),
        body.as_bytes(),
    )
    .await
}

fn assert_outcome(answer: &Answer, outcome: &str) {
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(
        answer.body,
        json!({"received": true, "outcome": outcome}),
        "{}",
        answer.text
    );
}

/// The order once `done` holds for it (15 s at most).
async fn wait_order(
    app: &TestApp,
    admin: &str,
    number: i64,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let mut last = Value::Null;
    for _ in 0..150 {
        last = app
            .get(&format!("/orders/{number}"), Some(admin))
            .await
            .body;
        if done(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("order {number} not {what} within 15 s: {last}");
}

/// The refunds the emulator holds for an intent, newest first.
pub(crate) async fn stripe_refunds(intent: &str) -> Vec<Value> {
    let r = reqwest::Client::new()
        .get(format!("{}/v1/refunds", stripe_url()))
        .query(&[("payment_intent", intent), ("limit", "100")])
        .bearer_auth(SECRET_KEY)
        .send()
        .await
        .expect("list refunds");
    assert_eq!(r.status(), 200);
    let list: Value = r.json().await.expect("refunds");
    list["data"].as_array().expect("data").clone()
}

pub(crate) fn refunded_at_stripe(refunds: &[Value]) -> i64 {
    refunds.iter().map(|r| r["amount"].as_i64().unwrap()).sum()
}

/// How many times the order's history says it was paid.
fn paid_entries(order: &Value) -> usize {
    statuses(order).iter().filter(|s| *s == "paid").count()
}

#[tokio::test]
async fn a_card_payment_lands_by_webhook_although_the_customer_never_comes_back() {
    let shop = card_shop(2500, 1800, true).await;
    let app = &shop.app;
    let emulator = Emulator::new();
    // What Stripe sends the shop, seen with the shop's secret (to replay it).
    let mut sent = emulator
        .webhook(&shop.secret, &["payment_intent.succeeded"])
        .await;
    let (ana, order) = card_order(&shop, "ana@example.com", 2).await;
    let n = number_of(&order);
    let intent = intent_of(&order);
    let client_secret = order["payment"]["client_secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(order["status"], "awaiting_payment");
    assert_eq!(order["payment"]["method"], "stripe");
    assert_eq!(order["payment"]["status"], "pending");
    assert_eq!(order["total"], 5000);
    assert!(intent.starts_with("pi_"), "{intent}");
    assert!(client_secret.starts_with(&format!("{intent}_secret_")));
    assert!(order["payment"]["hold_until"].is_string());
    assert_eq!(stock(app, &shop.product).await, 3);
    let at_stripe = emulator.intent(&intent).await;
    assert_eq!(at_stripe["amount"], 5000);
    assert_eq!(at_stripe["currency"], "eur");
    assert_eq!(at_stripe["metadata"]["order_number"], n.to_string());
    // The order page offers Stripe.js with the publishable key and the secret.
    let page = app
        .http
        .get(app.url(&format!("/orders/{n}")))
        .bearer_auth(&ana)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("pk_test_tienda") && page.contains(&client_secret));

    // The customer pays with a 3-D Secure card through Stripe.js, then
    // closes the browser: nobody asks the shop anything from here on.
    let card = emulator.card(CARD_3DS).await;
    let (status, confirmed) = emulator.attach_and_confirm(&intent, &card).await;
    assert_eq!(status, 200, "{confirmed}");
    assert_eq!(confirmed["status"], "requires_action");
    let paid = emulator
        .authenticate_like_stripe_js(&intent, &client_secret)
        .await;
    assert_eq!(paid["status"], "succeeded");

    let order = wait_order(app, &shop.admin, n, "paid", |o| o["status"] == "paid").await;
    assert_eq!(order["payment"]["status"], "paid");
    assert_eq!(order["payment"]["paid"], 5000);
    assert!(order["payment"]["paid_at"].is_string());
    assert!(order["payment"].get("hold_until").is_none(), "{order}");
    assert_eq!(statuses(&order), ["awaiting_payment", "paid"]);
    assert_eq!(order["history"][1]["by"], "stripe");
    assert_eq!(
        update_mails(app, &shop.admin, n, "payment_received").await,
        1
    );
    wait_for_mail(
        app,
        "ana@example.com",
        &format!("We received the payment for your order {n}"),
    )
    .await;

    // Stripe's own delivery again (a retry): nothing more happens.
    let (_, sig, body) = next_event(&mut sent, &shop.secret, &intent).await;
    assert_outcome(&deliver(app, Some(&sig), &body).await, "unchanged");
    let again = app
        .get(&format!("/orders/{n}"), Some(&shop.admin))
        .await
        .body;
    assert_eq!(again, order);
    assert_eq!(
        update_mails(app, &shop.admin, n, "payment_received").await,
        1
    );

    // A partial refund goes to Stripe and is recorded.
    let refunds = format!("/orders/{n}/refunds");
    let r = app
        .post(&refunds, Some(&shop.admin), json!({"amount": 1500}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "paid");
    assert_eq!(r.body["payment"]["status"], "partially_refunded");
    assert_eq!(r.body["payment"]["refunded"], 1500);
    let refund = &r.body["payment"]["refunds"][0];
    assert_eq!(refund["amount"], 1500);
    assert_eq!(refund["by"], ADMIN_EMAIL);
    let at_stripe = stripe_refunds(&intent).await;
    assert_eq!(at_stripe.len(), 1, "{at_stripe:?}");
    assert_eq!(at_stripe[0]["amount"], 1500);
    assert_eq!(refund["id"], at_stripe[0]["id"]);
    assert!(r.body["payment"].get("pending_refunds").is_none());
    assert_eq!(update_mails(app, &shop.admin, n, "refunded").await, 1);
    wait_for_mail(app, "ana@example.com", "Refunded so far: €15.00 of €50.00").await;

    // Staff may cancel orders, but this cancel gives money back: a refund,
    // the admin's (403 in the error model, nothing refunded).
    let staff = crate::roles::staff(app).await;
    app.put(
        &format!("/orders/{n}/status"),
        Some(&staff),
        json!({"status": "cancelled"}),
    )
    .await
    .assert_problem(403, "forbidden");
    assert_eq!(stripe_refunds(&intent).await.len(), 1);
    // Cancelled while paid: the rest is refunded at Stripe, the stock is back.
    let r = app
        .put(
            &format!("/orders/{n}/status"),
            Some(&shop.admin),
            json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "cancelled");
    assert_eq!(r.body["payment"]["status"], "refunded");
    assert_eq!(r.body["payment"]["refunded"], 5000);
    assert_eq!(
        r.body["history"].as_array().unwrap().last().unwrap()["note"],
        "refund 3500"
    );
    let at_stripe = stripe_refunds(&intent).await;
    assert_eq!(at_stripe.len(), 2, "{at_stripe:?}");
    assert_eq!(refunded_at_stripe(&at_stripe), 5000);
    assert_eq!(stock(app, &shop.product).await, 5);
    assert_eq!(update_mails(app, &shop.admin, n, "cancelled").await, 1);
    // Nothing is left to give back.
    app.post(&refunds, Some(&shop.admin), json!({"amount": 1}))
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(stripe_refunds(&intent).await.len(), 2);
}

#[tokio::test]
async fn a_declined_card_leaves_the_order_waiting_with_its_payment_failed() {
    let shop = card_shop(1800, 1800, true).await;
    let app = &shop.app;
    let emulator = Emulator::new();
    let (_, order) = card_order(&shop, "ana@example.com", 1).await;
    let n = number_of(&order);
    let intent = intent_of(&order);
    let card = emulator.card(CARD_DECLINED).await;
    let (status, declined) = emulator.attach_and_confirm(&intent, &card).await;
    assert_eq!(status, 402, "{declined}");
    assert_eq!(declined["error"]["code"], "card_declined");

    let order = wait_order(app, &shop.admin, n, "failed", |o| {
        o["payment"]["status"] == "failed"
    })
    .await;
    assert_eq!(order["status"], "awaiting_payment");
    assert_eq!(order["payment"]["paid"], 0);
    assert_eq!(statuses(&order), ["awaiting_payment"]);
    assert_eq!(
        stock(app, &shop.product).await,
        4,
        "the hold keeps the stock"
    );
    for event in ["payment_received", "cancelled", "refunded"] {
        assert_eq!(update_mails(app, &shop.admin, n, event).await, 0, "{event}");
    }
    // Only Stripe marks a card order paid.
    app.put(
        &format!("/orders/{n}/status"),
        Some(&shop.admin),
        json!({"status": "paid"}),
    )
    .await
    .assert_problem(409, "invalid_transition");
    // The admin calls it off: Stripe's intent is cancelled, the stock back.
    let r = app
        .put(
            &format!("/orders/{n}/status"),
            Some(&shop.admin),
            json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["payment"]["status"], "voided");
    assert_eq!(r.body["payment"]["refunded"], 0);
    assert_eq!(emulator.intent(&intent).await["status"], "canceled");
    assert_eq!(stock(app, &shop.product).await, 5);
    assert_eq!(update_mails(app, &shop.admin, n, "cancelled").await, 1);
    assert!(stripe_refunds(&intent).await.is_empty());
}

#[tokio::test]
async fn two_refunds_racing_give_back_no_more_than_was_paid() {
    let shop = card_shop(3000, 1800, true).await;
    let app = &shop.app;
    let emulator = Emulator::new();
    let (_, order) = card_order(&shop, "ana@example.com", 1).await;
    let n = number_of(&order);
    let intent = intent_of(&order);
    let card = emulator.card(CARD_OK).await;
    let (status, paid) = emulator.attach_and_confirm(&intent, &card).await;
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["status"], "succeeded");
    wait_order(app, &shop.admin, n, "paid", |o| o["status"] == "paid").await;

    // Two admins (or a double click) refund two thirds at once.
    let refunds = format!("/orders/{n}/refunds");
    let (a, b) = tokio::join!(
        app.post(&refunds, Some(&shop.admin), json!({"amount": 2000})),
        app.post(&refunds, Some(&shop.admin), json!({"amount": 2000})),
    );
    let mut codes = [a.status.as_u16(), b.status.as_u16()];
    codes.sort_unstable();
    assert_eq!(codes, [200, 422], "{} / {}", a.text, b.text);
    let refused = if a.status == StatusCode::OK { &b } else { &a };
    assert!(refused.assert_problem(422, "validation_failed")["errors"]
        .get("amount")
        .is_some());
    let order = app
        .get(&format!("/orders/{n}"), Some(&shop.admin))
        .await
        .body;
    assert_eq!(order["payment"]["refunded"], 2000);
    assert_eq!(order["payment"]["refunds"].as_array().unwrap().len(), 1);
    assert!(order["payment"].get("pending_refunds").is_none(), "{order}");
    let at_stripe = stripe_refunds(&intent).await;
    assert_eq!(at_stripe.len(), 1, "Stripe was asked once: {at_stripe:?}");
    assert_eq!(at_stripe[0]["amount"], 2000);
    assert_eq!(update_mails(app, &shop.admin, n, "refunded").await, 1);

    // What is left can still be refunded, once.
    let r = app.post(&refunds, Some(&shop.admin), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "refunded");
    assert_eq!(r.body["payment"]["refunded"], 3000);
    let at_stripe = stripe_refunds(&intent).await;
    assert_eq!(refunded_at_stripe(&at_stripe), 3000);
    assert_eq!(at_stripe.len(), 2);
}

#[tokio::test]
async fn an_unpaid_card_order_is_called_off_when_its_hold_runs_out_and_a_late_payment_is_refunded()
{
    let shop = card_shop(1500, 2, false).await;
    let app = &shop.app;
    let emulator = Emulator::new();
    let (_, order) = card_order(&shop, "ana@example.com", 2).await;
    let n = number_of(&order);
    let intent = intent_of(&order);
    assert_eq!(stock(app, &shop.product).await, 3);
    // The card is authorised but not captured when the hold runs out
    // (localstripe then lets the intent be cancelled and still holds its
    // charge, so the late payment below has something to refund).
    let (status, _) = emulator
        .call(
            &format!("/v1/payment_intents/{intent}"),
            &[("capture_method", "manual")],
        )
        .await;
    assert_eq!(status, 200);
    let card = emulator.card(CARD_OK).await;
    let (status, authorised) = emulator.attach_and_confirm(&intent, &card).await;
    assert_eq!(status, 200, "{authorised}");
    assert_eq!(authorised["status"], "requires_capture");

    // The shop's own timer calls it off: Stripe's intent cancelled, stock back.
    let order = wait_order(app, &shop.admin, n, "cancelled", |o| {
        o["status"] == "cancelled"
    })
    .await;
    assert_eq!(statuses(&order), ["awaiting_payment", "cancelled"]);
    let last = &order["history"][1];
    assert_eq!(last["by"], "shop");
    assert_eq!(last["note"], "payment not completed");
    assert_eq!(order["payment"]["status"], "voided");
    assert_eq!(emulator.intent(&intent).await["status"], "canceled");
    assert_eq!(stock(app, &shop.product).await, 5);
    assert_eq!(update_mails(app, &shop.admin, n, "cancelled").await, 1);
    wait_for_mail(
        app,
        "ana@example.com",
        &format!("Your order {n} is cancelled"),
    )
    .await;
    // More ticks of the timer change nothing: the stock came back once.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(stock(app, &shop.product).await, 5);
    let still = app
        .get(&format!("/orders/{n}"), Some(&shop.admin))
        .await
        .body;
    assert_eq!(still, order);
    assert_eq!(update_mails(app, &shop.admin, n, "cancelled").await, 1);

    // Then Stripe reports the payment as succeeded: the shop records it and
    // gives it all back at once; the order stays cancelled.
    let late = event(&unique("evt"), "payment_intent.succeeded", &intent, 3000, n);
    assert_outcome(&deliver_signed(app, &shop.secret, &late).await, "applied");
    let order = app
        .get(&format!("/orders/{n}"), Some(&shop.admin))
        .await
        .body;
    assert_eq!(order["status"], "cancelled");
    assert_eq!(order["payment"]["paid"], 3000);
    assert_eq!(order["payment"]["refunded"], order["total"]);
    assert_eq!(order["payment"]["status"], "refunded");
    assert_eq!(
        statuses(&order),
        ["awaiting_payment", "cancelled", "cancelled", "cancelled"]
    );
    assert_eq!(order["history"][2]["note"], "paid after cancellation");
    assert_eq!(order["history"][3]["by"], "shop");
    let at_stripe = stripe_refunds(&intent).await;
    assert_eq!(at_stripe.len(), 1, "{at_stripe:?}");
    assert_eq!(at_stripe[0]["amount"], 3000);
    assert_eq!(stock(app, &shop.product).await, 5);
    assert_eq!(update_mails(app, &shop.admin, n, "refunded").await, 1);
    assert_eq!(
        update_mails(app, &shop.admin, n, "payment_received").await,
        0
    );
    // Its replay refunds nothing more.
    assert_outcome(&deliver_signed(app, &shop.secret, &late).await, "unchanged");
    assert_eq!(stripe_refunds(&intent).await.len(), 1);
}

#[tokio::test]
async fn webhooks_that_stripe_did_not_sign_for_this_order_change_nothing() {
    let shop = card_shop(1500, 1800, false).await;
    let app = &shop.app;
    let secret = shop.secret.as_str();
    let (_, order) = card_order(&shop, "ana@example.com", 2).await;
    let n = number_of(&order);
    let intent = intent_of(&order);
    let before = app
        .get(&format!("/orders/{n}"), Some(&shop.admin))
        .await
        .body;
    let genuine = event(&unique("evt"), "payment_intent.succeeded", &intent, 3000, n);
    let now = now_unix();
    let good = signature(secret, now, &genuine);
    let v1 = good.split_once(",v1=").unwrap().1.to_owned();
    let tampered = genuine.replace("\"amount\":3000", "\"amount\":1");
    assert_ne!(tampered, genuine);

    let refused: Vec<(&str, Option<String>, String)> = vec![
        ("no signature header", None, genuine.clone()),
        ("an empty signature", Some(String::new()), genuine.clone()),
        ("a tampered body", Some(good.clone()), tampered),
        (
            "a made-up signature",
            Some(format!("t={now},v1={}", "ab".repeat(32))),
            genuine.clone(),
        ),
        (
            "not hex",
            Some(format!("t={now},v1=not-hex")),
            genuine.clone(),
        ),
        (
            "another secret",
            Some(signature("whsec_someone_else", now, &genuine)),
            genuine.clone(),
        ),
        (
            "an old timestamp",
            Some(signature(secret, now - 600, &genuine)),
            genuine.clone(),
        ),
        (
            "a future timestamp",
            Some(signature(secret, now + 600, &genuine)),
            genuine.clone(),
        ),
        (
            "a timestamp not signed",
            Some(format!("t={},v1={v1}", now - 1)),
            genuine.clone(),
        ),
        ("no timestamp", Some(format!("v1={v1}")), genuine.clone()),
        (
            "only the v0 scheme",
            Some(format!("t={now},v0={v1}")),
            genuine.clone(),
        ),
        (
            "a malformed body",
            Some(signature(secret, now, "{not json")),
            "{not json".into(),
        ),
        (
            "an event without its intent",
            Some(signature(
                secret,
                now,
                r#"{"id":"evt_1","type":"payment_intent.succeeded","created":1,"data":{"object":{}}}"#,
            )),
            r#"{"id":"evt_1","type":"payment_intent.succeeded","created":1,"data":{"object":{}}}"#
                .into(),
        ),
    ];
    for (what, sig, body) in &refused {
        let r = deliver(app, sig.as_deref(), body.as_bytes()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{what}: {}", r.text);
        assert_eq!(r.body["code"], "webhook_refused", "{what}: {}", r.text);
    }

    // Verified, but not this shop's payment, or not what the order costs.
    let foreign = Emulator::new()
        .call(
            "/v1/payment_intents",
            &[
                ("amount", "3000"),
                ("currency", "eur"),
                ("metadata[order_number]", &n.to_string()),
            ],
        )
        .await
        .1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ignored = [
        event(
            &unique("evt"),
            "payment_intent.succeeded",
            "pi_unknown",
            3000,
            n,
        ),
        event(
            &unique("evt"),
            "payment_intent.succeeded",
            &foreign,
            3000,
            n,
        ),
        event(
            &unique("evt"),
            "payment_intent.payment_failed",
            &foreign,
            3000,
            n,
        ),
        event(&unique("evt"), "payment_intent.succeeded", &intent, 2999, n),
        event(&unique("evt"), "payment_intent.succeeded", &intent, 3001, n),
        event(&unique("evt"), "payment_intent.succeeded", &intent, 300, n),
        event(&unique("evt"), "payment_intent.canceled", &intent, 3000, n),
        event(&unique("evt"), "charge.refunded", &intent, 3000, n),
    ];
    for body in &ignored {
        assert_outcome(&deliver_signed(app, secret, body).await, "ignored");
    }
    let after = app
        .get(&format!("/orders/{n}"), Some(&shop.admin))
        .await
        .body;
    assert_eq!(after, before, "nothing moved the order");
    assert_eq!(stock(app, &shop.product).await, 3);
    assert_eq!(
        update_mails(app, &shop.admin, n, "payment_received").await,
        0
    );

    // The genuine event, delivered five times at once: one pays the order.
    let sig = signature(secret, now_unix(), &genuine);
    let answers = futures_util::future::join_all(
        (0..5).map(|_| deliver(app, Some(&sig), genuine.as_bytes())),
    )
    .await;
    let outcomes: Vec<_> = answers
        .iter()
        .map(|a| {
            assert_eq!(a.status, StatusCode::OK, "{}", a.text);
            a.body["outcome"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        outcomes.iter().filter(|o| *o == "applied").count(),
        1,
        "{outcomes:?}"
    );
    assert!(
        outcomes.iter().all(|o| o == "applied" || o == "unchanged"),
        "{outcomes:?}"
    );
    // A replay (same delivery, or signed again later), a duplicate under
    // another event id, and a late failure: all unchanged.
    assert_outcome(
        &deliver(app, Some(&sig), genuine.as_bytes()).await,
        "unchanged",
    );
    assert_outcome(&deliver_signed(app, secret, &genuine).await, "unchanged");
    let duplicate = event(&unique("evt"), "payment_intent.succeeded", &intent, 3000, n);
    assert_outcome(&deliver_signed(app, secret, &duplicate).await, "unchanged");
    let failed = event(
        &unique("evt"),
        "payment_intent.payment_failed",
        &intent,
        3000,
        n,
    );
    assert_outcome(&deliver_signed(app, secret, &failed).await, "unchanged");

    let order = app
        .get(&format!("/orders/{n}"), Some(&shop.admin))
        .await
        .body;
    assert_eq!(order["status"], "paid");
    assert_eq!(order["payment"]["status"], "paid");
    assert_eq!(order["payment"]["paid"], 3000);
    assert_eq!(paid_entries(&order), 1);
    assert_eq!(order["history"][1]["by"], "stripe");
    assert_eq!(
        update_mails(app, &shop.admin, n, "payment_received").await,
        1
    );
    assert_eq!(stock(app, &shop.product).await, 3);

    // A shop that takes no cards has no webhook.
    let plain = spawn_app().await;
    let r = deliver(&plain, Some(&sig), genuine.as_bytes()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
}
