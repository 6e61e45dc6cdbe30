"""Stream CSV, JSON lines and Parquet files as Arrow record batches, with errors that name file, line and column.

Nothing reads a whole file into memory: CSV and JSON lines come in blocks from Arrow's
streaming readers, Parquet one row group at a time.

Arrow infers CSV and JSON column types from the first block. When a later block disagrees,
`read_file` widens that column and reads the file again: a column null in the first block
takes the type of its first value, an integer column that meets a fraction becomes float64.
A number column that meets text is a `DataError` naming the column, file and line.

>>> import fsspec, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "x.csv")
>>> _ = open(path, "w").write("a,b\\n1,x\\n2,y\\n")
>>> fs = fsspec.filesystem("file")
>>> reading = FileReading(fs, path, path, "csv")
>>> [batch.num_rows for batch in reading.batches()], reading.skipped_lines
([2], 0)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from mlops_tasks.errors import DataError

CSV_BLOCK_BYTES = 16 * 1024 * 1024  # ~100k-1M rows a block: few Python round trips
MAX_WIDENINGS = 64  # each re-read fixes one column's type; more means the file is not tabular

_CSV_CONVERSION = re.compile(
    r"In CSV column #(\d+): (?:Row #(\d+): )?CSV conversion error to ([^:]+): invalid value '(.*)'",
    re.DOTALL,
)
_JSON_CHANGE = re.compile(r"Column\((/[^)]*)\) changed from (\w+) to (\w+)(?: in row (\d+))?")


class Widen(Exception):
    """Internal: read the file again with `column` as `dtype`."""

    def __init__(self, column: str, dtype: Any):
        super().__init__(f"{column} -> {dtype}")
        self.column, self.dtype = column, dtype


class FileReading:
    """One pass over one file; `batches()` yields Arrow record batches.

    Parameters
    ----------
    fs, path : fsspec filesystem and path inside it.
    uri : str
        The file's full URL, used in messages.
    fmt : {"csv", "jsonl", "parquet"}
    on_bad_lines : {"error", "skip"}
        CSV lines with the wrong number of fields: fail naming the line, or drop them and count
        them in `skipped_lines`.
    column_types : dict
        Arrow types forced for some columns (from earlier widenings).
    """

    def __init__(
        self,
        fs: Any,
        path: str,
        uri: str,
        fmt: str,
        *,
        on_bad_lines: str = "error",
        column_types: dict[str, Any] | None = None,
        delimiter: str | None = None,
    ):
        self.fs, self.path, self.uri, self.fmt = fs, path, uri, fmt
        self.delimiter = delimiter or _default_delimiter(path)
        self.on_bad_lines = on_bad_lines
        self.column_types = dict(column_types or {})
        self.skipped_lines = 0
        self._bad_line: Any = None

    def batches(self) -> Iterator[Any]:
        import pyarrow as pa

        try:
            with self.fs.open(
                self.path, "rb", compression="infer" if self.fmt != "parquet" else None
            ) as fh:
                if self.fmt == "parquet":
                    yield from self._parquet(fh)
                elif self.fmt == "jsonl":
                    yield from self._jsonl(fh)
                else:
                    yield from self._csv(fh)
        except Widen:
            raise
        except (pa.ArrowInvalid, pa.ArrowTypeError, OSError, EOFError) as exc:
            raise self._explain(exc) from None

    # -- formats -------------------------------------------------------------------------------

    def _parquet(self, fh: Any) -> Iterator[Any]:
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(fh)
        for i in range(parquet.num_row_groups):
            yield parquet.read_row_group(i)

    def _csv(self, fh: Any) -> Iterator[Any]:
        import pyarrow.csv as pacsv

        reader = pacsv.open_csv(
            fh,
            read_options=pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(
                delimiter=self.delimiter, invalid_row_handler=self._on_bad_line
            ),
            convert_options=pacsv.ConvertOptions(column_types=self.column_types),
        )
        self._names = reader.schema.names
        self._types = {f.name: f.type for f in reader.schema}
        yield from reader

    def _jsonl(self, fh: Any) -> Iterator[Any]:
        import pyarrow as pa
        import pyarrow.json as pajson

        schema = pa.schema(list(self.column_types.items())) if self.column_types else None
        reader = pajson.open_json(
            fh,
            read_options=pajson.ReadOptions(block_size=CSV_BLOCK_BYTES),
            parse_options=pajson.ParseOptions(
                explicit_schema=schema, unexpected_field_behavior="infer"
            ),
        )
        self._types = {f.name: f.type for f in reader.schema}
        yield from reader

    # -- errors --------------------------------------------------------------------------------

    def _on_bad_line(self, row: Any) -> str:
        if self.on_bad_lines == "skip":
            self.skipped_lines += 1
            return "skip"
        self._bad_line = row
        return "error"

    def _explain(self, exc: Exception) -> Exception:
        """Turn Arrow's message into a `DataError` naming file, line and column, or a `Widen`."""
        message = str(exc)
        if self._bad_line is not None:
            row = self._bad_line
            number = row.number if row.number is not None else self._find_line(row.text)
            where = f"line {number}" if number is not None else "a line"
            return DataError(
                f"extract: malformed CSV {where} in {self.uri}: Expected {row.expected_columns} columns, "
                f"got {row.actual_columns}: {row.text[:200]!r} (set on_bad_lines: skip to drop such lines)"
            )
        if match := _CSV_CONVERSION.search(message):
            index, target, value = int(match[1]), match[3], match[4]
            column = self._names[index]
            widened = _widen_csv(self._types[column], value)
            if widened is None:
                line = int(match[2]) if match[2] else self._find_value(index, value)
                return DataError(
                    f"extract: column {column!r} in {self.uri} mixes types: {target} values, then {value[:100]!r} on line {line}"
                )
            return Widen(column, widened)
        if match := _JSON_CHANGE.search(message):
            column, before, after = match[1].lstrip("/"), match[2], match[3]
            widened = (
                {"number": "float64", "string": "string", "boolean": "bool"}.get(after)
                if before == "null"
                else None
            )
            if before == "number" and after == "number":  # int then float
                widened = "float64"
            if widened is None or "/" in column:
                return DataError(
                    f"extract: column {column!r} in {self.uri} mixes types: {before} values, then {after} ({message})"
                )
            import pyarrow as pa

            return Widen(column, pa.type_for_alias(widened))
        return DataError(f"extract: cannot read {self.uri} as {self.fmt}: {message}")

    def _find_line(self, text: str) -> int | None:
        # Arrow knows row numbers only when parsing on one thread; on the (rare) error path,
        # find the line by streaming the file once more rather than parse slowly every time.
        with self.fs.open(self.path, "rt", compression="infer", newline="") as fh:
            for number, line in enumerate(fh, start=1):
                if line.rstrip("\r\n") == text:
                    return number
        return None

    def _find_value(self, index: int, value: str) -> int | None:
        """The line where field `index` first holds `value` (error path only, as `_find_line`)."""
        import csv

        with self.fs.open(self.path, "rt", compression="infer", newline="") as fh:
            reader = csv.reader(fh, delimiter=self.delimiter)
            next(reader, None)
            for row in reader:
                if len(row) > index and row[index] == value:
                    return reader.line_num
        return None


def _default_delimiter(path: str) -> str:
    return "\t" if path.lower().removesuffix(".gz").endswith(".tsv") else ","


def _widen_csv(current: Any, value: str) -> Any:
    """The type a CSV column needs to hold `value` as well, or None if that would mix numbers and text."""
    import pyarrow as pa

    if pa.types.is_null(current):
        for candidate in (pa.int64(), pa.float64(), pa.timestamp("s")):
            try:
                pa.array([value]).cast(candidate)
                return candidate
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                continue
        return pa.string()
    if pa.types.is_integer(current):
        try:
            pa.array([value]).cast(pa.float64())
            return pa.float64()
        except pa.ArrowInvalid:
            return None
    return None


def read_file(
    sink: Any,
    fs: Any,
    path: str,
    uri: str,
    fmt: str,
    *,
    on_bad_lines: str = "error",
    delimiter: str | None = None,
    window: Any = None,
) -> int:
    """Stream one file into `sink`, re-reading with widened types when needed; returns skipped lines.

    With a `TimeWindow`, only the rows inside it reach the sink (filtered batch by batch).
    """
    mark = sink.mark()
    column_types: dict[str, Any] = {}
    for _ in range(MAX_WIDENINGS):
        reading = FileReading(
            fs, path, uri, fmt, on_bad_lines=on_bad_lines, column_types=column_types,
            delimiter=delimiter,
        )  # fmt: skip
        try:
            for batch in reading.batches():
                sink.write(batch if window is None else window.filter(batch, uri), origin=uri)
            return reading.skipped_lines
        except Widen as widen:
            sink.rollback(mark)
            column_types[widen.column] = widen.dtype
    raise DataError(
        f"extract: {uri} changed column types more than {MAX_WIDENINGS} times; is it tabular?"
    )
