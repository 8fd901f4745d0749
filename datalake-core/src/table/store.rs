//! Where a profile's table keeps its bytes, and how to reach them.
//!
//! - [`TablePlace::Local`]: delta-rs reaches it through a `file://` URL;
//!   datalake's record and manifests and the table files a merge reads back
//!   go through `std::fs`.
//! - [`TablePlace::Remote`] (an object store): delta-rs takes the URL and the
//!   options as they are; the few reads and writes datalake does itself (a
//!   manifest, a table file a merge reads back, the probe of the next log
//!   version) go through the same `object_store` client ([`super::delta`]).
//!   The record stays on this machine (`{local_dir}/_table/_datalake/`), so
//!   the layers below (planner, catalog, stats) never wait on the network and
//!   an hour with nothing new costs one request; each manifest is written
//!   both there and beside the table (`_datalake/manifests/` in the bucket),
//!   so the table alone proves which raw parts it holds, and a second lake
//!   writing the same table learns from it what the first one absorbed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::config::storage::ResolvedStorage;
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

    /// The table root on the local disk (for a remote table: the local directory of its record).
    pub fn root(&self) -> &Path {
        self.place.local_path()
    }

    /// The object store, for a remote table.
    pub fn remote(&self) -> Option<&ResolvedStorage> {
        self.place.remote()
    }

    /// A file of the table, from its path relative to the root: on the local disk, or its
    /// URL (`s3://bucket/prefix/date=...`) for a remote table.
    pub fn file(&self, rel: &str) -> PathBuf {
        match self.remote() {
            None => self.root().join(rel),
            Some(r) => PathBuf::from(format!("{}/{rel}", r.table_uri)),
        }
    }

    /// The URL delta-rs opens.
    pub fn url(&self) -> Result<url::Url> {
        if let Some(r) = self.remote() {
            if r.table_uri.scheme() != crate::config::storage::Scheme::S3 {
                return Err(self.error(
                    "open",
                    format!(
                        "{}:// tables are not built into this datalake (only delta-rs' S3 store is)",
                        r.table_uri.scheme().as_str()
                    ),
                    "put the table on s3:// (any S3-compatible server) or on a local disk",
                ));
            }
            return url::Url::parse(&format!("{}/", r.table_uri))
                .map_err(|e| self.error("open", e, "check compact.table_uri"));
        }
        url::Url::from_directory_path(self.root()).map_err(|()| {
            self.error("open", "the table path is not absolute", "set compact.table_uri to an absolute path")
        })
    }

    /// The options delta-rs and object_store are built with (credentials in clear: never log them).
    pub fn options(&self) -> HashMap<String, String> {
        self.remote().map(|r| r.client_options().into_iter().collect()).unwrap_or_default()
    }

    /// Make sure the location exists (an object store has no directories to create).
    pub fn prepare(&self) -> Result<()> {
        if self.remote().is_some() {
            return Ok(());
        }
        std::fs::create_dir_all(self.root()).map_err(|e| Error::io_default("create directory", self.root(), e))
    }

    /// A path from the log (percent-encoded, `/`-separated) as it is on disk.
    pub fn decode_path(&self, logged: &str) -> String {
        let decoded = percent_decode(logged);
        if self.remote().is_none()
            && decoded != logged
            && !self.root().join(&decoded).exists()
            && self.root().join(logged).exists()
        {
            return logged.to_string();
        }
        decoded
    }

    /// A [`Error::Table`] about this table. For a remote table the detail names the
    /// endpoint and bucket, and the hint the likely cause when the detail shows one.
    pub fn error(&self, action: &'static str, detail: impl std::fmt::Display, hint: &'static str) -> Error {
        let mut detail = detail.to_string();
        let mut hint = hint;
        if let Some(r) = self.remote() {
            let endpoint = r.endpoint().unwrap_or("the provider's default endpoint");
            let cause = super::fault::cause(&detail);
            detail = format!(
                "{detail} (endpoint {endpoint}, bucket {}{})",
                r.table_uri.bucket(),
                cause.map(|c| format!(": {}", c.what)).unwrap_or_default()
            );
            if let Some(c) = cause {
                hint = c.hint;
            }
        }
        Error::Table { profile: self.profile.clone(), uri: self.uri(), action, detail, hint }
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
    fn gs_and_az_tables_are_refused_with_an_error_that_says_why() {
        use crate::config::storage::{resolve, StorageOptions, TableUri};
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut profile = crate::config::test_support::test_profile(&tmp.path().join("lake"), 30);
        for (uri, scheme) in [("gs://bucket-1/t", "gs"), ("az://container-1/t", "az")] {
            let uri = TableUri::parse(uri, "p").unwrap_or_else(|e| panic!("{e}"));
            let none = StorageOptions::default();
            let storage = resolve(&uri, &none, &none, &|_| None).unwrap_or_else(|e| panic!("{e:?}"));
            profile.compact.table = TablePlace::Remote { storage, local: tmp.path().join("_table") };
            let e = Store::of(&profile).url().map(|u| u.to_string()).unwrap_err().to_string();
            assert!(e.contains(&format!("{scheme}:// tables are not built into this datalake")), "{e}");
        }
    }

    #[test]
    fn log_paths_decode() {
        assert_eq!(percent_decode("series=binance%2FBTC/x.parquet"), "series=binance/BTC/x.parquet");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("plain"), "plain");
    }
}
