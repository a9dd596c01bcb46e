//! Read answers that many requests may share: the store's cache hands the
//! same one to every reader until a write replaces it, and its JSON text is
//! made once, by the first request that sends it.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use serde::Serialize;

/// A value read from the store, with its JSON text made at most once.
#[derive(Debug)]
pub struct Shared<T> {
    value: T,
    json: OnceLock<Bytes>,
}

impl<T> Shared<T> {
    /// Wraps a fresh read.
    pub fn new(value: T) -> Arc<Self> {
        Arc::new(Self {
            value,
            json: OnceLock::new(),
        })
    }

    /// The value itself.
    pub fn value(&self) -> &T {
        &self.value
    }
}

impl<T: Serialize> Shared<T> {
    /// The value as JSON, serialized the first time it is asked for.
    pub fn json(&self) -> serde_json::Result<Bytes> {
        if let Some(json) = self.json.get() {
            return Ok(json.clone());
        }
        let json = Bytes::from(serde_json::to_vec(&self.value)?);
        Ok(self.json.get_or_init(|| json).clone())
    }
}

/// Serializes as the value itself.
impl<T: Serialize> Serialize for Shared<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(serializer)
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: PartialEq> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_made_once_and_matches_the_value() {
        let shared = Shared::new(vec![1, 2, 3]);
        let first = shared.json().map_err(|e| e.to_string());
        assert_eq!(first.as_deref().ok(), Some(&b"[1,2,3]"[..]));
        let again = shared.json().map_err(|e| e.to_string());
        assert_eq!(first, again);
        assert_eq!(shared.value(), &vec![1, 2, 3]);
    }
}
