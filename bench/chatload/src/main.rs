//! Chat fan-out load client for tienda's `/chat/ws`.
//!
//! Connects `--sockets` receivers (bearer tokens from `--tokens-file`, used
//! round-robin), prints `READY <connected>` on stdout once they are all up,
//! waits `--hold-secs`, then a separate sender socket sends `--messages`
//! messages one after another. For each message it measures, per receiving
//! socket, the time from the send to the arrival of the matching
//! `{"type":"message",...}` frame. The last stdout line is one JSON object
//! with the figures. Every wait is bounded; the whole run stops by itself
//! after `--deadline-secs`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{mpsc, Semaphore};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::{client_async_with_config, WebSocketStream};

#[derive(Parser, Debug)]
#[command(name = "chatload", about = "tienda chat fan-out load client")]
struct Args {
    /// Server address (loopback only), e.g. 127.0.0.1:8080.
    #[arg(long)]
    addr: SocketAddr,
    /// File with one bearer token per line; receivers use them round-robin.
    #[arg(long)]
    tokens_file: PathBuf,
    /// Bearer token of the sending user.
    #[arg(long)]
    sender_token: String,
    /// Receiving sockets to hold open.
    #[arg(long, default_value_t = 1000)]
    sockets: usize,
    /// Messages to send, one after another.
    #[arg(long, default_value_t = 5)]
    messages: usize,
    /// Handshakes in flight at once while connecting.
    #[arg(long, default_value_t = 128)]
    connect_concurrency: usize,
    /// Spread sockets over this many source addresses 127.0.0.1..=127.0.0.N
    /// (each source address has its own ephemeral port range).
    #[arg(long, default_value_t = 4)]
    source_ips: u8,
    /// Seconds to hold the connected sockets before sending (RSS is sampled then).
    #[arg(long, default_value_t = 2.0)]
    hold_secs: f64,
    /// Longest wait for one message to reach every socket.
    #[arg(long, default_value_t = 30.0)]
    message_timeout_secs: f64,
    /// Pause between messages.
    #[arg(long, default_value_t = 0.3)]
    gap_secs: f64,
    /// Hard bound on the whole run.
    #[arg(long, default_value_t = 300.0)]
    deadline_secs: f64,
}

/// A delivery seen by one receiving socket: (message index, arrival).
type Delivery = (usize, Instant);

const TAG: &str = "chatload-";

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if !args.addr.ip().is_loopback() {
        bail!("chatload only talks to loopback addresses");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let deadline = Duration::from_secs_f64(args.deadline_secs);
    let result = runtime.block_on(async {
        match tokio::time::timeout(deadline, run(&args)).await {
            Ok(r) => r,
            Err(_) => bail!("chatload ran past --deadline-secs {}", args.deadline_secs),
        }
    });
    match result {
        Ok(report) => {
            println!("{report}");
            // Sockets are dropped with the process; no orderly teardown needed.
            std::process::exit(0)
        }
        Err(e) => {
            eprintln!("chatload: {e:#}");
            std::process::exit(1)
        }
    }
}

async fn connect(
    addr: SocketAddr,
    source: Ipv4Addr,
    token: &str,
) -> anyhow::Result<WebSocketStream<TcpStream>> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(IpAddr::V4(source), 0))?;
    let stream = socket.connect(addr).await?;
    stream.set_nodelay(true)?;
    let mut request = format!("ws://{addr}/chat/ws").into_client_request()?;
    request.headers_mut().insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}"))?,
    );
    // tungstenite's default 128 KiB read buffer is zeroed on every read: with
    // thousands of sockets that memset, not the server, dominated the run.
    let config = WebSocketConfig::default().read_buffer_size(4 * 1024);
    let (ws, _) = client_async_with_config(request, stream, Some(config)).await?;
    Ok(ws)
}

/// Reads frames until the socket ends, reporting each tagged message.
async fn receive(mut ws: WebSocketStream<TcpStream>, seen: mpsc::UnboundedSender<Delivery>) {
    while let Some(frame) = ws.next().await {
        let Ok(Frame::Text(text)) = frame else {
            match frame {
                Ok(Frame::Close(_)) | Err(_) => return,
                _ => continue,
            }
        };
        let at = Instant::now();
        if let Some(index) = message_index(text.as_str()) {
            if seen.send((index, at)).is_err() {
                return;
            }
        }
    }
}

/// The index in a message frame whose body is `chatload-<i>-...`. A substring
/// search, not a JSON parse: the client must stay cheaper than the server it
/// measures (a message's body is the only place the tag can appear).
fn message_index(text: &str) -> Option<usize> {
    const BODY: &str = "\"body\":\"";
    let body = &text[text.find(BODY)? + BODY.len()..];
    body.strip_prefix(TAG)?.split('-').next()?.parse().ok()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

async fn run(args: &Args) -> anyhow::Result<Value> {
    let tokens: Vec<String> = std::fs::read_to_string(&args.tokens_file)
        .with_context(|| format!("reading {}", args.tokens_file.display()))?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    if tokens.is_empty() {
        bail!("no tokens in {}", args.tokens_file.display());
    }
    let tokens = Arc::new(tokens);
    let (seen_tx, mut seen_rx) = mpsc::unbounded_channel::<Delivery>();

    // Connect the receivers, a bounded number of handshakes at a time.
    let started = Instant::now();
    let gate = Arc::new(Semaphore::new(args.connect_concurrency.max(1)));
    let mut handshakes = Vec::with_capacity(args.sockets);
    for i in 0..args.sockets {
        let gate = gate.clone();
        let tokens = tokens.clone();
        let seen = seen_tx.clone();
        let addr = args.addr;
        let source = Ipv4Addr::new(
            127,
            0,
            0,
            1 + (i % usize::from(args.source_ips.max(1))) as u8,
        );
        handshakes.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await.ok()?;
            let token = &tokens[i % tokens.len()];
            let ws =
                match tokio::time::timeout(Duration::from_secs(20), connect(addr, source, token))
                    .await
                {
                    Ok(Ok(ws)) => ws,
                    Ok(Err(e)) => return Some(Err(format!("{e:#}"))),
                    Err(_) => return Some(Err("handshake timed out".to_owned())),
                };
            tokio::spawn(receive(ws, seen));
            Some(Ok(()))
        }));
    }
    drop(seen_tx);
    let mut connected = 0usize;
    let mut failures = 0usize;
    let mut first_error: Option<String> = None;
    for h in handshakes {
        match h.await {
            Ok(Some(Ok(()))) => connected += 1,
            Ok(Some(Err(e))) => {
                failures += 1;
                first_error.get_or_insert(e);
            }
            _ => failures += 1,
        }
    }
    let connect_secs = started.elapsed().as_secs_f64();
    println!("READY {connected}");
    eprintln!(
        "chatload: {connected} sockets connected in {connect_secs:.2}s, {failures} failed{}",
        first_error
            .as_deref()
            .map(|e| format!(" (first: {e})"))
            .unwrap_or_default()
    );
    tokio::time::sleep(Duration::from_secs_f64(args.hold_secs)).await;

    let mut sender = connect(args.addr, Ipv4Addr::LOCALHOST, &args.sender_token)
        .await
        .context("connecting the sender socket")?;
    let mut latencies_ms: Vec<f64> = Vec::new();
    let mut fanout_ms: Vec<Value> = Vec::new();
    let mut missing = 0usize;
    let mut late: usize = 0;
    let timeout = Duration::from_secs_f64(args.message_timeout_secs);
    for index in 0..args.messages {
        let sent = Instant::now();
        sender
            .send(Frame::Text(
                json!({ "body": format!("{TAG}{index}-fan-out probe") })
                    .to_string()
                    .into(),
            ))
            .await
            .context("sending a message")?;
        let mut got = 0usize;
        let mut slowest = 0f64;
        let until = sent + timeout;
        while got < connected {
            let left = until.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, seen_rx.recv()).await {
                Ok(Some((i, at))) if i == index => {
                    let ms = at.duration_since(sent).as_secs_f64() * 1000.0;
                    slowest = slowest.max(ms);
                    latencies_ms.push(ms);
                    got += 1;
                }
                Ok(Some(_)) => late += 1,
                Ok(None) | Err(_) => break,
            }
        }
        missing += connected - got;
        fanout_ms.push(json!({ "message": index, "delivered": got, "all_delivered_ms": (got == connected).then_some(slowest) }));
        // Drain the sender's own echo and any other frame it was sent.
        while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(1), sender.next()).await
        {
        }
        tokio::time::sleep(Duration::from_secs_f64(args.gap_secs)).await;
    }
    latencies_ms.sort_by(f64::total_cmp);
    Ok(json!({
        "sockets": args.sockets,
        "connected": connected,
        "connect_failures": failures,
        "first_connect_error": first_error,
        "connect_secs": connect_secs,
        "messages": args.messages,
        "deliveries": latencies_ms.len(),
        "missing": missing,
        "late": late,
        "p50_ms": percentile(&latencies_ms, 50.0),
        "p99_ms": percentile(&latencies_ms, 99.0),
        "max_ms": latencies_ms.last().copied().unwrap_or(f64::NAN),
        "per_message": fanout_ms,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_message_index() {
        let frame = r#"{"type":"message","message":{"id":"x","body":"chatload-7-fan-out probe"}}"#;
        assert_eq!(message_index(frame), Some(7));
        assert_eq!(message_index(r#"{"type":"error","code":"x"}"#), None);
        assert_eq!(
            message_index(r#"{"type":"message","message":{"body":"hello"}}"#),
            None
        );
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert!(percentile(&[], 50.0).is_nan());
    }
}
