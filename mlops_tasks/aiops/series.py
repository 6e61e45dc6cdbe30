"""Load a metric time series and clean it, saying what was done.

Sources: a CSV/Parquet dataset artifact (as a frame), a SQL query (SQLAlchemy URL), or a
Prometheus ``query_range`` JSON response (file or URL, through fsspec). Cleaning handles what
real metric files contain (NAB's own files do): unparsable or missing timestamps and values,
out-of-order points, duplicate timestamps, gaps, constant series and series shorter than a
season. Nothing here raises on bad data; every fix is a note.

>>> import pandas as pd
>>> raw = pd.DataFrame({"timestamp": ["2024-01-01 00:10", "2024-01-01 00:00", "2024-01-01 00:05",
...                                   "2024-01-01 00:05", "bad"], "value": [3, 1, 2, 2.5, 4]})
>>> s = clean_series(raw)
>>> s.values.tolist(), s.notes
([1.0, 2.5, 3.0], ['dropped 1 row with an unparsable timestamp', 'sorted 1 out-of-order point', 'dropped 1 duplicate timestamp (kept the last value)'])
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Series:
    timestamps: np.ndarray  # datetime64[ns], strictly increasing
    values: np.ndarray  # float64, NaN allowed (a missing value)
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.values)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def clean_series(
    frame: Any, timestamp: str = "timestamp", value: str = "value", season_points: int = 0
) -> Series:
    """Parse, sort, de-duplicate and describe a frame's series; never raises on bad rows."""
    import pandas as pd

    notes: list[str] = []
    ts = pd.to_datetime(frame[timestamp], errors="coerce", utc=False, format="mixed")
    if getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    vals = pd.to_numeric(frame[value], errors="coerce").astype(float)
    bad_ts = ts.isna().to_numpy()
    if bad_ts.any():
        notes.append(f"dropped {_plural(int(bad_ts.sum()), 'row')} with an unparsable timestamp")
    ts, vals = ts[~bad_ts].to_numpy("datetime64[ns]"), vals[~bad_ts].to_numpy()
    nan_values = int(np.isnan(vals).sum())
    if nan_values:
        notes.append(
            f"{_plural(nan_values, 'missing or non-numeric value')} kept as gaps (scored 0)"
        )
    out_of_order = int((np.diff(ts.astype(np.int64)) < 0).sum())
    if out_of_order:
        notes.append(f"sorted {_plural(out_of_order, 'out-of-order point')}")
    order = np.argsort(ts, kind="stable")
    ts, vals = ts[order], vals[order]
    dup = np.r_[ts[1:] == ts[:-1], False]  # keep the last of equal timestamps
    if dup.any():
        notes.append(
            f"dropped {_plural(int(dup.sum()), 'duplicate timestamp')} (kept the last value)"
        )
        ts, vals = ts[~dup], vals[~dup]
    notes += describe(ts, vals, season_points)
    return Series(ts, vals, notes)


def describe(ts: np.ndarray, vals: np.ndarray, season_points: int = 0) -> list[str]:
    """Notes about gaps, irregular sampling, constant and short series."""
    notes = []
    if len(ts) >= 3:
        steps = np.diff(ts.astype(np.int64))
        step = np.median(steps)
        gaps = int((steps > 1.5 * step).sum())
        irregular = int(
            ((steps < 0.5 * step) | ((steps > 1.0001 * step) & (steps <= 1.5 * step))).sum()
        )
        if gaps:
            notes.append(
                f"{_plural(gaps, 'gap')} longer than 1.5 sampling steps ({_fmt_step(step)}): detectors score points in order"
            )
        if irregular:
            notes.append(f"{_plural(irregular, 'irregular sampling step')}")
    finite = vals[np.isfinite(vals)]
    if len(finite) and np.all(finite == finite[0]):
        notes.append("constant series: every point scores 0 until the value changes")
    if season_points and len(vals) < season_points:
        notes.append(
            f"series shorter than one season ({len(vals)} < {season_points} points): no seasonal baseline yet"
        )
    return notes


def _fmt_step(step_ns: float) -> str:
    seconds = step_ns / 1e9
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


def prometheus_frame(doc: dict | str | bytes) -> Any:
    """The series of a Prometheus ``query_range`` response as a frame (timestamp, value, series).

    >>> doc = {"status": "success", "data": {"resultType": "matrix", "result": [
    ...     {"metric": {"job": "api"}, "values": [[1700000000, "1.5"], [1700000060, "NaN"]]}]}}
    >>> prometheus_frame(doc)[["value", "series"]].to_dict("list")
    {'value': [1.5, nan], 'series': ['{job="api"}', '{job="api"}']}
    """
    import pandas as pd

    if isinstance(doc, (str, bytes)):
        doc = json.loads(doc)
    if doc.get("status") not in (None, "success"):
        raise ValueError(
            f"Prometheus response status {doc.get('status')!r}: {doc.get('error', '')}"
        )
    rows = []
    for result in (doc.get("data") or {}).get("result") or []:
        labels = result.get("metric") or {}
        name = "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"
        for t, v in result.get("values") or ([result["value"]] if "value" in result else []):
            rows.append((pd.Timestamp(float(t), unit="s"), float(v), name))
    return pd.DataFrame(rows, columns=["timestamp", "value", "series"])
