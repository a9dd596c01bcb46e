//! The requests [`StripeClient`] sends and how it reads answers, against a
//! stand-in server that records each request and answers as told (Stripe's
//! documented shapes; localstripe itself is exercised in `tests/it`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};

use super::*;

#[derive(Debug, Clone)]
struct Seen {
    path: String,
    headers: HeaderMap,
    form: Vec<(String, String)>,
}

/// A server on a free port answering every request with `status` and
/// `body` after `delay`; returns its base URL and what it saw.
async fn stand_in(
    status: u16,
    body: &'static str,
    delay: Duration,
) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap, bytes: Bytes| {
        let log = log.clone();
        async move {
            let form = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
            log.lock().unwrap().push(Seen {
                path: uri.path().to_owned(),
                headers,
                form,
            });
            tokio::time::sleep(delay).await;
            (
                StatusCode::from_u16(status).unwrap(),
                [("content-type", "application/json")],
                body,
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), seen)
}

const INTENT: &str = r#"{"id":"pi_1","object":"payment_intent","amount":1250,"currency":"eur",
    "client_secret":"pi_1_secret_x","status":"requires_payment_method","metadata":{"order_number":"42"}}"#;

fn request() -> IntentRequest {
    IntentRequest {
        amount: 1250,
        currency: "EUR".into(),
        order_number: 42,
        email: "ana@example.com".into(),
        idempotency_key: "order-42-pay-1".into(),
    }
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test]
async fn an_intent_is_created_as_stripe_documents() {
    let (base, seen) = stand_in(200, INTENT, Duration::ZERO).await;
    let client = StripeClient::new(&base, "sk_test_123").unwrap();
    let intent = client.create_intent(&request()).await.unwrap();
    assert_eq!(intent.id, "pi_1");
    assert_eq!(intent.client_secret, "pi_1_secret_x");
    assert_eq!(intent.status, "requires_payment_method");
    assert!(!format!("{intent:?}").contains("pi_1_secret_x"));

    let seen = seen.lock().unwrap()[0].clone();
    assert_eq!(seen.path, "/v1/payment_intents");
    assert_eq!(seen.headers["authorization"], "Bearer sk_test_123");
    assert_eq!(seen.headers["idempotency-key"], "order-42-pay-1");
    assert_eq!(
        seen.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(
        seen.form,
        pairs(&[
            ("amount", "1250"),
            ("currency", "eur"),
            ("payment_method_types[]", "card"),
            ("metadata[order_number]", "42"),
            ("receipt_email", "ana@example.com"),
        ])
    );
}

#[tokio::test]
async fn receipt_email_can_be_left_out() {
    let (base, seen) = stand_in(200, INTENT, Duration::ZERO).await;
    let client = StripeClient::new(&base, "sk_test_123")
        .unwrap()
        .with_receipt_email(false);
    client.create_intent(&request()).await.unwrap();
    let form = seen.lock().unwrap()[0].form.clone();
    assert!(form.iter().all(|(k, _)| k != "receipt_email"), "{form:?}");
}

#[tokio::test]
async fn a_refund_names_the_intent_and_amount() {
    let answer = r#"{"id":"re_1","object":"refund","amount":300,"status":"succeeded","payment_intent":"pi_1"}"#;
    let (base, seen) = stand_in(200, answer, Duration::ZERO).await;
    let client = StripeClient::new(&format!("{base}/"), "sk_test_123").unwrap();
    let refund = client.refund("pi_1", 300, "refund-42-1").await.unwrap();
    assert_eq!(
        refund,
        CardRefund {
            id: "re_1".into(),
            amount: 300,
            status: "succeeded".into()
        }
    );
    let seen = seen.lock().unwrap()[0].clone();
    assert_eq!(seen.path, "/v1/refunds");
    assert_eq!(seen.headers["idempotency-key"], "refund-42-1");
    assert_eq!(
        seen.form,
        pairs(&[("payment_intent", "pi_1"), ("amount", "300")])
    );
}

#[tokio::test]
async fn stripes_error_object_is_a_refusal() {
    let answer = r#"{"error":{"type":"invalid_request_error","code":"amount_too_large",
        "param":"amount","message":"Refund amount is greater than unrefunded amount on charge"}}"#;
    let (base, _) = stand_in(400, answer, Duration::ZERO).await;
    let client = StripeClient::new(&base, "sk_test_123").unwrap();
    let err = client.refund("pi_1", 99_999, "k").await.unwrap_err();
    assert_eq!(
        err,
        GatewayError::Refused(Refusal {
            status: 400,
            kind: "invalid_request_error".into(),
            code: Some("amount_too_large".into()),
            decline_code: None,
            message: "Refund amount is greater than unrefunded amount on charge".into(),
        })
    );
    assert_eq!(err.code(), Some("amount_too_large"));
}

#[tokio::test]
async fn server_trouble_and_odd_answers_are_unavailable() {
    let cases = [
        (500, r#"{"error":{"type":"api_error","message":"boom"}}"#),
        (
            429,
            r#"{"error":{"type":"invalid_request_error","code":"rate_limit","message":"slow down"}}"#,
        ),
        (502, "<html>bad gateway</html>"),
        (404, "404: Not Found"),
        (200, "not json"),
        (200, r#"{"id":"pi_1"}"#),
    ];
    for (status, body) in cases {
        let (base, _) = stand_in(status, body, Duration::ZERO).await;
        let client = StripeClient::new(&base, "sk_test_123").unwrap();
        let err = client.create_intent(&request()).await.unwrap_err();
        assert!(
            matches!(err, GatewayError::Unavailable(_)),
            "{status} {body}: {err:?}"
        );
    }
}

#[tokio::test]
async fn an_unreachable_or_slow_stripe_is_unavailable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = StripeClient::new(&closed, "sk_test_123").unwrap();
    let err = client.cancel_intent("pi_1").await.unwrap_err();
    assert!(matches!(err, GatewayError::Unavailable(_)), "{err:?}");

    let (base, _) = stand_in(200, INTENT, Duration::from_secs(5)).await;
    let client = StripeClient::with_timeouts(
        &base,
        "sk_test_123",
        Duration::from_secs(1),
        Duration::from_millis(300),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let err = client.create_intent(&request()).await.unwrap_err();
    assert!(matches!(err, GatewayError::Unavailable(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn ids_cannot_step_out_of_their_path_segment() {
    let (base, seen) = stand_in(200, INTENT, Duration::ZERO).await;
    let client = StripeClient::new(&format!("{base}/stripe"), "sk_test_123").unwrap();
    client
        .cancel_intent("pi_1/../../refunds?x=1")
        .await
        .unwrap();
    let seen = seen.lock().unwrap()[0].clone();
    assert_eq!(
        seen.path,
        "/stripe/v1/payment_intents/pi_1%2F..%2F..%2Frefunds%3Fx=1/cancel"
    );
    assert_eq!(
        seen.headers["idempotency-key"],
        "tienda-cancel-pi_1/../../refunds?x=1"
    );
}

#[test]
fn the_secret_key_stays_out_of_debug_output() {
    let client = StripeClient::new("https://api.stripe.com", "sk_live_very_secret").unwrap();
    let text = format!("{client:?}");
    assert!(!text.contains("very_secret"), "{text}");
    assert!(text.contains("api.stripe.com"));
}

#[test]
fn bad_settings_are_refused() {
    for (base, key) in [
        ("api.stripe.com", "sk_test_1"),
        ("ftp://api.stripe.com", "sk_test_1"),
        ("https://api.stripe.com?x=1", "sk_test_1"),
        ("https://api.stripe.com", ""),
        ("https://api.stripe.com", "sk test"),
    ] {
        assert!(StripeClient::new(base, key).is_err(), "{base} {key:?}");
    }
}
