"""Change points: where a series' level or spread shifts, found by binary segmentation.

Each segment is modelled as Gaussian with its own mean and variance; a split is kept when it
raises the log-likelihood by more than ``penalty * log(n)`` (BIC-like, so the penalty does not
need retuning with the length) and leaves at least ``min_size`` points on each side. Every
change point is reported with its kind and magnitudes: the shift of the mean (also in units of
the pooled spread) and the ratio of the standard deviations. With a known period, the seasonal
component is removed first with statsmodels' STL, so a daily cycle is not read as changes.

Retrospective, unlike the detectors: a change point is placed with all the data at hand.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> x = np.r_[rng.normal(0, 1, 300), rng.normal(5, 1, 300), rng.normal(5, 4, 300)]
>>> [(c.index, c.kind) for c in find_changepoints(x)]
[(300, 'level'), (600, 'variance')]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class ChangePoint:
    index: int  # first point of the new segment
    kind: str  # "level" or "variance"
    mean_before: float
    mean_after: float
    std_before: float
    std_after: float
    gain: float  # log-likelihood gained by the split

    @property
    def mean_shift(self) -> float:
        return self.mean_after - self.mean_before

    @property
    def std_ratio(self) -> float:
        return self.std_after / self.std_before if self.std_before > 0 else float("inf")

    @property
    def shift_in_sd(self) -> float:
        pooled = np.sqrt((self.std_before**2 + self.std_after**2) / 2)
        return self.mean_shift / pooled if pooled > 0 else float("inf")


def _segment_cost(s1: np.ndarray, s2: np.ndarray, n: np.ndarray, floor: float) -> np.ndarray:
    """-2 log-likelihood (up to constants) of Gaussian segments from their sums: n log var."""
    var = np.maximum(s2 / n - (s1 / n) ** 2, floor)
    return n * np.log(var)


def find_changepoints(
    values: np.ndarray,
    penalty: float = 3.0,
    min_size: int = 30,
    max_changes: int = 20,
    period: int = 0,
) -> list[ChangePoint]:
    """Level and variance change points of ``values`` (NaN ignored), in time order."""
    x = np.asarray(values, dtype=float)
    idx = np.flatnonzero(np.isfinite(x))
    y = x[idx]
    if period and len(y) >= 2 * period + 1 and period >= 2:
        # Classical decomposition, not STL: its seasonal figure is one mean profile per phase, so
        # a shift goes to the trend and stays visible; STL's adaptive seasonal would absorb part
        # of a shift and leave spurious variance changes (and robust STL is slow on long series).
        from statsmodels.tsa.seasonal import seasonal_decompose

        y = y - seasonal_decompose(y, period=period, model="additive").seasonal
    n = len(y)
    if n < 2 * min_size:
        return []
    scale = float(np.var(y)) or 1.0
    floor = 1e-8 * scale  # a flat segment costs a finite amount
    c1 = np.r_[0.0, np.cumsum(y)]
    c2 = np.r_[0.0, np.cumsum(y * y)]
    threshold = penalty * np.log(n)

    def cost(a: int, b: int) -> float:
        return float(_segment_cost(c1[b] - c1[a], c2[b] - c2[a], np.array(b - a, float), floor))

    def best_split(a: int, b: int) -> tuple[float, int]:
        if b - a < 2 * min_size:
            return 0.0, -1
        t = np.arange(a + min_size, b - min_size + 1)
        left = _segment_cost(c1[t] - c1[a], c2[t] - c2[a], (t - a).astype(float), floor)
        right = _segment_cost(c1[b] - c1[t], c2[b] - c2[t], (b - t).astype(float), floor)
        gains = cost(a, b) - left - right
        k = int(np.argmax(gains))
        return float(gains[k]), int(t[k])

    splits: list[tuple[int, float]] = []
    pending = [(0, n)]
    while pending and len(splits) < max_changes:
        scored = [(best_split(a, b), (a, b)) for a, b in pending]
        (gain, t), (a, b) = max(scored, key=lambda s: s[0][0])
        if t < 0 or gain <= threshold:
            break
        splits.append((t, gain))
        pending.remove((a, b))
        pending += [(a, t), (t, b)]
    bounds = sorted(t for t, _ in splits)
    gains = dict(splits)
    edges = [0, *bounds, n]
    out = []
    for i, t in enumerate(bounds):
        before, after = y[edges[i] : t], y[t : edges[i + 2]]
        mb, ma, sb, sa = before.mean(), after.mean(), before.std(), after.std()
        pooled = np.sqrt((sb**2 + sa**2) / 2) or 1.0
        log_ratio = abs(np.log(max(sa, 1e-12) / max(sb, 1e-12)))
        kind = "level" if abs(ma - mb) / pooled >= log_ratio else "variance"
        out.append(
            ChangePoint(
                int(idx[t]), kind, float(mb), float(ma), float(sb), float(sa), round(gains[t], 3)
            )
        )
    return out
