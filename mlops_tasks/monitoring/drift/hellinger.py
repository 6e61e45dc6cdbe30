"""Hellinger distance: ``sqrt(1 - sum(sqrt(p * q)))``, between 0 (same) and 1 (disjoint).

Default threshold 0.1, as Evidently's.

>>> import numpy as np
>>> Hellinger().compare(np.array([1.0, 0]), np.array([0.0, 1])).statistic
1.0
"""

from __future__ import annotations

import math

import numpy as np

from mlops_tasks.monitoring.drift.base import BinnedMethod, Measure, proportions


class Hellinger(BinnedMethod):
    name = "hellinger"
    threshold = 0.1

    def compare(self, ref_counts: np.ndarray, cur_counts: np.ndarray) -> Measure:
        p, q = proportions(ref_counts), proportions(cur_counts)
        overlap = min(float(np.sum(np.sqrt(p * q))), 1.0)  # rounding can exceed 1 by an ulp
        return Measure(statistic=math.sqrt(1.0 - overlap))
