"""Monitoring: reference profiles, data and prediction drift, realised performance, retraining policy.

The pieces, each in its own module:

* `reference` - fit once on training data, stored as a JSON artifact (kind ``reference``);
* `summary` - sufficient statistics of current data on the reference's bins (in memory, chunked);
* `sql` - the same statistics computed inside a database (push-down);
* `drift` - one module per drift method, `drift.auto` (the default choice) and `drift.calibrated`;
* `performance` - late labels joined to logged predictions, performance per time window;
* `policy` - the declarative retraining policy;
* `metrics_export` - Prometheus text format (textfile collector, Pushgateway);
* `report` - the self-contained HTML monitoring report.

>>> import numpy as np, pandas as pd
>>> from mlops_tasks.monitoring import fit_reference, detect_drift
>>> rng = np.random.default_rng(0)
>>> ref = fit_reference(pd.DataFrame({"x": rng.normal(size=5000)}))
>>> detect_drift(ref, pd.DataFrame({"x": rng.normal(3, 1, size=5000)}), method="psi").drifted_columns
['x']
"""

from __future__ import annotations

from typing import Any

__all__ = ["DatasetDrift", "Reference", "detect_drift", "fit_reference"]


def __getattr__(name: str) -> Any:
    # Lazy: task modules import `monitoring.policy` at DAG-parse time, which must not pull numpy in.
    if name in ("DatasetDrift", "detect_drift"):
        from mlops_tasks.monitoring import drift

        return getattr(drift, name)
    if name in ("Reference", "fit_reference"):
        from mlops_tasks.monitoring import reference

        return getattr(reference, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
