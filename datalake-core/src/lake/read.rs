//! The facade's reading calls: the catalog of a selection, and the schema
//! check of the files a reader is about to open.

use super::DataLake;
use crate::local::partition::today;
use crate::read::catalog::{self, Catalog};
use crate::read::schema::{self, SchemaGroup};
use crate::read::selection::FileSelection;
use crate::vocab::error::Result;

impl DataLake {
    /// The complete files of `selection` in a profile (disabled ones too),
    /// by series, date and path: see [`crate::read::catalog`] for what is
    /// never listed and what a selection costs. Each warning of the catalog
    /// is also logged.
    pub fn files(&self, name: &str, selection: &FileSelection) -> Result<Catalog> {
        let profile = self.profile(name)?;
        let catalog = catalog::list(profile, selection, today(profile.timezone))?;
        for warning in &catalog.warnings {
            log::warn!("{warning}");
        }
        Ok(catalog)
    }

    /// Where the profile's table lives when it is on an object store, with the
    /// options a reader (pyarrow, Polars, deltalake) opens it with: `None` for
    /// a local table. The options hold the credentials in clear: hand them to
    /// a client, never print them ([`crate::config::storage::ResolvedStorage`]
    /// prints redacted).
    pub fn table_storage(&self, name: &str) -> Result<Option<crate::config::storage::ResolvedStorage>> {
        Ok(self.profile(name)?.compact.table.remote().cloned())
    }

    /// The catalog's files grouped by Parquet schema (footers read on every
    /// core); `Err(SchemaMismatch)` naming two files when a column's type differs.
    pub fn schema_groups(&self, catalog: &Catalog) -> Result<Vec<SchemaGroup>> {
        schema::groups(catalog, 0)
    }
}
