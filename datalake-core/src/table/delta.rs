//! The Delta table through delta-rs: open, write a series-day's files,
//! commit, list the live files, vacuum. With [`super::remote`], the only
//! files of the crate that name delta-rs, so the rest of the layer reads as
//! what it does on the local disk and on an object store alike.
//!
//! delta-rs is async; each [`Table`] owns a current-thread Tokio runtime and
//! blocks on it, so the callers stay synchronous like the rest of the crate.

use std::collections::HashMap;
use std::future::IntoFuture;

use chrono::NaiveDate;
use deltalake_core::arrow::array::RecordBatch;
use deltalake_core::arrow::datatypes::{Schema, SchemaRef};
use deltalake_core::kernel::engine::arrow_conversion::{TryIntoArrow, TryIntoKernel};
use deltalake_core::kernel::transaction::{CommitBuilder, CommitProperties};
use deltalake_core::kernel::{Action, Add, MetadataExt, Remove, StructType};
use deltalake_core::operations::vacuum::VacuumMode;
use deltalake_core::parquet::file::properties::WriterProperties;
use deltalake_core::protocol::{DeltaOperation, SaveMode};
use deltalake_core::writer::{DeltaWriter, RecordBatchWriter};
use deltalake_core::{DeltaTable, DeltaTableBuilder, DeltaTableError, ObjectStore};

/// A boxed future borrowing the object store.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + 'a>>;

use super::schema::{without_partitions, PARTITION_COLUMNS};
use super::store::Store;
use crate::vocab::error::{Error, Result};

/// The tag on each `add` naming the manifest of the day's absorbed parts.
pub const MANIFEST_TAG: &str = "datalake.manifest";

/// A data file the table's current version holds.
#[derive(Debug, Clone)]
pub struct LiveFile {
    /// Path relative to the table root, as on disk.
    pub path: String,
    /// Bytes.
    pub size: u64,
    /// Rows, from the file's statistics.
    pub rows: Option<u64>,
    /// Its `date` partition value.
    pub date: Option<NaiveDate>,
    /// Its `series` partition value.
    pub series: Option<String>,
    /// The manifest its tag names.
    pub manifest: Option<String>,
    /// The remove action that takes it out of the table.
    pub remove: Remove,
}

/// What a commit does, for the log's `operation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Series-days added or rewritten by a compaction.
    Compact,
    /// Days past retention removed.
    Retention,
}

/// Register delta-rs' S3 stores (`s3://`, `s3a://`) once per process.
pub fn register_handlers() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| deltalake_aws::register_handlers(None));
}

/// An open table (possibly not created yet).
pub struct Table {
    rt: tokio::runtime::Runtime,
    store: Store,
    table: DeltaTable,
}

impl Table {
    /// Open the table at `store`; a location without one is fine (the first
    /// commit creates it).
    pub fn open(store: Store) -> Result<Table> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| store.error("start the I/O runtime for", e, "the system is out of threads or memory"))?;
        // Nothing is created here: a dry run, or a run with nothing to compact, leaves no trace.
        let url = store.url()?;
        let open_error =
            |e| store.error("open", e, "check the directory and its _delta_log; `datalake verify` checks the table");
        let table = if store.remote().is_some() {
            register_handlers();
            let builder = || DeltaTableBuilder::from_url(url.clone()).map(|b| b.with_storage_options(store.options()));
            match rt.block_on(builder().map_err(open_error)?.load()) {
                Ok(t) => t,
                // No log yet: an empty table, created by the first commit.
                Err(DeltaTableError::NotATable(_)) => builder().and_then(|b| b.build()).map_err(open_error)?,
                Err(e) => return Err(open_error(e)),
            }
        } else if store.root().exists() {
            rt.block_on(DeltaTable::try_from_url(url)).map_err(open_error)?
        } else {
            // No directory yet: an empty table, created by the first write.
            DeltaTableBuilder::from_url(url).and_then(|b| b.build()).map_err(open_error)?
        };
        Ok(Table { rt, store, table })
    }

    /// The current version; `None` before the first commit.
    pub fn version(&self) -> Option<u64> {
        self.table.version()
    }

    /// The storage it lives on.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The data columns of the current schema (partition columns left out).
    pub fn data_schema(&self) -> Result<Option<Schema>> {
        if self.table.version().is_none() {
            return Ok(None);
        }
        let state = self.table.snapshot().map_err(|e| self.err("read the schema of", e))?;
        let arrow: Schema = state.schema().as_ref().try_into_arrow().map_err(|e| self.err("read the schema of", e))?;
        Ok(Some(without_partitions(&arrow)))
    }

    /// Every data file of the current version.
    pub fn live_files(&self) -> Result<Vec<LiveFile>> {
        if self.table.version().is_none() {
            return Ok(Vec::new());
        }
        let state = self.table.snapshot().map_err(|e| self.err("list the files of", e))?;
        let mut out = Vec::new();
        for view in state.log_data().iter() {
            #[allow(deprecated)] // the tags are only reachable through the action
            let add = view.add_action();
            let value = |k: &str| add.partition_values.get(k).cloned().flatten();
            out.push(LiveFile {
                path: self.store.decode_path(&add.path),
                size: u64::try_from(add.size).unwrap_or(0),
                rows: view.num_records().map(|n| n as u64),
                date: value("date").and_then(|d| d.parse().ok()),
                series: value("series"),
                manifest: add.tags.as_ref().and_then(|t| t.get(MANIFEST_TAG).cloned().flatten()),
                remove: view.remove_action(true),
            });
        }
        Ok(out)
    }

    /// Write one series-day (`batch` of `full`, partition columns included)
    /// as new files; nothing is visible until [`Table::commit`].
    pub fn write(
        &self,
        full: &SchemaRef,
        batch: RecordBatch,
        props: WriterProperties,
        target: u64,
    ) -> Result<Vec<Add>> {
        self.store.prepare()?;
        let url = self.store.url()?;
        let partitions = PARTITION_COLUMNS.iter().map(|c| c.to_string()).collect();
        let options = self.store.remote().map(|_| self.store.options());
        let mut writer = RecordBatchWriter::try_new(url.as_str(), full.clone(), Some(partitions), options)
            .map_err(|e| self.err("write to", e))?
            .with_writer_properties(props)
            .with_target_file_size(target);
        self.rt
            .block_on(async {
                writer.write(batch).await?;
                writer.flush().await
            })
            .map_err(|e| self.err("write to", e))
    }

    /// Commit `actions` in one new version; with `schema`, the table's data
    /// columns become these (schema evolution). Creates the table on its
    /// first commit. Returns the new version, or `None` when a compaction lost
    /// the race to another writer (no retry on top of a version it has not
    /// read: the caller reads the log again and plans anew, so a day another
    /// writer just absorbed is not appended twice).
    pub fn commit(
        &mut self,
        actions: Vec<Action>,
        schema: Option<&Schema>,
        info: serde_json::Value,
        op: Operation,
    ) -> Result<Option<u64>> {
        let metadata: HashMap<String, serde_json::Value> = HashMap::from([("datalake".to_string(), info)]);
        let partition_by = Some(PARTITION_COLUMNS.iter().map(|c| c.to_string()).collect::<Vec<_>>());
        if self.table.version().is_none() {
            let Some(schema) = schema else {
                return Err(self.store.error("create", "no schema for the first commit", "this is a bug in datalake"));
            };
            let kernel = kernel_schema(schema).map_err(|e| self.err("create", e))?;
            let create = self
                .table
                .clone()
                .create()
                .with_columns(kernel.fields().cloned())
                .with_partition_columns(PARTITION_COLUMNS)
                .with_actions(actions)
                // No retry on top of another writer's first commit (see above).
                .with_commit_properties(CommitProperties::default().with_metadata(metadata).with_max_retries(0));
            match self.rt.block_on(create.into_future()) {
                Ok(table) => self.table = table,
                Err(e) if lost_race(&e) => return Ok(None),
                Err(e) => return Err(self.err("create", e)),
            }
            return self.version().map(Some).ok_or_else(|| {
                self.store.error("create", "no version after the first commit", "check the table directory")
            });
        }
        let mut all = Vec::with_capacity(actions.len() + 1);
        if let Some(schema) = schema {
            let kernel = kernel_schema(schema).map_err(|e| self.err("evolve the schema of", e))?;
            let state = self.table.snapshot().map_err(|e| self.err("evolve the schema of", e))?;
            let metadata =
                state.metadata().clone().with_schema(&kernel).map_err(|e| self.err("evolve the schema of", e))?;
            all.push(Action::Metadata(metadata));
        }
        all.extend(actions);
        let operation = match op {
            Operation::Compact => DeltaOperation::Write { mode: SaveMode::Append, partition_by, predicate: None },
            Operation::Retention => {
                DeltaOperation::Delete { predicate: Some("date before the retention cutoff".into()) }
            }
        };
        let state = self.table.snapshot().map_err(|e| self.err("commit to", e))?;
        let log_store = self.table.log_store();
        // An append is re-read and planned anew by the caller; a retention's removes may
        // go on top of another writer's commit (delta-rs checks they do not conflict).
        let mut builder = CommitBuilder::default();
        if op == Operation::Compact {
            builder = builder.with_max_retries(0);
        }
        let done = self.rt.block_on(
            builder
                .with_actions(all)
                .with_app_metadata(metadata)
                .build(Some(state), log_store, operation)
                .into_future(),
        );
        let version = match done {
            Ok(done) => done.version(),
            Err(e) if op == Operation::Compact && lost_race(&e) => return Ok(None),
            Err(e) => return Err(self.err("commit to", e)),
        };
        self.rt.block_on(self.table.update_incremental(None)).map_err(|e| self.err("reload", e))?;
        Ok(Some(version))
    }

    /// Read the log again (after another writer committed).
    pub fn reload(&mut self) -> Result<()> {
        if self.table.version().is_none() {
            *self = Table::open(self.store.clone())?;
            return Ok(());
        }
        self.rt.block_on(self.table.update_incremental(None)).map_err(|e| self.err("reload", e))
    }

    /// Delete files no version references any more (and files left by runs
    /// that never committed) once they are older than `grace`. Returns their paths.
    pub fn vacuum(&mut self, grace: std::time::Duration, dry_run: bool) -> Result<Vec<String>> {
        if self.table.version().is_none() {
            return Ok(Vec::new());
        }
        let grace = chrono::TimeDelta::from_std(grace).unwrap_or(chrono::TimeDelta::MAX);
        let builder = self
            .table
            .clone()
            .vacuum()
            .with_retention_period(grace)
            .with_enforce_retention_duration(false)
            .with_mode(VacuumMode::Full)
            .with_dry_run(dry_run);
        let (table, metrics) = self.rt.block_on(builder.into_future()).map_err(|e| self.err("vacuum", e))?;
        self.table = table;
        Ok(metrics.files_deleted.iter().map(|p| self.store.decode_path(p)).collect())
    }

    /// Run `f` on the table's object store (rooted at the table) and wait for it.
    pub fn on_store<T, F>(&self, action: &'static str, f: F) -> Result<T>
    where
        F: for<'a> FnOnce(&'a dyn ObjectStore) -> BoxFuture<'a, deltalake_core::logstore::object_store::Result<T>>,
    {
        let os = self.table.log_store().object_store(None);
        self.rt.block_on(f(os.as_ref())).map_err(|e| self.err(action, e))
    }

    fn err(&self, action: &'static str, e: impl std::fmt::Display) -> Error {
        self.store.error(action, e, "check the disk and the table directory; `datalake verify` checks the table")
    }
}

/// True when `e` says another writer committed the version this one meant to write.
fn lost_race(e: &DeltaTableError) -> bool {
    use deltalake_core::kernel::transaction::TransactionError as T;
    match e {
        DeltaTableError::VersionAlreadyExists(_) => true,
        DeltaTableError::Transaction { source } => {
            matches!(source, T::VersionAlreadyExists(_) | T::MaxCommitAttempts(_) | T::CommitConflict(_))
        }
        _ => false,
    }
}

fn kernel_schema(schema: &Schema) -> std::result::Result<StructType, DeltaTableError> {
    let full = super::schema::with_partitions(schema);
    let kernel: StructType = full.as_ref().try_into_kernel()?;
    Ok(kernel)
}
