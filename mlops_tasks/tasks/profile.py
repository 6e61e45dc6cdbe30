"""profile: per-column statistics of a dataset artifact, stored as a JSON profile artifact.

Statistics come from mergeable partials, one per Parquet row group (`mlops_tasks.profiling`), so
chunks and partitions combine and a 10-million-row column never needs a sort. The profile is
the reference the monitoring work compares new data against (histogram edges and counts, top
categories), and the input of the `data_report` task. A database table (``source`` + ``table``, PostgreSQL or
DuckDB) is profiled in place by `mlops_tasks.profiling.sql`: the same document, with exact
distinct counts and quantiles, and ``source``/``table`` where a dataset has ``dataset``.

Profile JSON (``format: "mlops-tasks/profile@2"``)::

    {
      "format": "mlops-tasks/profile@2",
      "dataset": {ArtifactRef of the profiled dataset},
      "rows": 731,
      "sketches": {"quantile_sample": 8192, "hll_precision": 14, "bins": 10},
      "columns": {
        "<name>": {
          "type": "double",            # Arrow type ("a | b" when partitions differ)
          "kind": "numeric",           # numeric | categorical | boolean | temporal | other
          "count": 729,                # non-null values
          "nulls": 2, "null_fraction": 0.0027,
          "distinct": 595,             # non-null distinct values (NaN, inf count as values)
          "distinct_exact": true,      # false: HyperLogLog estimate, standard error 0.81%
          # numeric only
          "non_finite": 0,             # NaN and +-inf: counted, never averaged
          "min": 0.05, "max": 0.86, "mean": 0.49, "std": 0.18,   # over finite values, std ddof=1
          "quantiles": {"0.01": ..., "0.05": ..., "0.25": ..., "0.5": ..., "0.75": ..., "0.95": ..., "0.99": ...},
          "quantiles_exact": true,     # false: from a uniform sample of 8192 values
          "quantile_rank_error": 0.0,  # DKW bound on the rank error, 99% probability (0.018 sampled)
          "histogram": {"edges": [min, ..., max], "counts": [...]},
                                       # edges at deciles of the data (ties collapsed), bins closed
                                       # on the left, the last one on both sides; counts are exact
          # temporal only
          "min": "2011-01-01 00:00:00", "max": "...",
          # categorical, boolean, and numeric with distinct <= top_k
          "top": [{"value": "a", "count": 3}, ...],   # most frequent first, ties by value
          "top_exact": true,           # false: some partial held > 10,000 distinct values
          "top_other": 12              # non-null values outside `top`
        }
      }
    }

Keys a column cannot have are absent (no ``mean`` for an all-null column); the document never
holds NaN or Infinity (JSON has no literal for them).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.context import TaskContext
from mlops_tasks.errors import DataError
from mlops_tasks.registry import TaskConfig, TaskResult, task
from mlops_tasks.tasks.partitioned import PartitionedInput, parquet_ref

PROFILE_FORMAT = "mlops-tasks/profile@2"


class ProfileConfig(TaskConfig, PartitionedInput):
    dataset: ArtifactRef | None = Field(None, description="Dataset artifact to profile (Parquet).")
    source: str | None = Field(
        None,
        description="SQLAlchemy URL (PostgreSQL, DuckDB) of a database whose `table` is profiled in place.",
    )
    table: str | None = Field(
        None, description="Table (or schema.table) to profile with SQL push-down."
    )
    columns: list[str] | None = Field(None, description="Columns to profile; all when omitted.")
    top_k: int = Field(
        10, ge=1, le=1000, description="Most frequent values kept per categorical column."
    )
    bins: int = Field(
        10, ge=1, le=100, description="Histogram bins per numeric column, at quantiles of the data."
    )

    @model_validator(mode="after")
    def _one_input(self) -> ProfileConfig:
        given = [self.dataset is not None, self.parquet is not None, self.table is not None]
        if sum(given) != 1:
            raise ValueError("give one of dataset, parquet, or source + table")
        if (self.source is None) != (self.table is None):
            raise ValueError("source and table go together")
        return self


class ProfileResult(TaskResult):
    profile: ArtifactRef
    rows: int
    columns: int
    columns_with_nulls: list[str]


@task(stage="data", version="2")
def profile(config: ProfileConfig, ctx: TaskContext) -> ProfileResult:
    """Count, nulls, distinct values, min/max/mean/std, quantiles, histogram and top values of every column.

    Reads a column at a time per thread (a few threads, one per core) and summarises it row
    group by row group with mergeable partials: memory holds a few columns and the work is a
    few linear passes.
    """
    from mlops_tasks.profiling import in_threads, profile_column
    from mlops_tasks.profiling.partials import kind_of
    from mlops_tasks.profiling.sketches import HLL_PRECISION, SAMPLE_SIZE

    if config.parquet is not None:
        return _profile_parquet(config, ctx)
    if config.table is not None:
        return _profile_table(config, ctx)
    parquet = ctx.parquet_file(config.dataset)
    names = parquet.schema_arrow.names
    wanted = config.columns or names
    missing = [c for c in wanted if c not in names]
    if missing:
        raise DataError(
            f"profile: columns {missing} are not in dataset {config.dataset.uri} (it has {names})"
        )
    rows = parquet.metadata.num_rows
    if rows == 0:
        raise DataError(
            f"profile: dataset {config.dataset.uri} is empty (0 rows): there is nothing to profile"
        )
    path = ctx.artifacts.local_path(config.dataset)

    def one(name: str) -> dict:
        import pyarrow.parquet as pq

        # A ParquetFile per thread: its reader is not meant to be shared between threads. Text
        # columns are read as dictionaries: codes are counted, strings are not materialised.
        text = kind_of(parquet.schema_arrow.field(name).type) == "categorical"
        column = (
            pq.ParquetFile(path, read_dictionary=[name] if text else None)
            .read(columns=[name])
            .column(name)
        )
        return profile_column(name, column.chunks, top_k=config.top_k, bins=config.bins)

    stats = dict(zip(wanted, in_threads(one, wanted)))
    document = {
        "format": PROFILE_FORMAT,
        "dataset": config.dataset.model_dump(mode="json"),
        "rows": rows,
        "sketches": {
            "quantile_sample": SAMPLE_SIZE,
            "hll_precision": HLL_PRECISION,
            "bins": config.bins,
        },
        "columns": stats,
    }
    return _stored(document, ctx)


def _profile_parquet(config: ProfileConfig, ctx: TaskContext) -> ProfileResult:
    """The same document from a partitioned dataset, partitions profiled where they lie (`mlops_tasks.dask_cluster`)."""
    from mlops_tasks.dask_cluster import parquet_schema, profile_parquet
    from mlops_tasks.profiling.sketches import HLL_PRECISION, SAMPLE_SIZE

    names = parquet_schema(config.parquet).names
    missing = [c for c in config.columns or [] if c not in names]
    if missing:
        raise DataError(f"profile: columns {missing} are not in {config.parquet} (it has {names})")
    ctx.record_input("parquet", parquet_ref(config.parquet))
    stats = profile_parquet(
        config.parquet,
        address=config.dask_address,
        columns=config.columns,
        top_k=config.top_k,
        bins=config.bins,
    )
    first = next(iter(stats.values()))
    document = {
        "format": PROFILE_FORMAT,
        "parquet": config.parquet,
        "rows": first["count"] + first["nulls"],
        "sketches": {
            "quantile_sample": SAMPLE_SIZE,
            "hll_precision": HLL_PRECISION,
            "bins": config.bins,
        },
        "columns": stats,
    }
    if not document["rows"]:
        raise DataError(f"profile: {config.parquet} is empty (0 rows): there is nothing to profile")
    return _stored(document, ctx)


def _profile_table(config: ProfileConfig, ctx: TaskContext) -> ProfileResult:
    """The same document from queries run in the database (`mlops_tasks.profiling.sql`)."""
    from mlops_tasks.profiling.sql import profile_sql_table
    from mlops_tasks.tasks.validate import _table_ref
    from mlops_tasks.validation.sql_engine import safe_url

    safe = safe_url(config.source or "")
    ctx.record_input("source", _table_ref(safe, config.table or ""))
    rows, stats = profile_sql_table(
        config.source or "",
        config.table or "",
        config.columns,
        top_k=config.top_k,
        bins=config.bins,
    )
    document = {
        "format": PROFILE_FORMAT,
        "source": safe,
        "table": config.table,
        "rows": rows,
        "sketches": {"quantile_sample": 0, "hll_precision": 0, "bins": config.bins},  # exact
        "columns": stats,
    }
    return _stored(document, ctx)


def _stored(document: dict, ctx: TaskContext) -> ProfileResult:
    rows, stats = document["rows"], document["columns"]
    wanted = list(stats)
    ref = ctx.write_json(
        document,
        kind="profile",
        metadata={"rows": rows, "columns": wanted, "format": PROFILE_FORMAT},
    )
    with_nulls = [n for n, s in stats.items() if s["nulls"]]
    ctx.log_metric("rows", rows)
    ctx.log_metric("columns_with_nulls", len(with_nulls))
    ctx.log.info(
        "profile: %s rows x %s columns, %s with nulls -> %s",
        rows,
        len(wanted),
        len(with_nulls),
        ref.uri,
    )
    return ProfileResult(profile=ref, rows=rows, columns=len(wanted), columns_with_nulls=with_nulls)
