//! Chat fan-out load client for tienda's `/chat/ws`.
//!
//! Connects `--sockets` receivers (bearer tokens from `--tokens-file`, used
//! round-robin), prints `READY <connected>` on stdout once they are all up,
//! waits `--hold-secs`, then a separate sender socket sends `--messages`
//! messages one after another. For each message it measures, per receiving
//! socket, the time from the send to the arrival of the matching
//! `{"type":"message",...}` frame in that socket (the kernel's receive
//! timestamp). The last stdout line is one JSON object with the figures.
//! Every wait is bounded; the whole run stops by itself after
//! `--deadline-secs`.
//!
//! With `--rate R --duration-secs D` it runs sustained instead: R messages a
//! second for D seconds, sent on a fixed schedule whatever the deliveries
//! do, read by the receivers throughout; `--slow-sockets N` adds N sockets
//! that never read, and reports how many the server dropped (closed).
//!
//! The receivers share one thread and one epoll set (mio) and parse frames
//! by hand: the client runs on the same two cores as the server it measures,
//! so every microsecond it spends per delivery is taken from the server.
//! With a task, a tungstenite stream and a channel send per socket it used
//! ~10 µs of CPU per delivery; this way, about 5. And it reads a message's
//! frames only `--settle-ms` after sending it, once the server is done, so
//! none of that is taken during the fan-out it measures (the timestamps are
//! the kernel's, so reading later does not change them). Also reported, per
//! message: the time from the send to the read of its last delivery
//! (`read_all_ms`, at least `--settle-ms`).

mod receivers;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{bail, Context};
use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::Semaphore;
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
    /// How long after a send the receivers start reading (frames that
    /// arrive later are read as they come); 0 reads throughout.
    #[arg(long, default_value_t = 300)]
    settle_ms: u64,
    /// Pause of the receivers' thread after each batch of ready sockets, so
    /// the server's sends do not each wake it (see receivers.rs); not in the
    /// latencies, which are the kernel's arrival times.
    #[arg(long, default_value_t = 500)]
    coalesce_us: u64,
    /// Sustained mode: messages per second (0: one after another, as above).
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Sustained mode: seconds of sending (`--messages` is then rate × this).
    #[arg(long, default_value_t = 60.0)]
    duration_secs: f64,
    /// Extra sockets that connect and then never read a byte.
    #[arg(long, default_value_t = 0)]
    slow_sockets: usize,
    /// Hard bound on the whole run.
    #[arg(long, default_value_t = 300.0)]
    deadline_secs: f64,
}

const TAG: &str = "chatload-";

fn main() -> anyhow::Result<()> {
    let mut args = Args::parse();
    if args.rate > 0.0 {
        args.messages = (args.rate * args.duration_secs).round() as usize;
        args.settle_ms = 0;
    }
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

async fn open_tcp(addr: SocketAddr, source: Ipv4Addr) -> anyhow::Result<TcpStream> {
    open_tcp_with(addr, source, None).await
}

/// `open_tcp`, optionally with a receive buffer of `recv_buffer` bytes.
async fn open_tcp_with(
    addr: SocketAddr,
    source: Ipv4Addr,
    recv_buffer: Option<u32>,
) -> anyhow::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    if let Some(size) = recv_buffer {
        socket.set_recv_buffer_size(size)?;
    }
    socket.bind(SocketAddr::new(IpAddr::V4(source), 0))?;
    let stream = socket.connect(addr).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// The sending socket: an ordinary tungstenite client.
async fn connect_sender(
    addr: SocketAddr,
    token: &str,
) -> anyhow::Result<WebSocketStream<TcpStream>> {
    let stream = open_tcp(addr, Ipv4Addr::LOCALHOST).await?;
    let mut request = format!("ws://{addr}/chat/ws").into_client_request()?;
    request.headers_mut().insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}"))?,
    );
    let config = WebSocketConfig::default().read_buffer_size(4 * 1024);
    let (ws, _) = client_async_with_config(request, stream, Some(config)).await?;
    Ok(ws)
}

/// A receiving socket: the upgrade handshake by hand, then the raw stream
/// (and any bytes that came after the response head) for the poll thread.
async fn connect_receiver(
    addr: SocketAddr,
    source: Ipv4Addr,
    token: &str,
) -> anyhow::Result<(std::net::TcpStream, Vec<u8>)> {
    upgrade(open_tcp(addr, source).await?, addr, token).await
}

/// The WebSocket upgrade by hand on `stream`.
async fn upgrade(
    mut stream: TcpStream,
    addr: SocketAddr,
    token: &str,
) -> anyhow::Result<(std::net::TcpStream, Vec<u8>)> {
    let request = format!(
        "GET /chat/ws HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: Y2hhdGxvYWQtcHJvYmUtMQ==\r\n\
         Authorization: Bearer {token}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 512];
    let end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            bail!("the server closed the connection during the handshake");
        }
        head.extend_from_slice(&chunk[..n]);
        if let Some(i) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if head.len() > 16 * 1024 {
            bail!("no end to the handshake response");
        }
    };
    let status = String::from_utf8_lossy(&head[..head.len().min(64)]).into_owned();
    if !status.starts_with("HTTP/1.1 101") {
        bail!(
            "upgrade refused: {}",
            status.lines().next().unwrap_or_default()
        );
    }
    let rest = head.split_off(end);
    Ok((stream.into_std()?, rest))
}

/// Sends `args.messages` messages at `args.rate` a second without waiting
/// for deliveries, then waits for the last ones and reports latencies over
/// the whole run and per ten-second window, and what became of the slow sockets.
#[allow(clippy::too_many_arguments)]
async fn sustained(
    args: &Args,
    sender: WebSocketStream<TcpStream>,
    receivers: receivers::Receivers,
    connected: usize,
    failures: usize,
    first_error: Option<String>,
    connect_secs: f64,
    slow: Vec<std::net::TcpStream>,
) -> anyhow::Result<Value> {
    let (mut outgoing, mut incoming) = sender.split();
    // The sender's own socket gets every message too: keep reading it.
    let echo = tokio::spawn(async move { while let Some(Ok(_)) = incoming.next().await {} });
    let interval = Duration::from_secs_f64(1.0 / args.rate);
    let started = Instant::now();
    let mut sent_wall: Vec<SystemTime> = Vec::with_capacity(args.messages);
    let mut sent_mono: Vec<Instant> = Vec::with_capacity(args.messages);
    let mut send_lag_ms = 0f64;
    for index in 0..args.messages {
        let due = started + interval.mul_f64(index as f64);
        tokio::time::sleep_until(due.into()).await;
        send_lag_ms = send_lag_ms.max(due.elapsed().as_secs_f64() * 1000.0);
        sent_mono.push(Instant::now());
        sent_wall.push(SystemTime::now());
        outgoing
            .send(Frame::Text(
                json!({ "body": format!("{TAG}{index}-sustained") })
                    .to_string()
                    .into(),
            ))
            .await
            .context("sending a message")?;
    }
    let sending_secs = started.elapsed().as_secs_f64();
    let until = Instant::now() + Duration::from_secs_f64(args.message_timeout_secs);
    let want = connected * args.messages;
    while Instant::now() < until {
        let got: usize = receivers
            .delivered
            .iter()
            .map(|d| d.load(Ordering::Acquire))
            .sum();
        if got >= want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    echo.abort();
    let arrivals = tokio::task::spawn_blocking(move || receivers.finish())
        .await
        .context("joining the receivers' poll thread")??;
    let window = 10.0;
    let windows = (args.duration_secs / window).ceil().max(1.0) as usize;
    let mut per_window: Vec<Vec<f64>> = vec![Vec::new(); windows];
    let mut all: Vec<f64> = Vec::with_capacity(arrivals.len());
    let mut unstamped = 0usize;
    for arrival in &arrivals {
        let took = match arrival.arrived {
            Some(at) => at
                .duration_since(sent_wall[arrival.index])
                .unwrap_or_default(),
            None => {
                unstamped += 1;
                arrival.read.duration_since(sent_mono[arrival.index])
            }
        };
        let ms = took.as_secs_f64() * 1000.0;
        let w = ((sent_mono[arrival.index] - started).as_secs_f64() / window) as usize;
        per_window[w.min(windows - 1)].push(ms);
        all.push(ms);
    }
    drop(arrivals);
    all.sort_by(f64::total_cmp);
    let windows: Vec<Value> = per_window
        .iter_mut()
        .enumerate()
        .map(|(i, v)| {
            v.sort_by(f64::total_cmp);
            json!({ "from_s": i as f64 * window, "deliveries": v.len(),
                    "p50_ms": percentile(v, 50.0), "p99_ms": percentile(v, 99.0) })
        })
        .collect();
    let slow_total = slow.len();
    let slow_dropped = tokio::task::spawn_blocking(move || count_closed(slow)).await?;
    Ok(json!({
        "mode": "sustained",
        "sockets": args.sockets,
        "connected": connected,
        "connect_failures": failures,
        "first_connect_error": first_error,
        "connect_secs": connect_secs,
        "rate": args.rate,
        "duration_secs": args.duration_secs,
        "sending_secs": sending_secs,
        "worst_send_lag_ms": send_lag_ms,
        "messages": args.messages,
        "expected_deliveries": want,
        "deliveries": all.len(),
        "missing": want.saturating_sub(all.len()),
        "unstamped": unstamped,
        "p50_ms": percentile(&all, 50.0),
        "p99_ms": percentile(&all, 99.0),
        "p999_ms": percentile(&all, 99.9),
        "max_ms": all.last().copied().unwrap_or(f64::NAN),
        "windows": windows,
        "slow_sockets": slow_total,
        "slow_sockets_dropped": slow_dropped,
    }))
}

/// How many of `sockets` the server has closed: each is read to its end
/// (what the server had queued, then EOF or a reset).
fn count_closed(sockets: Vec<std::net::TcpStream>) -> usize {
    use std::io::Read;
    let mut closed = 0;
    let mut buf = vec![0u8; 256 * 1024];
    for mut socket in sockets {
        if socket.set_nonblocking(true).is_err() {
            continue;
        }
        loop {
            match socket.read(&mut buf) {
                Ok(0) => {
                    closed += 1;
                    break;
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(_) => {
                    closed += 1;
                    break;
                }
            }
        }
    }
    closed
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
    let receivers =
        receivers::Receivers::start(args.messages, TAG, Duration::from_micros(args.coalesce_us))?;

    // Connect the receivers, a bounded number of handshakes at a time.
    let started = Instant::now();
    let gate = Arc::new(Semaphore::new(args.connect_concurrency.max(1)));
    let mut handshakes = Vec::with_capacity(args.sockets);
    for i in 0..args.sockets {
        let gate = gate.clone();
        let tokens = tokens.clone();
        let adder = receivers.adder();
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
            let connected = tokio::time::timeout(
                Duration::from_secs(20),
                connect_receiver(addr, source, token),
            )
            .await;
            match connected {
                Ok(Ok((stream, rest))) => match adder.add(stream, rest) {
                    Ok(()) => Some(Ok(())),
                    Err(e) => Some(Err(format!("{e:#}"))),
                },
                Ok(Err(e)) => Some(Err(format!("{e:#}"))),
                Err(_) => Some(Err("handshake timed out".to_owned())),
            }
        }));
    }
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
    let mut slow = Vec::with_capacity(args.slow_sockets);
    for i in 0..args.slow_sockets {
        let source = Ipv4Addr::new(127, 0, 1, 1 + (i % 200) as u8);
        // As small a receive buffer as the kernel allows: it fills at once.
        let stream = open_tcp_with(args.addr, source, Some(4096)).await?;
        let (stream, _) = upgrade(stream, args.addr, &tokens[i % tokens.len()])
            .await
            .context("connecting a slow socket")?;
        slow.push(stream);
    }
    tokio::time::sleep(Duration::from_secs_f64(args.hold_secs)).await;

    let mut sender = connect_sender(args.addr, &args.sender_token)
        .await
        .context("connecting the sender socket")?;
    if args.rate > 0.0 {
        return sustained(
            args,
            sender,
            receivers,
            connected,
            failures,
            first_error,
            connect_secs,
            slow,
        )
        .await;
    }
    // Wall-clock send times, to compare with the kernel's arrival stamps;
    // the monotonic ones bound the waits and time the reads.
    let mut sent_wall: Vec<SystemTime> = Vec::with_capacity(args.messages);
    let mut sent_mono: Vec<Instant> = Vec::with_capacity(args.messages);
    let mut read_ms: Vec<f64> = Vec::with_capacity(args.messages);
    let mut all_delivered: Vec<bool> = Vec::with_capacity(args.messages);
    let timeout = Duration::from_secs_f64(args.message_timeout_secs);
    for index in 0..args.messages {
        if args.settle_ms > 0 {
            receivers.pause().await?;
        }
        let sent = Instant::now();
        sent_mono.push(sent);
        sent_wall.push(SystemTime::now());
        sender
            .send(Frame::Text(
                json!({ "body": format!("{TAG}{index}-fan-out probe") })
                    .to_string()
                    .into(),
            ))
            .await
            .context("sending a message")?;
        if args.settle_ms > 0 {
            tokio::time::sleep(Duration::from_millis(args.settle_ms)).await;
            receivers.resume();
        }
        // The poll thread records each arrival; here we only wait for the count.
        let until = sent + timeout;
        while receivers.delivered[index].load(Ordering::Acquire) < connected
            && Instant::now() < until
        {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        read_ms.push(sent.elapsed().as_secs_f64() * 1000.0);
        all_delivered.push(receivers.delivered[index].load(Ordering::Acquire) >= connected);
        // Drain the sender's own echo and any other frame it was sent.
        while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(1), sender.next()).await
        {
        }
        tokio::time::sleep(Duration::from_secs_f64(args.gap_secs)).await;
    }
    let arrivals = tokio::task::spawn_blocking(move || receivers.finish())
        .await
        .context("joining the receivers' poll thread")??;
    let mut latencies_ms: Vec<f64> = Vec::new();
    let mut read_latencies_ms: Vec<f64> = Vec::new();
    let mut slowest = vec![0f64; args.messages];
    let mut got = vec![0usize; args.messages];
    let mut late = 0usize;
    let mut unstamped = 0usize;
    for arrival in arrivals {
        let index = arrival.index;
        let read = arrival.read.duration_since(sent_mono[index]);
        let took = match arrival.arrived {
            // Before the send only if the wall clock stepped back: count it as 0.
            Some(at) => at.duration_since(sent_wall[index]).unwrap_or_default(),
            // No stamp (not seen on Linux): the read time, which is later.
            None => {
                unstamped += 1;
                read
            }
        };
        if took > timeout {
            late += 1;
            continue;
        }
        let ms = took.as_secs_f64() * 1000.0;
        latencies_ms.push(ms);
        read_latencies_ms.push(read.as_secs_f64() * 1000.0);
        slowest[index] = slowest[index].max(ms);
        got[index] += 1;
    }
    let missing: usize = got.iter().map(|&g| connected.saturating_sub(g)).sum();
    let fanout_ms: Vec<Value> = (0..args.messages)
        .map(|i| json!({ "message": i, "delivered": got[i], "all_delivered_ms": (all_delivered[i] && got[i] >= connected).then_some(slowest[i]) }))
        .collect();
    latencies_ms.sort_by(f64::total_cmp);
    read_latencies_ms.sort_by(f64::total_cmp);
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
        "unstamped": unstamped,
        "settle_ms": args.settle_ms,
        // Send to the return of the read that brought the frame (with
        // --settle-ms 0, what this client reported before it used stamps).
        "read_p50_ms": percentile(&read_latencies_ms, 50.0),
        "read_p99_ms": percentile(&read_latencies_ms, 99.0),
        // Send to the read that completed the message's last delivery (at
        // least --settle-ms: the receivers wait that long before reading).
        "read_all_ms": read_ms,
        "per_message": fanout_ms,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert!(percentile(&[], 50.0).is_nan());
    }
}
