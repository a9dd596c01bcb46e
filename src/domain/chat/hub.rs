//! Fan-out of chat events to this instance's open sockets. One broadcast
//! channel; each socket filters for what its user may see. With a shared
//! store, messages arrive here from the store's change feed, so every
//! instance sees every message once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::broadcast;

use super::Message;

/// Events buffered per socket before a slow socket lags.
const CHANNEL_CAPACITY: usize = 1024;

/// A new message, with the frames most sockets receive serialized once for
/// all of them (rather than once per socket).
pub struct Published {
    pub message: Message,
    /// The frame for staff who did not write it.
    pub staff_frame: OnceLock<Arc<str>>,
    /// The frame for customers who neither wrote it nor are answered by it.
    pub public_frame: OnceLock<Arc<str>>,
}

#[derive(Clone)]
pub enum HubEvent {
    Message(Arc<Published>),
    /// A session ended on this instance (logout, revocation): close its sockets.
    SessionEnded(String),
    /// Every session of a user ended (password reset, account deleted).
    UserEnded(String),
}

#[derive(Clone)]
pub struct ChatHub {
    sender: broadcast::Sender<HubEvent>,
    sockets: Arc<Mutex<HashMap<String, usize>>>,
    max_per_user: usize,
}

/// Keeps a socket counted against its user's cap until dropped.
pub struct SocketSlot {
    hub: ChatHub,
    user_id: String,
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
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
    pub fn new(max_per_user: usize) -> Self {
        let (sender, _) = broadcast::channel(CHANNEL_CAPACITY);
        Self {
            sender,
            sockets: Arc::new(Mutex::new(HashMap::new())),
            max_per_user,
        }
    }

    /// Delivers `message` to every socket of this instance.
    pub fn publish(&self, message: Message) {
        // No receivers is fine: nobody is connected.
        let _ = self.sender.send(HubEvent::Message(Arc::new(Published {
            message,
            staff_frame: OnceLock::new(),
            public_frame: OnceLock::new(),
        })));
    }

    pub fn session_ended(&self, session_id: &str) {
        let _ = self
            .sender
            .send(HubEvent::SessionEnded(session_id.to_owned()));
    }

    pub fn user_ended(&self, user_id: &str) {
        let _ = self.sender.send(HubEvent::UserEnded(user_id.to_owned()));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<HubEvent> {
        self.sender.subscribe()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_capped_and_released() {
        let hub = ChatHub::new(2);
        let a = hub.open_slot("u");
        let b = hub.open_slot("u");
        assert!(a.is_some() && b.is_some());
        assert!(hub.open_slot("u").is_none());
        drop(a);
        assert!(hub.open_slot("u").is_some());
        assert_eq!(hub.open_sockets(), 1);
    }
}
