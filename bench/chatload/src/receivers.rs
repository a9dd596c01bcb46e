//! The receiving sockets: one thread, one epoll set, frames parsed by hand.
//!
//! Handshakes happen on the tokio runtime (see `connect_receiver`); the raw
//! streams then move here. Every text frame whose body starts with the tag
//! counts as a delivery of the message index that follows the tag.
//!
//! A delivery's time is the kernel's receive timestamp of the data that
//! completed the frame (`SO_TIMESTAMPNS`): when the server's write put it in
//! this socket, not when this thread got round to reading it. So the thread
//! can stay out of the way while the server fans a message out (it reads
//! only while the gate is open, see `Receivers::pause`) and sleeps
//! `coalesce` after each batch of readiness events; neither shows in the
//! latencies. This client shares the server's two cores, and every
//! microsecond it spends reading during a fan-out is taken from the server.
use std::io::ErrorKind;
use std::ops::Range;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, Context};
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Registry, Token, Waker};

const WAKER: Token = Token(0);
const OP_TEXT: u8 = 0x1;
const OP_CLOSE: u8 = 0x8;

/// A delivery.
pub struct Arrival {
    /// Index of the message delivered.
    pub index: usize,
    /// When its data reached the socket (the kernel's stamp), if stamped.
    pub arrived: Option<SystemTime>,
    /// When the read that brought it returned.
    pub read: Instant,
}

type NewSocket = (std::net::TcpStream, Vec<u8>);

/// The receiving sockets' poll thread and the deliveries it counts.
pub struct Receivers {
    /// Deliveries counted so far, per message index.
    pub delivered: Arc<Vec<AtomicUsize>>,
    stop: Arc<AtomicBool>,
    gate: Arc<AtomicBool>,
    /// Set by the thread once it has seen the gate closed.
    paused: Arc<AtomicBool>,
    adder: Adder,
    thread: JoinHandle<anyhow::Result<Vec<Arrival>>>,
}

/// Hands connected sockets to the poll thread (one per handshake task).
#[derive(Clone)]
pub struct Adder {
    waker: Arc<Waker>,
    new_sockets: mpsc::Sender<NewSocket>,
}

impl Adder {
    /// `rest`: bytes that arrived after the handshake response's head.
    pub fn add(&self, stream: std::net::TcpStream, rest: Vec<u8>) -> anyhow::Result<()> {
        stamp_arrivals(&stream).context("SO_TIMESTAMPNS")?;
        self.new_sockets
            .send((stream, rest))
            .map_err(|_| anyhow!("the receivers' poll thread has stopped"))?;
        self.waker.wake().context("waking the poll thread")
    }
}

impl Receivers {
    /// Starts the poll thread for `messages` messages tagged `tag`; after each
    /// batch of readiness events it sleeps `coalesce`.
    pub fn start(messages: usize, tag: &'static str, coalesce: Duration) -> anyhow::Result<Self> {
        let poll = Poll::new().context("creating the epoll set")?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let delivered: Arc<Vec<AtomicUsize>> =
            Arc::new((0..messages).map(|_| AtomicUsize::new(0)).collect());
        let stop = Arc::new(AtomicBool::new(false));
        let gate = Arc::new(AtomicBool::new(true));
        let paused = Arc::new(AtomicBool::new(false));
        let (new_sockets, incoming) = mpsc::channel();
        let thread = {
            let delivered = delivered.clone();
            let stop = stop.clone();
            let gate = gate.clone();
            let paused = paused.clone();
            std::thread::Builder::new()
                .name("receivers".into())
                .spawn(move || {
                    let flags = Flags {
                        stop: &stop,
                        gate: &gate,
                        paused: &paused,
                    };
                    poll_loop(poll, incoming, &delivered, flags, tag.as_bytes(), coalesce)
                })?
        };
        Ok(Self {
            delivered,
            stop,
            gate,
            paused,
            adder: Adder { waker, new_sockets },
            thread,
        })
    }

    /// Stops the thread reading (data waits in the sockets, already
    /// stamped); returns once it has stopped, so nothing it does overlaps
    /// what follows.
    pub async fn pause(&self) -> anyhow::Result<()> {
        self.gate.store(false, Ordering::Release);
        // Out of epoll_wait, to see the gate.
        self.adder.waker.wake()?;
        let until = Instant::now() + Duration::from_secs(5);
        while !self.paused.load(Ordering::Acquire) {
            if Instant::now() > until {
                anyhow::bail!("the receivers' thread did not pause");
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Ok(())
    }

    /// Lets the thread read again after [`Receivers::pause`].
    pub fn resume(&self) {
        self.paused.store(false, Ordering::Release);
        self.gate.store(true, Ordering::Release);
        self.thread.thread().unpark();
    }

    /// A handle that gives the thread new sockets.
    pub fn adder(&self) -> Adder {
        self.adder.clone()
    }

    /// Stops the poll thread and returns every delivery it saw.
    pub fn finish(self) -> anyhow::Result<Vec<Arrival>> {
        self.stop.store(true, Ordering::Release);
        self.resume();
        self.adder.waker.wake()?;
        self.thread
            .join()
            .map_err(|_| anyhow!("the receivers' poll thread panicked"))?
    }
}

struct Conn {
    stream: TcpStream,
    frames: Frames,
    open: bool,
}

/// Splits a socket's byte stream into WebSocket frames, across reads.
#[derive(Default)]
struct Frames {
    /// Bytes of a frame that has not fully arrived yet.
    pending: Vec<u8>,
}

impl Frames {
    /// Calls `on_frame(opcode, payload)` for each frame `data` completes;
    /// false once a frame asked to stop (close).
    fn feed(&mut self, data: &[u8], mut on_frame: impl FnMut(u8, &[u8]) -> bool) -> bool {
        if self.pending.is_empty() {
            // Usually whole frames: parse them in place, keep only a tail.
            let (consumed, open) = parse_frames(data, &mut on_frame);
            self.pending.extend_from_slice(&data[consumed..]);
            return open;
        }
        self.pending.extend_from_slice(data);
        let (consumed, open) = parse_frames(&self.pending, &mut on_frame);
        self.pending.drain(..consumed);
        open
    }
}

struct Flags<'a> {
    stop: &'a AtomicBool,
    gate: &'a AtomicBool,
    paused: &'a AtomicBool,
}

fn poll_loop(
    mut poll: Poll,
    incoming: mpsc::Receiver<NewSocket>,
    delivered: &[AtomicUsize],
    flags: Flags,
    tag: &[u8],
    coalesce: Duration,
) -> anyhow::Result<Vec<Arrival>> {
    let mut events = Events::with_capacity(1024);
    let mut conns: Vec<Conn> = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut arrivals: Vec<Arrival> = Vec::new();
    while !flags.stop.load(Ordering::Acquire) {
        if !flags.gate.load(Ordering::Acquire) {
            flags.paused.store(true, Ordering::Release);
            // `resume` unparks it; the timeout only bounds a missed unpark.
            std::thread::park_timeout(Duration::from_millis(50));
            continue;
        }
        match poll.poll(&mut events, Some(Duration::from_millis(50))) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).context("epoll_wait"),
        }
        for event in events.iter() {
            if event.token() == WAKER {
                while let Ok((stream, rest)) = incoming.try_recv() {
                    let token = Token(conns.len() + 1);
                    let mut stream = TcpStream::from_std(stream);
                    poll.registry()
                        .register(&mut stream, token, Interest::READABLE)?;
                    let mut conn = Conn {
                        stream,
                        frames: Frames::default(),
                        open: true,
                    };
                    if !rest.is_empty() {
                        let read = Instant::now();
                        record(
                            &mut conn,
                            &rest,
                            (None, read),
                            tag,
                            delivered,
                            &mut arrivals,
                        );
                    }
                    conns.push(conn);
                }
                continue;
            }
            let Some(conn) = conns.get_mut(event.token().0 - 1) else {
                continue;
            };
            read_ready(
                conn,
                poll.registry(),
                &mut buf,
                tag,
                delivered,
                &mut arrivals,
            );
        }
        if !events.is_empty() && !coalesce.is_zero() {
            std::thread::sleep(coalesce);
        }
    }
    Ok(arrivals)
}

/// Reads until the socket would block, feeding each read to the frame parser.
fn read_ready(
    conn: &mut Conn,
    registry: &Registry,
    buf: &mut [u8],
    tag: &[u8],
    delivered: &[AtomicUsize],
    arrivals: &mut Vec<Arrival>,
) {
    while conn.open {
        match recv_stamped(&conn.stream, buf) {
            Ok((0, _)) => conn.open = false,
            Ok((n, stamp)) => {
                let read = Instant::now();
                record(conn, &buf[..n], (stamp, read), tag, delivered, arrivals);
                // A short read emptied the socket; epoll (edge-triggered)
                // reports the next data, so skip the read that would block.
                if n < buf.len() && conn.open {
                    return;
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => conn.open = false,
        }
    }
    let _ = registry.deregister(&mut conn.stream);
}

/// Asks the kernel to stamp each read with when its data arrived.
fn stamp_arrivals(stream: &std::net::TcpStream) -> std::io::Result<()> {
    let on: libc::c_int = 1;
    // SAFETY: a valid socket descriptor and an int option of the stated size.
    let rc = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_TIMESTAMPNS,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// One read into `buf`, with the kernel's arrival time of the newest data
/// it returned (TCP reports that of the last segment read).
fn recv_stamped(
    stream: &TcpStream,
    buf: &mut [u8],
) -> std::io::Result<(usize, Option<SystemTime>)> {
    // u64s: cmsg headers need their alignment.
    let mut control = [0u64; 8];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: zero is a valid msghdr; every pointer set below outlives the call.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&control);
    // SAFETY: a valid socket descriptor and a msghdr describing live buffers.
    let n = unsafe { libc::recvmsg(stream.as_raw_fd(), &mut msg, 0) };
    if n < 0 {
        return Err(std::io::Error::last_os_error());
    }
    let mut stamp = None;
    // SAFETY: the CMSG_* walk stays within msg_controllen, which the kernel set.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_TIMESTAMPNS
            {
                let ts: libc::timespec = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast());
                stamp = Some(UNIX_EPOCH + Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32));
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
    }
    Ok((n as usize, stamp))
}

/// Counts the tagged messages among the frames `data` completes.
fn record(
    conn: &mut Conn,
    data: &[u8],
    (arrived, read): (Option<SystemTime>, Instant),
    tag: &[u8],
    delivered: &[AtomicUsize],
    arrivals: &mut Vec<Arrival>,
) {
    let open = conn.frames.feed(data, |opcode, payload| {
        if opcode == OP_CLOSE {
            return false;
        }
        if opcode == OP_TEXT {
            if let Some(index) = message_index(payload, tag) {
                if let Some(count) = delivered.get(index) {
                    count.fetch_add(1, Ordering::AcqRel);
                    arrivals.push(Arrival {
                        index,
                        arrived,
                        read,
                    });
                }
            }
        }
        true
    });
    conn.open &= open;
}

/// Calls `on_frame(opcode, payload)` for each whole frame at the start of
/// `data`; returns the bytes consumed and false once a frame asked to stop.
fn parse_frames(data: &[u8], on_frame: &mut impl FnMut(u8, &[u8]) -> bool) -> (usize, bool) {
    let mut at = 0;
    while let Some((opcode, payload)) = next_frame(&data[at..]) {
        let keep_open = on_frame(opcode, &data[at..][payload.clone()]);
        at += payload.end;
        if !keep_open {
            return (at, false);
        }
    }
    (at, true)
}

/// The opcode and payload range of the frame at the start of `data`, once
/// all of it has arrived (server frames are unmasked; RFC 6455 §5.2).
fn next_frame(data: &[u8]) -> Option<(u8, Range<usize>)> {
    let opcode = data.first()? & 0x0f;
    let second = *data.get(1)?;
    let (len, mut start): (usize, usize) = match second & 0x7f {
        126 => (
            usize::from(u16::from_be_bytes(data.get(2..4)?.try_into().ok()?)),
            4,
        ),
        127 => (
            usize::try_from(u64::from_be_bytes(data.get(2..10)?.try_into().ok()?)).ok()?,
            10,
        ),
        n => (usize::from(n), 2),
    };
    if second & 0x80 != 0 {
        start += 4;
    }
    let end = start.checked_add(len)?;
    (data.len() >= end).then_some((opcode, start..end))
}

/// The index in a message frame whose body is `<tag><i>-...`. A substring
/// search, not a JSON parse: the client must stay cheaper than the server it
/// measures (a message's body is the only place the tag can appear).
fn message_index(payload: &[u8], tag: &[u8]) -> Option<usize> {
    const BODY: &[u8] = b"\"body\":\"";
    let body_at = payload.windows(BODY.len()).position(|w| w == BODY)? + BODY.len();
    let rest = payload[body_at..].strip_prefix(tag)?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_frame(payload: &str) -> Vec<u8> {
        let mut frame = vec![0x81];
        match payload.len() {
            n if n < 126 => frame.push(n as u8),
            n => {
                frame.push(126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
        }
        frame.extend_from_slice(payload.as_bytes());
        frame
    }

    #[test]
    fn finds_the_message_index() {
        let frame = br#"{"type":"message","message":{"id":"x","body":"chatload-7-fan-out probe"}}"#;
        assert_eq!(message_index(frame, b"chatload-"), Some(7));
        assert_eq!(
            message_index(br#"{"type":"error","code":"x"}"#, b"chatload-"),
            None
        );
        assert_eq!(
            message_index(
                br#"{"type":"message","message":{"body":"hello"}}"#,
                b"chatload-"
            ),
            None
        );
    }

    #[test]
    fn frames_split_across_reads_are_joined() {
        let long = format!(
            r#"{{"type":"message","message":{{"body":"chatload-3-{}"}}}}"#,
            "x".repeat(300)
        );
        let mut stream = text_frame(r#"{"type":"message","message":{"body":"chatload-2-a"}}"#);
        stream.extend(text_frame(&long));
        stream.extend([0x88, 0x00]); // close
                                     // Whole, and in 7-byte reads (frames split across reads).
        for chunk_len in [stream.len(), 7] {
            let mut frames = Frames::default();
            let mut seen = Vec::new();
            let mut open = true;
            for chunk in stream.chunks(chunk_len) {
                open &= frames.feed(chunk, |op, payload| {
                    if op == OP_CLOSE {
                        return false;
                    }
                    seen.push(message_index(payload, b"chatload-"));
                    true
                });
            }
            assert_eq!(seen, vec![Some(2), Some(3)], "reads of {chunk_len}");
            assert!(!open, "the close frame ends the socket");
            assert!(frames.pending.is_empty());
        }
    }

    #[test]
    fn incomplete_frames_wait() {
        assert_eq!(next_frame(&[0x81]), None);
        assert_eq!(next_frame(&[0x81, 126, 0x01]), None);
        assert_eq!(next_frame(&[0x81, 3, b'a', b'b']), None);
        assert_eq!(next_frame(&[0x81, 2, b'a', b'b']), Some((1, 2..4)));
    }
}
