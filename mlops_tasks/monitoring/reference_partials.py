"""`fit_reference` from partitions: per-partition partials, merged, and exact order statistics by rounds.

The reference of a column split over partitions, with the same bin edges, bin counts, CDF
sketch, category counts, min and max as `fit_reference` on the whole column:

1. `ColumnFit.of` on each partition: nulls, finite count, min, max, sum and squared
   deviations; the category counts of a categorical column, and of a numeric one with at most
   `MAX_UNIQUE_AS_CATEGORICAL` distinct values (which the fit turns categorical); the finite
   values themselves when there are at most ``sketch`` of them.
2. `merge` in partition order. A column of at most ``sketch`` values is fitted by
   `fit_reference` on the gathered values; a larger one needs the values at a few hundred
   ranks (bin edges and sketch points), found exactly by `mlops_tasks.monitoring.ranks` in
   rounds over the partitions (`wanted_ranks`, then `finish`).

Mean and std come from the merged sums (Chan et al.), so they may differ from numpy's
pairwise sums over the whole column in the last bits (relative 1e-15); every count, edge and
sketch point is identical.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mlops_tasks.monitoring.reference import (
    MAX_UNIQUE_AS_CATEGORICAL,
    ColumnReference,
    _fit_numeric,
    category_counts,
    edge_probs,
    finite_values,
    grid_ranks,
    interpolation_ranks,
)


@dataclass
class ColumnFit:
    """Pass 1 of one column on one partition (kind "numeric" or "categorical")."""

    kind: str
    nulls: int = 0  # numeric: nulls and +-inf; categorical: nulls
    count: int = 0  # numeric: finite values
    min: float = np.inf
    max: float = -np.inf
    total: float = 0.0
    m2: float = 0.0
    distinct: np.ndarray | None = None  # numeric: the distinct finite values, if few
    categories: dict[str, int] | None = None  # categorical; numeric: when distinct is set
    category_nulls: int = 0
    values: np.ndarray | None = None  # numeric: the finite values, if at most `sketch`

    @classmethod
    def of(cls, values: Any, kind: str, *, sketch: int, few_as_categorical: bool) -> ColumnFit:
        if kind == "categorical":
            counts, nulls = category_counts(values)
            return cls(kind, nulls=nulls, count=sum(counts.values()), categories=counts)
        x, nulls, nonfinite = finite_values(values)
        part = cls(kind, nulls=nulls + nonfinite, count=len(x))
        if len(x):
            part.min, part.max, part.total = float(x.min()), float(x.max()), float(x.sum())
            deviations = x - part.total / len(x)
            part.m2 = float(np.dot(deviations, deviations))
        if few_as_categorical:
            head = np.unique(x[:4096])
            if len(head) <= MAX_UNIQUE_AS_CATEGORICAL and np.isin(x, head).all():
                part.distinct = head
                part.categories, part.category_nulls = category_counts(values)
        if len(x) <= sketch:
            part.values = x
        return part

    def merge(self, other: ColumnFit) -> ColumnFit:
        """Both partitions' pass 1 (self first: gathered values keep the rows' order)."""
        merged = ColumnFit(
            self.kind, nulls=self.nulls + other.nulls, count=self.count + other.count,
            min=min(self.min, other.min), max=max(self.max, other.max),
            total=self.total + other.total, m2=_chan_m2(self, other),
            category_nulls=self.category_nulls + other.category_nulls,
        )  # fmt: skip
        if self.kind == "categorical":
            merged.categories = _add_counts(self.categories or {}, other.categories or {})
        elif self.distinct is not None and other.distinct is not None:
            distinct = np.union1d(self.distinct, other.distinct)
            if len(distinct) <= MAX_UNIQUE_AS_CATEGORICAL:
                merged.distinct = distinct
                merged.categories = _add_counts(self.categories or {}, other.categories or {})
        if self.values is not None and other.values is not None:
            merged.values = np.concatenate([self.values, other.values])
        return merged


def fit_column(
    name: str, fit: ColumnFit, *, bins: int, sketch: int, few_as_categorical: bool
) -> ColumnReference | None:
    """The column's reference if pass 1 settles it (as `fit_reference` decides); None when it needs ranks."""
    import pandas as pd

    if fit.kind == "numeric" and not fit.count:
        return ColumnReference(name=name, kind="numeric", count=0, nulls=fit.nulls)
    if fit.kind == "categorical" or (few_as_categorical and fit.distinct is not None):
        categories = fit.categories or {}
        return ColumnReference(
            name=name, kind="categorical", count=sum(categories.values()),
            nulls=fit.nulls if fit.kind == "categorical" else fit.category_nulls,
            categories=dict(sorted(categories.items())),
        )  # fmt: skip
    if sketch and fit.count <= sketch and fit.values is not None:
        col = _fit_numeric(name, pd.Series(fit.values), bins, sketch)
        col.nulls = fit.nulls
        return col
    return None


def wanted_ranks(fit: ColumnFit, *, bins: int, sketch: int) -> np.ndarray:
    """The ranks (0-based, among the sorted finite values) whose values `finish` needs."""
    _, lo, hi = interpolation_ranks(fit.count, edge_probs(bins))
    ranks = [lo, hi] + ([grid_ranks(fit.count, sketch)] if sketch else [])
    return np.unique(np.concatenate(ranks))


def finish(
    name: str, fit: ColumnFit, ranks: np.ndarray, values: np.ndarray, le: np.ndarray,
    lt: np.ndarray, *, bins: int, sketch: int,
) -> ColumnReference:  # fmt: skip
    """The numeric reference from the values at `wanted_ranks` and the counts below / at them."""
    from mlops_tasks.monitoring.reference import _quantiles_sorted

    n = fit.count
    at = dict(zip(ranks.tolist(), values.tolist()))
    stats = _RankedValues(n, at)
    col = ColumnReference(name=name, kind="numeric", count=n, nulls=fit.nulls)
    lo_value, hi_value = float(fit.min), float(fit.max)
    by_value = {v: (int(a), int(b)) for v, a, b in zip(values.tolist(), lt.tolist(), le.tolist())}
    if lo_value == hi_value:
        # A constant column: bins {< c}, {c}, {> c}, as `fit_reference` makes them.
        col.edges = np.array([np.nextafter(lo_value, -np.inf), lo_value])
        below_edges = np.array([0, n])
    else:
        raw = _quantiles_sorted(stats, edge_probs(bins))
        # An edge between two consecutive order statistics has exactly the values up to the
        # lower one at or below it (none lie strictly between them).
        _, lo, hi = interpolation_ranks(n, edge_probs(bins))
        counts = [
            by_value[at[h]][1] if e >= at[h] else by_value[at[r]][1]
            for e, r, h in zip(raw.tolist(), lo.tolist(), hi.tolist())
        ]
        col.edges, first = np.unique(raw, return_index=True)
        below_edges = np.asarray(counts, dtype=np.int64)[first]
    col.hist = np.diff(np.concatenate(([0], below_edges, [n])))
    if sketch:
        col.grid = np.unique(stats[grid_ranks(n, sketch)])
        col.grid_lt = np.array([by_value[v][0] for v in col.grid.tolist()]) / n
        col.grid_le = np.array([by_value[v][1] for v in col.grid.tolist()]) / n
    col.mean, col.std = fit.total / n, float(np.sqrt(fit.m2 / n))
    col.min, col.max = lo_value, hi_value
    return col


class _RankedValues:
    """The sorted column's values at the ranks found, indexed like the sorted array."""

    def __init__(self, n: int, at: dict[int, float]):
        self.n, self.at = n, at

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, ranks: np.ndarray) -> np.ndarray:
        return np.array([self.at[r] for r in np.asarray(ranks).tolist()], dtype=np.float64)


def _chan_m2(a: ColumnFit, b: ColumnFit) -> float:
    """Chan, Golub & LeVeque: squared deviations of the union from the parts'."""
    if not a.count or not b.count:
        return a.m2 + b.m2
    delta = b.total / b.count - a.total / a.count
    return a.m2 + b.m2 + delta * delta * a.count * b.count / (a.count + b.count)


def _add_counts(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    out = dict(a)
    for key, n in b.items():
        out[key] = out.get(key, 0) + n
    return out
