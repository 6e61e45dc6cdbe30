"""Seasonal: how rare the deviation from the same time on previous days (or weeks) is.

The expected value at ``t`` is the median of the values one, two and three periods earlier
(only the past: causal, and a one-off anomaly yesterday does not echo today). The period comes
from the sampling step (``86400 s / step``, or ``7 * 86400 s / step`` with ``season="weekly"``)
the first time timestamps are seen, or is given in points. A daily pattern then no longer
alarms at every rising edge; a deviation from it does.

>>> import numpy as np, pandas as pd
>>> ts = pd.date_range("2024-01-01", periods=288 * 6, freq="5min")
>>> x = 10 + 5 * (ts.hour.to_numpy() >= 9) * (ts.hour.to_numpy() < 17)    # office hours
>>> x = x + np.random.default_rng(0).normal(0, 0.1, len(x)); x[288 * 5 + 30] += 5   # at night
>>> int(np.argmax(SeasonalDetector().update(x, ts)))
1470
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from mlops_tasks.aiops.detectors.level import LevelDetector

SECONDS = {"daily": 86_400, "weekly": 7 * 86_400}


class SeasonalDetector(LevelDetector):
    name: ClassVar[str] = "seasonal"
    params: ClassVar[tuple[str, ...]] = (
        "threshold",
        "suppress",
        "window",
        "block",
        "period",
        "season",
        "cycles",
    )

    def __init__(self, period: int = 0, season: str = "daily", cycles: int = 3, **kwargs: Any):
        super().__init__(**kwargs)
        if season not in SECONDS:
            raise ValueError(f"season must be one of {sorted(SECONDS)}, not {season!r}")
        self.period, self.season, self.cycles = int(period), season, int(cycles)

    @property
    def lookback(self) -> int:  # type: ignore[override]
        return self.period * self.cycles

    def _observe_timestamps(self, timestamps: np.ndarray) -> None:
        if self.period or len(timestamps) < 2:
            return  # fixed once known: changing it mid-stream would break resumability
        self.period = period_from_timestamps(timestamps, SECONDS[self.season])

    def feature(self, values: np.ndarray, start: int) -> np.ndarray:
        p = self.period
        if p <= 0:
            return np.full(len(values), np.nan)  # no period known: this detector abstains
        lags = np.full((self.cycles, len(values)), np.nan)
        for k in range(1, self.cycles + 1):
            lags[k - 1, k * p :] = values[: -k * p] if k * p < len(values) else []
        with np.errstate(all="ignore"):
            expected = _nanmedian_rows(lags)
        return values - expected


def period_from_timestamps(timestamps: np.ndarray, season_seconds: int) -> int:
    """Points per season from the median sampling step; 0 when the step does not divide it."""
    steps = np.diff(timestamps.astype("datetime64[ns]").astype(np.int64)) / 1e9
    steps = steps[steps > 0]
    if not len(steps):
        return 0
    step = float(np.median(steps))
    period = season_seconds / step
    if abs(period - round(period)) > 1e-6 or not 4 <= round(period) <= 20_000:
        return 0
    return int(round(period))


def _nanmedian_rows(a: np.ndarray) -> np.ndarray:
    """Column-wise median ignoring NaN; cheaper than np.nanmedian for a handful of rows."""
    s = np.sort(a, axis=0)  # NaN sort last
    n = np.isfinite(a).sum(axis=0)
    idx = np.arange(a.shape[1])
    lo = s[np.maximum((n - 1) // 2, 0), idx]
    hi = s[np.maximum(n // 2, 0), idx]
    return np.where(n > 0, (lo + hi) / 2, np.nan)
