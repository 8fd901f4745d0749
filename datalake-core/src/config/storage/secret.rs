//! A credential that never prints: `Debug`, `Display` and `serde` all write `<redacted>`,
//! so a secret cannot reach a log line, a report, a checkpoint or a JSON file by accident.
//! Handing it to the storage client is an explicit [`Secret::expose`].

use std::fmt;

use serde::{Serialize, Serializer};

/// What a redacted value prints as.
pub const REDACTED: &str = "<redacted>";

/// A credential value (secret key, session token, SAS token, service-account key).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wrap a credential.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value itself, for the storage client and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(REDACTED)
    }
}
