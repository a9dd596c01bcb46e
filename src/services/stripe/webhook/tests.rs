use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::*;

const SECRET: &str = "whsec_test_current";
const NOW: i64 = 1_700_000_000;

fn sign(secret: &str, t: i64, payload: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(payload);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn event(kind: &str, created: i64) -> Vec<u8> {
    serde_json::json!({
        "id": "evt_123",
        "object": "event",
        "type": kind,
        "created": created,
        "api_version": "2017-08-15",
        "data": {"object": {
            "id": "pi_abc",
            "object": "payment_intent",
            "amount": 2500,
            "amount_received": 2500,
            "currency": "eur",
            "metadata": {"order_number": "42"},
            "status": "succeeded"
        }}
    })
    .to_string()
    .into_bytes()
}

fn header(t: i64, payload: &[u8], secret: &str) -> String {
    format!("t={t},v1={}", sign(secret, t, payload))
}

#[test]
fn a_good_signature_gives_the_event() {
    let body = event("payment_intent.succeeded", NOW);
    let got = verify_event(&body, &header(NOW, &body, SECRET), &[SECRET], NOW + 2, 300).unwrap();
    assert_eq!(
        got,
        PaymentEvent {
            id: "evt_123".into(),
            kind: PaymentEventKind::Succeeded,
            intent_id: "pi_abc".into(),
            amount: 2500,
            order_number: Some(42),
            created: NOW,
        }
    );
}

#[test]
fn a_bad_signature_is_refused() {
    let body = event("payment_intent.succeeded", NOW);
    let mut sig = sign(SECRET, NOW, &body);
    let flipped = if sig.ends_with('0') { '1' } else { '0' };
    sig.pop();
    sig.push(flipped);
    let err = verify_event(&body, &format!("t={NOW},v1={sig}"), &[SECRET], NOW, 300);
    assert_eq!(err, Err(WebhookError::BadSignature));
    // Not hex at all, or cut short: the same answer.
    for sig in ["zz", "abc", ""] {
        let err = verify_event(&body, &format!("t={NOW},v1={sig}"), &[SECRET], NOW, 300);
        assert_eq!(err, Err(WebhookError::BadSignature), "{sig:?}");
    }
}

#[test]
fn a_tampered_body_is_refused() {
    let body = event("payment_intent.succeeded", NOW);
    let h = header(NOW, &body, SECRET);
    let tampered = String::from_utf8(body).unwrap().replace("2500", "1");
    let err = verify_event(tampered.as_bytes(), &h, &[SECRET], NOW, 300);
    assert_eq!(err, Err(WebhookError::BadSignature));
}

#[test]
fn another_secret_is_refused() {
    let body = event("payment_intent.succeeded", NOW);
    let h = header(NOW, &body, "whsec_someone_else");
    assert_eq!(
        verify_event(&body, &h, &[SECRET], NOW, 300),
        Err(WebhookError::BadSignature)
    );
    // No secret configured, or an empty one, verifies nothing.
    assert_eq!(
        verify_event(&body, &h, &[], NOW, 300),
        Err(WebhookError::BadSignature)
    );
    let empty = header(NOW, &body, "");
    assert_eq!(
        verify_event(&body, &empty, &[""], NOW, 300),
        Err(WebhookError::BadSignature)
    );
}

#[test]
fn the_previous_secret_still_verifies_during_rotation() {
    let body = event("payment_intent.succeeded", NOW);
    let h = header(NOW, &body, "whsec_old");
    let got = verify_event(&body, &h, &[SECRET, "whsec_old"], NOW, 300).unwrap();
    assert_eq!(got.kind, PaymentEventKind::Succeeded);
}

#[test]
fn an_old_timestamp_is_refused() {
    let body = event("payment_intent.succeeded", NOW);
    let h = header(NOW, &body, SECRET);
    assert!(verify_event(&body, &h, &[SECRET], NOW + 300, 300).is_ok());
    assert_eq!(
        verify_event(&body, &h, &[SECRET], NOW + 301, 300),
        Err(WebhookError::OutOfTolerance)
    );
}

#[test]
fn a_future_timestamp_is_refused() {
    let body = event("payment_intent.succeeded", NOW);
    let h = header(NOW + 301, &body, SECRET);
    assert_eq!(
        verify_event(&body, &h, &[SECRET], NOW, 300),
        Err(WebhookError::OutOfTolerance)
    );
    let extreme = header(i64::MAX, &body, SECRET);
    assert_eq!(
        verify_event(&body, &extreme, &[SECRET], i64::MIN, 300),
        Err(WebhookError::OutOfTolerance)
    );
}

#[test]
fn a_header_without_v1_or_timestamp_has_no_signature() {
    let body = event("payment_intent.succeeded", NOW);
    let v0 = sign(SECRET, NOW, &body);
    for h in [
        String::new(),
        format!("t={NOW}"),
        format!("t={NOW},v0={v0}"),
        format!("v1={v0}"),
        format!("t=yesterday,v1={v0}"),
        "garbage".to_owned(),
    ] {
        assert_eq!(
            verify_event(&body, &h, &[SECRET], NOW, 300),
            Err(WebhookError::NoSignature),
            "{h:?}"
        );
    }
}

#[test]
fn any_v1_may_match_and_other_schemes_are_ignored() {
    let body = event("payment_intent.succeeded", NOW);
    let good = sign(SECRET, NOW, &body);
    let other = sign("whsec_other", NOW, &body);
    let h = format!("t={NOW}, v0=deadbeef, v1={other}, v1={good}");
    assert!(verify_event(&body, &h, &[SECRET], NOW, 300).is_ok());
}

#[test]
fn a_malformed_body_is_refused_after_the_signature() {
    for body in [
        &b"not json"[..],
        br#"{"id":"evt_1","type":"payment_intent.succeeded","created":1}"#,
        br#"{"id":"evt_1","type":"payment_intent.succeeded","created":1,"data":{"object":{"id":"pi_1"}}}"#,
        br#"{"id":"evt_1","type":"payment_intent.succeeded","created":1,"data":{"object":{"id":"ch_1","object":"charge","amount":5}}}"#,
    ] {
        let h = header(NOW, body, SECRET);
        let got = verify_event(body, &h, &[SECRET], NOW, 300);
        assert!(matches!(got, Err(WebhookError::Malformed(_))), "{got:?}");
    }
}

#[test]
fn the_kinds_the_shop_acts_on_are_named() {
    for (kind, expected, amount) in [
        (
            "payment_intent.succeeded",
            PaymentEventKind::Succeeded,
            2400,
        ),
        (
            "payment_intent.payment_failed",
            PaymentEventKind::Failed,
            2500,
        ),
        ("payment_intent.canceled", PaymentEventKind::Canceled, 2500),
    ] {
        let body = serde_json::json!({
            "id": "evt_9", "type": kind, "created": NOW,
            "data": {"object": {"id": "pi_9", "object": "payment_intent",
                "amount": 2500, "amount_received": 2400,
                "metadata": {"order_number": 7}}}
        })
        .to_string();
        let h = header(NOW, body.as_bytes(), SECRET);
        let got = verify_event(body.as_bytes(), &h, &[SECRET], NOW, 300).unwrap();
        assert_eq!(got.kind, expected);
        assert_eq!(got.amount, amount);
        assert_eq!(got.order_number, Some(7));
    }
}

#[test]
fn an_unknown_event_type_is_other() {
    let body = serde_json::json!({
        "id": "evt_5", "type": "charge.refunded", "created": NOW,
        "data": {"object": {"id": "ch_5", "object": "charge", "amount": 900,
            "payment_intent": "pi_5", "metadata": {}}}
    })
    .to_string();
    let h = header(NOW, body.as_bytes(), SECRET);
    let got = verify_event(body.as_bytes(), &h, &[SECRET], NOW, 300).unwrap();
    assert_eq!(got.kind, PaymentEventKind::Other("charge.refunded".into()));
    assert_eq!(got.intent_id, "pi_5");
    assert_eq!(got.amount, 900);
    assert_eq!(got.order_number, None);
}

#[test]
fn an_order_number_that_is_not_a_number_is_none() {
    let body = String::from_utf8(event("payment_intent.succeeded", NOW))
        .unwrap()
        .replace("\"42\"", "\"forty-two\"");
    let h = header(NOW, body.as_bytes(), SECRET);
    let got = verify_event(body.as_bytes(), &h, &[SECRET], NOW, 300).unwrap();
    assert_eq!(got.order_number, None);
}
