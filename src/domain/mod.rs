//! Shop concepts and rules, independent of HTTP and of the store backend.

pub mod accounts;
pub mod address;
pub mod audit;
pub mod card_payments;
pub mod cart;
pub mod catalog;
pub mod catalog_csv;
pub mod chat;
pub mod checkout;
pub mod dates;
pub mod demo;
pub mod error;
pub mod mail;
pub mod message;
pub mod order_links;
pub mod orders;
pub mod payments;
pub mod photos;
pub mod ports;
pub mod pricing;
pub mod search;
pub mod shared;
pub mod shipping;
pub mod shipping_methods;
pub mod stats;
pub mod tax;
pub mod validation;

use time::OffsetDateTime;

/// Every timestamp in tienda: UTC, millisecond precision, so both stores
/// round-trip it exactly.
pub type Timestamp = OffsetDateTime;

/// The current time, cut to whole milliseconds like every stored timestamp.
pub fn now() -> Timestamp {
    let t = OffsetDateTime::now_utc();
    from_millis(to_millis(t))
}

/// Milliseconds since the Unix epoch, as the stores keep timestamps.
pub fn to_millis(t: Timestamp) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// The timestamp `ms` milliseconds after the Unix epoch (the epoch itself
/// when out of range).
pub fn from_millis(ms: i64) -> Timestamp {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// New ids are UUIDv7 strings: time-ordered, the same format in every store.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// True when `text` is a well-formed id (any UUID in canonical form).
pub fn is_id(text: &str) -> bool {
    text.len() == 36 && uuid::Uuid::try_parse(text).is_ok()
}

/// `text` cut to `max` characters (with an ellipsis), for messages that
/// echo what a client sent.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(max).collect::<String>())
    }
}

/// Offset/limit paging for lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Page {
    /// Items skipped before this page.
    pub offset: u64,
    /// Most items on the page.
    pub limit: u64,
}

impl Page {
    /// Largest `limit` a client may ask for.
    pub const MAX_LIMIT: u64 = 200;
}

impl Default for Page {
    fn default() -> Self {
        Self {
            offset: 0,
            limit: 50,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_through_millis() {
        let t = now();
        assert_eq!(from_millis(to_millis(t)), t);
    }

    /// Enums stored as text take their names from strum and their JSON
    /// from serde: both must spell every variant the same way.
    #[test]
    fn stored_names_match_json_names() {
        use strum::VariantArray;
        fn check<T: VariantArray + serde::Serialize + Copy + Into<&'static str>>() {
            for v in T::VARIANTS {
                let json = serde_json::to_value(v).ok();
                let text: &'static str = (*v).into();
                assert_eq!(json, Some(serde_json::Value::from(text)));
            }
        }
        check::<accounts::Role>();
        check::<orders::OrderStatus>();
        check::<chat::MessageType>();
        check::<mail::MailKind>();
        check::<mail::MailStatus>();
        check::<tax::TaxClass>();
    }

    #[test]
    fn ids_are_recognised() {
        assert!(is_id(&new_id()));
        assert!(!is_id("electronics"));
        assert!(!is_id("0191c7d3-0000-7000-8000-00000000000"));
    }
}
