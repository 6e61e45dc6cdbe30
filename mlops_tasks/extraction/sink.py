"""Write a stream of Arrow tables whose types may change along the way into one Parquet file.

A stream's first chunk does not always know its types: a column that is null throughout the
first database chunk, or integral in the first CSV block and fractional later. The sink keeps
writing while each chunk converts losslessly to the current types, and starts a new segment
file when one does not. At the end a single segment is simply renamed (the common case: no
extra pass); several are unified (null -> any, int -> float, narrower -> wider) and rewritten
row group by row group, so memory stays bounded by one row group either way.

>>> import pyarrow as pa, pyarrow.parquet as pq, tempfile, os
>>> d = tempfile.mkdtemp()
>>> with ParquetSink(d) as sink:
...     sink.write(pa.table({"a": pa.array([None, None], pa.null())}), origin="chunk 1")
...     sink.write(pa.table({"a": [1, 2]}), origin="chunk 2")
...     schema, rows = sink.finish(os.path.join(d, "out.parquet"))
>>> str(schema.field("a").type), rows
('int64', 4)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from mlops_tasks.errors import DataError

ROW_GROUP_BYTES = 128 * 1024 * 1024


@dataclass
class _Segment:
    path: str
    schema: Any
    origin: str
    rows: int = 0


class ParquetSink:
    """Collects tables into Parquet segments under `directory`; `finish` makes one file.

    Parameters
    ----------
    directory : str
        Scratch directory for the segments (the caller's temporary directory).
    row_group_rows : int
        Buffer up to this many rows (or 128 MiB) before writing a row group. Small reads
        (CSV blocks) then still give row groups big enough to profile and scan efficiently.
    """

    def __init__(self, directory: str, row_group_rows: int = 1 << 20):
        self.directory = directory
        self.row_group_rows = row_group_rows
        self.segments: list[_Segment] = []
        self._writer: Any = None
        self._buffer: list[Any] = []
        self._buffered_rows = 0
        self._buffered_bytes = 0

    def __enter__(self) -> ParquetSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self._close_writer()

    @property
    def rows(self) -> int:
        return sum(s.rows for s in self.segments) + self._buffered_rows

    def write(self, table: Any, *, origin: str) -> None:
        """Append a table or record batch; `origin` names it in errors (a file, a chunk)."""
        import pyarrow as pa

        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        if not table.num_rows:
            return
        current = (
            self._buffer[0].schema
            if self._buffer
            else (self._writer.schema if self._writer else None)
        )
        if current is not None and table.schema != current:
            converted = _convert(table, current)
            if converted is None:  # types changed: what is written so far becomes a segment
                self._flush()
                self._close_writer()
                current = None
            else:
                table = converted
        if current is None:
            self.segments.append(
                _Segment(
                    os.path.join(self.directory, f"segment-{len(self.segments)}.parquet"),
                    table.schema,
                    origin,
                )
            )
        self._buffer.append(table)
        self._buffered_rows += table.num_rows
        self._buffered_bytes += table.nbytes
        if self._buffered_rows >= self.row_group_rows or self._buffered_bytes >= ROW_GROUP_BYTES:
            self._flush()

    def mark(self) -> int:
        """Start a new segment for what comes next; `rollback(mark)` forgets it all."""
        self._flush()
        self._close_writer()
        return len(self.segments)

    def rollback(self, mark: int) -> None:
        self._buffer, self._buffered_rows, self._buffered_bytes = [], 0, 0
        self._close_writer()
        for segment in self.segments[mark:]:
            if os.path.exists(segment.path):
                os.remove(segment.path)
        del self.segments[mark:]

    def finish(self, path: str) -> tuple[Any, int]:
        """Write everything to `path`; returns its Arrow schema and row count (None, 0 if nothing came)."""
        import pyarrow.parquet as pq

        self._flush()
        self._close_writer()
        segments = [s for s in self.segments if s.rows]
        if not segments:
            return None, 0
        if len(segments) == 1:
            os.replace(segments[0].path, path)
            return segments[0].schema, segments[0].rows
        schema = _unify([s.schema for s in segments], [s.origin for s in segments])
        rows = 0
        with pq.ParquetWriter(path, schema, compression="zstd") as writer:
            for segment in segments:
                parquet = pq.ParquetFile(segment.path)
                for i in range(parquet.num_row_groups):
                    group = _conform(parquet.read_row_group(i), schema)
                    writer.write_table(group)
                    rows += group.num_rows
                os.remove(segment.path)
        return schema, rows

    def _flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not self._buffer:
            return
        table = pa.concat_tables(self._buffer) if len(self._buffer) > 1 else self._buffer[0]
        segment = self.segments[-1]
        if self._writer is None:
            self._writer = pq.ParquetWriter(segment.path, table.schema, compression="zstd")
        self._writer.write_table(table, row_group_size=max(table.num_rows, 1))
        segment.rows += table.num_rows
        self._buffer, self._buffered_rows, self._buffered_bytes = [], 0, 0

    def _close_writer(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def _convert(table: Any, schema: Any) -> Any:
    """`table` cast to `schema` if every column converts without loss (null, or a wider number), else None."""
    import pyarrow as pa

    if table.schema.names != schema.names:
        return None
    for have, want in zip(table.schema, schema):
        if have.type != want.type and not (
            pa.types.is_null(have.type) or _widens(have.type, want.type)
        ):
            return None
    try:
        return table.cast(schema, safe=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _widens(have: Any, want: Any) -> bool:
    import pyarrow.types as pat

    if pat.is_integer(have) and pat.is_integer(want):
        return want.bit_width >= have.bit_width and (
            pat.is_signed_integer(want) or not pat.is_signed_integer(have)
        )
    if pat.is_integer(have) and pat.is_floating(want):
        return True
    if pat.is_floating(have) and pat.is_floating(want):
        return want.bit_width >= have.bit_width
    return pat.is_decimal(have) and pat.is_decimal(want)


def _unify(schemas: list[Any], origins: list[str]) -> Any:
    """One schema for all segments, or a `DataError` naming the column and where its types clash."""
    import pyarrow as pa

    try:
        return pa.unify_schemas(schemas, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        seen: dict[str, tuple[Any, str]] = {}
        for schema, origin in zip(schemas, origins):
            for field in schema:
                if field.name in seen:
                    first_type, first_origin = seen[field.name]
                    try:
                        pa.unify_schemas(
                            [pa.schema([pa.field(field.name, first_type)]), pa.schema([field])],
                            promote_options="permissive",
                        )
                    except (pa.ArrowInvalid, pa.ArrowTypeError):
                        raise DataError(
                            f"extract: column {field.name!r} mixes types: {first_type} in {first_origin}, {field.type} in {origin}"
                        ) from None
                elif not pa.types.is_null(field.type):
                    seen[field.name] = (field.type, origin)
        raise DataError(
            f"extract: cannot combine the parts ({', '.join(origins)}): {exc}"
        ) from None


def _conform(table: Any, schema: Any) -> Any:
    """Columns of `schema` in its order and types; a column a segment lacks is all null."""
    import pyarrow as pa

    columns = [
        table.column(f.name).cast(f.type)
        if f.name in table.column_names
        else pa.nulls(table.num_rows, f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)
