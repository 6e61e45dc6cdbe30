"""Thresholds calibrated on the reference's own variability, as NannyML does.

At fit time the reference is cut into ``chunks`` consecutive chunks; each method's statistic
of every chunk against the whole reference is stored with the reference. In calibrated mode a
column drifts when its statistic exceeds ``mean + 3 * std`` of those chunk values (NannyML's
default multiplier): a threshold that reflects how much this column moves by chance. The
chunk size (``rows / chunks``) should be close to the size of the current windows, since
sampling noise shrinks as windows grow. Tests with p-values are calibrated on their statistic
(KS: D; chi-square: chi2 / n).

>>> import numpy as np, pandas as pd
>>> from mlops_tasks.monitoring.reference import fit_reference
>>> ref = fit_reference(pd.DataFrame({"x": np.random.default_rng(0).normal(size=10_000)}), calibration_chunks=10)
>>> values = ref.columns["x"].calibration["psi"]
>>> len(values), bool(threshold(ref.columns["x"], "psi") == np.mean(values) + 3 * np.std(values))
(10, True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlops_tasks.monitoring.reference import ColumnReference, Reference

STD_MULTIPLIER = 3.0


def calibrate(reference: Reference, data: Any, chunks: int) -> None:
    """Record every applicable method's statistic per reference chunk, in place."""
    from mlops_tasks.monitoring.summary import summarize

    if chunks < 2:
        raise ValueError("calibration needs at least 2 chunks")
    bounds = np.linspace(0, len(data), chunks + 1).astype(int)
    record_chunks(
        reference,
        (
            summarize(
                reference, data.iloc[start:stop] if hasattr(data, "iloc") else data[start:stop]
            )
            for start, stop in zip(bounds[:-1], bounds[1:])
        ),
        chunks,
    )


def record_chunks(reference: Reference, chunk_summaries: Any, chunks: int) -> None:
    """Record each chunk's statistics from its summaries, in place (chunks summarised elsewhere, e.g. per partition)."""
    from mlops_tasks.monitoring.drift import drift_methods

    methods = drift_methods()
    for summaries in chunk_summaries:
        for name, summary in summaries.items():
            ref = reference.columns[name]
            if not summary.n or not ref.count:
                continue
            for method_name, method_cls in methods.items():
                method = method_cls()
                if ref.kind not in method.kinds or (method.needs_grid and not len(ref.grid)):
                    continue
                value = method.calibration_value(method.measure(ref, summary), summary.n)
                if value is not None:
                    ref.calibration.setdefault(method_name, []).append(float(value))
    reference.calibration_chunks = chunks


def threshold(
    ref: ColumnReference, method: str, multiplier: float = STD_MULTIPLIER
) -> float | None:
    """``mean + multiplier * std`` of the method's chunk statistics, or None if not calibrated."""
    values = ref.calibration.get(method)
    if not values or len(values) < 2:
        return None
    return float(np.mean(values) + multiplier * np.std(values))
