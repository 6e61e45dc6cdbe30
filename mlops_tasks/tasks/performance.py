"""monitor_performance: join late labels to logged predictions; realised performance per window; prediction drift."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.context import TaskContext
from mlops_tasks.errors import DataError
from mlops_tasks.registry import TaskConfig, TaskResult, task


class PerformanceConfig(TaskConfig):
    predictions: ArtifactRef = Field(
        description="Logged predictions (Parquet): id, timestamp, prediction."
    )
    labels: ArtifactRef = Field(description="Ground truth as it arrived (Parquet): id, label.")
    id_column: str = "id"
    time_column: str = "timestamp"
    prediction_column: str = "prediction"
    label_column: str = "label"
    window: str = Field(
        "1D",
        description="Time windows: hour, day, week, month, quarter, year, or a pandas frequency (1D, 6h, 7D, MS ...).",
    )
    problem: Literal["classification", "regression"] = "classification"
    metric: str = Field(
        "accuracy",
        description="Metric compared with the baseline: accuracy, precision, recall, f1, mae, rmse.",
    )
    baseline: float | None = Field(
        None,
        description="The metric at training time (e.g. from evaluate); enables performance_drop.",
    )
    reference: ArtifactRef | None = Field(
        None, description="Reference profile holding the prediction column, for prediction drift."
    )

    @field_validator("window")
    @classmethod
    def _known_window(cls, value: str) -> str:
        import pandas as pd

        value = WINDOW_NAMES.get(value.strip().lower(), value.strip())
        try:
            pd.tseries.frequencies.to_offset(value)
        except ValueError:
            raise ValueError(
                f"{value!r} is not a window; accepted: {', '.join(WINDOW_NAMES)}, or a pandas "
                "frequency such as 1D, 6h, 7D, W-MON, MS (month start), QS, YS"
            ) from None
        return value


# Plain names for the usual windows; a month, quarter or year starts on its first day.
WINDOW_NAMES = {
    "hour": "1h",
    "day": "1D",
    "week": "W-MON",
    "month": "MS",
    "quarter": "QS",
    "year": "YS",
}


class PerformanceResult(TaskResult):
    performance: ArtifactRef
    windows: int
    labelled: int
    latest: dict[str, float]
    performance_drop: float | None
    prediction_drift: float | None
    prediction_drifted: bool | None


@task(stage="monitoring", version="1", libraries=("numpy", "pandas", "pyarrow", "scipy"))
def monitor_performance(config: PerformanceConfig, ctx: TaskContext) -> PerformanceResult:
    """Realised performance per time window once labels arrive, its drop from the baseline, and prediction drift."""
    from mlops_tasks.monitoring.performance import performance_drop, realised_performance

    predictions = ctx.read_dataframe(config.predictions)
    labels = ctx.read_dataframe(config.labels)
    if not len(predictions):
        raise DataError(f"monitor_performance: no predictions in {config.predictions.uri}")
    windows = realised_performance(
        predictions, labels, id_column=config.id_column, time_column=config.time_column,
        prediction_column=config.prediction_column, label_column=config.label_column,
        window=config.window, problem=config.problem,
    )  # fmt: skip
    scored = [w for w in windows if w["metrics"]]
    latest = scored[-1]["metrics"] if scored else {}
    if scored and config.metric not in latest:
        raise DataError(
            f"monitor_performance: metric {config.metric!r} not computed; have {sorted(latest)}"
        )
    drop = (
        performance_drop(config.baseline, latest[config.metric], config.metric)
        if scored and config.baseline is not None
        else None
    )

    drift_stat = drifted = None
    if config.reference is not None:
        from mlops_tasks.monitoring.drift import detect_drift
        from mlops_tasks.monitoring.reference import Reference

        reference = Reference.from_dict(ctx.read_json(config.reference))
        if config.prediction_column not in reference.columns:
            raise DataError(
                f"monitor_performance: the reference has no column {config.prediction_column!r}"
            )
        [column] = detect_drift(
            reference, predictions[[config.prediction_column]], columns=[config.prediction_column]
        ).columns
        drift_stat, drifted = column.statistic, column.drifted

    labelled = sum(w["labelled"] for w in windows)
    document = {"windows": windows, "metric": config.metric, "baseline": config.baseline, "performance_drop": drop,
                "prediction_drift": {"statistic": drift_stat, "drifted": drifted}}  # fmt: skip
    ref = ctx.write_json(
        document, kind="performance", metadata={"windows": len(windows), "labelled": labelled}
    )
    ctx.log_metric("labelled", labelled)
    for key, value in latest.items():
        ctx.log_metric(f"latest.{key}", value)
    if drop is not None:
        ctx.log_metric("performance_drop", drop)
    ctx.log.info(
        "monitor_performance: %s windows, %s labelled predictions, latest %s -> %s",
        len(windows),
        labelled,
        latest,
        ref.uri,
    )
    return PerformanceResult(
        performance=ref, windows=len(windows), labelled=labelled, latest=latest,
        performance_drop=drop, prediction_drift=drift_stat, prediction_drifted=drifted,
    )  # fmt: skip
