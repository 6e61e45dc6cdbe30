"""Population Stability Index: ``sum((q - p) * ln(q / p))`` over bins, natural log.

Empty bins are filled as Evidently does (`fill_zeros`); default threshold 0.1, as Evidently's.

>>> import numpy as np
>>> round(PSI().compare(np.array([50.0, 50]), np.array([60.0, 40])).statistic, 4)
0.0405
"""

from __future__ import annotations

import numpy as np

from mlops_tasks.monitoring.drift.base import BinnedMethod, Measure, fill_zeros, proportions


class PSI(BinnedMethod):
    name = "psi"
    threshold = 0.1
    log_base = "e"

    def compare(self, ref_counts: np.ndarray, cur_counts: np.ndarray) -> Measure:
        p, q = fill_zeros(proportions(ref_counts)), fill_zeros(proportions(cur_counts))
        return Measure(statistic=float(np.sum((q - p) * np.log(q / p))))
