//! Sending the outbox: templates rendered per mail, and the background
//! sender with retry and backoff over lettre's transports.

pub mod render;
pub mod sender;
