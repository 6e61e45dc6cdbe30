"""extract: copy a source (files by fsspec URL, or a SQL query or table) into a Parquet dataset artifact.

Everything streams: files block by block or row group by row group, databases chunk by chunk
through a server-side cursor, into one Parquet file (`mlops_tasks.extraction.sink`), so a big
source never sits in memory whole. The artifact is named by the sha256 of its full content.

With `watermark_column`, a SQL extract is incremental: it reads only rows whose watermark is
greater than the largest one extracted by the last successful run for the same source, table
or query, and column (see `mlops_tasks.extraction.sql` for where that is remembered and why).

Heavy libraries are imported inside functions: Airflow imports this module whenever it parses a DAG.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.context import PARQUET, TaskContext
from mlops_tasks.errors import ConfigError, DataError, SourceNotFoundError, SourceUnreachableError
from mlops_tasks.extraction.sql import safe_url as _safe
from mlops_tasks.registry import TaskConfig, TaskResult, task

SQL_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql", "mariadb", "mssql", "oracle", "duckdb")
FILE_FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
MEDIA_TYPES = {"csv": "text/csv", "parquet": PARQUET, "jsonl": "application/x-ndjson"}


class ExtractConfig(TaskConfig):
    """Where to read from. Give `query` or `table` for a SQLAlchemy URL; neither for files."""

    source: str = Field(
        description="File path, fsspec URL or glob (CSV, Parquet, JSON lines), or a SQLAlchemy URL."
    )
    query: str | None = Field(None, description="SQL query to run against a SQLAlchemy URL source.")
    table: str | None = Field(
        None, description="Table (optionally schema.table) to read from a SQLAlchemy URL source."
    )
    format: Literal["auto", "csv", "parquet", "jsonl"] = Field(
        "auto", description="File format; auto uses the extension."
    )
    chunk_rows: int = Field(
        100_000, gt=0, description="Rows fetched per round trip from a database."
    )
    watermark_column: str | None = Field(
        None,
        description="SQL only: extract rows whose value here is greater than the last successful run's maximum.",
    )
    on_bad_lines: Literal["error", "skip"] = Field(
        "error",
        description="CSV lines with the wrong number of fields: fail naming the line, or skip and count them.",
    )
    sep: str | None = Field(
        None,
        min_length=1,
        max_length=1,
        description="CSV field delimiter; told from the first lines when omitted (tab for .tsv).",
    )
    time_column: str | None = Field(
        None, description="Column that start, end and period select rows on (files and SQL)."
    )
    start: str | None = Field(
        None, description="Keep rows with time_column >= this ISO date or time."
    )
    end: str | None = Field(None, description="Keep rows with time_column < this ISO date or time.")
    period: str | None = Field(
        None,
        description="Keep rows of one year (2009), quarter (2009Q2), month (2009-06) or day (2009-06-01).",
    )

    @model_validator(mode="after")
    def _one_kind_of_source(self) -> ExtractConfig:
        if self.query and self.table:
            raise ValueError("give either query or table, not both")
        scheme = (
            self.source.split("://", 1)[0].split("+", 1)[0].lower() if "://" in self.source else ""
        )
        if scheme in SQL_SCHEMES and not (self.query or self.table):
            raise ValueError(
                f"source {_safe(self.source)} is a database URL: give a query or a table"
            )
        if self.watermark_column and not (self.query or self.table):
            raise ValueError("watermark_column needs a SQL source (query or table)")
        if self.period is not None and (self.start is not None or self.end is not None):
            raise ValueError("give either period or start/end, not both")
        windowed = any(v is not None for v in (self.start, self.end, self.period))
        if windowed and not self.time_column:
            raise ValueError("start, end and period need time_column")
        if windowed:
            self.window()  # a malformed bound or period fails here, naming it
        return self

    def window(self) -> Any:
        """The `TimeWindow` of start/end/period on time_column, or None."""
        from mlops_tasks.extraction.window import TimeWindow

        if not self.time_column or all(v is None for v in (self.start, self.end, self.period)):
            return None
        return TimeWindow.of(self.time_column, start=self.start, end=self.end, period=self.period)

    @property
    def is_sql(self) -> bool:
        return bool(self.query or self.table)


class Watermark(BaseModel):
    """Where an incremental extract got to: the largest watermark value extracted so far."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(description="sha256 of source (without password), table or query, and column.")
    column: str
    value: dict[str, Any] | None = Field(
        description="Largest value so far, as {type, value}; None before any row."
    )
    previous: dict[str, Any] | None = Field(
        description="The value this run started after (None: a full extract)."
    )


class ExtractResult(TaskResult):
    dataset: ArtifactRef
    rows: int
    columns: list[str]
    skipped_lines: int = 0
    window: str | None = Field(None, description="The time window rows were selected by.")
    watermark: Watermark | None = None


def _source_key(config: ExtractConfig) -> str | None:
    """Files: their fsspec identity (size, mtime or ETag), so a changed file misses the cache. SQL: never cached."""
    if config.is_sql:
        return None
    fs, paths = _list_files(config.source)
    return json.dumps([fs.ukey(p) for p in paths])


@task(stage="data", version="2", cache_key=_source_key)
def extract(config: ExtractConfig, ctx: TaskContext) -> ExtractResult:
    """Read a file set or a SQL query into a Parquet dataset artifact.

    Files stream block by block (CSV, JSON lines) or row group by row group (Parquet); a
    database is read in chunks of `chunk_rows` through a server-side cursor. Memory stays
    bounded by a chunk plus the Parquet writer's buffer.
    """
    result = _extract_sql(config, ctx) if config.is_sql else _extract_files(config, ctx)
    ctx.log_metric("rows", result.rows)
    if result.skipped_lines:
        ctx.log_metric("skipped_lines", result.skipped_lines)
        ctx.log.warning(
            "extract: skipped %s malformed lines in %s", result.skipped_lines, config.source
        )
    ctx.log.info(
        "extract: %s rows x %s columns -> %s", result.rows, len(result.columns), result.dataset.uri
    )
    return result


# -- files ---------------------------------------------------------------------------------------


def _extract_files(config: ExtractConfig, ctx: TaskContext) -> ExtractResult:
    from mlops_tasks.extraction.delimiter import sniff_file
    from mlops_tasks.extraction.files import read_file
    from mlops_tasks.extraction.sink import ParquetSink

    fs, paths = _list_files(config.source)
    window = config.window()
    skipped = 0
    with ctx.artifacts.new_file(".parquet") as path, ParquetSink(str(path.parent)) as sink:
        for i, file in enumerate(paths):
            fmt = config.format if config.format != "auto" else _format_of(file)
            uri = fs.unstrip_protocol(file)
            ctx.record_input(
                f"source[{i}]" if len(paths) > 1 else "source", _source_ref(fs, file, uri, fmt)
            )
            delimiter = None
            if fmt == "csv":
                is_tsv = file.lower().removesuffix(".gz").endswith(".tsv")
                delimiter = config.sep or ("\t" if is_tsv else sniff_file(fs, file, uri))
                if delimiter != ",":
                    ctx.log.info("extract: %s is %r-separated", uri, delimiter)
            skipped += read_file(
                sink, fs, file, uri, fmt, on_bad_lines=config.on_bad_lines,
                delimiter=delimiter, window=window,
            )  # fmt: skip
        schema, rows = sink.finish(str(path))
        if not rows:
            raise DataError(
                f"extract: no rows of {config.source} in {window.describe()}"
                if window
                else f"extract: {config.source} holds no rows (empty files or only a header)"
            )
        facts = {"window": window.describe()} if window else {}
        ref = _put_dataset(ctx, path, schema, rows, source=config.source, **facts)
    return ExtractResult(
        dataset=ref, rows=rows, columns=schema.names, skipped_lines=skipped,
        window=window.describe() if window else None,
    )  # fmt: skip


def _list_files(source: str) -> tuple[Any, list[str]]:
    import fsspec

    try:
        fs, path = fsspec.core.url_to_fs(source)
    except (ImportError, ValueError) as exc:
        raise SourceUnreachableError(f"cannot open {source}: {exc}") from exc
    paths = (
        sorted(fs.glob(path))
        if any(c in path for c in "*?[")
        else ([path] if fs.exists(path) else [])
    )
    paths = [p for p in paths if not fs.isdir(p)]
    if not paths:
        raise SourceNotFoundError(f"extract: no file at {source}")
    return fs, paths


def _format_of(path: str) -> str:
    name = path.lower().removesuffix(".gz").removesuffix(".bz2").removesuffix(".zst")
    for ext, fmt in FILE_FORMATS.items():
        if name.endswith(ext):
            return fmt
    raise DataError(
        f"extract: cannot tell the format of {path} from its extension; set format to csv, parquet or jsonl"
    )


def _source_ref(fs: Any, path: str, uri: str, fmt: str) -> ArtifactRef:
    digest, size = hashlib.sha256(), 0
    with fs.open(path, "rb") as fh:
        while block := fh.read(8 * 1024 * 1024):
            digest.update(block)
            size += len(block)
    return ArtifactRef(
        uri=uri, sha256=digest.hexdigest(), size=size, kind="source", media_type=MEDIA_TYPES[fmt]
    )


def _put_dataset(ctx: TaskContext, path: Any, schema: Any, rows: int, **facts: Any) -> ArtifactRef:
    return ctx.artifacts.put_file(
        path,
        kind="dataset",
        media_type=PARQUET,
        metadata={
            "rows": rows,
            "columns": schema.names,
            "schema": {f.name: str(f.type) for f in schema},
            **facts,
        },
    )


# -- SQL -----------------------------------------------------------------------------------------


def _extract_sql(config: ExtractConfig, ctx: TaskContext) -> ExtractResult:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    import sqlalchemy as sa
    from sqlalchemy.exc import (
        ArgumentError,
        NoSuchModuleError,
        NoSuchTableError,
        OperationalError,
        ProgrammingError,
    )

    from mlops_tasks.extraction import sql
    from mlops_tasks.extraction.sink import ParquetSink

    safe = _safe(config.source)
    try:
        engine = sa.create_engine(config.source)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise ConfigError(
            "extract", [f"source: {safe} is not a usable SQLAlchemy URL ({exc})"]
        ) from None
    what = f"table {config.table}" if config.table else "query"
    statement_text = config.table or config.query or ""
    ctx.record_input(
        "source",
        ArtifactRef(
            uri=f"{safe}#{config.table or 'query'}",
            sha256=hashlib.sha256(statement_text.encode()).hexdigest(),
            size=len(statement_text),
            kind="source",
            media_type="application/sql",
            metadata={"table": config.table} if config.table else {"query": config.query},
        ),
    )
    key = previous = None
    if config.watermark_column:
        key = sql.watermark_key(config.source, config.table, config.query, config.watermark_column)
        last = ctx.metadata.latest_result("extract", ("watermark", "key"), key)
        previous = (last or {}).get("watermark", {}).get("value")
        ctx.log.info(
            "extract: watermark %s > %s",
            config.watermark_column,
            previous["value"] if previous else "(none: full extract)",
        )
    highest = sql.decode_watermark(previous) if previous else None
    try:
        with (
            engine.connect() as conn,
            ctx.artifacts.new_file(".parquet") as path,
            ParquetSink(str(path.parent), config.chunk_rows) as sink,
        ):
            statement = sql.statement_for(
                conn, config.table, config.query, config.watermark_column, highest,
                window=config.window(),
            )  # fmt: skip
            result = conn.execution_options(
                stream_results=True, yield_per=config.chunk_rows
            ).execute(statement)
            columns = list(result.keys())
            if config.watermark_column and config.watermark_column not in columns:
                raise DataError(
                    f"extract: watermark column {config.watermark_column!r} is not in the query's columns {columns}"
                )
            for i, table in enumerate(
                sql.arrow_chunks(result, columns, config.chunk_rows, f"{what} on {safe}")
            ):
                if config.watermark_column:
                    top = pc.max(table.column(config.watermark_column)).as_py()
                    highest = (
                        top if highest is None or (top is not None and top > highest) else highest
                    )
                sink.write(
                    table,
                    origin=f"rows {i * config.chunk_rows}-{i * config.chunk_rows + table.num_rows - 1}",
                )
            schema, rows = sink.finish(str(path))
            if not rows and not config.watermark_column:
                window = config.window()
                raise DataError(
                    f"extract: {what} on {safe} returned no rows"
                    + (f" in {window.describe()}" if window else "")
                )
            if not rows:  # incremental and nothing new: an empty dataset, the watermark stays
                schema = pa.schema([pa.field(c, pa.null()) for c in columns])
                pq.write_table(schema.empty_table(), str(path))
            ref = _put_dataset(ctx, path, schema, rows, source=safe)
    except NoSuchTableError:
        raise SourceNotFoundError(f"extract: no table {config.table!r} in {safe}") from None
    except OperationalError as exc:
        if "no such table" in str(exc.orig) or "does not exist" in str(exc.orig):
            raise SourceNotFoundError(f"extract: {what} on {safe} failed: {exc.orig}") from None
        raise SourceUnreachableError(f"extract: cannot query {safe}: {exc.orig}") from None
    except ProgrammingError as exc:
        raise SourceNotFoundError(f"extract: {what} on {safe} failed: {exc.orig}") from None
    finally:
        engine.dispose()
    watermark = None
    if config.watermark_column:
        value = sql.encode_watermark(highest) if highest is not None else None
        watermark = Watermark(
            key=key, column=config.watermark_column, value=value, previous=previous
        )
        ctx.log_metric("watermark_advanced", float(value != previous))
    window = config.window()
    return ExtractResult(
        dataset=ref, rows=rows, columns=columns, watermark=watermark,
        window=window.describe() if window else None,
    )  # fmt: skip
