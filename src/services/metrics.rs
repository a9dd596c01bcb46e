//! The shop's metrics, in the Prometheus text format.
//!
//! Code records through the `metrics` facade, using the names below; the
//! Prometheus recorder is installed only when `metrics.enabled` is on, so a
//! shop without metrics pays nothing but a no-op call. Labels take only
//! bounded values (route templates, status codes, operation and cache names),
//! never ids or emails.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Requests answered, by `method`, `route` (the route template) and `status`.
pub const HTTP_REQUESTS: &str = "tienda_http_requests_total";
/// Time to answer a request, by `method` and `route`.
pub const HTTP_DURATION: &str = "tienda_http_request_duration_seconds";
/// Time of one call into the store backend (behind the caches), by `operation`.
pub const STORE_CALL_DURATION: &str = "tienda_store_call_duration_seconds";
/// Mails in the outbox, by `status` (pending, sent, failed).
pub const OUTBOX_MAILS: &str = "tienda_outbox_mails";
/// Chat sockets open on this instance.
pub const CHAT_SOCKETS: &str = "tienda_chat_open_sockets";
/// Password hashes waiting for a hashing thread.
pub const PASSWORD_HASH_QUEUE: &str = "tienda_password_hash_queue";
/// Cache lookups, by `cache` and `result` (hit, miss); the hit ratio is
/// `hit / (hit + miss)`.
pub const CACHE_LOOKUPS: &str = "tienda_cache_lookups_total";
/// Time from a product change reaching the search indexer to the index
/// answering with it.
pub const SEARCH_INDEX_LAG: &str = "tienda_search_index_lag_seconds";
/// Chat events the fan-out had to leave out for a full queue (see `chat_hub`).
pub const CHAT_EVENTS_DROPPED: &str = "tienda_chat_events_dropped_total";

/// Set once a recorder is installed. The hot paths (store calls, cache
/// lookups) check it first: with metrics off, building a labelled key for the
/// no-op recorder still allocated, and cost `GET /cart` about a tenth.
static ENABLED: AtomicBool = AtomicBool::new(false);

/// Whether this process records metrics.
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Histogram buckets in seconds: from a cached read (~50 µs) to a slow
/// checkout or a password hash under load (seconds).
const BUCKETS: &[f64] = &[
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// Installs the Prometheus recorder (once per process: every app started in
/// it shares it) and returns the handle that renders what was recorded.
pub fn install() -> anyhow::Result<PrometheusHandle> {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)?
        .build_recorder();
    let handle = recorder.handle();
    // Two apps starting at once in one process (tests): one installs, both
    // then use the handle that won.
    if metrics::set_global_recorder(recorder).is_ok() {
        describe();
        let _ = HANDLE.set(handle);
        ENABLED.store(true, Ordering::Relaxed);
    }
    HANDLE
        .get()
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("another metrics recorder is installed in this process"))
}

/// The help lines the text format shows beside each metric.
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        HTTP_REQUESTS,
        "Requests answered, by method, route template and status"
    );
    describe_histogram!(HTTP_DURATION, Unit::Seconds, "Time to answer a request");
    describe_histogram!(
        STORE_CALL_DURATION,
        Unit::Seconds,
        "Time of one store call behind the caches, by operation"
    );
    describe_gauge!(OUTBOX_MAILS, "Mails in the outbox, by status");
    describe_gauge!(CHAT_SOCKETS, "Chat sockets open on this instance");
    describe_gauge!(PASSWORD_HASH_QUEUE, "Password hashes waiting for a thread");
    describe_counter!(
        CACHE_LOOKUPS,
        "Cache lookups, by cache and result (hit or miss)"
    );
    describe_histogram!(
        SEARCH_INDEX_LAG,
        Unit::Seconds,
        "Time from a product change reaching the indexer to the index showing it"
    );
    describe_counter!(
        CHAT_EVENTS_DROPPED,
        "Chat events left out of a fan-out queue that was full"
    );
}

/// Runs `call` and records its duration as the store operation `operation`.
pub async fn store_call<F: Future>(operation: &'static str, call: F) -> F::Output {
    if !enabled() {
        return call.await;
    }
    let started = Instant::now();
    let out = call.await;
    metrics::histogram!(STORE_CALL_DURATION, "operation" => operation)
        .record(started.elapsed().as_secs_f64());
    out
}

/// Counts one lookup in the cache `cache`.
pub fn cache_lookup(cache: &'static str, hit: bool) {
    if !enabled() {
        return;
    }
    let result = if hit { "hit" } else { "miss" };
    metrics::counter!(CACHE_LOOKUPS, "cache" => cache, "result" => result).increment(1);
}
