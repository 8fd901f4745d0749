//! One series-day's rows, as the table stores them: the inputs in the order
//! they were written (the day's earlier table rows first, then the parts by
//! modification time and name), duplicates on `dedup_on` dropped (the
//! newest occurrence wins), then sorted by `sort_by` (stable: equal keys
//! keep their order).

use std::collections::HashSet;
use std::sync::Arc;

use deltalake_core::arrow::array::{ArrayRef, BooleanArray, RecordBatch, UInt64Array};
use deltalake_core::arrow::compute::{
    concat_batches, filter_record_batch, lexsort_to_indices, take_record_batch, SortColumn,
};
use deltalake_core::arrow::datatypes::SchemaRef;
use deltalake_core::arrow::error::ArrowError;
use deltalake_core::arrow::row::{RowConverter, SortField};

/// A merged series-day.
#[derive(Debug)]
pub struct Merged {
    /// Its rows.
    pub batch: RecordBatch,
    /// Rows that went in.
    pub rows_in: u64,
    /// Rows dropped as duplicates.
    pub duplicates: u64,
}

/// Merge `inputs` (all of `schema`, oldest first).
pub fn merge(
    schema: &SchemaRef,
    inputs: &[RecordBatch],
    dedup_on: Option<&[String]>,
    sort_by: &[String],
) -> Result<Merged, ArrowError> {
    let all = concat_batches(schema, inputs)?;
    let rows_in = all.num_rows() as u64;
    let kept = match dedup_on {
        Some(columns) if all.num_rows() > 0 => {
            let mask = newest_of_each(&all, columns)?;
            filter_record_batch(&all, &mask)?
        }
        _ => all,
    };
    let duplicates = rows_in - kept.num_rows() as u64;
    let batch = if sort_by.is_empty() || kept.num_rows() < 2 { kept } else { sorted(&kept, sort_by)? };
    Ok(Merged { batch, rows_in, duplicates })
}

fn columns_of(batch: &RecordBatch, names: &[String]) -> Result<Vec<ArrayRef>, ArrowError> {
    names
        .iter()
        .map(|n| batch.column_by_name(n).cloned().ok_or_else(|| ArrowError::SchemaError(format!("no column {n:?}"))))
        .collect()
}

/// `true` for the last row of each group of rows equal on `columns`.
fn newest_of_each(batch: &RecordBatch, columns: &[String]) -> Result<BooleanArray, ArrowError> {
    let arrays = columns_of(batch, columns)?;
    let converter = RowConverter::new(arrays.iter().map(|a| SortField::new(a.data_type().clone())).collect())?;
    let rows = converter.convert_columns(&arrays)?;
    let n = rows.num_rows();
    let mut seen: HashSet<&[u8]> = HashSet::with_capacity(n);
    let mut keep = vec![false; n];
    for i in (0..n).rev() {
        keep[i] = seen.insert(rows.row(i).data());
    }
    Ok(BooleanArray::from(keep))
}

/// Stably sorted by `sort_by` (the row number breaks ties).
fn sorted(batch: &RecordBatch, sort_by: &[String]) -> Result<RecordBatch, ArrowError> {
    let mut keys: Vec<SortColumn> =
        columns_of(batch, sort_by)?.into_iter().map(|values| SortColumn { values, options: None }).collect();
    let order: ArrayRef = Arc::new(UInt64Array::from_iter_values(0..batch.num_rows() as u64));
    keys.push(SortColumn { values: order, options: None });
    let indices = lexsort_to_indices(&keys, None)?;
    take_record_batch(batch, &indices)
}

#[cfg(test)]
mod tests {
    use super::*;
    use deltalake_core::arrow::array::{AsArray, Int64Array, StringArray};
    use deltalake_core::arrow::datatypes::{DataType, Field, Int64Type, Schema};

    fn batch(schema: &SchemaRef, ts: &[i64], tag: &[&str]) -> RecordBatch {
        RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(Int64Array::from(ts.to_vec())), Arc::new(StringArray::from(tag.to_vec()))],
        )
        .unwrap()
    }

    #[test]
    fn newest_duplicate_wins_and_sort_is_stable() {
        let schema: SchemaRef = Arc::new(Schema::new(vec![
            Field::new("ts", DataType::Int64, true),
            Field::new("src", DataType::Utf8, true),
        ]));
        let old = batch(&schema, &[3, 1, 2], &["old", "old", "old"]);
        let new = batch(&schema, &[2, 5, 1], &["new", "new", "new2"]);
        let dedup = ["ts".to_string()];
        let m = merge(&schema, &[old.clone(), new.clone()], Some(&dedup), &dedup).unwrap();
        assert_eq!((m.rows_in, m.duplicates), (6, 2));
        let ts: Vec<i64> = m.batch.column(0).as_primitive::<Int64Type>().values().to_vec();
        let src: Vec<&str> = m.batch.column(1).as_string::<i32>().iter().map(|s| s.unwrap()).collect();
        assert_eq!(ts, [1, 2, 3, 5]);
        assert_eq!(src, ["new2", "new", "old", "new"]);
        // Without dedup or sort: everything, in input order.
        let m = merge(&schema, &[old, new], None, &[]).unwrap();
        assert_eq!(m.batch.column(0).as_primitive::<Int64Type>().values().to_vec(), [3, 1, 2, 2, 5, 1]);
        // Stable: equal sort keys keep input order.
        let ties = batch(&schema, &[1, 1, 0], &["a", "b", "c"]);
        let m = merge(&schema, &[ties], None, &["ts".to_string()]).unwrap();
        let src: Vec<&str> = m.batch.column(1).as_string::<i32>().iter().map(|s| s.unwrap()).collect();
        assert_eq!(src, ["c", "a", "b"]);
    }
}
