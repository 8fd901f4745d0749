//! A table on an object store: what datalake asks the store itself (beside
//! what delta-rs does), and what an error from it means.
//!
//! Requests datalake makes on its own, each counted by the tests:
//! - the probe of the log's next version ([`next_version_exists`]): one HEAD.
//!   An hour with nothing new to publish costs that and nothing else: the
//!   local record says what the table held, the HEAD that nobody committed since;
//! - a manifest written beside the table: one PUT per series-day;
//! - a manifest another writer wrote, or a table file a merge reads back: one GET each.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use deltalake_core::logstore::object_store::path::Path as ObjectPath;
use deltalake_core::logstore::object_store::{self, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use deltalake_core::DeltaTableBuilder;
use serde::{Deserialize, Serialize};

use super::delta::Table;
use super::store::Store;
use crate::config::storage::Scheme;
use crate::local::reserved;
use crate::state::absorbed::manifest::MANIFEST_DIR;
use crate::state::absorbed::{record_dir, Manifest};
use crate::vocab::error::{Error, Result};
use crate::vocab::names::TABLE_RECORD_DIR;

/// The file beside the record keeping the verdict of [`check_conditional_put`].
pub const PROBE_FILE: &str = "conditional_put.json";

/// What the probe found for one endpoint and bucket.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Verdict {
    endpoint: String,
    bucket: String,
    honoured: bool,
    checked_at: DateTime<Utc>,
}

/// Refuse an S3 server that ignores conditional writes: delta-rs commits with
/// a create-only PUT (`If-None-Match: *`), and a server that ignores the
/// header lets two writers overwrite each other's commit. Probed once per
/// endpoint and bucket (a create-only PUT of one key twice, the second must
/// be refused, then a DELETE: 3 requests); the verdict is kept beside the
/// record. `aws_s3_allow_unsafe_rename: true` opts out (one writer only).
pub fn check_conditional_put(store: &Store) -> Result<()> {
    let Some(r) = store.remote() else { return Ok(()) };
    let unsafe_ok = r.get("aws_s3_allow_unsafe_rename").map(|v| v.expose()) == Some("true");
    if unsafe_ok || r.table_uri.scheme() != Scheme::S3 {
        return Ok(());
    }
    let endpoint = r.endpoint().unwrap_or("AWS").to_string();
    let bucket = r.table_uri.bucket().to_string();
    let path = record_dir(store.place()).join(PROBE_FILE);
    let kept: Option<Verdict> = std::fs::read(&path).ok().and_then(|b| serde_json::from_slice(&b).ok());
    let honoured = match kept.filter(|v| v.endpoint == endpoint && v.bucket == bucket) {
        Some(v) => v.honoured,
        None => {
            let honoured = probe(store)?;
            let verdict = Verdict { endpoint, bucket, honoured, checked_at: Utc::now() };
            let bytes = serde_json::to_vec(&verdict).unwrap_or_default();
            let dir = record_dir(store.place());
            std::fs::create_dir_all(&dir).map_err(|e| Error::io_default("create directory", &dir, e))?;
            reserved::replace(&path, &bytes, 0o644).map_err(|e| Error::io_default(e.action, e.path, e.source))?;
            honoured
        }
    };
    if honoured {
        return Ok(());
    }
    Err(store.error(
        "write to",
        "the server ignores conditional writes (a second create-only PUT of one key was accepted), so two writers could overwrite each other's commits",
        "if only this machine ever writes the table, set compact.storage_options.aws_s3_allow_unsafe_rename: true; otherwise use a server that supports If-None-Match",
    ))
}

/// Put a probe key twice with `PutMode::Create`; true when the second is refused.
fn probe(store: &Store) -> Result<bool> {
    let os = object_store(store)?;
    let key = ObjectPath::from(format!("{TABLE_RECORD_DIR}/probe-{}", uuid::Uuid::new_v4()));
    let rt = runtime(store)?;
    let create = || PutOptions { mode: PutMode::Create, ..PutOptions::default() };
    let fail = |e| store.error("probe conditional writes on", e, "check compact.table_uri and compact.storage_options");
    rt.block_on(os.put_opts(&key, PutPayload::from_static(b"1"), create())).map_err(fail)?;
    let second = rt.block_on(os.put_opts(&key, PutPayload::from_static(b"2"), create()));
    // Best effort: a leftover probe key is 1 byte under _datalake/.
    let _ = rt.block_on(os.delete(&key));
    match second {
        Ok(_) => Ok(false),
        Err(object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. }) => Ok(true),
        Err(e) => Err(fail(e)),
    }
}

fn runtime(store: &Store) -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| store.error("start the I/O runtime for", e, "the system is out of threads or memory"))
}

/// The prefixed object store of the table at `store` (no request is made).
pub fn object_store(store: &Store) -> Result<std::sync::Arc<dyn ObjectStore>> {
    super::delta::register_handlers();
    let table = DeltaTableBuilder::from_url(store.url()?)
        .map(|b| b.with_storage_options(store.options()))
        .and_then(|b| b.build())
        .map_err(|e| store.error("connect to", e, "check compact.table_uri and compact.storage_options"))?;
    Ok(table.log_store().object_store(None))
}

/// Whether the log of the remote table at `store` holds `version` (one HEAD), without
/// opening the table.
pub fn version_exists(store: &Store, version: u64) -> Result<bool> {
    let os = object_store(store)?;
    let rt = runtime(store)?;
    rt.block_on(next_version_exists(os.as_ref(), version))
        .map_err(|e| store.error("read the log of", e, "check compact.table_uri and compact.storage_options"))
}

/// The path of version `version`'s commit in the log.
fn commit_path(version: u64) -> ObjectPath {
    ObjectPath::from(format!("_delta_log/{version:020}.json"))
}

/// Whether the log holds `version` (one HEAD).
pub async fn next_version_exists(os: &dyn ObjectStore, version: u64) -> object_store::Result<bool> {
    match os.head(&commit_path(version)).await {
        Ok(_) => Ok(true),
        Err(object_store::Error::NotFound { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Write `bytes` at `rel` below the table (one PUT).
pub async fn put(os: &dyn ObjectStore, rel: &str, bytes: Vec<u8>) -> object_store::Result<()> {
    os.put(&ObjectPath::from(rel), PutPayload::from(bytes)).await.map(|_| ())
}

/// The object at `rel` below the table, `None` when there is none (one GET).
pub async fn get(os: &dyn ObjectStore, rel: &str) -> object_store::Result<Option<Bytes>> {
    match os.get(&ObjectPath::from(rel)).await {
        Ok(r) => r.bytes().await.map(Some),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A manifest's key below the table.
fn manifest_key(name: &str) -> String {
    format!("{TABLE_RECORD_DIR}/{MANIFEST_DIR}/{name}")
}

/// Copy the manifest `name` (written locally) beside a remote table; nothing for a local one.
pub fn publish_manifest(table: &Table, name: &str) -> Result<()> {
    let store = table.store();
    if store.remote().is_none() {
        return Ok(());
    }
    let path = record_dir(store.place()).join(MANIFEST_DIR).join(name);
    let bytes =
        std::fs::read(&path).map_err(|e| crate::vocab::error::Error::io_default("read the manifest", path, e))?;
    let key = manifest_key(name);
    table.on_store("write a manifest to", move |os| Box::pin(async move { put(os, &key, bytes).await }))
}

/// Make sure this lake has the manifest `name`: a remote table's manifest another writer
/// wrote is fetched (one GET) and kept locally.
pub fn fetch_manifest(table: &Table, name: &str) -> Result<()> {
    let store = table.store();
    let local = record_dir(store.place()).join(MANIFEST_DIR).join(name);
    if store.remote().is_none() || local.exists() {
        return Ok(());
    }
    let key = manifest_key(name);
    let got = table.on_store("read a manifest from", move |os| Box::pin(async move { get(os, &key).await }))?;
    let Some(bytes) = got else {
        return Err(store.error(
            "read a manifest from",
            format!("the log names manifest {name}, which is not in {TABLE_RECORD_DIR}/{MANIFEST_DIR}/"),
            "the table was changed outside datalake; restore its _datalake/ directory from a backup",
        ));
    };
    let manifest: Manifest = serde_json::from_slice(&bytes)
        .map_err(|e| store.error("read a manifest from", format!("{name}: {e}"), "restore it from a backup"))?;
    manifest.write(store.place(), name)
}

/// The bytes of the table's file `rel` (one GET).
pub fn read(table: &Table, rel: &str) -> Result<Bytes> {
    let key = rel.to_string();
    let got = table.on_store("read back", move |os| Box::pin(async move { get(os, &key).await }))?;
    got.ok_or_else(|| {
        table.store().error("read back", format!("{rel} is missing"), "`datalake verify` checks the table's files")
    })
}
