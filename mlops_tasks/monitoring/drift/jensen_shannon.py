"""Jensen-Shannon distance: the square root of the JS divergence, in log base ``base`` (default e).

Same as ``scipy.spatial.distance.jensenshannon`` and Evidently's default for categorical columns
above 1000 reference rows (threshold 0.1, natural log). Bounded by 1 in base 2, by sqrt(ln 2)
in base e.

>>> import numpy as np
>>> round(JensenShannon().compare(np.array([1.0, 0]), np.array([0.0, 1])).statistic, 4)  # sqrt(ln 2)
0.8326
>>> JensenShannon(base=2).compare(np.array([1.0, 0]), np.array([0.0, 1])).statistic
1.0
"""

from __future__ import annotations

import math

import numpy as np

from mlops_tasks.monitoring.drift.base import BinnedMethod, Measure, proportions


class JensenShannon(BinnedMethod):
    name = "jensen_shannon"
    threshold = 0.1

    def __init__(self, base: float | None = None):
        self.base = base
        self.log_base = "e" if base is None else str(base)

    def compare(self, ref_counts: np.ndarray, cur_counts: np.ndarray) -> Measure:
        p, q = proportions(ref_counts), proportions(cur_counts)
        m = (p + q) / 2
        divergence = (_kl(p, m) + _kl(q, m)) / 2
        if self.base is not None:
            divergence /= math.log(self.base)
        return Measure(statistic=float(math.sqrt(max(divergence, 0.0))))


def _kl(a: np.ndarray, b: np.ndarray) -> float:
    keep = a > 0  # 0 * log 0 = 0; b > 0 wherever a > 0 since b is a mixture containing a
    return float(np.sum(a[keep] * np.log(a[keep] / b[keep])))
