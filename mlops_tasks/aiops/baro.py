"""BARO, the baseline root-cause ranker: a RobustScaler fitted before the fault, services ranked
by their largest robust z after it (Pham et al., FSE'24, its "inference" step).

Every metric of every service is centred on its pre-onset median and divided by its pre-onset
inter-quartile range (scikit-learn's ``RobustScaler``: a zero range scales by 1); a service
scores the largest absolute z of any of its metrics after the onset. Normal-period `reference`
metrics, where a case has them, join the pre-onset baseline. The rows and columns are the ones
`rank_root_causes` scores on (`rootcause.window`): the peer gets the same inputs.

>>> import pandas as pd
>>> idx = pd.date_range("2024-01-01", periods=20, freq="min", tz="UTC")
>>> a = pd.DataFrame({"cpu": [1.0, 2.0] * 10}, index=idx)
>>> b = pd.DataFrame({"cpu": [1.0, 2.0] * 8 + [9.0] * 4}, index=idx)
>>> [r.service for r in baro_rank({"a": a, "b": b}, idx[16])]
['b', 'a']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlops_tasks.aiops.rootcause import Cause, window

if TYPE_CHECKING:
    import pandas as pd


def baro_rank(
    metrics: dict[str, pd.DataFrame],
    onset: pd.Timestamp,
    *,
    baseline_minutes: float = 60,
    after_minutes: float = 4,
    reference: dict[str, pd.DataFrame] | None = None,
) -> list[Cause]:
    """Services by their largest robust z after `onset`; a service without data ranks last, with a reason."""
    import numpy as np

    causes = []
    for service, frame in metrics.items():
        ref = (reference or {}).get(service)
        base, post, reason = window(frame, onset, baseline_minutes, after_minutes, ref)
        if reason:
            causes.append(Cause(service=service, score=0.0, reason=reason))
            continue
        median = base.median()
        iqr = base.quantile(0.75) - base.quantile(0.25)
        iqr = iqr.where(iqr > 0, 1.0)  # RobustScaler's rule for a constant feature
        z = ((post - median) / iqr).abs().max().replace([np.inf, -np.inf], np.nan).dropna()
        if z.empty:
            causes.append(
                Cause(service=service, score=0.0, reason="no finite value after the onset")
            )
            continue
        causes.append(Cause(service=service, score=float(z.max()), metric=str(z.idxmax())))
    return sorted(causes, key=lambda c: -c.score)
