//! Stripe's webhook deliveries, verified before anything reads them.
//!
//! Stripe signs each delivery with `Stripe-Signature: t=<unix>,v1=<hex>[,v1=…]`
//! where each `v1` is HMAC-SHA256, keyed by the endpoint's signing secret,
//! over `"{t}.{raw body}"`. Several `v1` entries appear while a secret is
//! rotated; other schemes (`v0`) are ignored. The timestamp must be within a
//! tolerance of now (Stripe's libraries default to 300 s) so that a captured
//! delivery cannot be replayed later.

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use crate::domain::card_payments::{PaymentEvent, PaymentEventKind};

/// The tolerance Stripe's own libraries use, in seconds.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// Why a delivery was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// The header carries no timestamp or no `v1` signature to check.
    #[error("the delivery carries no usable Stripe signature")]
    NoSignature,
    /// No `v1` signature matches the body under any configured secret.
    #[error("the Stripe signature does not match")]
    BadSignature,
    /// Signed correctly, but the timestamp is further from now than the
    /// tolerance (in the past: a replay; in the future: a forged clock).
    #[error("the Stripe signature's timestamp is outside the tolerance")]
    OutOfTolerance,
    /// Signed correctly, but the body is not an event tienda can read.
    #[error("the event is malformed: {0}")]
    Malformed(String),
}

/// Checks a delivery's signature against any of `secrets` (empty ones are
/// skipped: they would let anyone sign) and its timestamp against
/// `now_unix` ± `tolerance_secs`, then reads the event.
pub fn verify_event(
    payload: &[u8],
    signature_header: &str,
    secrets: &[&str],
    now_unix: i64,
    tolerance_secs: i64,
) -> Result<PaymentEvent, WebhookError> {
    let mut timestamp: Option<&str> = None;
    let mut signatures = Vec::new();
    for part in signature_header.split(',') {
        let Some((key, value)) = part.split_once('=') else {
            continue;
        };
        match key.trim() {
            "t" if timestamp.is_none() => timestamp = Some(value.trim()),
            "v1" => signatures.push(value.trim()),
            _ => {}
        }
    }
    let Some(t) = timestamp else {
        return Err(WebhookError::NoSignature);
    };
    let Ok(t_unix) = t.parse::<i64>() else {
        return Err(WebhookError::NoSignature);
    };
    if signatures.is_empty() {
        return Err(WebhookError::NoSignature);
    }
    let signatures: Vec<Vec<u8>> = signatures.into_iter().filter_map(hex_decode).collect();

    let mut verified = false;
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
            continue;
        };
        mac.update(t.as_bytes());
        mac.update(b".");
        mac.update(payload);
        // verify_slice compares in constant time.
        if signatures
            .iter()
            .any(|sig| mac.clone().verify_slice(sig).is_ok())
        {
            verified = true;
            break;
        }
    }
    if !verified {
        return Err(WebhookError::BadSignature);
    }
    if now_unix.saturating_sub(t_unix).saturating_abs() > tolerance_secs {
        return Err(WebhookError::OutOfTolerance);
    }
    parse_event(payload)
}

/// Lower- or upper-case hex to bytes; `None` when not hex.
fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            let hi = (pair[0] as char).to_digit(16)?;
            let lo = (pair[1] as char).to_digit(16)?;
            u8::try_from(hi * 16 + lo).ok()
        })
        .collect()
}

#[derive(Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    created: i64,
    data: EventData,
}

#[derive(Deserialize)]
struct EventData {
    object: EventObject,
}

/// The event's object: a PaymentIntent for the kinds the shop acts on;
/// for others (a charge, a refund) only what links it to an intent.
#[derive(Deserialize)]
struct EventObject {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    object: Option<String>,
    #[serde(default)]
    amount: Option<i64>,
    #[serde(default)]
    amount_received: Option<i64>,
    #[serde(default)]
    payment_intent: Option<serde_json::Value>,
    #[serde(default)]
    metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Reads a verified event body.
fn parse_event(payload: &[u8]) -> Result<PaymentEvent, WebhookError> {
    let event: Event = serde_json::from_slice(payload)
        .map_err(|e| WebhookError::Malformed(crate::domain::truncate(&e.to_string(), 200)))?;
    let kind = PaymentEventKind::from_type(&event.kind);
    let object = event.data.object;
    let order_number = object
        .metadata
        .as_ref()
        .and_then(|m| m.get("order_number"))
        .and_then(|v| match v {
            serde_json::Value::String(s) => s.trim().parse::<i64>().ok(),
            serde_json::Value::Number(n) => n.as_i64(),
            _ => None,
        });
    let is_intent = object
        .object
        .as_deref()
        .is_none_or(|o| o == "payment_intent");
    if let PaymentEventKind::Other(_) = kind {
        // Not one the shop acts on: what links it to an intent, if anything.
        let intent_id = if is_intent && object.object.is_some() {
            object.id.unwrap_or_default()
        } else {
            match object.payment_intent {
                Some(serde_json::Value::String(id)) => id,
                Some(serde_json::Value::Object(pi)) => pi
                    .get("id")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned(),
                _ => String::new(),
            }
        };
        return Ok(PaymentEvent {
            id: event.id,
            kind,
            intent_id,
            amount: object.amount.unwrap_or(0),
            order_number,
            created: event.created,
        });
    }
    if !is_intent {
        return Err(WebhookError::Malformed(format!(
            "{} carries no payment intent",
            event.kind
        )));
    }
    let (Some(intent_id), Some(amount)) = (object.id, object.amount) else {
        return Err(WebhookError::Malformed(format!(
            "{} lacks the intent's id or amount",
            event.kind
        )));
    };
    let amount = match kind {
        PaymentEventKind::Succeeded => object.amount_received.unwrap_or(amount),
        _ => amount,
    };
    Ok(PaymentEvent {
        id: event.id,
        kind,
        intent_id,
        amount,
        order_number,
        created: event.created,
    })
}

#[cfg(test)]
mod tests;
