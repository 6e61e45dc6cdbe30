"""Fault cases: a system's metrics, call graph and labelled faults, from any of three folder layouts.

`load_systems(folder)` recognises the layout and returns one `System` per system found, each a
list of `FaultCase`s (metrics, graph, onset, and the ground truth used only to score):

* **Nezha** (this module): ``rca_data/<day>/metric/<pod>_metric.csv.gz``,
  ``rca_data/<day>/<day>-fault_list.json``, optional ``dependency.csv(.gz)`` (in the day or its
  ``metric/`` folder), ``metric/source_50.csv.gz`` (per-edge caller-side latency, added to each
  callee's metrics) and ``trace/*.csv.gz`` (call graph, traced services and per-service span
  series, `span_series`). Split: the first day folder is ``train``, the
  others ``test`` (with a single day, the first half of its faults in time order is ``train``).
* **PetShop** (`cases_petshop`): ``<scenario>/graph.csv``, ``<scenario>/noissue/metrics.csv``,
  ``<scenario>/{train,test}/issue_<n>/{metrics.csv,target.json}``; the split is the folder's.
* **generic** (`cases_generic`): ``metrics.csv`` (long: ``time,service,metric,value``),
  ``cases.csv`` (``onset,root_cause`` and optionally ``case_id,fault_type,split``), optional
  ``graph.csv`` (``source,target``) and ``spans.csv``.

A folder holding several such folders (``../shared/data``) gives one system per subfolder.

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
    """One day folder: a wide frame per service (time index, metric columns) and its call edges.

    `active` is the set of services seen in the traces (empty without traces): a service that
    serves no traced request is a weak root-cause candidate.
    """

    name: str
    metrics: dict[str, pd.DataFrame] = field(default_factory=dict)
    edges: list[tuple[str, str]] = field(default_factory=list)
    edge_source: str = "none"
    active: set[str] = field(default_factory=set)


@dataclass
class FaultCase:
    """One labelled fault: what a ranker gets (metrics, edges, onset, optional normal-period
    `reference` metrics and traced services) and the truth it is scored on (`root_cause`).

    `symptom` is where the problem was seen (an alert's service), when the layout says.
    `groups` are the labels results are broken down by (fault type; PetShop: scenario and
    issue metric). `metrics` and `edges` are shared by the cases of one day or scenario.
    """

    system: str
    case_id: str
    split: str
    onset: pd.Timestamp
    root_cause: str
    groups: dict[str, str]
    metrics: dict[str, pd.DataFrame]
    edges: list[tuple[str, str]]
    reference: dict[str, pd.DataFrame] | None = None
    active: set[str] = field(default_factory=set)
    symptom: str | None = None


@dataclass
class System:
    """The fault cases of one system, with how its graph was found and how it was split."""

    name: str
    layout: str
    cases: list[FaultCase]
    edge_source: str
    split_rule: str


def load_day(folder: str | Path, *, with_traces: bool = True) -> Day:
    """Read one ``rca_data/<day>`` folder. The ``Time`` column is the clock (``TimeStamp`` can be corrupt).

    Traces are parsed (once) for the call graph when no ``dependency.csv`` is given, and for the
    set of traced services; ``with_traces=False`` skips them when a graph is given elsewhere.
    """
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
    services = set(day.metrics)
    calls = folder / "metric" / "source_50.csv.gz"
    for path in (calls, calls.with_suffix("")):
        if path.is_file():
            _add_call_latency(day.metrics, pd.read_csv(path))
            break
    dependency = dependency_file(folder)
    if dependency is not None:
        from mlops_tasks.aiops.topology import edges_from_calls

        day.edges = sorted(
            (s, t) for s, t in edges_from_calls(pd.read_csv(dependency)) if {s, t} <= services
        )
        day.edge_source = "dependency.csv"
    traces = sorted((folder / "trace").glob("*.csv*")) if with_traces else []
    if traces:
        from mlops_tasks.aiops.span_series import add_span_series
        from mlops_tasks.aiops.topology import edges_from_spans, span_services

        spans = pd.concat([pd.read_csv(p) for p in traces], ignore_index=True)
        day.active = span_services(spans, service_of=service_of_pod) & services
        add_span_series(day.metrics, spans, service_of=service_of_pod)
        if dependency is None:
            day.edges = sorted(edges_from_spans(spans, service_of=service_of_pod))
            day.edge_source = "traces"
    return day


# A caller's view of its calls to one callee (the mesh's per-edge latency, as a client span would
# give it), kept as evidence about the callee: a network delay into a service shows on every call
# to it by hundreds of robust z while the callee's own metrics move by 1-2.
CALL_LATENCY = "CallerLatencyP50(s)"


def _add_call_latency(metrics: dict[str, pd.DataFrame], calls: pd.DataFrame) -> None:
    """Add Nezha's ``source_50`` per-edge latency (columns ``<caller>_<callee>``, caller side) to each
    callee's frame as ``CallerLatencyP50(s)@<caller>`` (one family across edges, for its floor),
    on the callee's clock (nearest sample within half a step). Unknown edge names are skipped.

    >>> import pandas as pd
    >>> t = pd.date_range("2024-01-01", periods=2, freq="60s", tz="UTC")
    >>> m = {"web": pd.DataFrame({"cpu": [1.0, 2]}, index=t), "db": pd.DataFrame({"cpu": [3.0, 4]}, index=t)}
    >>> calls = pd.DataFrame({"time": [str(x) for x in t], "web_db": [0.1, 0.5]})
    >>> _add_call_latency(m, calls); m["db"].columns.tolist(), m["db"].iloc[:, 1].tolist()
    (['cpu', 'CallerLatencyP50(s)@web'], [0.1, 0.5])
    """
    clock = "time" if "time" in calls else "Time"
    calls = calls.set_index(parse_go_time(calls[clock])).drop(
        columns=[c for c in calls if c.lower() in ("time", "timestamp")]
    )
    calls = calls[calls.index.notna() & ~calls.index.duplicated(keep="last")].sort_index()
    added: dict[str, dict[str, pd.Series]] = {}
    for column in calls.columns:
        parts = str(column).split("_")
        # Service names may hold underscores: the split is where both halves are services.
        for i in range(1, len(parts)):
            caller, callee = "_".join(parts[:i]), "_".join(parts[i:])
            if caller in metrics and callee in metrics and caller != callee:
                added.setdefault(callee, {})[f"{CALL_LATENCY}@{caller}"] = calls[column]
                break
    for callee, series in added.items():
        frame = metrics[callee]
        steps = frame.index.to_series().diff().dropna()
        tolerance = steps.median() / 2 if len(steps) else None
        extra = {
            name: s.reindex(frame.index, method="nearest", tolerance=tolerance).to_numpy()
            for name, s in series.items()
        }
        metrics[callee] = frame.assign(**extra)


def dependency_file(folder: Path) -> Path | None:
    """A ``dependency.csv`` (or ``.csv.gz``) in a day folder or its ``metric/`` folder, if any."""
    for where in (folder, folder / "metric"):
        for name in ("dependency.csv", "dependency.csv.gz"):
            if (where / name).is_file():
                return where / name
    return None


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


def nezha_system(root: str | Path) -> System:
    """Every fault of a Nezha-layout folder as a `FaultCase`, split by day (see the module doc)."""
    root = Path(root)
    days, faults = load_days(root), load_faults(root)
    names = sorted(days)
    if len(names) > 1:
        train_days, rule = {names[0]}, f"train: day {names[0]}; test: the other days"
        split_of = ["train" if f["day"] in train_days else "test" for f in faults]
    else:
        half = len(faults) // 2
        rule = "train: the first half of the faults in time order; test: the rest"
        split_of = ["train" if i < half else "test" for i in range(len(faults))]
    cases = []
    for i, (fault, split) in enumerate(zip(faults, split_of)):
        day = days.get(fault["day"])
        if day is None:
            continue
        cases.append(
            FaultCase(
                system=root.name,
                case_id=f"{fault['day']}-{i:02d}",
                split=split,
                onset=fault["time"],
                root_cause=fault["service"],
                groups={"fault type": fault["type"]},
                metrics=day.metrics,
                edges=day.edges,
                active=day.active,
            )
        )
    sources = sorted({d.edge_source for d in days.values()})
    return System(root.name, "nezha", cases, "+".join(sources), rule)


def detect_layout(folder: str | Path) -> str | None:
    """``nezha``, ``petshop``, ``generic`` or None for a folder that is none of them."""
    folder = Path(folder)
    if any(folder.glob("rca_data/*/*fault_list.json")):
        return "nezha"
    scenario = "*/" if not (folder / "graph.csv").is_file() else ""
    if any(folder.glob(f"{scenario}graph.csv")) and any(
        folder.glob(f"{scenario}*/issue_*/target.json")
    ):
        return "petshop"
    if (folder / "dataset").is_dir() and detect_layout(folder / "dataset") == "petshop":
        return "petshop"
    if (folder / "cases.csv").is_file() and any(folder.glob("metrics.*")):
        return "generic"
    return None


def load_systems(folder: str | Path) -> list[System]:
    """The systems in `folder`: the folder itself if it has a known layout, else each subfolder that has one."""
    from mlops_tasks.errors import DataError

    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"no case folder at {folder}")
    layout = detect_layout(folder)
    if layout is None:
        systems = [s for sub in sorted(folder.iterdir()) if sub.is_dir() for s in _load(sub)]
        if not systems:
            raise DataError(
                f"{folder}: no fault cases in the Nezha, PetShop or generic layout "
                "(see mlops_tasks/aiops/cases.py)"
            )
        return systems
    return _load(folder)


def _load(folder: Path) -> list[System]:
    layout = detect_layout(folder)
    if layout == "nezha":
        return [nezha_system(folder)]
    if layout == "petshop":
        from mlops_tasks.aiops.cases_petshop import petshop_system

        return [petshop_system(folder)]
    if layout == "generic":
        from mlops_tasks.aiops.cases_generic import generic_system

        return [generic_system(folder)]
    return []
