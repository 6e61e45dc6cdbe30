"""detect_changepoints: level and variance shifts of a metric series, with their times and sizes.

Module level stays light; numpy, pandas and statsmodels load inside the task.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.context import TaskContext
from mlops_tasks.registry import TaskResult, task
from mlops_tasks.tasks.anomaly import SeriesInput, read_series


class DetectChangepointsConfig(SeriesInput):
    penalty: float = Field(
        3.0, gt=0, description="A split must gain more than penalty * log(n) in log-likelihood."
    )
    min_size: int = Field(30, ge=2, description="Fewest points on each side of a change.")
    max_changes: int = Field(20, ge=1)
    season: Literal["auto", "none", "daily", "weekly"] = Field(
        "auto",
        description="Seasonal cycle removed (classical decomposition) before segmenting; auto: daily when the series spans two days.",
    )


class Change(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    timestamp: str
    kind: str
    mean_before: float
    mean_after: float
    mean_shift: float
    shift_in_sd: float
    std_before: float
    std_after: float
    std_ratio: float


class DetectChangepointsResult(TaskResult):
    changes: list[Change]
    report: ArtifactRef
    points: int
    notes: list[str]


@task(stage="aiops", version="1", libraries=("numpy", "pandas", "pyarrow", "statsmodels"))
def detect_changepoints(
    config: DetectChangepointsConfig, ctx: TaskContext
) -> DetectChangepointsResult:
    """Find where a series' level or spread shifts (binary segmentation, BIC-like penalty).

    Each change comes with its timestamp (first point of the new regime), kind (level or
    variance) and magnitudes. A daily or weekly cycle is removed first.
    """
    import pandas as pd

    from mlops_tasks.aiops.changepoints import find_changepoints
    from mlops_tasks.aiops.detectors.seasonal import SECONDS, period_from_timestamps
    from mlops_tasks.aiops.series import clean_series

    series = clean_series(read_series(config, ctx), config.timestamp_column, config.value_column)
    notes = list(series.notes)
    period = 0
    if config.season != "none" and len(series) > 2:
        kind = "daily" if config.season == "auto" else config.season
        period = period_from_timestamps(series.timestamps, SECONDS[kind])
        if period and len(series) < 2 * period + 1:
            if config.season != "auto":
                notes.append(
                    f"series shorter than two {kind} seasons ({len(series)} < {2 * period + 1} points): no seasonal adjustment"
                )
            period = 0
    if period:
        notes.append(
            f"removed a {config.season if config.season != 'auto' else 'daily'} cycle of {period} points (seasonal decomposition)"
        )
    if len(series) < 2 * config.min_size:
        notes.append(
            f"series too short for change points ({len(series)} < {2 * config.min_size} points)"
        )
    found = find_changepoints(
        series.values, config.penalty, config.min_size, config.max_changes, period
    )
    changes = [
        Change(
            timestamp=str(pd.Timestamp(series.timestamps[c.index])),
            kind=c.kind,
            mean_before=c.mean_before,
            mean_after=c.mean_after,
            mean_shift=c.mean_shift,
            shift_in_sd=round(c.shift_in_sd, 4) if abs(c.shift_in_sd) != float("inf") else 1e9,
            std_before=c.std_before,
            std_after=c.std_after,
            std_ratio=round(c.std_ratio, 4) if c.std_ratio != float("inf") else 1e9,
        )
        for c in found
    ]
    report = ctx.write_json(
        {"changes": [c.model_dump() for c in changes], "notes": notes, "period": period},
        kind="changepoints",
    )
    ctx.log_metric("changes", len(changes))
    return DetectChangepointsResult(changes=changes, report=report, points=len(series), notes=notes)
