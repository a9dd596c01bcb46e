//! The Stripe adapter against the Stripe emulator (localstripe on
//! `TIENDA_TEST_STRIPE_URL`, started by scripts/test.sh): intents, the
//! Stripe.js confirmation, signed webhook deliveries checked by
//! `verify_event`, refunds and refusals.
//!
//! What localstripe does not do, and so is not shown here (the request shape
//! for it is checked in `services::stripe::client`'s unit tests): it ignores
//! `Idempotency-Key`, refuses `receipt_email` (so the client here leaves it
//! out) and accepts refunds beyond what was paid.

use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use serde_json::{json, Value};
use tienda::domain::card_payments::{
    CardPayments, GatewayError, IntentRequest, PaymentEvent, PaymentEventKind,
};
use tienda::services::stripe::{verify_event, StripeClient, WebhookError};
use tokio::sync::mpsc;

pub(crate) const SECRET_KEY: &str = "sk_test_tienda";

pub(crate) fn stripe_url() -> String {
    std::env::var("TIENDA_TEST_STRIPE_URL")
        .expect("the Stripe tests need TIENDA_TEST_STRIPE_URL (scripts/test.sh starts localstripe)")
}

fn gateway() -> StripeClient {
    StripeClient::new(&stripe_url(), SECRET_KEY)
        .unwrap()
        .with_receipt_email(false)
}

pub(crate) fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", tienda::domain::new_id())
}

fn intent_request(amount: i64, order_number: i64) -> IntentRequest {
    IntentRequest {
        amount,
        currency: "EUR".into(),
        order_number,
        email: "ana@example.com".into(),
        idempotency_key: unique("pay"),
    }
}

pub(crate) fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// What a test does on the emulator that only a browser or Stripe itself
/// would do: card payment methods, confirmation, reading an intent back.
pub(crate) struct Emulator {
    base: String,
    http: reqwest::Client,
}

impl Emulator {
    pub(crate) fn new() -> Self {
        Self {
            base: stripe_url(),
            http: reqwest::Client::new(),
        }
    }

    pub(crate) async fn call(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(SECRET_KEY)
            .form(form)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    pub(crate) async fn intent(&self, id: &str) -> Value {
        self.http
            .get(format!("{}/v1/payment_intents/{id}", self.base))
            .bearer_auth(SECRET_KEY)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Attaches a card to the intent and confirms it server-side: the
    /// intent then needs 3-D Secure (`requires_action`) for the 3DS test
    /// card, or fails at once (402) for a declining one.
    pub(crate) async fn attach_and_confirm(
        &self,
        intent_id: &str,
        payment_method: &str,
    ) -> (u16, Value) {
        let (status, _) = self
            .call(
                &format!("/v1/payment_intents/{intent_id}"),
                &[("payment_method", payment_method)],
            )
            .await;
        assert_eq!(status, 200);
        self.call(&format!("/v1/payment_intents/{intent_id}/confirm"), &[])
            .await
    }

    /// A card payment method from a test card number.
    pub(crate) async fn card(&self, number: &str) -> String {
        let (status, pm) = self
            .call(
                "/v1/payment_methods",
                &[
                    ("type", "card"),
                    ("card[number]", number),
                    ("card[exp_month]", "12"),
                    ("card[exp_year]", "2030"),
                    ("card[cvc]", "123"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{pm}");
        pm["id"].as_str().unwrap().to_owned()
    }

    /// What the Stripe.js stand-in's `confirmCardPayment` sends when the
    /// customer clicks "Complete authentication": the publishable key and
    /// the client secret, no secret key.
    pub(crate) async fn authenticate_like_stripe_js(
        &self,
        intent_id: &str,
        client_secret: &str,
    ) -> Value {
        let r = self
            .http
            .post(format!(
                "{}/v1/payment_intents/{intent_id}/_authenticate?success=true",
                self.base
            ))
            .body(json!({"key": "pk_test_tienda", "client_secret": client_secret}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    /// A local listener registered as a webhook endpoint for `events` with
    /// `secret`; yields each delivery's signature header and raw body.
    pub(crate) async fn webhook(
        &self,
        secret: &str,
        events: &[&str],
    ) -> mpsc::UnboundedReceiver<(String, Bytes)> {
        let (tx, rx) = mpsc::unbounded_channel();
        let app = axum::Router::new().route(
            "/stripe",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let tx = tx.clone();
                async move {
                    let sig = headers
                        .get("stripe-signature")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    let _ = tx.send((sig, body));
                    "ok"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/stripe", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let mut form = vec![("url", url.as_str()), ("secret", secret)];
        form.extend(events.iter().map(|e| ("events[]", *e)));
        let r = self
            .http
            .post(format!("{}/_config/webhooks/{}", self.base, unique("hook")))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        rx
    }
}

/// The next verified delivery about `intent_id` (the emulator sends every
/// test's events to every registered endpoint).
pub(crate) async fn next_event(
    rx: &mut mpsc::UnboundedReceiver<(String, Bytes)>,
    secret: &str,
    intent_id: &str,
) -> (PaymentEvent, String, Bytes) {
    let wait = async {
        loop {
            let (sig, body) = rx.recv().await.expect("the webhook listener stopped");
            let event = verify_event(&body, &sig, &[secret], now_unix(), 300)
                .unwrap_or_else(|e| panic!("a delivery failed verification: {e}"));
            if event.intent_id == intent_id {
                return (event, sig, body);
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(15), wait)
        .await
        .expect("no webhook delivery within 15 s")
}

#[tokio::test]
async fn an_intent_carries_amount_currency_and_order_number() {
    let intent = gateway()
        .create_intent(&intent_request(1250, 42))
        .await
        .unwrap();
    assert!(intent.id.starts_with("pi_"), "{}", intent.id);
    assert!(intent
        .client_secret
        .starts_with(&format!("{}_secret_", intent.id)));
    assert_eq!(intent.status, "requires_payment_method");

    let stored = Emulator::new().intent(&intent.id).await;
    assert_eq!(stored["amount"], 1250);
    assert_eq!(stored["currency"], "eur");
    assert_eq!(stored["metadata"]["order_number"], "42");
}

#[tokio::test]
async fn the_same_idempotency_key_twice_is_accepted() {
    // Stripe answers a repeat with the first intent; localstripe ignores the
    // header and creates a second one. What holds on both: no refusal.
    let gateway = gateway();
    let req = intent_request(990, 43);
    let first = gateway.create_intent(&req).await.unwrap();
    let second = gateway.create_intent(&req).await.unwrap();
    assert!(first.id.starts_with("pi_") && second.id.starts_with("pi_"));
}

#[tokio::test]
async fn a_card_payment_confirmed_through_stripe_js_is_reported_by_a_signed_webhook() {
    let emulator = Emulator::new();
    let secret = unique("whsec");
    let mut deliveries = emulator
        .webhook(
            &secret,
            &["payment_intent.succeeded", "payment_intent.payment_failed"],
        )
        .await;
    let gateway = gateway();
    let intent = gateway
        .create_intent(&intent_request(2500, 77))
        .await
        .unwrap();

    // The customer enters a card that asks for 3-D Secure; Stripe.js (the
    // stand-in) completes the authentication with the client secret.
    let card = emulator.card("4000002500003155").await;
    let (status, confirmed) = emulator.attach_and_confirm(&intent.id, &card).await;
    assert_eq!(status, 200, "{confirmed}");
    assert_eq!(confirmed["status"], "requires_action");
    let paid = emulator
        .authenticate_like_stripe_js(&intent.id, &intent.client_secret)
        .await;
    assert_eq!(paid["status"], "succeeded");

    let (event, sig, body) = next_event(&mut deliveries, &secret, &intent.id).await;
    assert!(event.id.starts_with("evt_"), "{}", event.id);
    assert_eq!(event.kind, PaymentEventKind::Succeeded);
    assert_eq!(event.amount, 2500);
    assert_eq!(event.order_number, Some(77));
    assert!((event.created - now_unix()).abs() < 60);

    // The same delivery tampered with, under another secret, or replayed late.
    let tampered =
        String::from_utf8(body.to_vec())
            .unwrap()
            .replacen("\"amount\": 2500", "\"amount\": 1", 1);
    assert_ne!(tampered.as_bytes(), &body[..]);
    let now = now_unix();
    assert_eq!(
        verify_event(tampered.as_bytes(), &sig, &[&secret], now, 300),
        Err(WebhookError::BadSignature)
    );
    assert_eq!(
        verify_event(&body, &sig, &["whsec_other"], now, 300),
        Err(WebhookError::BadSignature)
    );
    assert_eq!(
        verify_event(&body, &sig, &[&secret], now + 3600, 300),
        Err(WebhookError::OutOfTolerance)
    );

    // A partial refund, then refusals.
    let refund = gateway
        .refund(&intent.id, 1000, &unique("refund"))
        .await
        .unwrap();
    assert!(refund.id.starts_with("re_"));
    assert_eq!(refund.amount, 1000);
    assert_eq!(refund.status, "succeeded");
    let refused = gateway.refund(&intent.id, 0, &unique("refund")).await;
    assert!(
        matches!(refused, Err(GatewayError::Refused(ref r)) if r.status == 400),
        "{refused:?}"
    );
    let refused = gateway.refund("pi_unknown", 100, &unique("refund")).await;
    assert!(
        matches!(refused, Err(GatewayError::Refused(ref r)) if r.status == 404),
        "{refused:?}"
    );
    // A paid intent cannot be cancelled.
    let refused = gateway.cancel_intent(&intent.id).await;
    assert!(
        matches!(refused, Err(GatewayError::Refused(_))),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_declined_card_is_reported_as_failed() {
    let emulator = Emulator::new();
    let secret = unique("whsec");
    let mut deliveries = emulator
        .webhook(&secret, &["payment_intent.payment_failed"])
        .await;
    let intent = gateway()
        .create_intent(&intent_request(1800, 78))
        .await
        .unwrap();
    let card = emulator.card("4000000000000341").await;
    let (status, declined) = emulator.attach_and_confirm(&intent.id, &card).await;
    assert_eq!(status, 402, "{declined}");
    assert_eq!(declined["error"]["code"], "card_declined");

    let (event, _, _) = next_event(&mut deliveries, &secret, &intent.id).await;
    assert_eq!(event.kind, PaymentEventKind::Failed);
    assert_eq!(event.amount, 1800);
    assert_eq!(event.order_number, Some(78));
}

#[tokio::test]
async fn an_open_intent_is_cancelled() {
    let gateway = gateway();
    let intent = gateway
        .create_intent(&intent_request(500, 79))
        .await
        .unwrap();
    gateway.cancel_intent(&intent.id).await.unwrap();
    assert_eq!(
        Emulator::new().intent(&intent.id).await["status"],
        "canceled"
    );
    // Again: Stripe replays the first answer (same key), localstripe refuses;
    // either way it is Stripe's answer, not an outage.
    let again = gateway.cancel_intent(&intent.id).await;
    assert!(
        !matches!(again, Err(GatewayError::Unavailable(_))),
        "{again:?}"
    );
}

#[tokio::test]
async fn a_wrong_key_is_refused() {
    let gateway = StripeClient::new(&stripe_url(), "pk_test_not_a_secret_key").unwrap();
    let err = gateway
        .create_intent(&intent_request(100, 80))
        .await
        .unwrap_err();
    assert!(
        matches!(err, GatewayError::Refused(ref r) if r.status == 401),
        "{err:?}"
    );
}
