//! [`StripeClient`]: the shop's [`CardPayments`] port over Stripe's v1 REST
//! API (PaymentIntents and Refunds), checked against Stripe's published
//! reference: form-encoded bodies, `Authorization: Bearer <secret key>`, an
//! `Idempotency-Key` on every POST, amounts in minor units, currency in
//! lower case, errors as `{"error": {"type", "code", "message", …}}`.

use std::time::Duration;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::domain::card_payments::{
    CardIntent, CardPayments, CardRefund, GatewayError, IntentRequest, Refusal,
};

/// How long to wait for a connection to Stripe.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a whole request to Stripe may take (connect, send, answer).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A Stripe API client for card payments.
///
/// `Debug` prints the base URL only: the secret key never reaches a log.
#[derive(Clone)]
pub struct StripeClient {
    http: reqwest::Client,
    api_base: url::Url,
    secret_key: SecretString,
    receipt_email: bool,
}

impl std::fmt::Debug for StripeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeClient")
            .field("api_base", &self.api_base.as_str())
            .field("secret_key", &"***")
            .field("receipt_email", &self.receipt_email)
            .finish()
    }
}

impl StripeClient {
    /// A client for the Stripe API at `api_base` (`https://api.stripe.com`,
    /// or an emulator's URL) with the account's secret key, and the default
    /// timeouts ([`CONNECT_TIMEOUT`], [`REQUEST_TIMEOUT`]).
    pub fn new(api_base: &str, secret_key: &str) -> anyhow::Result<Self> {
        Self::with_timeouts(api_base, secret_key, CONNECT_TIMEOUT, REQUEST_TIMEOUT)
    }

    /// Like [`StripeClient::new`], with other timeouts.
    pub fn with_timeouts(
        api_base: &str,
        secret_key: &str,
        connect: Duration,
        total: Duration,
    ) -> anyhow::Result<Self> {
        let mut base = url::Url::parse(api_base.trim())
            .map_err(|e| anyhow::anyhow!("the Stripe API base {api_base:?} is not a URL: {e}"))?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            anyhow::bail!("the Stripe API base {api_base:?} must be an http(s) URL with a host");
        }
        if base.query().is_some() || base.fragment().is_some() {
            anyhow::bail!("the Stripe API base {api_base:?} may not carry a query or fragment");
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let secret_key = secret_key.trim();
        if secret_key.is_empty()
            || secret_key
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            anyhow::bail!("the Stripe secret key is empty or not a single token");
        }
        let http = reqwest::Client::builder()
            .connect_timeout(connect)
            .timeout(total)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("tienda/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| anyhow::anyhow!("cannot build the Stripe HTTP client: {e}"))?;
        Ok(Self {
            http,
            api_base: base,
            secret_key: SecretString::from(secret_key.to_owned()),
            receipt_email: true,
        })
    }

    /// Whether new intents carry `receipt_email` (on by default: Stripe then
    /// emails its own receipt in live mode). localstripe refuses the
    /// parameter ("Unexpected receipt_email"), so tests against it turn it off.
    pub fn with_receipt_email(mut self, on: bool) -> Self {
        self.receipt_email = on;
        self
    }

    /// The form fields of a PaymentIntent creation, in the order sent.
    pub fn intent_form(&self, req: &IntentRequest) -> Vec<(&'static str, String)> {
        let mut form = vec![
            ("amount", req.amount.to_string()),
            ("currency", req.currency.trim().to_ascii_lowercase()),
            ("payment_method_types[]", "card".to_owned()),
            ("metadata[order_number]", req.order_number.to_string()),
        ];
        if self.receipt_email && !req.email.trim().is_empty() {
            form.push(("receipt_email", req.email.trim().to_owned()));
        }
        form
    }

    /// `base` + `v1/` + the given path segments (each percent-encoded, so an
    /// id can never step into another path).
    fn url(&self, segments: &[&str]) -> Result<url::Url, GatewayError> {
        let mut url = self.api_base.clone();
        {
            let mut path = url.path_segments_mut().map_err(|()| {
                GatewayError::Unavailable("the Stripe API base has no path".into())
            })?;
            path.pop_if_empty().push("v1");
            path.extend(segments);
        }
        Ok(url)
    }

    /// POSTs a form with an idempotency key; returns the decoded 2xx body.
    async fn post<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        form: &[(&str, String)],
        idempotency_key: &str,
    ) -> Result<T, GatewayError> {
        let url = self.url(segments)?;
        let body = serde_urlencoded::to_string(form)
            .map_err(|e| GatewayError::Unavailable(format!("cannot encode the request: {e}")))?;
        let what = segments.first().copied().unwrap_or_default();
        let answer = self
            .http
            .post(url)
            .bearer_auth(self.secret_key.expose_secret())
            .header("Idempotency-Key", idempotency_key)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| GatewayError::Unavailable(format!("POST {what}: {}", chain(&e))))?;
        let status = answer.status();
        let bytes = answer
            .bytes()
            .await
            .map_err(|e| GatewayError::Unavailable(format!("POST {what}: {}", chain(&e))))?;
        tracing::debug!(what, status = status.as_u16(), "stripe answered");
        decode(status.as_u16(), &bytes).map_err(|e| match e {
            GatewayError::Unavailable(detail) => {
                GatewayError::Unavailable(format!("POST {what}: {detail}"))
            }
            refused => refused,
        })
    }
}

/// The error and its causes, one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// Stripe's error body.
#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorObject,
}

#[derive(Deserialize)]
struct ErrorObject {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    decline_code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// A Stripe answer as the object asked for, its refusal, or "unavailable".
fn decode<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<T, GatewayError> {
    if (200..300).contains(&status) {
        return serde_json::from_slice(body).map_err(|e| {
            GatewayError::Unavailable(format!("HTTP {status} with an unexpected body: {e}"))
        });
    }
    let error = serde_json::from_slice::<ErrorBody>(body)
        .ok()
        .map(|b| b.error);
    match error {
        // Rate limits and Stripe's own failures say nothing about the request:
        // the caller retries (same idempotency key).
        Some(e) if status != 429 && status < 500 => Err(GatewayError::Refused(Refusal {
            status,
            kind: e.kind.unwrap_or_else(|| "unknown".into()),
            code: e.code,
            decline_code: e.decline_code,
            message: e.message.unwrap_or_else(|| format!("HTTP {status}")),
        })),
        Some(e) => Err(GatewayError::Unavailable(format!(
            "HTTP {status}: {}",
            e.message.unwrap_or_default()
        ))),
        None => Err(GatewayError::Unavailable(format!(
            "HTTP {status} without Stripe's error object"
        ))),
    }
}

#[derive(Deserialize)]
struct IntentBody {
    id: String,
    client_secret: String,
    status: String,
}

#[derive(Deserialize)]
struct RefundBody {
    id: String,
    amount: i64,
    status: String,
}

#[derive(Deserialize)]
struct Ignored {}

#[async_trait]
impl CardPayments for StripeClient {
    async fn create_intent(&self, req: &IntentRequest) -> Result<CardIntent, GatewayError> {
        let form = self.intent_form(req);
        let body: IntentBody = self
            .post(&["payment_intents"], &form, &req.idempotency_key)
            .await?;
        Ok(CardIntent {
            id: body.id,
            client_secret: body.client_secret,
            status: body.status,
        })
    }

    async fn cancel_intent(&self, intent_id: &str) -> Result<(), GatewayError> {
        // The port gives no key: one cancellation per intent, so its id is one.
        let key = format!("tienda-cancel-{intent_id}");
        let _: Ignored = self
            .post(&["payment_intents", intent_id, "cancel"], &[], &key)
            .await?;
        Ok(())
    }

    async fn refund(
        &self,
        intent_id: &str,
        amount: i64,
        idempotency_key: &str,
    ) -> Result<CardRefund, GatewayError> {
        let form = [
            ("payment_intent", intent_id.to_owned()),
            ("amount", amount.to_string()),
        ];
        let body: RefundBody = self.post(&["refunds"], &form, idempotency_key).await?;
        Ok(CardRefund {
            id: body.id,
            amount: body.amount,
            status: body.status,
        })
    }
}

#[cfg(test)]
mod tests;
