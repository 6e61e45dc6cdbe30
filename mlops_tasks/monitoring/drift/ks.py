"""Two-sample Kolmogorov-Smirnov: the largest gap between the two CDFs; drift when p < 0.05.

The reference CDF comes from its sketch: exact (every distinct value) up to ``sketch`` rows,
so the statistic equals ``scipy.stats.ks_2samp``'s; beyond, the sketch's ``sketch + 1``
quantiles bound the error by about 1 / sketch. The p-value is Smirnov's asymptotic one,
as ``ks_2samp(..., method="asymp")``. Numeric columns only.
"""

from __future__ import annotations

import numpy as np

from mlops_tasks.monitoring.drift.base import DriftMethod, Measure
from mlops_tasks.monitoring.reference import ColumnReference
from mlops_tasks.monitoring.summary import ColumnSummary


class KolmogorovSmirnov(DriftMethod):
    name = "ks"
    threshold = 0.05
    decides_on = "p_value"
    kinds = frozenset({"numeric"})
    needs_grid = True

    def measure(self, ref: ColumnReference, cur: ColumnSummary) -> Measure:
        from scipy.stats import kstwo

        cur_lt, cur_le = cur.cdf()
        # The sup of |F_ref - F_cur| is reached at a sketch point or just below one.
        d = float(max(np.abs(ref.grid_lt - cur_lt).max(), np.abs(ref.grid_le - cur_le).max()))
        big, small = sorted((float(ref.count), float(cur.n)), reverse=True)
        n_eff = round(big * small / (big + small))
        note = None if ref.exact else f"reference CDF from a {len(ref.grid)}-point sketch"
        return Measure(
            statistic=d, p_value=float(kstwo.sf(d, n_eff)), bins=len(ref.grid), note=note
        )
