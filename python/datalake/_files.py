"""How ``DataLake.read`` reads the catalog's files when no arbitrary ``filter`` is given.

Market-data lakes hold thousands of files of a few KB: what costs is the work per
file, not the bytes. pyarrow's dataset scanner spends a good part of its time per
fragment on its own machinery; ``pyarrow.parquet.ParquetFile(...).read()`` of each
file, on a few threads, costs about two thirds of that CPU for the same rows (bench/read.py).
So this path reads each file directly, reads only the row groups whose statistics
can hold rows of the time range, adds the partition-style columns once per
partition (not per file), and conforms the odd file whose schema is a narrower one
of the read's (a column it lacks reads as nulls). The result is the same table the
dataset path gives (tests/python/test_read.py compares them).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

# Threads reading files at once: decoding releases the GIL, the per-file Python work does not.
MAX_THREADS = 8


def _constant(value: Any, kind: pa.DataType, n: int) -> pa.Array:
    """``value`` repeated ``n`` times, as ``kind`` (dictionary types keep one dictionary entry)."""
    zeros = pa.nulls(n, pa.int32()).fill_null(0)
    return pc.take(pa.array([value], kind), zeros)


def _conform(table: pa.Table, target: pa.Schema) -> pa.Table:
    """``table`` with exactly ``target``'s columns, in its order: missing ones as nulls, others cast."""
    if table.schema.equals(target):
        return table
    if table.schema.names == target.names and table.schema.types == target.types:
        return table.replace_schema_metadata(None)
    columns = []
    for field in target:
        if field.name in table.column_names:
            column = table[field.name]
            columns.append(column if column.type == field.type else column.cast(field.type))
        else:
            columns.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(columns, schema=target)


def _row_groups(pf: pq.ParquetFile, column: str, kind: pa.DataType, lo: Any, hi: Any) -> list[int] | None:
    """The row groups whose min/max of ``column`` can hold rows in ``[lo, hi)`` (raw
    values of the column's physical type); None: read every row group."""
    if pf.schema_arrow.field(column).type != kind:
        return None
    meta = pf.metadata
    if meta.num_row_groups == 0:
        return None
    first = meta.row_group(0)
    index = next((j for j in range(first.num_columns) if first.column(j).path_in_schema == column), None)
    if index is None:
        return None
    keep = []
    for i in range(meta.num_row_groups):
        stats = meta.row_group(i).column(index).statistics
        if stats is None or not stats.has_min_max:
            keep.append(i)
            continue
        low, high = stats.min_raw, stats.max_raw
        if (hi is None or low < hi) and (lo is None or high >= lo):
            keep.append(i)
    return keep


def _raw_bound(bounds: Any, kind: pa.DataType) -> tuple[Any, Any]:
    """The time range's ends as raw integers of the column's unit (None: open)."""
    def raw(value: Any) -> Any:
        return None if value is None else pa.scalar(value, kind).cast(pa.int64()).as_py()

    lo, hi = bounds
    return raw(lo), raw(hi)


def read(plan: Any, columns: list[str] | None, time_column: str | None, bounds: Any) -> pa.Table:
    """Read ``plan``'s files (see reader._Plan). ``bounds``: None, or (expression,
    (start_time, end_time)) for ``time_column``."""
    schema: pa.Schema = plan.schema
    names = schema.names if columns is None else list(columns)
    missing = [n for n in names if n not in schema.names]
    if missing:
        from datalake._datalake import InvalidArgumentError

        raise InvalidArgumentError(
            f"no column {', '.join(map(repr, missing))} in these files; they have {', '.join(schema.names)}"
        )
    added = set(plan.added)
    read_names = [n for n in names if n not in added]
    if time_column is not None and time_column not in read_names:
        read_names.append(time_column)
    read_schema = pa.schema([schema.field(n) for n in read_names])
    expression, (lo, hi) = bounds if bounds is not None else (None, (None, None))
    kind = schema.field(time_column).type if time_column is not None else None
    raw_lo, raw_hi = _raw_bound((lo, hi), kind) if kind is not None else (None, None)

    every_column = len(read_names) == len(schema) - len(added)

    files = plan.catalog.files
    paths = plan.catalog.paths()
    threads = max(1, min(MAX_THREADS, os.cpu_count() or 1, len(paths)))
    # Few files (a compacted table's one file per series-day): pyarrow decodes each
    # file's columns on all cores. Many small parts: a file per thread.
    inner_threads = len(paths) < 2 * threads

    def one(path: str) -> pa.Table:
        with plan.opener.open(path) as source:
            return read_one(pq.ParquetFile(source, pre_buffer=False))

    def read_one(pf: pq.ParquetFile) -> pa.Table:
        # pre_buffer off: for files of a few KB, coalescing reads costs more than it saves.
        if every_column:
            present = None  # (schema_arrow is rebuilt on every access: ask only when needed)
        else:
            in_file = set(pf.schema_arrow.names)
            present = [n for n in read_names if n in in_file]
        groups = _row_groups(pf, time_column, kind, raw_lo, raw_hi) if time_column is not None else None
        if groups is None:
            table = pf.read(columns=present, use_threads=inner_threads)
        else:
            table = pf.read_row_groups(groups, columns=present, use_threads=inner_threads)
        return _conform(table, read_schema)

    try:
        if threads == 1 or inner_threads:
            tables = [one(p) for p in paths]
        else:
            with ThreadPoolExecutor(threads) as pool:
                tables = list(pool.map(one, paths))
    except OSError:
        plan.catalog.check_still_there()  # raises, naming the partition, when retention removed one
        raise
    out_schema = pa.schema([schema.field(n) for n in names], metadata=schema.metadata)
    parts = []
    start = 0
    while start < len(files):
        key = (files[start].series, files[start].date)
        end = start + 1
        while end < len(files) and (files[end].series, files[end].date) == key:
            end += 1
        table = pa.concat_tables(tables[start:end])
        if expression is not None:
            table = table.filter(expression)
        for name, value in plan.known(files[start]).items():
            if name in names:
                field = schema.field(name)
                table = table.append_column(field, _constant(value, field.type, table.num_rows))
        table = table.select(names)
        # The files' schema metadata, once (a cast would touch every chunk of every column).
        parts.append(table if table.schema.equals(out_schema, check_metadata=True) else table.replace_schema_metadata(out_schema.metadata))
        start = end
    return pa.concat_tables(parts) if parts else out_schema.empty_table()


def sort(table: pa.Table, sort_by: Any) -> pa.Table:
    """``table.sort_by(sort_by)``; a table already in order (one ascending key, no
    nulls, as a series' parts usually are) is returned as is, without a copy."""
    keys = [(sort_by, "ascending")] if isinstance(sort_by, str) else list(sort_by)
    if len(keys) == 1 and keys[0][1] == "ascending" and table.num_rows > 1:
        column = table[keys[0][0]]
        if column.null_count == 0:
            flat = column.combine_chunks() if column.num_chunks > 1 else column.chunk(0)
            if pc.all(pc.greater_equal(flat[1:], flat[:-1])).as_py():
                return table
    return table.sort_by(keys)
