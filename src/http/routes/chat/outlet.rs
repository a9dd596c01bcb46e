//! One chat socket's outgoing side, as the hub's subscriber.
//!
//! The hub's fan-out task writes the message frames of the events it hands
//! over straight into the socket, flushed once, when nothing is queued ahead
//! of them and the socket takes them without waiting; otherwise they join a
//! short backlog and the socket's own task, woken for it, writes them. Frames reach a socket in publish order
//! either way, and a gap left by a full backlog is reported where it is.
//! A client that stops reading is dropped once a write to it has waited
//! `stall` (also how long an ended session can take to close it then).

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use axum::extract::ws::{Message as Frame, Utf8Bytes};
use bytes::Bytes;
use futures_util::{Sink, SinkExt};
use serde_json::json;
use tokio::sync::Notify;

use super::close_frame;
use super::voice::Voice;
use crate::domain::accounts::{Permission, User};
use crate::domain::chat::Message;
use crate::domain::message::MessageId;
use crate::error::ErrorCode;
use crate::http::session::Identity;
use crate::http::text::HttpText;
use crate::services::chat_hub::{HubEvent, Published, Subscriber};

/// Frames a socket may have waiting; past this a slow reader misses
/// messages and is told so. (The kernel's send buffer, which fills first,
/// already holds hundreds.)
const BACKLOG: usize = 64;

pub struct Outlet<S> {
    who: Arc<Identity>,
    /// Only this customer's channel, when the socket asked for one.
    channel: Option<String>,
    sink: tokio::sync::Mutex<S>,
    backlog: Mutex<Backlog>,
    wake: Notify,
    /// Longest a write may wait for the client to read.
    stall: Duration,
    /// Words the frame telling a slow reader what it missed.
    voice: Voice,
}

enum Queued {
    Frame(Frame),
    /// Messages dropped here because the backlog was full.
    Missed(u64),
}

#[derive(Default)]
struct Backlog {
    frames: VecDeque<Queued>,
    /// The session ended, for this reason: close the socket after what is queued.
    ended: Option<&'static str>,
    /// A write failed: the socket is gone.
    broken: bool,
}

/// What an attempt to write without waiting did.
enum WriteNow {
    /// Every frame taken and flushed.
    Written,
    /// Every frame taken, but part of them still waits to be flushed.
    Flushing,
    /// Some frames not taken (left in the iterator): the socket is full.
    Busy,
    Broken,
}

impl<S> Outlet<S>
where
    S: Sink<Frame> + Unpin + Send,
{
    pub fn new(
        who: Arc<Identity>,
        channel: Option<String>,
        sink: S,
        stall: Duration,
        voice: Voice,
    ) -> Self {
        Self {
            who,
            channel,
            sink: tokio::sync::Mutex::new(sink),
            backlog: Mutex::default(),
            wake: Notify::new(),
            stall,
            voice,
        }
    }

    /// Resolves when the fan-out left work for the socket's task ([`Self::drain`]).
    pub async fn woken(&self) {
        self.wake.notified().await;
    }

    /// Writes `frames` now if nothing is queued and the socket takes them
    /// at once; queues what it does not take for the socket's task.
    fn offer(&self, frames: Vec<Frame>) {
        if frames.is_empty() {
            return;
        }
        let Ok(mut backlog) = self.backlog.lock() else {
            return;
        };
        if backlog.broken || backlog.ended.is_some() {
            return;
        }
        let mut frames = frames.into_iter().peekable();
        if backlog.frames.is_empty() {
            // Busy when the socket's task is writing: queue behind it.
            if let Ok(mut sink) = self.sink.try_lock() {
                match write_now(&mut *sink, &mut frames) {
                    WriteNow::Written => return,
                    // Taken, flushing or not: the task finishes the flush and
                    // writes what was not taken.
                    WriteNow::Flushing | WriteNow::Busy => {}
                    WriteNow::Broken => backlog.broken = true,
                }
            }
        }
        for frame in frames {
            if backlog.frames.len() < BACKLOG {
                backlog.frames.push_back(Queued::Frame(frame));
            } else if let Some(Queued::Missed(n)) = backlog.frames.back_mut() {
                *n += 1;
            } else {
                backlog.frames.push_back(Queued::Missed(1));
            }
        }
        drop(backlog);
        self.wake.notify_one();
    }

    /// Closes the socket (code 4401, `reason`) once what is queued is
    /// written; the socket's task does it in [`Self::drain`].
    pub fn end(&self, reason: &'static str) {
        if let Ok(mut backlog) = self.backlog.lock() {
            backlog.ended.get_or_insert(reason);
        }
        self.wake.notify_one();
    }

    /// The socket task's part: writes and flushes what the fan-out left.
    /// False once the socket is finished: its session ended, it broke, or
    /// the client stopped reading.
    pub async fn drain(&self) -> bool {
        self.within_stall(self.write_backlog()).await
    }

    /// `write`'s answer, or false once it has waited `stall` for the client.
    async fn within_stall(&self, write: impl Future<Output = bool>) -> bool {
        tokio::time::timeout(self.stall, write)
            .await
            .unwrap_or(false)
    }

    async fn write_backlog(&self) -> bool {
        let mut sink = self.sink.lock().await;
        loop {
            // (the next frame, or None when the queue is empty; why the session ended)
            let (next, ended) = {
                let Ok(mut backlog) = self.backlog.lock() else {
                    return false;
                };
                if backlog.broken {
                    return false;
                }
                let next = backlog.frames.pop_front().map(|queued| match queued {
                    Queued::Frame(frame) => frame,
                    Queued::Missed(n) => self
                        .voice
                        .error_frame(ErrorCode::Unavailable, HttpText::Missed.arg("count", n)),
                });
                (next, backlog.ended)
            };
            match next {
                Some(frame) => {
                    if sink.feed(frame).await.is_err() {
                        return false;
                    }
                }
                None => {
                    if let Some(reason) = ended {
                        let _ = sink.send(close_frame(4401, reason)).await;
                        return false;
                    }
                    return sink.flush().await.is_ok();
                }
            }
        }
    }

    /// Writes one frame of the socket's own (a reply, a close), waiting for
    /// room; false if the socket failed or the client stopped reading.
    pub async fn send(&self, frame: Frame) -> bool {
        self.within_stall(async { self.sink.lock().await.send(frame).await.is_ok() })
            .await
    }
}

impl<S> Subscriber for Outlet<S>
where
    S: Sink<Frame> + Unpin + Send,
{
    fn on_events(&self, events: &[Arc<HubEvent>]) {
        let mut frames = Vec::new();
        for event in events {
            match &**event {
                HubEvent::Message(published) => {
                    frames.extend(frame_for(&self.who, self.channel.as_deref(), published));
                }
                HubEvent::SessionEnded(id) if *id == self.who.session.id => {
                    // What came before the end is still written; nothing after.
                    self.offer(frames);
                    return self.end("session ended");
                }
                HubEvent::UserEnded(id) if *id == self.who.user.id => {
                    self.offer(frames);
                    return self.end("session ended");
                }
                _ => {}
            }
        }
        self.offer(frames);
    }
}

/// Starts writing `frames` without waiting for anything, one flush for all
/// of them; what the socket does not take stays in `frames`.
fn write_now<S: Sink<Frame> + Unpin>(
    sink: &mut S,
    frames: &mut std::iter::Peekable<std::vec::IntoIter<Frame>>,
) -> WriteNow {
    // Nothing is woken from here: every outcome that leaves work behind
    // wakes the socket's task, which then polls with its own waker.
    let mut cx = Context::from_waker(Waker::noop());
    let mut sink = Pin::new(sink);
    while frames.peek().is_some() {
        match sink.as_mut().poll_ready(&mut cx) {
            Poll::Ready(Ok(())) => {}
            Poll::Ready(Err(_)) => return WriteNow::Broken,
            Poll::Pending => return WriteNow::Busy,
        }
        if let Some(frame) = frames.next() {
            if sink.as_mut().start_send(frame).is_err() {
                return WriteNow::Broken;
            }
        }
    }
    match sink.poll_flush(&mut cx) {
        Poll::Ready(Ok(())) => WriteNow::Written,
        Poll::Ready(Err(_)) => WriteNow::Broken,
        Poll::Pending => WriteNow::Flushing,
    }
}

fn message_frame(message: &Message, viewer: &User) -> Bytes {
    Bytes::from(json!({ "type": "message", "message": message.view_for(viewer) }).to_string())
}

/// The frame to push to this socket for a new message, if it may see it.
/// Staff and uninvolved customers share one serialized frame each.
fn frame_for(who: &Identity, channel: Option<&str>, published: &Published) -> Option<Frame> {
    let message = &published.message;
    if !message.visible_to(&who.user) {
        return None;
    }
    if let Some(channel) = channel {
        if !message.in_channel_of(channel) {
            return None;
        }
    }
    let involved =
        message.email == who.user.email || message.to.as_deref() == Some(&who.user.email);
    let text = if involved {
        message_frame(message, &who.user)
    } else if who.may(Permission::AnswerChat) {
        published
            .staff_frame
            .get_or_init(|| message_frame(message, &who.user))
            .clone()
    } else {
        published
            .public_frame
            .get_or_init(|| message_frame(message, &who.user))
            .clone()
    };
    // Always UTF-8 (made from a `String` above), so this never refuses.
    Utf8Bytes::try_from(text).ok().map(Frame::Text)
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;
    use std::time::Duration;

    use super::*;
    use crate::domain::accounts::{signed_in, Role};
    use crate::domain::chat::MessageType;
    use crate::domain::{new_id, now};

    /// A socket that takes frames only while open, as a full one would not.
    #[derive(Default)]
    struct Gate {
        open: bool,
        /// Frames taken but not yet flushed out, as when the kernel's buffer is full.
        flush_blocked: bool,
        taken: Vec<String>,
        /// Close frames' reasons.
        reasons: Vec<String>,
        /// Flushes that went through.
        flushes: usize,
        waker: Option<Waker>,
    }

    #[derive(Clone, Default)]
    struct GateSink(std::sync::Arc<Mutex<Gate>>);

    impl GateSink {
        fn open(&self, open: bool) {
            let mut gate = self.0.lock().expect("gate");
            gate.open = open;
            if let Some(w) = gate.waker.take() {
                w.wake();
            }
        }
        fn block_flush(&self, blocked: bool) {
            let mut gate = self.0.lock().expect("gate");
            gate.flush_blocked = blocked;
            if let Some(w) = gate.waker.take() {
                w.wake();
            }
        }
        fn taken(&self) -> Vec<String> {
            self.0.lock().expect("gate").taken.clone()
        }
        fn reasons(&self) -> Vec<String> {
            self.0.lock().expect("gate").reasons.clone()
        }
    }

    impl Sink<Frame> for GateSink {
        type Error = ();
        fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), ()>> {
            let mut gate = self.0.lock().map_err(|_| ())?;
            if gate.open {
                Poll::Ready(Ok(()))
            } else {
                gate.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
        fn start_send(self: Pin<&mut Self>, frame: Frame) -> Result<(), ()> {
            let text = match frame {
                Frame::Text(t) => t.as_str().to_owned(),
                Frame::Close(Some(c)) => {
                    let mut gate = self.0.lock().map_err(|_| ())?;
                    gate.reasons.push(c.reason.as_str().to_owned());
                    format!("close {}", c.code)
                }
                _ => "other".to_owned(),
            };
            self.0.lock().map_err(|_| ())?.taken.push(text);
            Ok(())
        }
        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), ()>> {
            let mut gate = self.0.lock().map_err(|_| ())?;
            if gate.flush_blocked {
                gate.waker = Some(cx.waker().clone());
                Poll::Pending
            } else {
                gate.flushes += 1;
                Poll::Ready(Ok(()))
            }
        }
        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), ()>> {
            Poll::Ready(Ok(()))
        }
    }

    /// Ana's socket on the general channel, its gate closed.
    impl<S: Sink<Frame> + Unpin + Send> Outlet<S> {
        /// One event, as the fan-out hands it over when it is alone.
        fn on_event(&self, event: HubEvent) {
            self.on_events(&[Arc::new(event)]);
        }
    }

    fn customer_outlet(stall: Duration) -> (GateSink, Outlet<GateSink>) {
        let (session, user) = signed_in(Role::Customer);
        let sink = GateSink::default();
        let outlet = Outlet::new(
            Arc::new(Identity { user, session }),
            None,
            sink.clone(),
            stall,
            Voice::english(),
        );
        (sink, outlet)
    }

    /// A staff answer to another customer: public, so every socket sees it.
    fn published(body: &str) -> HubEvent {
        HubEvent::Message(Published {
            message: Message {
                id: new_id(),
                author: "Staff".into(),
                email: "staff@example.com".into(),
                kind: MessageType::Staff,
                body: body.into(),
                to: None,
                created_at: now(),
            },
            staff_frame: OnceLock::new(),
            public_frame: OnceLock::new(),
        })
    }

    fn bodies(taken: &[String]) -> Vec<String> {
        taken
            .iter()
            .map(|t| {
                serde_json::from_str::<serde_json::Value>(t)
                    .ok()
                    .and_then(|v| {
                        v["message"]["body"]
                            .as_str()
                            .map(str::to_owned)
                            .or_else(|| v["detail"].as_str().map(|d| format!("error: {d}")))
                    })
                    .unwrap_or_else(|| t.clone())
            })
            .collect()
    }

    #[tokio::test]
    async fn frames_go_straight_out_and_queue_in_order_behind_a_full_socket() {
        let (sink, outlet) = customer_outlet(Duration::from_secs(5));
        sink.open(true);
        outlet.on_event(published("one"));
        // Written by the fan-out itself: nothing for the socket's task.
        assert_eq!(bodies(&sink.taken()), ["one"]);
        assert!(
            tokio::time::timeout(Duration::from_millis(20), outlet.woken())
                .await
                .is_err(),
            "a frame written at once must not wake the socket's task"
        );
        sink.open(false);
        outlet.on_event(published("two"));
        sink.open(true);
        // Queued behind "two" even though the socket has room again.
        outlet.on_event(published("three"));
        assert_eq!(bodies(&sink.taken()), ["one"]);
        outlet.woken().await;
        assert!(outlet.drain().await);
        assert_eq!(bodies(&sink.taken()), ["one", "two", "three"]);
        outlet.on_event(published("four"));
        assert_eq!(bodies(&sink.taken()), ["one", "two", "three", "four"]);
    }

    #[tokio::test]
    async fn events_handed_over_together_are_written_with_one_flush() {
        let (sink, outlet) = customer_outlet(Duration::from_secs(5));
        sink.open(true);
        let events: Vec<Arc<HubEvent>> = ["a", "b", "c"]
            .into_iter()
            .map(|body| Arc::new(published(body)))
            .collect();
        outlet.on_events(&events);
        assert_eq!(bodies(&sink.taken()), ["a", "b", "c"]);
        assert_eq!(sink.0.lock().expect("gate").flushes, 1);
        // An end among them: what came before is written, nothing after.
        let events = [
            Arc::new(published("d")),
            Arc::new(HubEvent::SessionEnded("s1".into())),
            Arc::new(published("e")),
        ];
        outlet.on_events(&events);
        outlet.woken().await;
        assert!(!outlet.drain().await, "the socket is finished");
        assert_eq!(bodies(&sink.taken()), ["a", "b", "c", "d", "close 4401"]);
        assert_eq!(sink.reasons(), ["session ended"]);
    }

    #[tokio::test]
    async fn a_slow_reader_is_told_what_it_missed_and_an_ended_session_closes() {
        let (sink, outlet) = customer_outlet(Duration::from_secs(5));
        for i in 0..BACKLOG + 5 {
            outlet.on_event(published(&format!("m{i}")));
        }
        sink.open(true);
        assert!(outlet.drain().await);
        let taken = bodies(&sink.taken());
        assert_eq!(taken.len(), BACKLOG + 1);
        assert_eq!(taken[0], "m0");
        assert_eq!(taken[BACKLOG - 1], format!("m{}", BACKLOG - 1));
        assert!(
            taken[BACKLOG].contains("missed 5 messages"),
            "{}",
            taken[BACKLOG]
        );
        // Another session's end changes nothing; its own closes the socket.
        outlet.on_event(HubEvent::SessionEnded("other".into()));
        outlet.on_event(HubEvent::UserEnded("u2".into()));
        outlet.on_event(published("still open"));
        assert_eq!(
            bodies(&sink.taken()).last().map(String::as_str),
            Some("still open")
        );
        outlet.on_event(HubEvent::SessionEnded("s1".into()));
        outlet.on_event(published("after the end"));
        assert!(
            !outlet.drain().await,
            "an ended session finishes the socket"
        );
        assert_eq!(sink.taken().last().map(String::as_str), Some("close 4401"));
        assert!(!bodies(&sink.taken()).contains(&"after the end".to_owned()));
    }

    #[tokio::test]
    async fn a_gap_is_reported_where_it_is() {
        let (sink, outlet) = customer_outlet(Duration::from_secs(5));
        for i in 0..BACKLOG + 3 {
            outlet.on_event(published(&format!("m{i}")));
        }
        // As if the socket's task had written two: room again, behind the gap.
        for _ in 0..2 {
            outlet.backlog.lock().expect("backlog").frames.pop_front();
        }
        outlet.on_event(published("later"));
        sink.open(true);
        assert!(outlet.drain().await);
        let taken = bodies(&sink.taken());
        assert_eq!(taken.len(), BACKLOG);
        assert_eq!(taken[0], "m2");
        assert_eq!(taken[BACKLOG - 3], format!("m{}", BACKLOG - 1));
        assert!(
            taken[BACKLOG - 2].contains("missed 3 messages"),
            "{}",
            taken[BACKLOG - 2]
        );
        assert_eq!(taken[BACKLOG - 1], "later");
    }

    #[tokio::test]
    async fn a_half_written_frame_or_a_busy_socket_wakes_the_task() {
        let (sink, outlet) = customer_outlet(Duration::from_secs(5));
        sink.open(true);
        sink.block_flush(true);
        outlet.on_event(published("one"));
        // Taken but not flushed: only the socket's task can finish it.
        tokio::time::timeout(Duration::from_secs(1), outlet.woken())
            .await
            .expect("woken to flush");
        sink.block_flush(false);
        assert!(outlet.drain().await);
        // The socket's task is writing (holds the sink): the fan-out queues.
        let held = outlet.sink.lock().await;
        outlet.on_event(published("two"));
        assert_eq!(bodies(&sink.taken()), ["one"]);
        drop(held);
        tokio::time::timeout(Duration::from_secs(1), outlet.woken())
            .await
            .expect("woken to write what was queued");
        assert!(outlet.drain().await);
        assert_eq!(bodies(&sink.taken()), ["one", "two"]);
    }

    #[tokio::test]
    async fn a_client_that_stops_reading_is_given_up_on() {
        let (_closed, outlet) = customer_outlet(Duration::from_millis(50));
        outlet.on_event(published("one"));
        let started = std::time::Instant::now();
        assert!(!outlet.drain().await, "a stalled write ends the socket");
        assert!(!outlet.send(close_frame(1000, "bye")).await);
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn the_users_end_or_expiry_closes_after_what_is_queued() {
        let (sink, outlet) = customer_outlet(Duration::from_secs(5));
        outlet.on_event(published("queued"));
        outlet.on_event(HubEvent::UserEnded("u1".into()));
        sink.open(true);
        assert!(!outlet.drain().await);
        assert_eq!(sink.taken().len(), 2);
        assert_eq!(bodies(&sink.taken())[0], "queued");
        assert_eq!(sink.taken()[1], "close 4401");

        // Expiry, known to the socket's own task, takes the same way out.
        let (sink, outlet) = customer_outlet(Duration::from_secs(5));
        sink.open(true);
        outlet.end("session expired");
        // The first reason stands.
        outlet.on_event(HubEvent::SessionEnded("s1".into()));
        assert!(!outlet.drain().await);
        assert_eq!(sink.taken(), ["close 4401"]);
        assert_eq!(sink.reasons(), ["session expired"]);
    }
}
