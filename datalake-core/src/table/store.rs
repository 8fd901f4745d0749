//! Where a profile's table keeps its bytes, and how to reach them.
//!
//! Today the local disk only ([`TablePlace::Local`]): delta-rs reaches it
//! through a `file://` URL, datalake's record and manifests and the table
//! files a merge reads back go through `std::fs`. An object store (issue 21)
//! adds a variant here: delta-rs takes its URL and options as they are, and
//! the few reads datalake does itself go through the same `object_store`
//! crate, while the record keeps a local copy so that the layers below
//! (planner, catalog, stats) never wait on the network.

use std::path::{Path, PathBuf};

use crate::config::{Profile, TablePlace};
use crate::vocab::error::{Error, Result};

/// A table's location, with the profile it belongs to (for messages).
#[derive(Debug, Clone)]
pub struct Store {
    profile: String,
    place: TablePlace,
}

impl Store {
    /// The store of `profile`'s table.
    pub fn of(profile: &Profile) -> Store {
        Store { profile: profile.name.clone(), place: profile.compact.table.clone() }
    }

    /// Where it is, as configured.
    pub fn place(&self) -> &TablePlace {
        &self.place
    }

    /// How messages and reports name it.
    pub fn uri(&self) -> String {
        self.place.display()
    }

    /// The table root on the local disk.
    pub fn root(&self) -> &Path {
        self.place.local_path()
    }

    /// A file of the table, from its path relative to the root.
    pub fn file(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    /// The URL delta-rs opens.
    pub fn url(&self) -> Result<url::Url> {
        url::Url::from_directory_path(self.root()).map_err(|()| {
            self.error("open", "the table path is not absolute", "set compact.table_uri to an absolute path")
        })
    }

    /// Make sure the location exists.
    pub fn prepare(&self) -> Result<()> {
        std::fs::create_dir_all(self.root()).map_err(|e| Error::io_default("create directory", self.root(), e))
    }

    /// A path from the log (percent-encoded, `/`-separated) as it is on disk.
    pub fn decode_path(&self, logged: &str) -> String {
        let decoded = percent_decode(logged);
        if decoded != logged && !self.root().join(&decoded).exists() && self.root().join(logged).exists() {
            return logged.to_string();
        }
        decoded
    }

    /// A [`Error::Table`] about this table.
    pub fn error(&self, action: &'static str, detail: impl std::fmt::Display, hint: &'static str) -> Error {
        Error::Table { profile: self.profile.clone(), uri: self.uri(), action, detail: detail.to_string(), hint }
    }
}

/// `%XX` sequences decoded (invalid ones kept as they are).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(v) = hex {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_paths_decode() {
        assert_eq!(percent_decode("series=binance%2FBTC/x.parquet"), "series=binance/BTC/x.parquet");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("plain"), "plain");
    }
}
