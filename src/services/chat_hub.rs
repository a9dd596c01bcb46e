//! Fan-out of chat events to this instance's open sockets. With a shared
//! store, messages arrive here from the store's change feed, so every
//! instance sees every message once.
//!
//! Sockets are spread over fan-out tasks, several per runtime worker so that
//! work stealing keeps every worker busy during a fan-out (with one each,
//! both sometimes ran on one worker and a fan-out took twice as long). Each
//! task hands the events waiting for it, in publish order, to each socket of
//! its shard through [`Subscriber::on_events`], which writes them straight to
//! the socket, flushed once, when it can. A socket's own task wakes only for
//! what it cannot do there: a full socket, a session that ended. (A
//! broadcast channel with a receiver per socket task woke and polled 10,000
//! tasks per message, about a quarter of the server's CPU per delivery.)
//!
//! Everything here is bounded. Each shard's queue holds [`SHARD_QUEUE`]
//! events: a publisher that finds one full waits for room, so when messages
//! come faster than the fan-out delivers them, the senders slow down (their
//! sockets' reads, or the store's change feed) instead of the queues growing.
//! The fan-out takes whatever has queued up at once, and starts a pass at
//! most every [`PASS_EVERY`], so under load each socket gets several frames
//! per write rather than a write per frame, and keeps up. A receiver that cannot keep up is the socket's own business
//! (see `http/routes/chat/outlet.rs`): it misses messages past a short backlog
//! and is told so, and is dropped once a write to it has waited
//! `chat.write_timeout`.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::domain::chat::Message;

/// Sockets a fan-out task hands an event to before it lets other tasks on
/// its worker run.
const FAN_OUT_BATCH: usize = 64;
/// Fan-out tasks per runtime worker.
const SHARDS_PER_WORKER: usize = 8;
/// Events a shard's queue holds; publishers wait for room beyond it.
pub const SHARD_QUEUE: usize = 64;
/// Shortest time between the starts of two fan-out passes of a shard. A
/// message after a quiet spell goes out at once; in a stream of them, what
/// comes within this time waits for the next pass and shares its writes.
/// Each pass costs a write per socket (on loopback about 4 µs of kernel time
/// each), so passes, not messages, are what 10,000 sockets can afford.
const PASS_EVERY: std::time::Duration = std::time::Duration::from_millis(50);

/// A new message, with the frames most sockets receive serialized once for
/// all of them (rather than once per socket), as UTF-8 JSON text that every
/// socket's outgoing frame shares without a copy.
pub struct Published {
    /// The message, as stored.
    pub message: Message,
    /// The frame for staff who did not write it.
    pub staff_frame: OnceLock<Bytes>,
    /// The frame for customers who neither wrote it nor are answered by it.
    pub public_frame: OnceLock<Bytes>,
}

/// What the hub hands every socket of this instance, in one order for all.
pub enum HubEvent {
    /// A new chat message: each socket shows it if its user may see it.
    Message(Published),
    /// A session ended on this instance (logout, revocation): close its sockets.
    SessionEnded(String),
    /// Every session of a user ended (password reset, account deleted).
    UserEnded(String),
}

/// An open socket as the hub sees it.
pub trait Subscriber: Send + Sync {
    /// Takes the events that queued up since the last call, in publish
    /// order. Called from a fan-out task, for every event; must not wait on
    /// anything (queue what cannot be done now).
    fn on_events(&self, events: &[Arc<HubEvent>]);
}

type Subscribers = Mutex<HashMap<u64, Arc<dyn Subscriber>>>;

struct Shard {
    subscribers: Arc<Subscribers>,
    events: mpsc::Sender<Arc<HubEvent>>,
}

/// The fan-out to this instance's chat sockets, with a cap on sockets per
/// user; clones share it.
#[derive(Clone)]
pub struct ChatHub {
    shards: Arc<[Shard]>,
    /// Held while a message is queued to every shard, so that messages
    /// published at once from two tasks reach all shards in the same order.
    sending: Arc<tokio::sync::Mutex<()>>,
    next_id: Arc<AtomicU64>,
    sockets: Arc<Mutex<HashMap<String, usize>>>,
    max_per_user: usize,
}

/// Keeps a socket counted against its user's cap, and subscribed once
/// attached, until dropped.
pub struct SocketSlot {
    hub: ChatHub,
    user_id: String,
    subscription: Option<(usize, u64)>,
}

impl SocketSlot {
    /// Starts handing events to `subscriber`, until the slot is dropped.
    pub fn attach(&mut self, subscriber: Arc<dyn Subscriber>) {
        let id = self.hub.next_id.fetch_add(1, Ordering::Relaxed);
        let shard = (id % self.hub.shards.len() as u64) as usize;
        self.hub.shards[shard]
            .subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, subscriber);
        self.subscription = Some((shard, id));
    }
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        if let Some((shard, id)) = self.subscription {
            self.hub.shards[shard]
                .subscribers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&id);
        }
        if let Ok(mut sockets) = self.hub.sockets.lock() {
            if let Some(n) = sockets.get_mut(&self.user_id) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    sockets.remove(&self.user_id);
                }
            }
        }
    }
}

impl ChatHub {
    /// Starts the fan-out tasks on the current tokio runtime.
    pub fn new(max_per_user: usize) -> Self {
        let workers = tokio::runtime::Handle::current().metrics().num_workers();
        let shards: Vec<Shard> = (0..workers.max(1) * SHARDS_PER_WORKER)
            .map(|_| {
                let subscribers: Arc<Subscribers> = Arc::default();
                let (events, incoming) = mpsc::channel(SHARD_QUEUE);
                tokio::spawn(fan_out(subscribers.clone(), incoming));
                Shard {
                    subscribers,
                    events,
                }
            })
            .collect();
        Self {
            shards: shards.into(),
            sending: Arc::default(),
            next_id: Arc::default(),
            sockets: Arc::default(),
            max_per_user,
        }
    }

    /// Delivers `message` to every socket of this instance, in one order
    /// for all; waits while a shard's queue is full.
    pub async fn publish(&self, message: Message) {
        let event = Arc::new(HubEvent::Message(Published {
            message,
            staff_frame: OnceLock::new(),
            public_frame: OnceLock::new(),
        }));
        let _in_order = self.sending.lock().await;
        for shard in self.shards.iter() {
            if shard.events.send(event.clone()).await.is_err() {
                // Only as the runtime shuts down.
                tracing::warn!("a chat fan-out task has stopped");
            }
        }
    }

    /// Closes this instance's sockets of the session `session_id`.
    pub fn session_ended(&self, session_id: &str) {
        self.send_now(HubEvent::SessionEnded(session_id.to_owned()));
    }

    /// Closes this instance's sockets of the user `user_id`, whatever their session.
    pub fn user_ended(&self, user_id: &str) {
        self.send_now(HubEvent::UserEnded(user_id.to_owned()));
    }

    /// Queues an ending to every shard without waiting (the domain tells it
    /// from inside a write). A shard whose queue is full leaves it out: its
    /// sockets then find the session over at their next check
    /// (`chat.session_check_interval`).
    fn send_now(&self, event: HubEvent) {
        let event = Arc::new(event);
        for shard in self.shards.iter() {
            if let Err(mpsc::error::TrySendError::Full(_)) = shard.events.try_send(event.clone()) {
                metrics::counter!(crate::services::metrics::CHAT_EVENTS_DROPPED).increment(1);
                tracing::warn!(
                    "a chat fan-out queue is full: a session end waits for the next check"
                );
            }
        }
    }

    /// Reserves a socket slot for `user_id`; `None` when they hold the maximum.
    pub fn open_slot(&self, user_id: &str) -> Option<SocketSlot> {
        let mut sockets = self.sockets.lock().ok()?;
        let n = sockets.entry(user_id.to_owned()).or_insert(0);
        if *n >= self.max_per_user {
            return None;
        }
        *n += 1;
        Some(SocketSlot {
            hub: self.clone(),
            user_id: user_id.to_owned(),
            subscription: None,
        })
    }

    /// Open sockets on this instance.
    pub fn open_sockets(&self) -> usize {
        self.sockets
            .lock()
            .map(|s| s.values().sum())
            .unwrap_or_default()
    }
}

/// One shard's fan-out: every event to every subscriber, in order, as many
/// at once as have queued up.
async fn fan_out(subscribers: Arc<Subscribers>, mut events: mpsc::Receiver<Arc<HubEvent>>) {
    let mut batch = Vec::with_capacity(SHARD_QUEUE);
    let mut next_pass = tokio::time::Instant::now();
    loop {
        tokio::time::sleep_until(next_pass).await;
        if events.recv_many(&mut batch, SHARD_QUEUE).await == 0 {
            return;
        }
        next_pass = tokio::time::Instant::now() + PASS_EVERY;
        // A copy of the list, so sockets come and go while it is walked.
        let current: Vec<Arc<dyn Subscriber>> = subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        // Unconstrained: tokio's I/O budget would otherwise turn the writes
        // after the first hundred or so into "socket busy" queueing; the
        // batches yield to the worker's other tasks instead.
        tokio::task::unconstrained(async {
            for chunk in current.chunks(FAN_OUT_BATCH) {
                for subscriber in chunk {
                    // One socket's bug must not end the fan-out for its shard.
                    if catch_unwind(AssertUnwindSafe(|| subscriber.on_events(&batch))).is_err() {
                        tracing::error!("a chat socket panicked taking events");
                    }
                }
                tokio::task::yield_now().await;
            }
        })
        .await;
        batch.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn slots_are_capped_and_released() {
        let hub = ChatHub::new(2);
        let a = hub.open_slot("u");
        let b = hub.open_slot("u");
        assert!(a.is_some() && b.is_some());
        assert!(hub.open_slot("u").is_none());
        drop(a);
        assert!(hub.open_slot("u").is_some());
        assert_eq!(hub.open_sockets(), 1);
    }

    /// Records the events it is handed.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<String>>);

    impl Subscriber for Recorder {
        fn on_events(&self, events: &[Arc<HubEvent>]) {
            for event in events {
                let seen = match &**event {
                    HubEvent::Message(p) => p.message.body.clone(),
                    HubEvent::SessionEnded(id) => format!("session {id}"),
                    HubEvent::UserEnded(id) => format!("user {id}"),
                };
                self.0.lock().expect("recorder lock").push(seen);
            }
        }
    }

    /// `n` sockets of users u0, u1, ..., each recording what it is handed.
    fn attach_recorders(hub: &ChatHub, n: usize) -> (Vec<SocketSlot>, Vec<Arc<Recorder>>) {
        (0..n)
            .map(|i| {
                let mut slot = hub.open_slot(&format!("u{i}")).expect("slot");
                let recorder = Arc::new(Recorder::default());
                slot.attach(recorder.clone());
                (slot, recorder)
            })
            .unzip()
    }

    fn message(body: &str) -> Message {
        Message {
            id: crate::domain::new_id(),
            author: "A".into(),
            email: "a@example.com".into(),
            kind: crate::domain::chat::MessageType::Customer,
            body: body.into(),
            to: None,
            created_at: crate::domain::now(),
        }
    }

    async fn settle(recorders: &[Arc<Recorder>], events: usize) {
        for _ in 0..2000 {
            if recorders
                .iter()
                .all(|r| r.0.lock().expect("lock").len() >= events)
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_attached_socket_gets_every_event_in_order_until_dropped() {
        let hub = ChatHub::new(1000);
        // More sockets than a batch on every shard.
        let sockets = hub.shards.len() * FAN_OUT_BATCH + hub.shards.len() * 3;
        let (mut slots, recorders) = attach_recorders(&hub, sockets);
        let unattached = hub.open_slot("nobody").expect("slot");
        for body in ["one", "two", "three"] {
            hub.publish(message(body)).await;
        }
        hub.session_ended("s1");
        hub.user_ended("u1");
        settle(&recorders, 5).await;
        for r in &recorders {
            assert_eq!(
                *r.0.lock().expect("lock"),
                ["one", "two", "three", "session s1", "user u1"]
            );
        }
        drop(unattached);
        // A dropped slot stops receiving; the others go on.
        let gone = slots.remove(0);
        drop(gone);
        hub.publish(message("four")).await;
        settle(&recorders[1..], 6).await;
        assert_eq!(recorders[0].0.lock().expect("lock").len(), 5);
        assert!(recorders[1..].iter().all(|r| r
            .0
            .lock()
            .expect("lock")
            .last()
            .map(String::as_str)
            == Some("four")));
        assert_eq!(hub.open_sockets(), sockets - 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn events_published_at_once_reach_every_shard_in_one_order() {
        let hub = ChatHub::new(1000);
        let (_slots, recorders) = attach_recorders(&hub, hub.shards.len() * 2);
        // Far more than the queues hold: publishers wait for room, nothing is lost.
        let publishers: Vec<_> = ["a", "b"]
            .into_iter()
            .map(|who| {
                let hub = hub.clone();
                tokio::spawn(async move {
                    for i in 0..3000 {
                        hub.publish(message(&format!("{who}{i}"))).await;
                    }
                })
            })
            .collect();
        for p in publishers {
            p.await.expect("publisher");
        }
        settle(&recorders, 6000).await;
        let first = recorders[0].0.lock().expect("lock").clone();
        assert_eq!(first.len(), 6000);
        for r in &recorders[1..] {
            assert!(
                *r.0.lock().expect("lock") == first,
                "every socket sees one order"
            );
        }
    }

    struct Panicker;

    impl Subscriber for Panicker {
        fn on_events(&self, _: &[Arc<HubEvent>]) {
            panic!("a subscriber bug");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_socket_does_not_stop_its_shard() {
        let hub = ChatHub::new(1000);
        let mut bad = hub.open_slot("bad").expect("slot");
        bad.attach(Arc::new(Panicker));
        // Enough to share the bad one's shard (ids go round the shards).
        let (_slots, recorders) = attach_recorders(&hub, hub.shards.len() * 2);
        hub.publish(message("one")).await;
        hub.publish(message("two")).await;
        settle(&recorders, 2).await;
        for r in &recorders {
            assert_eq!(*r.0.lock().expect("lock"), ["one", "two"]);
        }
    }

    /// Holds its fan-out task inside `on_events` until released, as a
    /// fan-out slower than the publishers would.
    struct Stuck {
        entered: std::sync::atomic::AtomicBool,
        release: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
        seen: Recorder,
    }

    impl Subscriber for Stuck {
        fn on_events(&self, events: &[Arc<HubEvent>]) {
            self.entered.store(true, Ordering::SeqCst);
            if let Ok(release) = self.release.lock() {
                let _ = release.recv_timeout(std::time::Duration::from_secs(10));
            }
            self.seen.on_events(events);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_makes_publishers_wait_and_drops_only_session_ends() {
        let hub = ChatHub::new(1000);
        let (release, released) = std::sync::mpsc::channel();
        let stuck = Arc::new(Stuck {
            entered: Default::default(),
            release: Mutex::new(released),
            seen: Recorder::default(),
        });
        // The first socket goes to the first shard.
        let mut slot = hub.open_slot("slow").expect("slot");
        slot.attach(stuck.clone());
        // The first message holds the shard's task; the queue then fills.
        hub.publish(message("first")).await;
        while !stuck.entered.load(Ordering::SeqCst) {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        for i in 0..SHARD_QUEUE {
            tokio::time::timeout(
                std::time::Duration::from_secs(5),
                hub.publish(message(&format!("q{i}"))),
            )
            .await
            .expect("room in the queue");
        }
        // A full queue: the ending cannot wait, and is left out…
        hub.session_ended("s-full");
        // …and a publisher waits for room instead of the queue growing.
        let waiting = tokio::spawn({
            let hub = hub.clone();
            async move { hub.publish(message("after")).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(!waiting.is_finished(), "a publisher went past a full queue");
        for _ in 0..(SHARD_QUEUE + 2) {
            let _ = release.send(());
        }
        tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
            .await
            .expect("the publisher gets room once the fan-out moves")
            .expect("publisher");
        for _ in 0..200 {
            if stuck.seen.0.lock().expect("lock").len() == SHARD_QUEUE + 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let seen = stuck.seen.0.lock().expect("lock").clone();
        let mut expected = vec!["first".to_owned()];
        expected.extend((0..SHARD_QUEUE).map(|i| format!("q{i}")));
        expected.push("after".into());
        assert_eq!(
            seen, expected,
            "every message, in order; the session end left out"
        );
    }
}
