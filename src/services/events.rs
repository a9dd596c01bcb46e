//! How domain writes reach the running services.

use std::sync::Arc;

use tokio::sync::Notify;

use super::chat_hub::ChatHub;
use crate::domain::ports::ShopEvents;

/// Tells the running services what a write changed.
pub struct ServiceEvents {
    /// Wakes the mail sender.
    pub mail_wake: Arc<Notify>,
    /// Closes the sockets of ended sessions.
    pub chat: ChatHub,
}

impl ShopEvents for ServiceEvents {
    fn mail_queued(&self) {
        self.mail_wake.notify_one();
    }

    fn session_ended(&self, session_id: &str) {
        self.chat.session_ended(session_id);
    }

    fn user_ended(&self, user_id: &str) {
        self.chat.user_ended(user_id);
    }
}
