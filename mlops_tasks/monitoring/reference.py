"""The reference profile: what monitoring needs to know about the training data, fitted once.

For a numeric column: quantile bin edges and the reference counts in those bins (for PSI,
Jensen-Shannon, Hellinger, L-infinity, chi-square), a CDF sketch (for Kolmogorov-Smirnov and
Wasserstein: every distinct value up to ``sketch`` rows, exact; else ``sketch + 1`` quantiles),
count, nulls, mean, std, min and max. For a categorical column: the count of every category.
Optionally, per-chunk statistics of each method for calibrated thresholds (see
`mlops_tasks.monitoring.drift.calibrated`).

Stored as a JSON artifact of kind ``reference``, so monitoring never reloads the training set.

>>> import pandas as pd
>>> ref = fit_reference(pd.DataFrame({"x": [1.0, 2, 3, 4, 5, 6, 7, 8], "c": list("aabbbccc")}), bins=4)
>>> ref.columns["x"].kind, ref.columns["x"].edges.tolist(), ref.columns["x"].hist.tolist()
('numeric', [2.75, 4.5, 6.25], [2, 2, 2, 2])
>>> ref.columns["c"].kind, ref.columns["c"].categories
('categorical', {'a': 2, 'b': 3, 'c': 3})
>>> Reference.from_dict(ref.to_dict()).columns["x"].edges.tolist()
[2.75, 4.5, 6.25]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlops_tasks.errors import DataError

# Evidently treats a numeric column with at most 5 distinct values as categorical; so do we.
MAX_UNIQUE_AS_CATEGORICAL = 5
FORMAT_VERSION = 1


@dataclass
class ColumnReference:
    """One column of the reference. Numeric columns fill the numeric fields, categorical ``categories``."""

    name: str
    kind: str  # "numeric" | "categorical"
    count: int  # non-null (and, for numeric, finite) values
    nulls: int
    # numeric
    edges: np.ndarray = field(
        default_factory=lambda: np.empty(0)
    )  # inner bin edges, bins = len + 1
    hist: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    grid: np.ndarray = field(default_factory=lambda: np.empty(0))  # CDF sketch points
    grid_lt: np.ndarray = field(default_factory=lambda: np.empty(0))  # share of values < grid point
    grid_le: np.ndarray = field(
        default_factory=lambda: np.empty(0)
    )  # share of values <= grid point
    exact: bool = False  # the sketch holds every distinct value
    mean: float | None = None
    std: float | None = None
    min: float | None = None
    max: float | None = None
    # categorical
    categories: dict[str, int] = field(default_factory=dict)
    # per method: its statistic on each reference chunk against the whole reference
    calibration: dict[str, list[float]] = field(default_factory=dict)

    @property
    def bins(self) -> int:
        return len(self.edges) + 1 if self.kind == "numeric" else len(self.categories)

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"kind": self.kind, "count": self.count, "nulls": self.nulls}
        if self.kind == "numeric":
            doc.update(
                edges=self.edges.tolist(),
                hist=self.hist.tolist(),
                grid=self.grid.tolist(),
                grid_lt=self.grid_lt.tolist(),
                grid_le=self.grid_le.tolist(),
                exact=self.exact,
                mean=self.mean,
                std=self.std,
                min=self.min,
                max=self.max,
            )
        else:
            doc["categories"] = self.categories
        if self.calibration:
            doc["calibration"] = self.calibration
        return doc

    @classmethod
    def from_dict(cls, name: str, doc: dict[str, Any]) -> ColumnReference:
        arrays = {
            k: np.asarray(doc[k], dtype=float)
            for k in ("edges", "grid", "grid_lt", "grid_le")
            if k in doc
        }
        if "hist" in doc:
            arrays["hist"] = np.asarray(doc["hist"], dtype=np.int64)
        scalars = {
            k: doc[k]
            for k in ("exact", "mean", "std", "min", "max", "categories", "calibration")
            if k in doc
        }
        return cls(
            name=name, kind=doc["kind"], count=doc["count"], nulls=doc["nulls"], **arrays, **scalars
        )


@dataclass
class Reference:
    """Every monitored column's reference, plus the settings it was fitted with."""

    columns: dict[str, ColumnReference]
    rows: int
    bins: int
    sketch: int
    calibration_chunks: int = 0
    skipped: dict[str, str] = field(default_factory=dict)  # column -> why it is not monitored

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "rows": self.rows,
            "bins": self.bins,
            "sketch": self.sketch,
            "calibration_chunks": self.calibration_chunks,
            "skipped": self.skipped,
            "columns": {name: col.to_dict() for name, col in self.columns.items()},
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Reference:
        if doc.get("format") != FORMAT_VERSION:
            raise DataError(
                f"reference format {doc.get('format')!r} is not supported (expected {FORMAT_VERSION})"
            )
        return cls(
            columns={n: ColumnReference.from_dict(n, c) for n, c in doc["columns"].items()},
            rows=doc["rows"],
            bins=doc["bins"],
            sketch=doc["sketch"],
            calibration_chunks=doc.get("calibration_chunks", 0),
            skipped=doc.get("skipped", {}),
        )


def fit_reference(
    data: Any,
    *,
    columns: list[str] | None = None,
    numeric: list[str] | None = None,
    categorical: list[str] | None = None,
    bins: int = 10,
    sketch: int = 1000,
    calibration_chunks: int = 0,
) -> Reference:
    """Fit the reference profile of a data frame (pandas, or anything with ``[column]`` and ``len``).

    Parameters
    ----------
    bins : int
        Quantile bins per numeric column (10: deciles); ties merge bins.
    sketch : int
        CDF sketch size for KS and Wasserstein: columns with at most this many values keep every
        distinct value (exact); larger ones keep ``sketch + 1`` quantiles. 0 skips the sketch
        (then only the binned methods are available).
    calibration_chunks : int
        Split the reference into this many chunks and record every method's statistic on each,
        for calibrated thresholds; 0 skips it.
    """
    if bins < 2:
        raise ValueError("bins must be at least 2")
    names = list(columns) if columns is not None else list(data.columns)
    numeric, categorical = set(numeric or ()), set(categorical or ())

    def fit_one(name: str) -> ColumnReference | str:
        values = data[name]
        kind = (
            "categorical"
            if name in categorical
            else "numeric"
            if name in numeric
            else column_kind(values, exact=False)
        )
        if kind is None:
            return f"dtype {values.dtype} is neither numeric nor categorical"
        if kind == "categorical":
            return _fit_categorical(name, values, bins, sketch)
        return _fit_numeric(name, values, bins, sketch, few_as_categorical=name not in numeric)

    from concurrent.futures import ThreadPoolExecutor

    from mlops_tasks.monitoring.summary import cpus

    # Columns in parallel: numpy's sort and search release the GIL.
    with ThreadPoolExecutor(max_workers=min(4, cpus())) as pool:
        done = dict(zip(names, pool.map(fit_one, names)))
    fitted = {n: c for n, c in done.items() if isinstance(c, ColumnReference)}
    skipped = {n: c for n, c in done.items() if isinstance(c, str)}
    reference = Reference(columns=fitted, rows=len(data), bins=bins, sketch=sketch, skipped=skipped)
    if calibration_chunks:
        from mlops_tasks.monitoring.drift.calibrated import calibrate

        calibrate(reference, data, calibration_chunks)
    return reference


def column_kind(values: Any, exact: bool = True) -> str | None:
    """``numeric``, ``categorical`` or None (dates, nested values), from the dtype and distinct count.

    With ``exact=False`` a numeric dtype is "numeric" without counting distinct values (the
    numeric fit counts them on its sorted values, and turns a column of few values categorical).
    """
    import pandas as pd

    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(dtype):
        if not exact:
            return "numeric"
        return (
            "categorical" if pd.Series(values).nunique() <= MAX_UNIQUE_AS_CATEGORICAL else "numeric"
        )
    if pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        return "categorical"
    return None


def finite_values(values: Any) -> tuple[np.ndarray, int, int]:
    """(finite float64 values, nulls, non-finite count): NaN and None are nulls; +-inf are set aside."""
    import pandas as pd

    series = pd.Series(values, copy=False)
    if isinstance(series.dtype, np.dtype) and series.dtype == np.float64:
        x = series.to_numpy()  # NaN already marks the nulls: a view (na_value= would copy)
    else:
        x = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf: NaN, which is the answer
        if len(x) and np.isfinite(np.add.reduce(x)):
            return x, 0, 0  # a finite sum has no NaN or inf among its terms: one pass, no mask
    finite = np.isfinite(x)
    if finite.all():
        return x, 0, 0
    nan = int(np.isnan(x).sum())
    kept = x[finite]
    return kept, nan, len(x) - nan - len(kept)


def category_key(value: Any) -> str:
    """The text a category is stored under: ``1.0`` and ``1`` are the same category.

    >>> category_key(1.0), category_key(1), category_key("a"), category_key(True)
    ('1', '1', 'a', 'True')
    """
    if (
        isinstance(value, (float, np.floating))
        and math.isfinite(value)
        and float(value).is_integer()
    ):
        return str(int(value))
    if isinstance(value, np.generic):
        value = value.item()
    return str(value)


def category_counts(values: Any) -> tuple[dict[str, int], int]:
    """(count per category key, nulls) of a column."""
    import pandas as pd

    series = pd.Series(values, copy=False)
    if isinstance(series.dtype, pd.CategoricalDtype):
        return _categorical_counts(series)
    counts: dict[str, int] = {}
    for value, n in series.value_counts(dropna=True, sort=False).items():
        if n:
            key = category_key(value)
            counts[key] = counts.get(key, 0) + int(n)
    return counts, int(series.isna().sum())


def _categorical_counts(series: Any) -> tuple[dict[str, int], int]:
    """`category_counts` of a pandas Categorical from its codes: a bincount per block (the
    block's int64 copy stays in L2), not pandas' value_counts and isna over the whole column."""
    codes = np.asarray(series.cat.codes)
    categories = series.cat.categories
    tally = np.zeros(len(categories) + 1, dtype=np.int64)  # slot 0: nulls (code -1)
    for start in range(0, len(codes), 1 << 16):
        block = codes[start : start + (1 << 16)].astype(np.intp)
        block += 1
        tally += np.bincount(block, minlength=len(tally))
    counts: dict[str, int] = {}
    for value, n in zip(categories, tally[1:].tolist()):
        if n:
            key = category_key(value)
            counts[key] = counts.get(key, 0) + n
    return counts, int(tally[0])


def _fit_categorical(name: str, values: Any, bins: int, sketch: int) -> ColumnReference:
    counts, nulls = category_counts(values)
    return ColumnReference(
        name=name,
        kind="categorical",
        count=sum(counts.values()),
        nulls=nulls,
        categories=dict(sorted(counts.items())),
    )


def _fit_numeric(
    name: str, values: Any, bins: int, sketch: int, few_as_categorical: bool = False
) -> ColumnReference:
    x, nulls, nonfinite = finite_values(values)
    col = ColumnReference(name=name, kind="numeric", count=len(x), nulls=nulls + nonfinite)
    if not len(x):
        return col  # drift against it reports "reference has no values" per column
    if not sketch:
        return _fit_binned(col, values, x, bins, few_as_categorical)
    # One sort serves the distinct count, the bin edges, the counts and the CDF sketch.
    s = np.sort(x)
    if few_as_categorical and np.count_nonzero(s[1:] != s[:-1]) + 1 <= MAX_UNIQUE_AS_CATEGORICAL:
        return _fit_categorical(name, values, bins, sketch)
    edges = np.unique(_quantiles_sorted(s, edge_probs(bins)))
    lo, hi = float(s[0]), float(s[-1])
    if lo == hi:
        # A constant column: bins {< c}, {c}, {> c}, so a move either way shows.
        edges = np.array([np.nextafter(lo, -np.inf), lo])
    if sketch:
        if len(s) <= sketch:
            grid, col.exact = np.unique(s), True
        else:
            # inverted_cdf: sketch points are real values, so ties (discrete data) stay exact.
            grid = np.unique(s[grid_ranks(len(s), sketch)])
        col.grid = grid
        col.grid_lt = np.searchsorted(s, grid, side="left") / len(s)
        col.grid_le = np.searchsorted(s, grid, side="right") / len(s)
    col.edges = edges
    col.hist = np.diff(np.concatenate(([0], np.searchsorted(s, edges, side="right"), [len(s)])))
    col.mean, col.std, col.min, col.max = *mean_std(x), lo, hi
    return col


def _fit_binned(
    col: ColumnReference, values: Any, x: np.ndarray, bins: int, few_as_categorical: bool
) -> ColumnReference:
    """The numeric fit without a CDF sketch, in linear passes: the same edges and counts as the sort.

    The quantiles' order statistics come from `order_statistics` (linear), the counts from its
    brackets (`at_most`; else `bin_counts`); the few-distinct-values test looks at a head sample first and
    checks the whole column against it, so only a column of few values pays for `np.unique`.
    """
    from mlops_tasks.monitoring.summary import bin_counts

    lo, hi = float(x.min()), float(x.max())
    if few_as_categorical and _few_distinct(x):
        return _fit_categorical(col.name, values, bins, 0)
    pos, below, above = interpolation_ranks(len(x), edge_probs(bins))
    ranks = np.unique(np.concatenate((below, above)))
    brackets: list[tuple[float, float, int, np.ndarray]] = []
    at = dict(zip(ranks.tolist(), order_statistics(x, ranks, keep=brackets).tolist()))
    low, high = np.array([at[r] for r in below]), np.array([at[r] for r in above])
    edges = np.unique(low + (high - low) * (pos - below))
    if lo == hi:
        edges = np.array([np.nextafter(lo, -np.inf), lo])
    # Each edge lies between two order statistics, so inside their bracket: the counts come
    # from the brackets' few values, not another pass over the column.
    counted = at_most(brackets, edges) if brackets else None
    col.edges = edges
    col.hist = (
        bin_counts(x, edges)
        if counted is None
        else np.diff(np.concatenate(([0], counted, [len(x)])))
    )
    col.mean, col.std, col.min, col.max = *mean_std(x), lo, hi
    return col


# Below this many values one np.partition is as quick as narrowing by a sample first.
SELECT_DIRECT = 1 << 19
# Values in the sample that brackets each wanted rank: n/64, within these bounds (a larger
# sample narrows the brackets, but sorting it soon costs more than the narrower gathers save).
SELECT_SAMPLE = (1 << 14, 1 << 17)
SELECT_BLOCK = 1 << 16


def order_statistics(
    x: np.ndarray, ranks: np.ndarray, keep: list[tuple[float, float, int, np.ndarray]] | None = None
) -> np.ndarray:
    """The values at the 0-based sorted `ranks` (ascending, unique) of finite `x`: exactly
    ``np.partition(x, ranks)[ranks]``, without partitioning all of `x` around every rank.

    A strided sample, sorted, brackets each rank between two sample values with a margin of five
    standard deviations of a sample rank; one blocked pass counts the values below each bracket
    and gathers those inside (about 1% of `x` per rank), and a partition of those few finds the
    rank. A bracket that misses its rank (a sample out of step with the data) falls back to
    `np.partition`, so the answer is always exact.

    `keep`, a list, receives each bracket as (low, high, values below low, values inside), from
    which `at_most` counts the values up to any point inside a bracket with no other pass.
    """
    n = len(x)
    if n <= SELECT_DIRECT or not len(ranks):
        return np.partition(x, ranks)[ranks] if len(ranks) else np.empty(0)
    sample = np.sort(x[:: n // min(max(n // 64, SELECT_SAMPLE[0]), SELECT_SAMPLE[1])])
    m = len(sample)
    p = (ranks + 0.5) / n
    margin = 5 * np.sqrt(m * p * (1 - p)) + 16
    lo = np.floor(p * m - margin).astype(np.int64)
    hi = np.ceil(p * m + margin).astype(np.int64)
    # Brackets as value ranges [a, b]: the first and last open to -inf / +inf; overlaps merged.
    brackets: list[list[Any]] = []
    for r, i, j in zip(ranks.tolist(), lo.tolist(), hi.tolist()):
        a = -np.inf if i <= 0 else float(sample[i])
        b = np.inf if j >= m - 1 else float(sample[j])
        if brackets and a <= brackets[-1][1]:
            brackets[-1][1] = max(b, brackets[-1][1])
            brackets[-1][2].append(r)
        else:
            brackets.append([a, b, [r]])
    below = [0] * len(brackets)
    inside: list[list[np.ndarray]] = [[] for _ in brackets]
    ge, le = np.empty(SELECT_BLOCK, bool), np.empty(SELECT_BLOCK, bool)
    for start in range(0, n, SELECT_BLOCK):
        block = x[start : start + SELECT_BLOCK]
        g, e = ge[: len(block)], le[: len(block)]
        for k, (a, b, _) in enumerate(brackets):
            np.greater_equal(block, a, out=g)
            below[k] += len(block) - int(np.count_nonzero(g))
            np.less_equal(block, b, out=e)
            e &= g
            inside[k].append(block[e])
    out = {}
    for (a, b, wanted), count, parts in zip(brackets, below, inside):
        values = np.concatenate(parts)
        local = np.array(wanted) - count
        if local[0] < 0 or local[-1] >= len(values):
            return np.partition(x, ranks)[ranks]  # the sample misled: the exact way
        out.update(zip(wanted, np.partition(values, local)[local].tolist()))
        if keep is not None:
            keep.append((a, b, count, values))
    return np.array([out[r] for r in ranks.tolist()])


def at_most(
    brackets: list[tuple[float, float, int, np.ndarray]], points: np.ndarray
) -> np.ndarray | None:
    """Values at most each point, from `order_statistics`' brackets (None if a point lies in none):
    below the bracket, plus those inside it up to the point (none above it can be)."""
    counts = []
    for point in points.tolist():
        inside = [(below, v) for a, b, below, v in brackets if a <= point <= b]
        if not inside:
            return None
        below, values = inside[0]
        counts.append(below + int(np.count_nonzero(values <= point)))
    return np.array(counts, dtype=np.int64)


def mean_std(x: np.ndarray) -> tuple[float, float]:
    """Mean and population std of finite `x`: the deviations squared and summed block by block
    (`np.std` makes a whole-column array of them: fresh pages, ~4x the time at 10M)."""
    mean = float(np.add.reduce(x) / len(x))
    m2, scratch = 0.0, np.empty(min(SELECT_BLOCK, len(x)))
    for start in range(0, len(x), SELECT_BLOCK):
        d = np.subtract(x[start : start + SELECT_BLOCK], mean, out=scratch[: len(x) - start])
        m2 += float(np.einsum("i,i->", d, d))
    return mean, float(np.sqrt(m2 / len(x)))


def _few_distinct(x: np.ndarray) -> bool:
    """Whether `x` holds at most `MAX_UNIQUE_AS_CATEGORICAL` distinct values (exact)."""
    head = np.unique(x[:4096])
    if len(head) > MAX_UNIQUE_AS_CATEGORICAL:
        return False
    if np.isin(x, head).all():
        return True
    return len(np.unique(x)) <= MAX_UNIQUE_AS_CATEGORICAL


def grid_ranks(n: int, sketch: int) -> np.ndarray:
    """The 0-based ranks of the CDF sketch points among `n` sorted values (inverted CDF)."""
    return np.ceil(np.linspace(0, 1, sketch + 1) * n).astype(np.int64).clip(1, n) - 1


def edge_probs(bins: int) -> np.ndarray:
    return np.linspace(0, 1, bins + 1)[1:-1]


def interpolation_ranks(n: int, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(positions, rank below, rank above) of linear quantiles among `n` sorted values."""
    pos = probs * (n - 1)
    lo = np.floor(pos).astype(np.int64)
    return pos, lo, np.minimum(lo + 1, n - 1)


def _quantiles_sorted(s: Any, probs: np.ndarray) -> np.ndarray:
    """numpy's default (linear) quantiles of an already sorted array (or anything indexed by rank)."""
    pos, lo, hi = interpolation_ranks(len(s), probs)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)
