//! The running parts of the shop, beside the domain: the chat hub that fans
//! messages out to open sockets, the mail sender that drains the outbox, the
//! search indexer and the live stock feed that follow product changes, and
//! the events that tell them what a write changed, the metrics they all
//! record, and the Stripe card gateway (its API client and webhook check).

pub mod chat_hub;
pub mod events;
pub mod mail;
pub mod metrics;
pub mod payment_holds;
pub mod photo_processing;
pub mod product_changes;
pub mod search;
pub mod stock_feed;
pub mod stripe;
