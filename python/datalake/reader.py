"""Reading the lake into pyarrow, Polars, pandas and DuckDB.

``DataLake.dataset``, ``read``, ``scan`` and ``read_pandas`` land here. The
core lists the files (``DataLake.catalog``: series, dates and series fields
judged from directory names, only the selected partitions opened, nothing
hidden, partial or quarantined) and checks that their Parquet schemas agree
(``Catalog.schema_files``); this module turns that list into one
``pyarrow.dataset.Dataset`` over exactly those files (no directory is listed
again) with ``series``, ``date`` and the series fields as partition-style
columns, and reads it.

The readers are optional extras: ``pip install 'datalake[read]'`` brings
pyarrow, Polars, pandas and DuckDB. A missing one raises
:class:`MissingExtraError` naming what to install.

Selection keywords, the same for every reader: ``series`` (names or
patterns, one or a list), ``start``/``end`` (an inclusive range of days:
``datetime.date``, ``"2024-11-19"`` or ``"20241119"``) and one keyword per
field of the profile's ``series_format`` (``exchange="gate_io"``,
``symbol=["VIRTUAL-USDT", "IRON-USDT"]``).
"""

from __future__ import annotations

import datetime as dt
import importlib
from typing import TYPE_CHECKING, Any, Sequence, Union

if TYPE_CHECKING:  # pragma: no cover
    import pandas
    import polars
    import pyarrow
    import pyarrow.dataset

    from datalake._datalake import Catalog, DataLake

__all__ = ["MissingExtraError", "dataset", "read", "read_pandas", "scan"]

SortBy = Union[str, Sequence[Any], None]


class MissingExtraError(ImportError):
    """A reader's library is not installed: ``pip install 'datalake[read]'``."""


def _require(module: str, caller: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as e:
        package = module.split(".")[0]
        raise MissingExtraError(
            f"DataLake.{caller} needs {package}, which is not installed: "
            f"pip install 'datalake[read]' (or pip install {package})"
        ) from e


def _is_url(path: str) -> bool:
    """A remote table's file (``s3://bucket/...``) rather than a local path."""
    scheme, sep, _ = path.partition("://")
    return bool(sep) and bool(scheme) and "/" not in scheme


def s3_filesystem(options: dict[str, str]) -> Any:
    """A ``pyarrow.fs.S3FileSystem`` from object_store's option names (the profile's
    ``compact.storage_options`` as ``DataLake.table_storage`` gives them)."""
    fs = _require("pyarrow.fs", "read")
    kwargs: dict[str, Any] = {
        "access_key": options.get("aws_access_key_id"),
        "secret_key": options.get("aws_secret_access_key"),
        "session_token": options.get("aws_session_token"),
        "region": options.get("aws_region") or options.get("aws_default_region"),
    }
    endpoint = options.get("aws_endpoint") or options.get("aws_endpoint_url_s3")
    if endpoint:
        scheme, _, host = endpoint.partition("://")
        kwargs["endpoint_override"] = host
        kwargs["scheme"] = scheme
    return fs.S3FileSystem(**{k: v for k, v in kwargs.items() if v is not None})


class _Opener:
    """Opens the files of a read: local paths directly, a remote table's URLs through
    the filesystem its storage options give (made once, when the first one is opened)."""

    def __init__(self, lake: DataLake, profile: str) -> None:
        self.lake, self.profile = lake, profile
        self._remote: Any = None
        self._kept: dict[str, Any] = {}
        self._pending: dict[str, Any] = {}

    def remote(self) -> Any:
        if self._remote is None:
            storage = self.lake.table_storage(self.profile)
            if storage is None or not str(storage["uri"]).startswith("s3://"):
                uri = storage["uri"] if storage is not None else "?"
                raise _invalid(
                    f"lake.read reads tables on s3:// only, not {uri}; read it with "
                    "deltalake.DeltaTable(uri, storage_options=lake.table_storage(profile)['options'])"
                )
            self._remote = s3_filesystem(storage["options"])
        return self._remote

    def prefetch(self, paths: list[str]) -> None:
        """Start fetching every remote file of a read at once, so the schema's file and the
        read wait on about one round trip instead of one after the other."""
        from concurrent.futures import ThreadPoolExecutor

        urls = [p for p in paths if _is_url(p) and p not in self._pending]
        if not urls:
            return
        filesystem = self.remote()

        def fetch(path: str) -> Any:
            with filesystem.open_input_stream(path.partition("://")[2]) as stream:
                return stream.readall()

        pool = ThreadPoolExecutor(min(8, len(urls)))
        for p in urls:
            self._pending[p] = pool.submit(fetch, p)
        pool.shutdown(wait=False)

    def open(self, path: str, keep: bool = False) -> Any:
        """The file at ``path``; a remote one is fetched whole (a HEAD and one GET, not a GET
        per column chunk: the table's files are a series-day each, at most
        compact.target_file_size), and with ``keep`` its bytes serve its next open too (the
        schema's file is usually read again)."""
        pa = _require("pyarrow", "read")
        if not _is_url(path):
            return pa.OSFile(path)  # (a path would be resolved to a filesystem every time)
        data = self._kept.pop(path, None)
        pending = self._pending.pop(path, None)
        if data is None and pending is not None:
            data = pending.result()
        if data is None:
            with self.remote().open_input_stream(path.partition("://")[2]) as stream:
                data = stream.readall()
        if keep:
            self._kept[path] = data
        return pa.BufferReader(data)


def _catalog(lake: DataLake, profile: str, selection: dict[str, Any]) -> Catalog:
    return lake.catalog(profile, **selection)


def _schema_of(
    catalog: Catalog, lake: DataLake, selection: dict[str, Any], opener: _Opener
) -> pyarrow.Schema | None:
    """The files' unified Arrow schema; for an empty selection, the schema of
    the profile's newest file of the same series (of any file when none), so
    that an empty read still has the columns a non-empty one would have."""
    pa = _require("pyarrow", "read")
    pq = _require("pyarrow.parquet", "read")
    paths = catalog.schema_files()
    if not paths:
        for wider in (
            {k: v for k, v in selection.items() if k not in ("start", "end")},
            {},
        ):
            other = lake.catalog(catalog.profile, **wider)
            if len(other):
                newest = max(other.files, key=lambda f: (f.date, f.mtime))
                paths = [newest.path]
                break
    if not paths:
        return None
    schemas = []
    for p in paths:
        with opener.open(str(p), keep=True) as source:
            schemas.append(pq.read_schema(source))
    if len(schemas) == 1:
        return schemas[0]
    # Columns that only some files have read as nulls in the others: nullable.
    everywhere = set.intersection(*(set(s.names) for s in schemas))
    unified = pa.unify_schemas(schemas)
    return pa.schema(
        [f if f.name in everywhere else f.with_nullable(True) for f in unified],
        metadata=unified.metadata,
    )


class _Plan:
    """What a read needs: the catalog, the full schema (the files' columns, then the
    partition-style ones) and the partition columns this read adds."""

    def __init__(self, lake: DataLake, profile: str, selection: dict[str, Any], prefetch: bool = False) -> None:
        pa = _require("pyarrow", "read")
        self.catalog = _catalog(lake, profile, selection)
        self.opener = _Opener(lake, profile)
        if prefetch:  # a whole read: fetch the remote files while the schema is worked out
            self.opener.prefetch(self.catalog.paths())
        self.file_schema = _schema_of(self.catalog, lake, selection, self.opener)
        label = pa.dictionary(pa.int32(), pa.string())
        columns = list(self.file_schema) if self.file_schema is not None else []
        names = {f.name for f in columns}
        # The files' own column wins: collectors write `exchange` themselves.
        self.added = [name for name in ("series", "date", *self.catalog.fields) if name not in names]
        # A series that does not fit series_format has null fields; a dictionary-encoded
        # partition column cannot hold a null (pyarrow puts it in the dictionary, which pandas
        # and Polars refuse), so such a read gets the fields as plain strings.
        unfit = bool(self.catalog.fields) and any(not entry.fields for entry in self.catalog.files)
        for name in self.added:
            kind = pa.date32() if name == "date" else pa.string() if unfit and name != "series" else label
            columns.append(pa.field(name, kind))
        metadata = self.file_schema.metadata if self.file_schema is not None else None
        self.schema = pa.schema(columns, metadata=metadata)

    def known(self, entry: Any) -> dict[str, Any]:
        """The values of the added columns for this file (None: null)."""
        values: dict[str, Any] = {"series": entry.series, "date": entry.date, **entry.fields}
        return {name: values.get(name) for name in self.added}


def _dataset(lake: DataLake, profile: str, selection: dict[str, Any]) -> tuple[pyarrow.dataset.Dataset, _Plan]:
    pa = _require("pyarrow", "dataset")
    ds = _require("pyarrow.dataset", "dataset")
    plan = _Plan(lake, profile, selection)
    expressions: dict[tuple[str, dt.date], Any] = {}
    partitions = []
    for entry in plan.catalog.files:
        key = (entry.series, entry.date)
        expr = expressions.get(key)
        if expr is None:
            parts = []
            for name, value in plan.known(entry).items():
                field = ds.field(name)
                parts.append(field.is_null() if value is None else field == pa.scalar(value, plan.schema.field(name).type))
            expr = parts[0]
            for p in parts[1:]:
                expr = expr & p
            expressions[key] = expr
        partitions.append(expr)
    # Local files (raw parts, a local table) and a remote table's files: one dataset each,
    # joined when a read has both.
    paths = plan.catalog.paths()
    remote = [i for i, p in enumerate(paths) if _is_url(p)]
    local = [i for i, p in enumerate(paths) if not _is_url(p)]

    def piece(indexes: list[int], filesystem: Any) -> Any:
        return ds.FileSystemDataset.from_paths(
            [paths[i].partition("://")[2] if _is_url(paths[i]) else paths[i] for i in indexes],
            schema=plan.schema,
            format=ds.ParquetFileFormat(),
            filesystem=filesystem,
            partitions=[partitions[i] for i in indexes],
        )

    pieces = []
    if local or not remote:
        pieces.append(piece(local, _require("pyarrow.fs", "dataset").LocalFileSystem()))
    if remote:
        pieces.append(piece(remote, plan.opener.remote()))
    dataset = pieces[0] if len(pieces) == 1 else ds.UnionDataset(plan.schema, pieces)
    return dataset, plan


def dataset(
    lake: DataLake,
    profile: str,
    *,
    series: str | Sequence[str] | None = None,
    start: dt.date | str | None = None,
    end: dt.date | str | None = None,
    **fields: str | Sequence[str],
) -> pyarrow.dataset.Dataset:
    """A ``pyarrow.dataset.Dataset`` over exactly the selection's files.

    Columns: the files' own, with their Arrow types, then ``series``
    (dictionary-encoded), ``date`` (``date32``) and each field of the
    profile's ``series_format`` that is not a column of the files already
    (dictionary-encoded; when a selected series does not fit the format, its
    fields are null and these columns plain strings).
    Files of different schemas are unified (a column only some have is
    nullable); a column whose type differs raises InvalidArgumentError naming
    two files. DuckDB reads it directly: ``duckdb.sql("SELECT ... FROM ds")``
    with ``ds = lake.dataset(...)`` in scope.
    """
    return _dataset(lake, profile, {"series": series, "start": start, "end": end, **fields})[0]


def _time_filter(
    schema: pyarrow.Schema,
    time_column: str | None,
    start_time: dt.datetime | None,
    end_time: dt.datetime | None,
) -> Any:
    if start_time is None and end_time is None:
        return None
    if time_column is None:
        raise _invalid("start_time and end_time need time_column=, the column they bound (such as 'timestamp')")
    pa = _require("pyarrow", "read")
    ds = _require("pyarrow.dataset", "read")
    if time_column not in schema.names:
        raise _invalid(f"time_column {time_column!r} is not a column of these files; they have {', '.join(schema.names)}")
    kind = schema.field(time_column).type
    field = ds.field(time_column)
    expr = None
    # A naive datetime means UTC, as the collectors' timestamps are.
    if start_time is not None:
        expr = field >= pa.scalar(start_time, kind)
    if end_time is not None:
        upper = field < pa.scalar(end_time, kind)
        expr = upper if expr is None else expr & upper
    return expr


def _invalid(message: str) -> Exception:
    from datalake._datalake import InvalidArgumentError

    return InvalidArgumentError(message)


def read(
    lake: DataLake,
    profile: str,
    *,
    series: str | Sequence[str] | None = None,
    start: dt.date | str | None = None,
    end: dt.date | str | None = None,
    columns: Sequence[str] | None = None,
    filter: Any = None,
    time_column: str | None = None,
    start_time: dt.datetime | None = None,
    end_time: dt.datetime | None = None,
    sort_by: SortBy = None,
    **fields: str | Sequence[str],
) -> pyarrow.Table:
    """The selection's rows as a ``pyarrow.Table``.

    ``columns``: the columns to read (others are never decoded). ``filter``:
    a ``pyarrow.compute`` expression. ``time_column`` with ``start_time``
    (inclusive) and/or ``end_time`` (exclusive): a row filter pushed down to
    the files, whose row groups are skipped by their statistics; a naive
    datetime means UTC. ``sort_by``: a column name, or a list of (name,
    "ascending"/"descending") pairs. ``start``/``end`` select partitions by
    their day; ``start_time``/``end_time`` select rows.

    A read while a sync or cleanup runs sees the files as they were listed:
    rsync only renames complete files in, and a partition that retention
    removed meanwhile raises LocalIOError naming it (``.partition``), to be
    retried, instead of returning fewer rows.
    """
    _require("pyarrow", "read")
    from datalake import _files  # pyarrow at its top: imported once pyarrow is known to be there

    selection = {"series": series, "start": start, "end": end, **fields}
    wanted = list(columns) if columns is not None else None
    if filter is not None:
        # An arbitrary expression: pyarrow's scanner pushes it down and reads what it needs.
        data, plan = _dataset(lake, profile, selection)
        expr = _time_filter(plan.schema, time_column, start_time, end_time)
        expr = filter if expr is None else expr & filter
        try:
            table = data.to_table(columns=wanted, filter=expr)
        except OSError:
            plan.catalog.check_still_there()  # raises, naming the partition, when retention removed one
            raise
    else:
        plan = _Plan(lake, profile, selection, prefetch=True)
        expr = _time_filter(plan.schema, time_column, start_time, end_time)
        bounds = (expr, (start_time, end_time)) if expr is not None else None
        table = _files.read(plan, wanted, time_column if bounds is not None else None, bounds)
    plan.catalog.check_still_there()
    if sort_by is not None:
        table = _files.sort(table, sort_by)
    return table


def read_pandas(lake: DataLake, profile: str, **kwargs: Any) -> pandas.DataFrame:
    """:func:`read`, then ``Table.to_pandas()`` (the same keywords)."""
    _require("pandas", "read_pandas")
    return read(lake, profile, **kwargs).to_pandas()


def scan(
    lake: DataLake,
    profile: str,
    *,
    series: str | Sequence[str] | None = None,
    start: dt.date | str | None = None,
    end: dt.date | str | None = None,
    **fields: str | Sequence[str],
) -> polars.LazyFrame:
    """The selection as a ``polars.LazyFrame`` over :func:`dataset`
    (filters and column choices reach pyarrow's scanner). Polars maps the
    Arrow types to its own (dictionary columns become Categorical)."""
    pl = _require("polars", "scan")
    frame: polars.LazyFrame = pl.scan_pyarrow_dataset(dataset(lake, profile, series=series, start=start, end=end, **fields))
    return frame
