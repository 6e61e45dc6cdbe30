"""Wasserstein (earth mover's) distance divided by the reference's standard deviation.

Evidently's default for numeric columns above 1000 reference rows (threshold 0.1). Computed as
the area between the two CDFs from the summary: exact on each interval of the reference sketch
where the CDFs do not cross, linearly interpolated where they do, so it agrees with
``scipy.stats.wasserstein_distance(ref, cur) / np.std(ref)`` to a fraction of a sketch step.
A constant reference column (std 0) cannot normalise: the raw distance is given (and
compared with the threshold), with a note. Numeric columns only.
"""

from __future__ import annotations

import numpy as np

from mlops_tasks.monitoring.drift.base import DriftMethod, Measure
from mlops_tasks.monitoring.reference import ColumnReference
from mlops_tasks.monitoring.summary import ColumnSummary


class Wasserstein(DriftMethod):
    name = "wasserstein"
    threshold = 0.1
    kinds = frozenset({"numeric"})
    needs_grid = True

    def measure(self, ref: ColumnReference, cur: ColumnSummary) -> Measure:
        distance = earth_movers(ref, cur)
        bins = len(ref.grid)
        if not ref.std:
            note = "constant reference column (std 0): distance not normalised"
            return Measure(statistic=distance, bins=bins, note=note)
        return Measure(statistic=distance / ref.std, bins=bins)


def earth_movers(ref: ColumnReference, cur: ColumnSummary) -> float:
    """Integral of |F_ref - F_cur| from the current summary on the reference's sketch points."""
    g, n = ref.grid, cur.n
    _, cur_le = cur.cdf()
    # Tails: F_ref is 0 below the reference minimum and 1 above its maximum (sketch ends).
    area = (cur.open[0] * g[0] - cur.sums[0]) / n + (cur.sums[-1] - cur.open[-1] * g[-1]) / n
    if len(g) > 1:
        width = np.diff(g)
        a = (
            ref.grid_le[:-1] + ref.grid_lt[1:]
        ) / 2  # F_ref inside the interval (exact sketch: constant)
        b0 = cur_le[:-1]  # F_cur at the interval's start ...
        count = cur.open[1:-1]
        b1 = b0 + count / n  # ... and just before its end
        int_cur = b0 * width + (count * g[1:] - cur.sums[1:-1]) / n  # integral of F_cur
        below, above = b1 <= a, b0 >= a
        cross = ~(below | above)
        parts = np.where(below, a * width - int_cur, int_cur - a * width)
        span = np.where(cross, b1 - b0, 1.0)
        parts = np.where(cross, width * ((a - b0) ** 2 + (b1 - a) ** 2) / (2 * span), parts)
        area += float(parts.sum())
    return float(max(area, 0.0))
