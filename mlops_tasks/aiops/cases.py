"""Fault-case folders in the Nezha layout: per-pod metric CSVs per day, fault lists, traces.

The layout (``rca_data/<day>/metric/<pod>_metric.csv.gz``, ``rca_data/<day>/<day>-fault_list.json``,
optional ``dependency.csv.gz`` and ``trace/*.csv.gz``) is read as is, so any folder with the
same layout loads unchanged. Ground truth is loaded separately (`load_faults`) and is only
ever used to score, never as a ranker's input.

>>> service_of_pod("frontend-579b9bff58-t2dbm")
'frontend'
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def service_of_pod(pod: str) -> str:
    """A Kubernetes pod name without its ReplicaSet hash and pod suffix."""
    parts = pod.split("-")
    return "-".join(parts[:-2]) if len(parts) > 2 else pod


def parse_go_time(values: pd.Series) -> pd.Series:
    """Go ``time.Time`` strings (``2022-08-22 03:51:19.79 +0000 UTC m=+0.3``) as UTC timestamps."""
    import pandas as pd

    text = values.astype(str).str.split(" +0000", n=1, regex=False).str[0]
    return pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")


@dataclass
class Day:
    """One day folder: a wide frame per service (time index, metric columns) and its call edges."""

    name: str
    metrics: dict[str, pd.DataFrame] = field(default_factory=dict)
    edges: list[tuple[str, str]] = field(default_factory=list)
    edge_source: str = "none"


def load_day(folder: str | Path) -> Day:
    """Read one ``rca_data/<day>`` folder. The ``Time`` column is the clock (``TimeStamp`` can be corrupt)."""
    import pandas as pd

    folder = Path(folder)
    day = Day(folder.name)
    pods: dict[str, dict[str, pd.DataFrame]] = {}
    for path in sorted((folder / "metric").glob("*_metric.csv*")):
        pod = path.name.split("_metric.csv")[0]
        frame = pd.read_csv(path)
        clock = "Time" if "Time" in frame else "time"
        frame.index = parse_go_time(frame[clock])
        frame = frame[frame.index.notna()].sort_index()
        numeric = frame.drop(
            columns=[c for c in frame if c.lower() in ("time", "timestamp")]
        ).select_dtypes("number")
        pods.setdefault(service_of_pod(pod), {})[pod] = numeric[
            ~numeric.index.duplicated(keep="last")
        ]
    day.metrics = {service: _replicas(frames) for service, frames in pods.items()}
    dependency = folder / "metric" / "dependency.csv.gz"
    if dependency.exists():
        edges = pd.read_csv(dependency)
        services = set(day.metrics)
        day.edges = sorted(
            {
                (s, t)
                for s, t in zip(edges["Source"], edges["Target"])
                if s in services and t in services and s != t
            }
        )
        day.edge_source = "dependency.csv"
    else:
        traces = sorted((folder / "trace").glob("*.csv*"))
        if traces:
            from mlops_tasks.aiops.topology import edges_from_spans

            spans = pd.concat([pd.read_csv(p) for p in traces], ignore_index=True)
            day.edges = sorted(edges_from_spans(spans, service_of=service_of_pod))
            day.edge_source = "traces"
    return day


def _replicas(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One frame per service. Replicas keep their own columns (``metric@pod``), on the first pod's
    clock (each pod's nearest sample within half a step): averaging them would hide the one sick
    pod that a fault was injected into.

    >>> import pandas as pd
    >>> t = pd.date_range("2024-01-01", periods=3, freq="60s", tz="UTC")
    >>> a = pd.DataFrame({"cpu": [1.0, 2, 3]}, index=t)
    >>> b = pd.DataFrame({"cpu": [7.0, 8, 9]}, index=t + pd.Timedelta("2s"))
    >>> _replicas({"web-1-a": a, "web-2-b": b}).to_dict("list")
    {'cpu@web-1-a': [1.0, 2.0, 3.0], 'cpu@web-2-b': [7.0, 8.0, 9.0]}
    """
    import pandas as pd

    if len(frames) == 1:
        return next(iter(frames.values()))
    clock = next(iter(frames.values()))
    steps = clock.index.to_series().diff().dropna()
    tolerance = steps.median() / 2 if len(steps) else pd.Timedelta(0)
    parts = [
        f.reindex(clock.index, method="nearest", tolerance=tolerance).add_suffix(f"@{pod}")
        for pod, f in frames.items()
    ]
    return pd.concat(parts, axis=1)


def load_faults(root: str | Path) -> list[dict]:
    """Every fault of every ``rca_data/<day>/<day>-fault_list.json``: time (``inject_time``), service, type."""
    import pandas as pd

    faults = []
    for path in sorted(Path(root).glob("rca_data/*/*fault_list.json")):
        day = path.parent.name
        for _hour, items in sorted(json.loads(path.read_text()).items()):
            for item in items:
                faults.append(
                    {
                        "day": day,
                        "time": pd.Timestamp(item["inject_time"], tz="UTC"),
                        "service": service_of_pod(item["inject_pod"]),
                        "type": item.get("inject_type", ""),
                    }
                )
    return sorted(faults, key=lambda f: f["time"])


def load_days(root: str | Path) -> dict[str, Day]:
    return {
        p.name: load_day(p)
        for p in sorted(Path(root).glob("rca_data/*"))
        if (p / "metric").is_dir()
    }
