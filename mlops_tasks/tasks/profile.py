"""profile: per-column statistics of a dataset artifact, stored as a JSON profile artifact."""

from __future__ import annotations

import math
from typing import Any

from pydantic import Field

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.context import TaskContext
from mlops_tasks.errors import DataError
from mlops_tasks.registry import TaskConfig, TaskResult, task

QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)


class ProfileConfig(TaskConfig):
    dataset: ArtifactRef = Field(description="Dataset artifact to profile (Parquet).")
    columns: list[str] | None = Field(None, description="Columns to profile; all when omitted.")
    top_k: int = Field(10, ge=1, le=1000, description="Most frequent values kept per categorical column.")


class ProfileResult(TaskResult):
    profile: ArtifactRef
    rows: int
    columns: int
    columns_with_nulls: list[str]


@task(stage="data", version="1")
def profile(config: ProfileConfig, ctx: TaskContext) -> ProfileResult:
    """Count, nulls, distinct values, min/max/mean/std, quantiles and top values of every column.

    Computed with Arrow compute kernels over the Parquet file, column by column, so memory
    holds one column at a time.
    """
    parquet = ctx.parquet_file(config.dataset)
    names = parquet.schema_arrow.names
    wanted = config.columns or names
    missing = [c for c in wanted if c not in names]
    if missing:
        raise DataError(f"profile: columns {missing} are not in dataset {config.dataset.uri} (it has {names})")
    rows = parquet.metadata.num_rows
    stats = {}
    for name in wanted:
        column = parquet.read(columns=[name]).column(name)
        stats[name] = _column_stats(column, config.top_k)
        ctx.log.debug("profile: %s done", name)
    document = {"dataset": config.dataset.model_dump(mode="json"), "rows": rows, "columns": stats}
    ref = ctx.write_json(document, kind="profile", metadata={"rows": rows, "columns": wanted})
    with_nulls = [n for n, s in stats.items() if s["nulls"]]
    ctx.log_metric("rows", rows)
    ctx.log_metric("columns_with_nulls", len(with_nulls))
    ctx.log.info("profile: %s rows x %s columns, %s with nulls -> %s", rows, len(wanted), len(with_nulls), ref.uri)
    return ProfileResult(profile=ref, rows=rows, columns=len(wanted), columns_with_nulls=with_nulls)


def _column_stats(column: Any, top_k: int) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = _kind(column.type)
    stats: dict[str, Any] = {
        "type": str(column.type),
        "kind": kind,
        "count": len(column) - column.null_count,
        "nulls": column.null_count,
        "distinct": pc.count_distinct(column, mode="only_valid").as_py(),
    }
    if kind == "numeric":
        values = pc.cast(column, pa.float64())
        finite = pc.filter(values, pc.is_finite(values)) if len(values) else values
        stats["non_finite"] = stats["count"] - (len(finite) - finite.null_count)
        if len(finite) - finite.null_count:
            minmax = pc.min_max(finite)
            stats.update(
                min=minmax["min"].as_py(),
                max=minmax["max"].as_py(),
                mean=pc.mean(finite).as_py(),
                std=pc.stddev(finite, ddof=1).as_py(),
                quantiles=dict(zip(map(str, QUANTILES), pc.quantile(finite, q=list(QUANTILES)).to_pylist())),
            )
    elif kind == "temporal":
        minmax = pc.min_max(column)
        stats.update(min=str(minmax["min"].as_py()), max=str(minmax["max"].as_py()))
    if kind in ("categorical", "boolean") or (kind == "numeric" and stats["distinct"] <= top_k):
        counts = pc.value_counts(pc.drop_null(column)).to_pylist()
        counts.sort(key=lambda item: (-item["counts"], str(item["values"])))
        stats["top"] = [{"value": _jsonable(c["values"]), "count": c["counts"]} for c in counts[:top_k]]
    return stats


def _kind(dtype: Any) -> str:
    import pyarrow.types as pat

    if pat.is_boolean(dtype):
        return "boolean"
    if pat.is_integer(dtype) or pat.is_floating(dtype) or pat.is_decimal(dtype):
        return "numeric"
    if pat.is_temporal(dtype):
        return "temporal"
    if pat.is_string(dtype) or pat.is_large_string(dtype) or pat.is_dictionary(dtype):
        return "categorical"
    return "other"


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "inf", "-inf", "nan": JSON has no literal for them
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)
