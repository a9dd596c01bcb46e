//! [`Secret`]: a setting that must not show up in logs.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A configuration value that must never be printed: `Debug` shows `***`.
/// Serialization stays transparent so layered defaults work; use
/// [`crate::config::Settings::masked`] for anything shown to people.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the code that uses it; never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}
