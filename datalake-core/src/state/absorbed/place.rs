//! Where a table's record lives, and its format number.

use std::path::PathBuf;

use crate::config::TablePlace;
use crate::vocab::names::TABLE_RECORD_DIR;

/// The record's format; a newer one is refused with a clear error.
pub const RECORD_FORMAT: u32 = 1;

/// The record's file name in `_datalake/`.
pub const RECORD_FILE: &str = "record.json";

/// `_datalake/` of a table.
pub fn record_dir(place: &TablePlace) -> PathBuf {
    place.local_path().join(TABLE_RECORD_DIR)
}
