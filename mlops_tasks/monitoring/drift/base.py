"""What a drift method is, and what every column's drift result states.

A method compares one reference column with the summary of the current data
(`mlops_tasks.monitoring.summary`) and returns a `Measure`. A binned method only implements
``compare(ref_counts, cur_counts)`` on two aligned count vectors; adding a method is one small
module with one such class, listed in `mlops_tasks.monitoring.drift.BUILTIN_METHODS` or
registered by a plugin through ``mlops_tasks_register_drift_methods``.

>>> import numpy as np
>>> class TotalVariation(BinnedMethod):
...     name, threshold = "tvd", 0.1
...     def compare(self, ref_counts, cur_counts):
...         p, q = proportions(ref_counts), proportions(cur_counts)
...         return Measure(statistic=float(np.abs(p - q).sum() / 2))
>>> round(TotalVariation().compare(np.array([5, 5]), np.array([8, 2])).statistic, 6)
0.3
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

import numpy as np

from mlops_tasks.monitoring.reference import ColumnReference
from mlops_tasks.monitoring.summary import ColumnSummary


@dataclass
class Measure:
    """What a method computed: its statistic, a p-value for tests, and notes on special cases."""

    statistic: float | None
    p_value: float | None = None
    bins: int | None = None
    note: str | None = None


@dataclass
class ColumnDrift:
    """The drift verdict of one column, with everything needed to judge it."""

    column: str
    kind: str
    method: str
    statistic: float | None
    p_value: float | None
    threshold: float
    threshold_source: str  # "default" | "given" | "calibrated"
    decides_on: str  # "statistic" (drift when >= threshold) | "p_value" (drift when < threshold)
    drifted: bool | None  # None: not evaluated (see note)
    log_base: str | None
    bins: int | None
    reference_n: int
    current_n: int
    reference_nulls: int
    current_nulls: int
    unseen: dict[str, int] = field(default_factory=dict)  # categories absent from the reference
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class DriftMethod:
    """Base of every drift method. Subclasses set the class attributes and implement `measure`."""

    name: ClassVar[str]
    threshold: ClassVar[float]  # default threshold
    decides_on: ClassVar[str] = "statistic"
    kinds: ClassVar[frozenset[str]] = frozenset({"numeric", "categorical"})
    needs_grid: ClassVar[bool] = False  # needs the reference's CDF sketch (KS, Wasserstein)
    log_base: ClassVar[str | None] = None

    def measure(self, ref: ColumnReference, cur: ColumnSummary) -> Measure:
        raise NotImplementedError

    def is_drift(self, value: float, threshold: float) -> bool:
        return value < threshold if self.decides_on == "p_value" else value >= threshold

    def calibration_value(self, measure: Measure, current_n: int) -> float | None:
        """The size-free number calibrated thresholds are fitted on (the statistic by default)."""
        return measure.statistic


class BinnedMethod(DriftMethod):
    """A method on aligned counts: the reference's quantile bins, or categories (unseen ones included)."""

    def measure(self, ref: ColumnReference, cur: ColumnSummary) -> Measure:
        ref_counts, cur_counts = aligned_counts(ref, cur)
        found = self.compare(ref_counts, cur_counts)
        found.bins = len(ref_counts)
        return found

    def compare(self, ref_counts: np.ndarray, cur_counts: np.ndarray) -> Measure:
        raise NotImplementedError


def aligned_counts(ref: ColumnReference, cur: ColumnSummary) -> tuple[np.ndarray, np.ndarray]:
    """Reference and current counts on the same bins (categories: reference ones, then unseen ones)."""
    if ref.kind == "numeric":
        return ref.hist.astype(float), cur.hist.astype(float)
    keys = list(ref.categories) + sorted(k for k in cur.categories if k not in ref.categories)
    return (
        np.array([ref.categories.get(k, 0) for k in keys], dtype=float),
        np.array([cur.categories.get(k, 0) for k in keys], dtype=float),
    )


def proportions(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    return counts / total if total else np.zeros_like(counts, dtype=float)


def fill_zeros(p: np.ndarray) -> np.ndarray:
    """Replace empty bins' zero shares so logarithms stay finite, as Evidently does.

    The fill is 1e-4, or a millionth of the smallest non-zero share when that is below 1e-4.
    """
    nonzero = p[p > 0]
    if not len(nonzero) or len(nonzero) == len(p):
        return p
    smallest = nonzero.min()
    return np.where(p > 0, p, smallest / 1e6 if smallest <= 1e-4 else 1e-4)
