//! One schema for a series-day: the types a Delta table stores, the merge of
//! the parts' schemas (and the table's), and bringing every batch to it.
//!
//! - Types are first brought to what Delta stores: dictionaries to their
//!   values, large and view strings/binaries to plain ones, timestamps to
//!   microseconds (nanoseconds only when no value loses digits), unsigned
//!   integers to the next signed type (`uint64` only when every value fits).
//!   A type Delta has no equivalent for (time of day, durations, intervals,
//!   half floats) is a conflict: the day stays raw.
//! - Columns match by name. A column some parts lack is null in their rows
//!   (nullable columns added over time: schema evolution); every table column
//!   is nullable, so this always holds. The same name with two types is a
//!   conflict naming the two files. A column of type `null` (all-null, no
//!   type written) takes the type the others give it.
//! - `series` and `date` are the table's partition columns (and the columns
//!   every read adds): data columns of those names are a conflict.

use std::sync::Arc;

use deltalake_core::arrow::array::{new_null_array, Array, ArrayRef, AsArray, RecordBatch};
use deltalake_core::arrow::compute::{cast_with_options, CastOptions};
use deltalake_core::arrow::datatypes::{
    DataType, Field, Schema, SchemaRef, TimeUnit, TimestampNanosecondType, UInt64Type,
};

/// The table's partition columns, in order.
pub const PARTITION_COLUMNS: [&str; 2] = ["date", "series"];

/// Where a column's type was first seen, to name both files of a conflict.
#[derive(Debug, Clone)]
struct Origin {
    field: Field,
    file: String,
}

/// Two schemas that cannot become one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The file (or `the table`) that gave the first type.
    pub first: String,
    /// The file that disagrees.
    pub second: String,
    /// What differs.
    pub difference: String,
}

/// The merged schema of a series-day.
#[derive(Debug, Clone)]
pub struct Unified {
    /// Data columns (no partition columns), every one nullable.
    pub schema: SchemaRef,
    /// Columns the table did not have before (schema evolution), in order.
    pub added: Vec<String>,
}

/// The type the table stores for `dt`; `Err` says why there is none.
pub fn delta_type(dt: &DataType) -> Result<DataType, String> {
    Ok(match dt {
        DataType::Dictionary(_, value) => delta_type(value)?,
        DataType::LargeUtf8 | DataType::Utf8View => DataType::Utf8,
        DataType::LargeBinary | DataType::BinaryView => DataType::Binary,
        DataType::Timestamp(_, tz) => DataType::Timestamp(TimeUnit::Microsecond, tz.as_ref().map(|_| "UTC".into())),
        DataType::UInt8 => DataType::Int16,
        DataType::UInt16 => DataType::Int32,
        DataType::UInt32 | DataType::UInt64 => DataType::Int64,
        DataType::Date64 => DataType::Timestamp(TimeUnit::Microsecond, None),
        DataType::Null
        | DataType::Boolean
        | DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::Float32
        | DataType::Float64
        | DataType::Utf8
        | DataType::Binary
        | DataType::Date32
        | DataType::Decimal128(_, _) => dt.clone(),
        DataType::List(f) | DataType::LargeList(f) => {
            DataType::List(Arc::new(Field::new(f.name(), delta_type(f.data_type())?, true)))
        }
        DataType::Struct(fields) => DataType::Struct(
            fields
                .iter()
                .map(|f| Ok(Field::new(f.name(), delta_type(f.data_type())?, true)))
                .collect::<Result<Vec<_>, String>>()?
                .into(),
        ),
        other => return Err(format!("type {other} has no Delta Lake equivalent")),
    })
}

/// Merge the table's schema (if any, with the file that names it in
/// messages) and the parts' schemas, in order.
pub fn unify(table: Option<(&str, &Schema)>, parts: &[(String, SchemaRef)]) -> Result<Unified, Conflict> {
    let mut columns: Vec<Origin> = Vec::new();
    let table_columns = table.map_or(0, |(_, t)| t.fields().len());
    let sources = table
        .into_iter()
        .map(|(label, t)| (label.to_string(), t, true))
        .chain(parts.iter().map(|(file, s)| (file.clone(), s.as_ref(), false)));
    for (file, schema, is_table) in sources {
        for field in schema.fields() {
            if PARTITION_COLUMNS.contains(&field.name().as_str()) && !is_table {
                return Err(Conflict {
                    first: file.clone(),
                    second: file.clone(),
                    difference: format!(
                        "column {:?} has the name of a column the table and every read add (series, date); rename it where the file is written",
                        field.name()
                    ),
                });
            }
            let dt = delta_type(field.data_type()).map_err(|why| Conflict {
                first: file.clone(),
                second: file.clone(),
                difference: format!("column {:?}: {why}", field.name()),
            })?;
            match columns.iter_mut().find(|c| c.field.name() == field.name()) {
                None => columns.push(Origin { field: Field::new(field.name(), dt, true), file: file.clone() }),
                Some(c) if *c.field.data_type() == dt => {}
                Some(c) if *c.field.data_type() == DataType::Null => {
                    c.field = Field::new(field.name(), dt, true);
                    c.file = file.clone();
                }
                Some(_) if dt == DataType::Null => {}
                Some(c) => {
                    return Err(Conflict {
                        first: c.file.clone(),
                        second: file.clone(),
                        difference: format!(
                            "column {:?} is {} in the first and {} in the second",
                            field.name(),
                            c.field.data_type(),
                            field.data_type()
                        ),
                    });
                }
            }
        }
    }
    if let Some(c) = columns.iter().find(|c| *c.field.data_type() == DataType::Null) {
        return Err(Conflict {
            first: c.file.clone(),
            second: c.file.clone(),
            difference: format!(
                "column {:?} is null in every file, so it has no type a Delta table can store; give it a type where the file is written",
                c.field.name()
            ),
        });
    }
    let added = columns[table_columns.min(columns.len())..].iter().map(|c| c.field.name().clone()).collect();
    let schema = Arc::new(Schema::new(columns.into_iter().map(|c| c.field).collect::<Vec<_>>()));
    Ok(Unified { schema, added: if table.is_some() { added } else { Vec::new() } })
}

/// Bring `batch` to `target`: columns in the target's order, missing ones
/// null, types cast without loss; `Err` says which column cannot be.
pub fn conform(batch: &RecordBatch, target: &SchemaRef) -> Result<RecordBatch, String> {
    let rows = batch.num_rows();
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(target.fields().len());
    for field in target.fields() {
        let column = match batch.column_by_name(field.name()) {
            None => new_null_array(field.data_type(), rows),
            Some(array) => cast_column(field.name(), array, field.data_type())?,
        };
        columns.push(column);
    }
    RecordBatch::try_new(target.clone(), columns).map_err(|e| e.to_string())
}

fn cast_column(name: &str, array: &ArrayRef, to: &DataType) -> Result<ArrayRef, String> {
    if array.data_type() == to {
        return Ok(array.clone());
    }
    if let DataType::Timestamp(TimeUnit::Nanosecond, _) = array.data_type() {
        let ns = array.as_primitive::<TimestampNanosecondType>();
        if let Some(v) = ns.iter().flatten().find(|v| v % 1000 != 0) {
            return Err(format!(
                "column {name:?} holds nanosecond timestamps ({v}) that a Delta table, which stores microseconds, would round"
            ));
        }
    }
    if let DataType::UInt64 = array.data_type() {
        let u = array.as_primitive::<UInt64Type>();
        if let Some(v) = u.iter().flatten().find(|v| *v > i64::MAX as u64) {
            return Err(format!("column {name:?} holds {v}, more than a Delta table's long (int64) can"));
        }
    }
    let options = CastOptions { safe: false, ..CastOptions::default() };
    cast_with_options(array, to, &options).map_err(|e| format!("column {name:?} cannot be stored as {to}: {e}"))
}

/// The schema with the partition columns appended (the table's full schema).
pub fn with_partitions(data: &Schema) -> SchemaRef {
    let mut fields: Vec<Field> = data.fields().iter().map(|f| f.as_ref().clone()).collect();
    fields.push(Field::new("date", DataType::Date32, true));
    fields.push(Field::new("series", DataType::Utf8, true));
    Arc::new(Schema::new(fields))
}

/// The data columns of a full table schema.
pub fn without_partitions(full: &Schema) -> Schema {
    Schema::new(
        full.fields()
            .iter()
            .filter(|f| !PARTITION_COLUMNS.contains(&f.name().as_str()))
            .map(|f| f.as_ref().clone())
            .collect::<Vec<_>>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use deltalake_core::arrow::array::{Int64Array, StringArray, TimestampNanosecondArray, UInt64Array};

    fn schema(fields: &[(&str, DataType)]) -> SchemaRef {
        Arc::new(Schema::new(fields.iter().map(|(n, t)| Field::new(*n, t.clone(), false)).collect::<Vec<_>>()))
    }

    #[test]
    fn added_nullable_columns_merge_and_type_changes_conflict() {
        let a = schema(&[("ts", DataType::Int64), ("p", DataType::Float64)]);
        let b = schema(&[("ts", DataType::Int64), ("p", DataType::Float64), ("extra", DataType::Utf8)]);
        let u = unify(Some(("t", &a)), &[("x/part_2".into(), b.clone())]).unwrap();
        assert_eq!(u.added, ["extra"]);
        assert!(u.schema.fields().iter().all(|f| f.is_nullable()));
        let c = schema(&[("ts", DataType::Int64), ("p", DataType::Utf8)]);
        let err = unify(None, &[("x/part_1".into(), a), ("x/part_3".into(), c)]).unwrap_err();
        assert_eq!((err.first.as_str(), err.second.as_str()), ("x/part_1", "x/part_3"));
        assert!(err.difference.contains("column \"p\" is Float64 in the first and Utf8 in the second"), "{err:?}");
        let reserved = schema(&[("date", DataType::Utf8)]);
        assert!(unify(None, &[("f".into(), reserved)]).unwrap_err().difference.contains("series, date"));
        let dict = schema(&[("s", DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)))]);
        let plain = schema(&[("s", DataType::LargeUtf8)]);
        assert!(unify(None, &[("a".into(), dict), ("b".into(), plain)]).is_ok());
        let time = schema(&[("t", DataType::Time64(TimeUnit::Microsecond))]);
        assert!(unify(None, &[("a".into(), time)]).unwrap_err().difference.contains("no Delta Lake equivalent"));
    }

    #[test]
    fn conform_fills_missing_columns_and_refuses_lossy_casts() {
        let target =
            unify(None, &[("a".into(), schema(&[("n", DataType::Int64), ("s", DataType::Utf8)]))]).unwrap().schema;
        let batch =
            RecordBatch::try_new(schema(&[("n", DataType::UInt64)]), vec![Arc::new(UInt64Array::from(vec![1, 2]))])
                .unwrap();
        let out = conform(&batch, &target).unwrap();
        assert_eq!(out.column(0).as_primitive::<deltalake_core::arrow::datatypes::Int64Type>().values(), &[1, 2]);
        assert_eq!(out.column(1).null_count(), 2);
        let big =
            RecordBatch::try_new(schema(&[("n", DataType::UInt64)]), vec![Arc::new(UInt64Array::from(vec![u64::MAX]))])
                .unwrap();
        assert!(conform(&big, &target).unwrap_err().contains("more than a Delta table's long"));
        let ts = schema(&[("t", DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())))]);
        let t_target = unify(None, &[("a".into(), ts.clone())]).unwrap().schema;
        let exact = RecordBatch::try_new(
            ts.clone(),
            vec![Arc::new(TimestampNanosecondArray::from(vec![5_000]).with_timezone("UTC"))],
        )
        .unwrap();
        assert!(conform(&exact, &t_target).is_ok());
        let lossy =
            RecordBatch::try_new(ts, vec![Arc::new(TimestampNanosecondArray::from(vec![5_001]).with_timezone("UTC"))])
                .unwrap();
        assert!(conform(&lossy, &t_target).unwrap_err().contains("would round"));
        let _ = (Int64Array::from(vec![1]), StringArray::from(vec!["x"]));
    }
}
