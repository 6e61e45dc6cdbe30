"""Per-service evidence series from spans: served latency, own time and error rate per sampling step.

Spans say what a service's metrics often cannot: how long the requests it served took, how much
of that was its own work rather than its callees', and how many failed. `span_series` turns
spans into three series per service, on the service's metric clock, which the ranker treats as
any other metric (same robust z, family floors, persistence after the onset):

* ``SpanDuration(s)``: the median duration of the service's entry spans (root spans and spans
  whose parent runs in another service): the latency of what it served.
* ``SpanSelfTime(s)``: the service's own time per served request: the summed self time (a span's
  duration minus its direct children's) of its spans, over its entry spans. A client span's self
  time (from the call leaving to the callee's span, i.e. the wire and the callee's queue) is the
  callee's, as a caller's view of a call is evidence about the callee.
* ``SpanErrorRate``: the share of its spans with an error status, when the spans have a status
  column (OpenTelemetry ``STATUS_CODE_ERROR``/``ERROR``/``2``, a true ``error`` flag, or an HTTP
  status of 500 or more), as ``(errors + 0.5) / (spans + 1)`` (Jeffreys' prior): a step with
  few spans is not read as certain, and a rate that is 0 in every service's normal period still
  has a spread (from the span counts) instead of a zero scale that would make it unusable.

A span belongs to the first sample at or after its start (a sample covers the step ending at it).

>>> import pandas as pd
>>> spans = pd.DataFrame({"TraceID": ["t"] * 3, "SpanID": ["a", "b", "c"], "ParentID": ["root", "a", "b"],
...     "PodName": ["web", "web", "db"], "StartTimeUnixNano": [0, 1e9, 2e9], "EndTimeUnixNano": [9e9, 8e9, 5e9]})
>>> clock = pd.DatetimeIndex([pd.Timestamp(60e9, tz="UTC")])
>>> out = span_series(spans, {"web": clock, "db": clock})
>>> out["web"].iloc[0].tolist(), out["db"].iloc[0].tolist()
([9.0, 2.0], [3.0, 7.0])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mlops_tasks.aiops.topology import SPAN_COLUMNS, _column

if TYPE_CHECKING:
    import pandas as pd

DURATION, SELF_TIME, ERROR_RATE = "SpanDuration(s)", "SpanSelfTime(s)", "SpanErrorRate"
START = ("StartTimeUnixNano", "start_time_unix_nano", "start_time", "start", "startTime")
END = ("EndTimeUnixNano", "end_time_unix_nano", "end_time", "end", "endTime")
STATUS = (
    "StatusCode",
    "status_code",
    "status",
    "statusCode",
    "error",
    "http_status",
    "http.status_code",
)


def _times(values: pd.Series) -> pd.Series:
    """Epoch nanoseconds of a time column: numbers are epoch ns already, text is parsed as UTC."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    parsed = pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")
    return (
        pd.Series(parsed.dt.as_unit("ns").astype("int64"), index=values.index)
        .where(parsed.notna())
        .astype("float64")
    )


def _errors(values: pd.Series, column: str) -> pd.Series:
    """Whether each span failed, read by the status column's convention (see the module doc)."""
    import pandas as pd

    if "http" in column.lower():
        return pd.to_numeric(values, errors="coerce") >= 500
    if pd.api.types.is_bool_dtype(values) or column == "error":
        return values.astype(str).str.lower().isin(("true", "1", "1.0"))
    text = values.astype(str).str.upper()
    return text.str.contains("ERROR") | (text == "2")


def _services(values: pd.Series, service_of: Callable[[str], str]) -> pd.Series:
    """`service_of` of each value, called once per distinct value (pods repeat 100,000s of times)."""
    text = values.astype(str)
    return text.map({v: service_of(v) for v in text.unique()})


def span_series(
    spans: pd.DataFrame,
    clocks: dict[str, pd.DatetimeIndex],
    *,
    service_of: Callable[[str], str] = str,
) -> dict[str, pd.DataFrame]:
    """The module doc's series per service in `clocks` (service -> its metric time index).

    Spans without start and end times give nothing (an empty dict); services without spans in a
    step have NaN there (a gap: nothing served, which the ranker reads as no deviation).
    """
    import numpy as np
    import pandas as pd

    cols = {role: _column(spans, role) for role in SPAN_COLUMNS}
    start = next((c for c in START if c in spans.columns), None)
    end = next((c for c in END if c in spans.columns), None)
    if None in cols.values() or start is None or end is None or not clocks:
        return {}
    status = next((c for c in STATUS if c in spans.columns), None)
    frame = pd.DataFrame(
        {
            "trace": spans[cols["trace"]].astype(str),
            "span": spans[cols["span"]].astype(str),
            "parent": spans[cols["parent"]].astype(str),
            "service": _services(spans[cols["service"]], service_of),
            "start": _times(spans[start]),
            "end": _times(spans[end]),
        }
    )
    if status is not None:
        frame["error"] = _errors(spans[status], status).to_numpy()
    frame = frame.dropna(subset=["start", "end"]).drop_duplicates(["trace", "span"])
    frame = frame.reset_index(drop=True)
    frame["duration"] = (frame["end"] - frame["start"]) / 1e9
    # Integer keys per (trace, span): string keys and maps cost seconds on 300k spans.
    trace = pd.factorize(frame["trace"])[0].astype("int64")
    ids = pd.factorize(pd.concat([frame["span"], frame["parent"]], ignore_index=True))[0]
    width = int(ids.max()) + 1 if len(ids) else 1
    own_key, parent_key = trace * width + ids[: len(frame)], trace * width + ids[len(frame) :]
    parent = pd.Index(own_key).get_indexer(parent_key)  # the parent's row, -1 for none
    where = frame["service"].to_numpy()
    has_parent = parent >= 0
    parent_service = np.where(has_parent, where[np.where(has_parent, parent, 0)], None)
    entry = ~has_parent | (parent_service != where)
    duration = frame["duration"].to_numpy()
    children = np.bincount(parent[has_parent], weights=duration[has_parent], minlength=len(frame))
    frame["self"] = np.clip(duration - children, 0.0, None)
    # A client span (not an entry span itself, with a child in another service) spends its own
    # time on the way to the callee. An entry span calling another service directly keeps its own.
    callee = np.full(len(frame), None, dtype=object)
    crossing = np.flatnonzero(entry & has_parent)[::-1]  # reversed: the first child wins
    callee[parent[crossing]] = where[crossing]
    owner = np.where(~entry & (callee != None), callee, where)  # noqa: E711 (elementwise)
    frame["owner"] = owner
    out: dict[str, pd.DataFrame] = {}
    for service, clock in clocks.items():
        times = pd.DatetimeIndex(clock).as_unit("ns").asi8
        if not len(times):
            continue
        columns: dict[str, np.ndarray] = {}

        def bucket(rows: pd.DataFrame, times: np.ndarray = times) -> np.ndarray:
            """Each span's sample: the first at or after its start (-1 after the last one)."""
            at = np.searchsorted(times, rows["start"].to_numpy(), side="left")
            return np.where(at < len(times), at, -1)

        served = frame[(frame["service"] == service).to_numpy() & entry]
        if served.empty:
            continue
        at = bucket(served)
        duration = served.groupby(at)["duration"].median()
        requests = served.groupby(at).size()
        owned = frame[frame["owner"] == service]
        own = owned.groupby(bucket(owned))["self"].sum()
        columns[DURATION] = duration.reindex(range(len(times))).to_numpy()
        columns[SELF_TIME] = (
            (own.reindex(requests.index) / requests).reindex(range(len(times))).to_numpy()
        )
        if "error" in frame:
            mine = frame[frame["service"] == service]
            grouped = mine.groupby(bucket(mine))["error"]
            rate = (grouped.sum() + 0.5) / (grouped.size() + 1)
            columns[ERROR_RATE] = rate.reindex(range(len(times))).to_numpy(dtype=float)
        out[service] = pd.DataFrame(columns, index=clock)
    return out


def add_span_series(
    metrics: dict[str, pd.DataFrame],
    spans: pd.DataFrame,
    *,
    service_of: Callable[[str], str] = str,
) -> None:
    """Add `span_series` columns to each service's metric frame (in place, on its own clock)."""
    series = span_series(spans, {s: f.index for s, f in metrics.items()}, service_of=service_of)
    for service, extra in series.items():
        metrics[service] = metrics[service].assign(
            **{c: extra[c].to_numpy() for c in extra.columns}
        )
