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
use deltalake_core::logstore::object_store::path::Path as ObjectPath;
use deltalake_core::logstore::object_store::{self, ObjectStore, ObjectStoreExt, PutPayload};
use deltalake_core::DeltaTableBuilder;

use super::delta::Table;
use super::store::Store;
use crate::state::absorbed::manifest::MANIFEST_DIR;
use crate::state::absorbed::{record_dir, Manifest};
use crate::vocab::error::Result;
use crate::vocab::names::TABLE_RECORD_DIR;

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
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| store.error("start the I/O runtime for", e, "the system is out of threads or memory"))?;
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
