"""fit_reference: the reference profile of a training dataset, stored as a JSON artifact (kind "reference")."""

from __future__ import annotations

from pydantic import Field, model_validator

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.context import TaskContext
from mlops_tasks.errors import DataError
from mlops_tasks.registry import TaskConfig, TaskResult, task
from mlops_tasks.tasks.partitioned import PartitionedInput, parquet_ref
from mlops_tasks.validation.contracts import config_contract_key


class FitReferenceConfig(TaskConfig, PartitionedInput):
    dataset: ArtifactRef | None = Field(
        None, description="Training dataset (Parquet) to fit the reference on."
    )
    columns: list[str] | None = Field(
        None,
        description="Columns to monitor; when omitted, all but the contract's time, id and ignore columns.",
    )
    contract: ArtifactRef | str | None = Field(
        None,
        description="Data contract (schema artifact, YAML path or URL) whose column roles say what not to monitor.",
    )
    exclude: list[str] = Field(
        default_factory=list,
        description="Columns not to monitor when columns is omitted (time, leaks ...).",
    )
    numeric: list[str] | None = Field(
        None, description="Columns to treat as numeric whatever their dtype."
    )
    categorical: list[str] | None = Field(
        None, description="Columns to treat as categorical whatever their dtype."
    )
    bins: int = Field(10, ge=2, le=1000, description="Quantile bins per numeric column.")
    sketch: int = Field(
        1000, ge=0, le=100_000, description="CDF sketch points for KS and Wasserstein (0: none)."
    )
    calibration_chunks: int = Field(
        10, ge=0, le=1000, description="Reference chunks for calibrated thresholds (0: none)."
    )

    @model_validator(mode="after")
    def _one_dataset(self) -> FitReferenceConfig:
        if (self.dataset is None) == (self.parquet is None):
            raise ValueError("give either dataset or parquet")
        return self


class FitReferenceResult(TaskResult):
    reference: ArtifactRef
    rows: int
    columns: list[str]
    skipped: list[str]
    excluded: list[str] = Field(
        default_factory=list, description="Left out by exclude or their role in the contract."
    )


@task(
    stage="monitoring",
    version="1",
    cache_key=config_contract_key,
    libraries=("numpy", "pandas", "pyarrow", "scipy"),
)
def fit_reference(config: FitReferenceConfig, ctx: TaskContext) -> FitReferenceResult:
    """Fit the reference profile (bin edges, CDF sketch, category counts) monitoring compares against."""
    from mlops_tasks.monitoring.reference import fit_reference as fit
    from mlops_tasks.validation.contracts import columns_not_monitored

    if config.parquet is not None:
        from mlops_tasks.dask_cluster import parquet_schema

        names, where = parquet_schema(config.parquet).names, config.parquet
    else:
        names, where = ctx.parquet_file(config.dataset).schema_arrow.names, config.dataset.uri
    excluded = (
        []
        if config.columns
        else list(dict.fromkeys([*config.exclude, *columns_not_monitored(config.contract, ctx)]))
    )
    wanted = config.columns or [c for c in names if c not in excluded]
    missing = [c for c in wanted if c not in names]
    if missing:
        raise DataError(
            f"fit_reference: columns {missing} are not in dataset {where} (it has {names})"
        )
    options = dict(
        numeric=config.numeric,
        categorical=config.categorical,
        bins=config.bins,
        sketch=config.sketch,
    )
    if config.parquet is not None:
        from mlops_tasks.dask_cluster import fit_reference_parquet

        ctx.record_input("parquet", parquet_ref(config.parquet))
        reference = fit_reference_parquet(
            config.parquet, address=config.dask_address, columns=wanted,
            calibration_chunks=config.calibration_chunks, **options,
        )  # fmt: skip
        rows = reference.rows
    else:
        frame = ctx.read_dataframe(config.dataset, columns=wanted)
        rows = len(frame)
        if rows:
            chunks = config.calibration_chunks if rows >= 2 * config.calibration_chunks else 0
            reference = fit(frame, calibration_chunks=chunks, **options)
    if not rows:
        raise DataError(f"fit_reference: dataset {where} has no rows")
    monitored = list(reference.columns)
    ref = ctx.write_json(
        reference.to_dict(), kind="reference", metadata={"rows": rows, "columns": monitored}
    )
    ctx.log_metric("rows", rows)
    ctx.log_metric("columns", len(monitored))
    ctx.log.info(
        "fit_reference: %s rows, %s columns monitored -> %s", rows, len(monitored), ref.uri
    )
    if excluded:
        ctx.log.info("fit_reference: left out (exclude, contract roles): %s", excluded)
    return FitReferenceResult(
        reference=ref, rows=rows, columns=monitored, skipped=sorted(reference.skipped),
        excluded=[c for c in excluded if c in names],
    )  # fmt: skip
