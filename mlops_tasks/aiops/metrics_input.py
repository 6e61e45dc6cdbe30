"""Per-service metrics from a file or a folder: ``{service: frame(time index, metric columns)}``.

Accepted: a Nezha-layout day folder (``metric/<pod>_metric.csv.gz``), or a CSV/Parquet file in
long form (``time, service, metric, value``) or wide form (``time, service, <metric columns>``).
Rows with an unparsable time are dropped and counted; duplicates keep the last value.

>>> import pandas as pd
>>> long = pd.DataFrame({"time": ["2024-01-01T00:00Z", "2024-01-01T00:01Z"], "service": "api",
...                      "metric": "latency", "value": [1.0, 2.0]})
>>> frames, notes = metrics_from_frame(long)
>>> frames["api"]["latency"].tolist(), notes
([1.0, 2.0], [])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

TIME_COLUMNS = ("time", "timestamp", "Time", "TimeStamp")


def metrics_from_frame(frame: pd.DataFrame) -> tuple[dict[str, pd.DataFrame], list[str]]:
    import pandas as pd

    notes: list[str] = []
    clock = next((c for c in TIME_COLUMNS if c in frame.columns), None)
    if clock is None or "service" not in frame.columns:
        raise ValueError(
            f"metrics need a time column ({', '.join(TIME_COLUMNS)}) and a service column"
        )
    times = (
        pd.to_datetime(frame[clock], utc=True, errors="coerce", format="ISO8601")
        if frame[clock].dtype == object
        else pd.to_datetime(frame[clock], utc=True, errors="coerce")
    )
    bad = int(times.isna().sum())
    if bad:
        notes.append(f"{bad} rows with an unparsable time dropped")
    frame = frame.assign(_t=times)[times.notna()]
    if {"metric", "value"} <= set(frame.columns):
        wide = frame.pivot_table(
            index=["_t", "service"], columns="metric", values="value", aggfunc="last"
        ).reset_index()
    else:
        wide = frame.drop(columns=[clock])
    out = {}
    for service, part in wide.groupby("service"):
        part = part.drop(columns=["service"]).set_index("_t").sort_index().select_dtypes("number")
        if part.index.has_duplicates:
            notes.append(
                f"{service}: {int(part.index.duplicated().sum())} duplicate timestamps, last kept"
            )
            part = part[~part.index.duplicated(keep="last")]
        part.index.name = "time"
        out[str(service)] = part
    return out, notes


@dataclass
class MetricsInput:
    """What a ranker reads beside a case's metrics: call edges and the traced services (`active`).

    `active` is empty when there were no traces: no service is then taken for idle.
    """

    metrics: dict[str, pd.DataFrame]
    edges: list[tuple[str, str]] = field(default_factory=list)
    active: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


def read_metrics_input(source: str, *, with_traces: bool = True) -> MetricsInput:
    """Metrics, call edges found beside them (a Nezha ``dependency.csv``, else its traces), the
    services seen in those traces, and notes.

    `with_traces=False` skips parsing a day folder's traces (when graph and traced services come
    from elsewhere).
    """
    import pandas as pd

    path = Path(source)
    if path.is_dir():
        from mlops_tasks.aiops.cases import load_day

        day = load_day(path, with_traces=with_traces)
        if not day.metrics:
            raise FileNotFoundError(f"no <pod>_metric.csv files under {path}/metric")
        return MetricsInput(day.metrics, day.edges, day.active)
    frame = pd.read_parquet(path) if path.suffix in (".parquet", ".pq") else pd.read_csv(path)
    metrics, notes = metrics_from_frame(frame)
    return MetricsInput(metrics, notes=notes)


def read_metrics(
    source: str, *, with_traces: bool = True
) -> tuple[dict[str, pd.DataFrame], list[tuple[str, str]], list[str]]:
    """Metrics, call edges found beside them and notes (`read_metrics_input` without the traced services)."""
    read = read_metrics_input(source, with_traces=with_traces)
    return read.metrics, read.edges, read.notes
