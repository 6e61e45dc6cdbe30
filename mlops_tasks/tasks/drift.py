"""detect_drift: per-column data drift of a current dataset (or a database table) against a reference."""

from __future__ import annotations

from pydantic import Field, model_validator

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.context import TaskContext
from mlops_tasks.errors import CheckFailedError, ConfigError, DataError
from mlops_tasks.registry import TaskConfig, TaskResult, task
from mlops_tasks.tasks.partitioned import PartitionedInput, parquet_ref
from mlops_tasks.validation.contracts import config_contract_key


class DriftConfig(TaskConfig, PartitionedInput):
    """Current data: a Parquet ``dataset`` artifact, a ``table`` in the database at ``source`` (push-down), or a partitioned ``parquet`` dataset."""

    reference: ArtifactRef = Field(description="Reference profile from fit_reference.")
    dataset: ArtifactRef | None = Field(
        None, description="Current data (Parquet), read in chunks of chunk_rows."
    )
    source: str | None = Field(
        None, description="SQLAlchemy URL of the database holding the current data (push-down)."
    )
    table: str | None = Field(None, description="Table with the current data (with source).")
    where: str | None = Field(
        None, description="SQL filter on the table, e.g. a time window (with source)."
    )
    columns: list[str] | None = Field(
        None,
        description="Columns to compare; when omitted, the reference's but the contract's time, id and ignore columns.",
    )
    contract: ArtifactRef | str | None = Field(
        None,
        description="Data contract (schema artifact, YAML path or URL) whose column roles say what not to compare.",
    )
    method: str = Field(
        "auto",
        description="auto, psi, ks, chi2, jensen_shannon, wasserstein, linf, hellinger or a plugin's.",
    )
    methods: dict[str, str] | None = Field(
        None, description="Method per column, overriding method."
    )
    threshold: float | None = Field(
        None, description="Threshold for every column instead of the method's default."
    )
    thresholds: dict[str, float] | None = Field(None, description="Threshold per column.")
    calibrated: bool = Field(
        False, description="Use thresholds calibrated on the reference's chunks."
    )
    drift_share: float = Field(
        0.5, gt=0, le=1, description="Share of drifted columns at which the dataset drifts."
    )
    js_base: float | None = Field(
        None, gt=1, description="Log base of Jensen-Shannon; natural log when omitted."
    )
    chunk_rows: int = Field(1_000_000, gt=0, description="Rows read at a time from the dataset.")
    fail_on_drift: bool = Field(
        False, description="Fail the task (CheckFailedError) when the dataset drifts."
    )

    @model_validator(mode="after")
    def _one_source(self) -> DriftConfig:
        if sum(x is not None for x in (self.dataset, self.table, self.parquet)) != 1:
            raise ValueError("give either dataset or source + table, or parquet")
        if self.table is not None and not self.source:
            raise ValueError("table needs source (a SQLAlchemy URL)")
        return self


class DriftResult(TaskResult):
    drift: ArtifactRef
    dataset_drift: bool
    share: float
    drifted_columns: list[str]
    missing_columns: list[str]
    statistics: dict[str, float | None]
    current_rows: int
    excluded_columns: list[str] = Field(
        default_factory=list, description="Left out by their role in the contract."
    )


@task(
    stage="monitoring",
    version="1",
    cache_key=config_contract_key,
    libraries=("numpy", "pandas", "pyarrow", "scipy", "sqlalchemy"),
)
def detect_drift(config: DriftConfig, ctx: TaskContext) -> DriftResult:
    """Data drift per column against the reference, and dataset drift by the share of drifted columns."""
    from mlops_tasks.monitoring.drift import detect_drift as detect
    from mlops_tasks.monitoring.reference import Reference
    from mlops_tasks.monitoring.report import current_shares
    from mlops_tasks.monitoring.summary import summarize
    from mlops_tasks.validation.contracts import columns_not_monitored

    reference = Reference.from_dict(ctx.read_json(config.reference))
    excluded = [] if config.columns else columns_not_monitored(config.contract, ctx)
    wanted = config.columns or [c for c in reference.columns if c not in excluded]
    unknown = [c for c in wanted if c not in reference.columns]
    if unknown:
        raise ConfigError("detect_drift", [f"columns: {unknown} are not in the reference"])
    options = dict(
        method=config.method, methods=config.methods, threshold=config.threshold, thresholds=config.thresholds,
        calibrated_thresholds=config.calibrated, drift_share=config.drift_share, columns=wanted, js_base=config.js_base,
    )  # fmt: skip
    grid = _grid_columns(reference, wanted, config)
    if config.table:
        from mlops_tasks.monitoring.sql import summarize_table
        from mlops_tasks.tasks.extract import _safe

        summaries = summarize_table(
            config.source, config.table, reference, columns=wanted, where=config.where, grid=grid
        )
        where = f"{_safe(config.source)} table {config.table}"
    elif config.parquet is not None:
        from mlops_tasks.dask_cluster import summarize_parquet

        ctx.record_input("parquet", parquet_ref(config.parquet))
        summaries = summarize_parquet(
            reference, config.parquet, address=config.dask_address, columns=wanted, grid=grid
        )
        if not any(s.n + s.nulls for s in summaries.values()):
            raise DataError(f"detect_drift: current dataset {config.parquet} has no rows")
        where = config.parquet
    else:
        parquet = ctx.parquet_file(config.dataset)
        present = [c for c in wanted if c in parquet.schema_arrow.names]
        if parquet.metadata.num_rows == 0:
            raise DataError(f"detect_drift: current dataset {config.dataset.uri} has no rows")
        batches = (
            b.to_pandas()
            for b in parquet.iter_batches(batch_size=config.chunk_rows, columns=present)
        )
        summaries = summarize(reference, batches, columns=present, grid=grid)
        where = config.dataset.uri
    found = detect(reference, summaries, **options)

    document = found.to_dict() | {"current": current_shares(reference, summaries), "source": where}
    ref = ctx.write_json(
        document,
        kind="drift",
        metadata={"share": found.share, "dataset_drift": found.dataset_drift},
    )
    ctx.log_metric("drift_share", found.share)
    ctx.log_metric("drifted_columns", len(found.drifted_columns))
    ctx.log_metric("current_rows", found.current_rows)
    if found.missing_columns:
        ctx.log.warning(
            "detect_drift: columns missing from the current data: %s", found.missing_columns
        )
    ctx.log.info(
        "detect_drift: %s of %s columns drifted (share %.2f) in %s -> %s",
        len(found.drifted_columns), len(found.columns), found.share, where, ref.uri,
    )  # fmt: skip
    result = DriftResult(
        drift=ref,
        dataset_drift=found.dataset_drift,
        share=found.share,
        drifted_columns=found.drifted_columns,
        missing_columns=found.missing_columns,
        statistics={c.column: c.statistic for c in found.columns},
        current_rows=found.current_rows,
        excluded_columns=[c for c in excluded if c in reference.columns],
    )
    if config.fail_on_drift and found.dataset_drift:
        raise CheckFailedError(
            f"detect_drift: dataset drift, columns {found.drifted_columns}", result=result
        )
    return result


def _grid_columns(reference, wanted: list[str], config: DriftConfig) -> set[str]:
    """Columns whose method needs the CDF sketch statistics (the rest skip that work)."""
    from mlops_tasks.monitoring.drift import _choose, drift_methods

    available = drift_methods()
    asked = {
        c: (config.methods or {}).get(c, config.method) for c in wanted if c in reference.columns
    }
    known = {
        c: m for c, m in asked.items() if m == "auto" or m in available
    }  # unknown ones fail in detect
    picked = {c: _choose(reference, c, m, available)[0] for c, m in known.items()}
    return {c for c, m in picked.items() if m in available and available[m].needs_grid}
