"""Chi-square goodness of fit of the current counts to the reference shares; drift when p < 0.05.

As Evidently's ``chisquare`` test: the expected counts are the reference shares times the
current size. A bin the reference never saw (an unseen category) would make the statistic
infinite; its expected share is filled as PSI fills empty bins, so it stays finite and large
and the note says why. For calibrated thresholds the size-free ``chi2 / n`` is used.

>>> import numpy as np
>>> m = ChiSquare().compare(np.array([50.0, 50]), np.array([60.0, 40]))
>>> round(m.statistic, 3), round(m.p_value, 4)
(4.0, 0.0455)
"""

from __future__ import annotations

import numpy as np

from mlops_tasks.monitoring.drift.base import BinnedMethod, Measure, fill_zeros, proportions


class ChiSquare(BinnedMethod):
    name = "chi2"
    threshold = 0.05
    decides_on = "p_value"

    def compare(self, ref_counts: np.ndarray, cur_counts: np.ndarray) -> Measure:
        from scipy.stats import chi2

        n = cur_counts.sum()
        if len(ref_counts) < 2:
            return Measure(statistic=0.0, p_value=1.0, note="a single bin: nothing to compare")
        shares = fill_zeros(proportions(ref_counts))
        expected = shares / shares.sum() * n
        statistic = float(np.sum((cur_counts - expected) ** 2 / expected))
        note = None
        if ((ref_counts == 0) & (cur_counts > 0)).any():
            note = "current values in bins the reference never saw: their expected share is filled"
        return Measure(
            statistic=statistic, p_value=float(chi2.sf(statistic, len(ref_counts) - 1)), note=note
        )

    def calibration_value(self, measure: Measure, current_n: int) -> float | None:
        return (
            measure.statistic / current_n if current_n and measure.statistic is not None else None
        )
