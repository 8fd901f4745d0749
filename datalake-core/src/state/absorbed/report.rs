//! What one compaction did: the report `datalake compact`, `DataLake::compact`
//! and an `auto` compaction after a sync hand out. It lives beside the record
//! (not in [`crate::table`]) so that a sync report can carry one.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::vocab::error::{Error, ErrorKind};
use crate::vocab::status::SyncStatus;

/// A closed day left raw, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedDay {
    /// The series.
    pub series: String,
    /// The day.
    pub date: NaiveDate,
    /// Why it stays raw (the error's message: the files, the line, what to do).
    pub reason: String,
    /// The kind of that error (`data` for the files' content, `io`...).
    pub kind: ErrorKind,
}

/// One series-day a run wrote into the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompactedDay {
    /// The series.
    pub series: String,
    /// The day.
    pub date: NaiveDate,
    /// Raw parts absorbed by this run.
    pub parts: u64,
    /// Whether the table already held the day (late or rewritten parts merged in).
    pub merged: bool,
    /// Rows read (the new parts, plus the day's earlier table rows when merged).
    pub rows_in: u64,
    /// Rows written.
    pub rows_out: u64,
    /// Rows dropped as duplicates (`dedup_on`).
    pub duplicates: u64,
    /// Bytes read: the raw parts, plus the day's earlier table files when merged.
    pub bytes_before: u64,
    /// Bytes of the day's new table files.
    pub bytes_after: u64,
    /// New table files.
    pub files: u64,
    /// Columns added to the table's schema by this day (nullable, schema evolution).
    pub added_columns: Vec<String>,
}

/// What a compaction did (or, in a dry run, would do).
#[derive(Debug, Serialize)]
pub struct CompactReport {
    /// Profile name.
    pub profile: String,
    /// How it ended: `success`, `partial` (some closed days stay raw, see
    /// `skipped`), `interrupted`, `failed`.
    pub status: SyncStatus,
    /// Nothing was written.
    pub dry_run: bool,
    /// Where the table is.
    pub table_uri: String,
    /// The table version after the run (`None`: no table yet).
    pub table_version: Option<u64>,
    /// When the run started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
    /// Wall time.
    pub duration_seconds: f64,
    /// Series-days written into the table (first time or merged).
    pub days_compacted: u64,
    /// Of those, days the table held already that took late or rewritten parts.
    pub days_merged: u64,
    /// Raw parts absorbed.
    pub parts_absorbed: u64,
    /// Rows read.
    pub rows_in: u64,
    /// Rows written.
    pub rows_out: u64,
    /// Rows dropped by `dedup_on`.
    pub duplicates_dropped: u64,
    /// Bytes read (raw parts, and the table files of merged days).
    pub bytes_before: u64,
    /// Bytes of the table files written.
    pub bytes_after: u64,
    /// Raw parts deleted from the lake (absorbed ones, this run's and leftovers
    /// of an interrupted run); 0 with `keep_raw`.
    pub raw_parts_removed: u64,
    /// Delta commits made.
    pub commits: u64,
    /// Series-days with raw parts that are not closed yet (`compact.after`).
    pub days_open: u64,
    /// Closed days left raw, with the reason.
    pub skipped: Vec<SkippedDay>,
    /// Every series-day written.
    pub days: Vec<CompactedDay>,
    /// Things worth a look that did not stop anything.
    pub warnings: Vec<String>,
    /// Messages of what failed.
    pub errors: Vec<String>,
    /// The kind of `error`, for JSON readers.
    pub error_kind: Option<ErrorKind>,
    /// Why the run did not succeed (set for every status but `success`; the
    /// faces take it from `failure()`).
    #[serde(skip)]
    pub error: Option<Error>,
}

impl CompactReport {
    /// An empty report of a run starting now.
    pub fn new(profile: &str, table_uri: String, dry_run: bool) -> CompactReport {
        let now = Utc::now();
        CompactReport {
            profile: profile.to_string(),
            status: SyncStatus::Success,
            dry_run,
            table_uri,
            table_version: None,
            started_at: now,
            finished_at: now,
            duration_seconds: 0.0,
            days_compacted: 0,
            days_merged: 0,
            parts_absorbed: 0,
            rows_in: 0,
            rows_out: 0,
            duplicates_dropped: 0,
            bytes_before: 0,
            bytes_after: 0,
            raw_parts_removed: 0,
            commits: 0,
            days_open: 0,
            skipped: Vec::new(),
            days: Vec::new(),
            warnings: Vec::new(),
            errors: Vec::new(),
            error_kind: None,
            error: None,
        }
    }

    /// Count a series-day written.
    pub fn add_day(&mut self, day: CompactedDay) {
        self.days_compacted += 1;
        self.days_merged += u64::from(day.merged);
        self.parts_absorbed += day.parts;
        self.rows_in += day.rows_in;
        self.rows_out += day.rows_out;
        self.duplicates_dropped += day.duplicates;
        self.bytes_before += day.bytes_before;
        self.bytes_after += day.bytes_after;
        self.days.push(day);
    }

    /// End the run with `error` as its cause: `status` says how (a failure
    /// already recorded stays the first cause).
    pub fn fail(&mut self, status: SyncStatus, error: Error) {
        self.errors.push(error.to_string());
        if self.error.is_none() || status > self.status {
            self.error_kind = Some(error.kind());
            self.error = Some(error);
        }
        self.status = self.status.max(status);
    }
}
