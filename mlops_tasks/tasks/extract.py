"""extract: copy a source (files by fsspec URL, or a SQL query or table) into a Parquet dataset artifact.

Heavy libraries are imported inside functions: Airflow imports this module whenever it parses a DAG.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import Field, model_validator

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.context import TaskContext
from mlops_tasks.errors import ConfigError, DataError, SourceNotFoundError, SourceUnreachableError
from mlops_tasks.registry import TaskConfig, TaskResult, task

SQL_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql", "mariadb", "mssql", "oracle", "duckdb")
FILE_FORMATS = {".csv": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}
MEDIA_TYPES = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet", "jsonl": "application/x-ndjson"}


class ExtractConfig(TaskConfig):
    """Where to read from. Give `query` or `table` for a SQLAlchemy URL; neither for files."""

    source: str = Field(description="File path, fsspec URL or glob (CSV, Parquet, JSON lines), or a SQLAlchemy URL.")
    query: str | None = Field(None, description="SQL query to run against a SQLAlchemy URL source.")
    table: str | None = Field(None, description="Table (optionally schema.table) to read from a SQLAlchemy URL source.")
    format: Literal["auto", "csv", "parquet", "jsonl"] = Field("auto", description="File format; auto uses the extension.")
    chunk_rows: int = Field(100_000, gt=0, description="Rows fetched per round trip from a database.")

    @model_validator(mode="after")
    def _one_kind_of_source(self) -> ExtractConfig:
        if self.query and self.table:
            raise ValueError("give either query or table, not both")
        scheme = self.source.split("://", 1)[0].split("+", 1)[0].lower() if "://" in self.source else ""
        if scheme in SQL_SCHEMES and not (self.query or self.table):
            raise ValueError(f"source {_safe(self.source)} is a database URL: give a query or a table")
        return self

    @property
    def is_sql(self) -> bool:
        return bool(self.query or self.table)


class ExtractResult(TaskResult):
    dataset: ArtifactRef
    rows: int
    columns: list[str]


def _source_key(config: ExtractConfig) -> str | None:
    """Files: their fsspec identity (size, mtime or ETag), so a changed file misses the cache. SQL: never cached."""
    if config.is_sql:
        return None
    fs, paths = _list_files(config.source)
    return json.dumps([fs.ukey(p) for p in paths])


@task(stage="data", version="1", cache_key=_source_key)
def extract(config: ExtractConfig, ctx: TaskContext) -> ExtractResult:
    """Read a file set or a SQL query into a Parquet dataset artifact.

    Files are read with Arrow's parsers and concatenated; a database is read in chunks of
    `chunk_rows` through a server-side cursor, so memory stays bounded by one chunk plus the
    Parquet writer's buffer.
    """
    ref = _extract_sql(config, ctx) if config.is_sql else _extract_files(config, ctx)
    ctx.log_metric("rows", ref.metadata["rows"])
    ctx.log.info("extract: %s rows x %s columns -> %s", ref.metadata["rows"], len(ref.metadata["columns"]), ref.uri)
    return ExtractResult(dataset=ref, rows=ref.metadata["rows"], columns=ref.metadata["columns"])


def _extract_files(config: ExtractConfig, ctx: TaskContext) -> ArtifactRef:
    import pyarrow as pa

    fs, paths = _list_files(config.source)
    tables = []
    for path in paths:
        fmt = config.format if config.format != "auto" else _format_of(path)
        uri = fs.unstrip_protocol(path)
        ctx.record_input(f"source[{len(tables)}]" if len(paths) > 1 else "source", _source_ref(fs, path, uri, fmt))
        tables.append(_read_file(fs, path, uri, fmt))
    try:
        table = pa.concat_tables(tables, promote_options="permissive") if len(tables) > 1 else tables[0]
    except pa.ArrowInvalid as exc:
        raise DataError(f"files matching {config.source} have incompatible columns: {exc}") from exc
    return ctx.write_table(table, metadata={"source": config.source})


def _list_files(source: str) -> tuple[Any, list[str]]:
    import fsspec

    try:
        fs, path = fsspec.core.url_to_fs(source)
    except (ImportError, ValueError) as exc:
        raise SourceUnreachableError(f"cannot open {source}: {exc}") from exc
    paths = sorted(fs.glob(path)) if any(c in path for c in "*?[") else ([path] if fs.exists(path) else [])
    paths = [p for p in paths if not fs.isdir(p)]
    if not paths:
        raise SourceNotFoundError(f"extract: no file at {source}")
    return fs, paths


def _format_of(path: str) -> str:
    name = path.lower().removesuffix(".gz").removesuffix(".bz2").removesuffix(".zst")
    for ext, fmt in FILE_FORMATS.items():
        if name.endswith(ext):
            return fmt
    raise DataError(f"extract: cannot tell the format of {path} from its extension; set format to csv, parquet or jsonl")


def _read_file(fs: Any, path: str, uri: str, fmt: str) -> Any:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.json as pajson
    import pyarrow.parquet as pq

    try:
        with fs.open(path, "rb", compression="infer") as fh:
            if fmt == "parquet":
                return pq.read_table(fh)
            if fmt == "jsonl":
                return pajson.read_json(fh)
            delimiter = "\t" if path.lower().removesuffix(".gz").endswith(".tsv") else ","
            return pacsv.read_csv(fh, parse_options=pacsv.ParseOptions(delimiter=delimiter))
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"extract: cannot read {uri} as {fmt}: {exc}") from exc


def _source_ref(fs: Any, path: str, uri: str, fmt: str) -> ArtifactRef:
    digest, size = hashlib.sha256(), 0
    with fs.open(path, "rb") as fh:
        while block := fh.read(8 * 1024 * 1024):
            digest.update(block)
            size += len(block)
    return ArtifactRef(uri=uri, sha256=digest.hexdigest(), size=size, kind="source", media_type=MEDIA_TYPES[fmt])


def _extract_sql(config: ExtractConfig, ctx: TaskContext) -> ArtifactRef:
    import pyarrow as pa
    import pyarrow.parquet as pq
    import sqlalchemy as sa
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, NoSuchTableError, OperationalError, ProgrammingError

    safe = _safe(config.source)
    try:
        engine = sa.create_engine(config.source)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise ConfigError("extract", [f"source: {safe} is not a usable SQLAlchemy URL ({exc})"]) from None
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
    try:
        with engine.connect() as conn:
            if config.table:
                schema, _, name = config.table.rpartition(".")
                statement = sa.select(sa.Table(name, sa.MetaData(), schema=schema or None, autoload_with=conn))
            else:
                statement = sa.text(config.query)
            result = conn.execution_options(stream_results=True, yield_per=config.chunk_rows).execute(statement)
            columns = list(result.keys())
            with ctx.artifacts.new_file(".parquet") as path:
                writer, rows = None, 0
                for chunk in result.partitions(config.chunk_rows):
                    table = pa.Table.from_arrays([pa.array(values) for values in zip(*chunk)], names=columns)
                    if writer is None:
                        writer = pq.ParquetWriter(path, table.schema, compression="zstd")
                    writer.write_table(table.cast(writer.schema))
                    rows += table.num_rows
                if writer is None:
                    raise DataError(f"extract: {what} on {safe} returned no rows")
                writer.close()
                return ctx.artifacts.put_file(
                    path,
                    kind="dataset",
                    media_type=MEDIA_TYPES["parquet"],
                    metadata={
                        "rows": rows,
                        "columns": columns,
                        "schema": {f.name: str(f.type) for f in writer.schema},
                        "source": safe,
                    },
                )
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


def _safe(url: str) -> str:
    """The URL with any password masked, for messages and lineage."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not a SQLAlchemy URL: files carry no password
        return url
