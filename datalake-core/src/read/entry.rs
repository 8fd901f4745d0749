//! One file of a catalog (its own file, so that the catalog and the table's
//! part of it share it without importing each other).

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// One complete file of a selection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileEntry {
    /// Absolute path.
    pub path: PathBuf,
    /// The partition path without its date (see [`crate::inspect::coverage`]).
    pub series: String,
    /// The partition's date.
    pub date: NaiveDate,
    /// Bytes.
    pub size: u64,
    /// Last modification.
    pub mtime: DateTime<Utc>,
    /// The series' fields by name (empty when the profile has no
    /// `series_format` or the series does not fit it).
    pub fields: BTreeMap<String, String>,
}
