"""L-infinity distance: the largest absolute difference between bin (or category) shares.

NannyML's choice for categorical columns; default threshold 0.1.

>>> import numpy as np
>>> LInf().compare(np.array([50.0, 30, 20]), np.array([40.0, 30, 30])).statistic
0.1
"""

from __future__ import annotations

import numpy as np

from mlops_tasks.monitoring.drift.base import BinnedMethod, Measure, proportions


class LInf(BinnedMethod):
    name = "linf"
    threshold = 0.1

    def compare(self, ref_counts: np.ndarray, cur_counts: np.ndarray) -> Measure:
        diff = np.abs(proportions(ref_counts) - proportions(cur_counts))
        return Measure(statistic=round(float(diff.max()), 15) if len(diff) else 0.0)
