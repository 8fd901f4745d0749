//! Layer 9, reading the lake: the catalog of the complete files of a
//! selection ([`catalog`]), what a selection is ([`selection`], with shell
//! patterns from [`glob`]), and whether the files of a read share a schema
//! ([`schema`]); what a catalog warns about is in `notes`. Rows are decoded
//! by the faces' own Arrow libraries (pyarrow, Polars, DuckDB) from exactly
//! the files the catalog lists; nothing here decodes a data page.

pub mod catalog;
pub mod glob;
mod notes;
pub mod schema;
pub mod selection;

#[cfg(test)]
mod tests;
