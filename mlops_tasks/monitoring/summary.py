"""Sufficient statistics of current data on the reference's bins: all any drift method needs.

Every drift method reads a summary, never the raw data, and summaries of chunks add up. So the
same numbers come from a frame in memory, from 20M rows read chunk by chunk, or from a database
(`mlops_tasks.monitoring.sql` computes these very fields with GROUP BY / CASE).

Numeric column, with ``g`` the reference's CDF sketch points:

* ``hist[i]``: values in reference bin i, ``(edges[i-1], edges[i]]``;
* ``open[j]``: values strictly between ``g[j-1]`` and ``g[j]`` (``g[-1] = -inf``, ``g[len] = +inf``);
* ``eq[j]``: values equal to ``g[j]``; ``sums[j]``: sum of the values counted in ``open[j]``.

>>> import numpy as np, pandas as pd
>>> from mlops_tasks.monitoring.reference import fit_reference
>>> ref = fit_reference(pd.DataFrame({"x": [1.0, 2, 3, 4, 5, 6]}), bins=2)
>>> s = summarize(ref, pd.DataFrame({"x": [0.5, 2.0, 2.5, 9.0, None]}))["x"]
>>> s.n, s.nulls, s.hist.tolist(), s.open.tolist(), s.eq.tolist()
(4, 1, [3, 1], [1, 0, 1, 0, 0, 0, 1], [0, 1, 0, 0, 0, 0])
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlops_tasks.monitoring.reference import (
    ColumnReference,
    Reference,
    category_counts,
    finite_values,
)


@dataclass
class ColumnSummary:
    """Counts of current data on one reference column's bins (see the module docstring)."""

    kind: str
    n: int = 0
    nulls: int = 0
    hist: np.ndarray | None = None
    open: np.ndarray | None = None
    eq: np.ndarray | None = None
    sums: np.ndarray | None = None
    total: float = 0.0  # sum and sum of squares of the values: current mean and std for reports
    total_sq: float = 0.0
    categories: dict[str, int] = field(default_factory=dict)

    def add(self, other: ColumnSummary) -> ColumnSummary:
        """Add another chunk's summary into this one."""
        self.n += other.n
        self.nulls += other.nulls
        self.total += other.total
        self.total_sq += other.total_sq
        for name in ("hist", "open", "eq", "sums"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if theirs is not None:
                setattr(self, name, theirs.copy() if mine is None else mine + theirs)
        for key, count in other.categories.items():
            self.categories[key] = self.categories.get(key, 0) + count
        return self

    @property
    def mean(self) -> float | None:
        return self.total / self.n if self.n else None

    @property
    def std(self) -> float | None:
        if not self.n:
            return None
        return float(np.sqrt(max(self.total_sq / self.n - (self.total / self.n) ** 2, 0.0)))

    def cdf(self) -> tuple[np.ndarray, np.ndarray]:
        """Share of current values below (lt) and at or below (le) each reference sketch point."""
        below = np.cumsum(self.open[:-1]) + np.concatenate(([0], np.cumsum(self.eq)[:-1]))
        return below / self.n, (below + self.eq) / self.n


def summarize_column(ref: ColumnReference, values: Any, grid: bool = True) -> ColumnSummary:
    """The summary of one column's values (a pandas Series or array) against its reference."""
    if ref.kind == "categorical":
        counts, nulls = category_counts(values)
        return ColumnSummary(
            kind="categorical", n=sum(counts.values()), nulls=nulls, categories=counts
        )
    x, nulls, nonfinite = finite_values(values)
    out = ColumnSummary(kind="numeric", n=len(x), nulls=nulls + nonfinite)
    if not ref.count:
        return out
    if not (grid and len(ref.grid)):
        # Bins only (PSI and the other binned methods): the values at most each of the ~10
        # edges, counted block by block (`bin_counts`), a linear pass where a sort is n log n.
        # The sums come from the same L2-resident blocks: two fewer reads of the column.
        out.hist, out.total, out.total_sq = binned_moments(x, ref.edges)
        return out
    out.total, out.total_sq = moments(x)
    # The CDF sketch needs the values against ~1000 points and per-interval sums: one sort,
    # then binary searches of the points in it.
    s = np.sort(x)
    out.hist = np.diff(np.concatenate(([0], np.searchsorted(s, ref.edges, side="right"), [len(s)])))
    if grid and len(ref.grid):
        lt = np.searchsorted(s, ref.grid, side="left")
        le = np.searchsorted(s, ref.grid, side="right")
        starts, ends = np.concatenate(([0], le)), np.concatenate((lt, [len(s)]))
        out.open, out.eq = ends - starts, le - lt
        csum = np.concatenate(([0.0], np.cumsum(s)))
        out.sums = csum[ends] - csum[starts]
    return out


# Up to this many edges, counting "at most each edge" beats a binary search per value.
MAX_COUNTED_EDGES = 64
BLOCK = 1 << 16  # values per block of the counting pass: the block stays in L2 across edges


def bin_counts(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts of `x` in the bins ``(-inf, e0], (e0, e1], ..., (e_last, inf)`` of the inner `edges`
    (NaN, above every edge, in the last).

    >>> bin_counts(np.array([0.5, 1.0, 1.5, 3.0]), np.array([1.0, 2.0])).tolist()
    [2, 1, 1]
    """
    return _count_blocks(x, edges, with_moments=False)[0]


def binned_moments(x: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, float, float]:
    """(`bin_counts`, sum, sum of squares) of finite `x`, the sums taken on the counting blocks.

    >>> hist, total, total_sq = binned_moments(np.array([0.5, 1.0, 1.5, 3.0]), np.array([1.0]))
    >>> hist.tolist(), total, total_sq
    ([2, 2], 6.0, 12.5)
    """
    return _count_blocks(x, edges, with_moments=True)


def moments(x: np.ndarray) -> tuple[float, float]:
    """Sum and sum of squares of `x`. einsum's own loop, not BLAS: np.dot starts BLAS threads,
    10x slower on a busy machine."""
    return float(np.add.reduce(x)), float(np.einsum("i,i->", x, x))


def _count_blocks(
    x: np.ndarray, edges: np.ndarray, with_moments: bool
) -> tuple[np.ndarray, float, float]:
    """Bin counts of `x` on `edges`, and its `moments` if asked (else zeros)."""
    if len(edges) > MAX_COUNTED_EDGES:
        # side="left": the number of edges below a value, i.e. its bin with right-closed bins.
        hist = np.bincount(np.searchsorted(edges, x, side="left"), minlength=len(edges) + 1)
        return (hist, *(moments(x) if with_moments else (0.0, 0.0)))
    # Values at most each edge, block by block: a compare and a count per edge on L2-resident
    # data, ~30x cheaper than numpy's per-value binary search for the ~10 edges of deciles.
    # (Tried, slower: uniform buckets via bincount, then exact compares in the edges' buckets,
    # 44 vs 17 ms per 10M values; numpy's bincount alone costs 11 ms, the 9 compares 11 ms.)
    at_most = np.zeros(len(edges), dtype=np.int64)
    flags = np.empty(min(BLOCK, len(x)), dtype=bool)
    total = total_sq = 0.0
    points = edges.tolist()
    for start in range(0, len(x), BLOCK):
        block = x[start : start + BLOCK]
        if with_moments:
            total += float(np.add.reduce(block))
            total_sq += float(np.einsum("i,i->", block, block))
        out = flags[: len(block)]
        for k, edge in enumerate(points):
            np.less_equal(block, edge, out=out)
            at_most[k] += np.count_nonzero(out)
    return np.diff(np.concatenate(([0], at_most, [len(x)]))), total, total_sq


def summarize(
    reference: Reference,
    data: Any,
    columns: list[str] | None = None,
    grid: bool | set[str] = True,
    threads: int | None = None,
) -> dict[str, ColumnSummary]:
    """Summaries of the reference's columns present in ``data``: a frame, or an iterable of frames.

    ``grid`` says whether to compute the CDF-sketch statistics (needed by KS and Wasserstein):
    True, False, or the set of columns that need them. Columns run on ``threads`` threads
    (numpy's sort and search release the GIL). Missing columns are left out: the caller reports them.
    """
    chunks: Iterable[Any] = [data] if hasattr(data, "columns") else data
    totals: dict[str, ColumnSummary] = {}
    workers = threads or min(4, cpus())
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for chunk in chunks:
            names = [
                c
                for c in (columns or reference.columns)
                if c in reference.columns and c in chunk.columns
            ]

            def one(name: str) -> tuple[str, ColumnSummary]:
                wants_grid = grid if isinstance(grid, bool) else name in grid
                return name, summarize_column(reference.columns[name], chunk[name], wants_grid)  # noqa: B023

            for name, part in pool.map(one, names):
                totals[name] = totals[name].add(part) if name in totals else part
    return totals


def cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
