"""Per-column summaries that merge: one per chunk (a Parquet row group, a partition), combined in any order.

A column is profiled in two passes over its chunks, both mergeable:

1. `ColumnPartial.of(chunk)`: counts, nulls, non-finite values, min/max, sum and sum of squared
   deviations (merged with Chan et al.'s parallel formula), a HyperLogLog for distinct values,
   a bottom-k quantile sample, and exact value counts of categorical and boolean columns.
2. `Tallies.of(chunk, edges)`: histogram counts on bin edges read from the merged pass-1
   quantiles (shared by every chunk, so the counts add up), and exact value counts of numeric
   columns whose estimated distinct count is small.

`describe` turns the merged pair into the JSON statistics documented in
`mlops_tasks.tasks.profile`.

>>> import pyarrow as pa
>>> a = ColumnPartial.of(pa.array([1.0, 2.0, None]), seed=0)
>>> b = ColumnPartial.of(pa.array([3.0, 4.0]), seed=1)
>>> merged = a.merge(b)
>>> merged.count, merged.nulls, merged.min, merged.max, merged.mean
(4, 1, 1.0, 4.0, 2.5)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from mlops_tasks.profiling.sketches import HyperLogLog, QuantileSample

QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
# Exact value counts kept per partial for categorical and boolean columns. Past the limit only
# the most frequent `TRACKED_VALUES` are kept (ties by value); the largest count dropped is added
# to `counts_error`, a bound on how much any kept count can be short after merging.
TRACKED_VALUES = 10_000
# Numeric columns with at most this many distinct values (by the HyperLogLog estimate) get exact
# value counts in pass 2: exact `distinct`, and `top` when it fits in top_k.
NUMERIC_EXACT_DISTINCT = 1_000


def kind_of(dtype: Any) -> str:
    """numeric, temporal, categorical, boolean, null or other, from an Arrow type."""
    import pyarrow.types as pat

    if pat.is_boolean(dtype):
        return "boolean"
    if pat.is_integer(dtype) or pat.is_floating(dtype) or pat.is_decimal(dtype):
        return "numeric"
    if pat.is_temporal(dtype):
        return "temporal"
    if (
        pat.is_string(dtype)
        or pat.is_large_string(dtype)
        or pat.is_string_view(dtype)
        or pat.is_dictionary(dtype)
    ):
        return "categorical"
    if pat.is_null(dtype):
        return "null"
    return "other"


def finite_values(chunk: Any) -> tuple[np.ndarray, dict[str, int]]:
    """The finite values of a numeric Arrow array as float64, and counts of NaN, inf and -inf.

    Nulls become NaN in one conversion (no `drop_null` copy) and go with the non-finite values;
    NaN that were real values are told apart by subtracting the null count.
    """
    import pyarrow as pa

    values = np.asarray(chunk.cast(pa.float64()).to_numpy(zero_copy_only=False))
    finite = np.isfinite(values)
    if finite.all():
        return values, {}
    bad = values[~finite]
    counts = {
        "nan": int(np.isnan(bad).sum()) - chunk.null_count,
        "inf": int((bad == np.inf).sum()),
        "-inf": int((bad == -np.inf).sum()),
    }
    return values[finite], {k: n for k, n in counts.items() if n}


@dataclass
class ColumnPartial:
    """Pass-1 summary of one chunk of one column; `merge` combines two of them."""

    type: str
    kind: str
    count: int = 0  # non-null values
    nulls: int = 0
    finite: int = 0  # numeric: values that are neither NaN nor +-inf
    non_finite: dict[str, int] = field(default_factory=dict)  # "nan", "inf", "-inf" -> count
    min: Any = None
    max: Any = None
    total: float = 0.0  # sum of the finite values
    m2: float = 0.0  # sum of squared deviations from the mean, finite values
    hll: HyperLogLog | None = None
    sample: QuantileSample | None = None
    counts: dict[Any, int] | None = (
        None  # exact value counts (possibly truncated, see counts_error)
    )
    counts_error: int = 0

    @property
    def mean(self) -> float | None:
        return self.total / self.finite if self.finite else None

    # -- building ------------------------------------------------------------------------------

    @classmethod
    def of(
        cls,
        chunk: Any,
        *,
        seed: int | tuple[int, ...] = 0,
        numbers: tuple[np.ndarray, dict[str, int]] | None = None,
    ) -> ColumnPartial:
        """Summarise one Arrow array (a chunk of a column); `numbers`: its `finite_values`, if already known."""
        import pyarrow as pa

        if isinstance(chunk, pa.ChunkedArray):
            chunk = chunk.combine_chunks()
        if (
            pa.types.is_dictionary(chunk.type)
            and not kind_of(chunk.type.value_type) == "categorical"
        ):
            chunk = chunk.dictionary_decode()
        kind = kind_of(chunk.type)
        part = cls(
            type=str(chunk.type),
            kind=kind,
            nulls=chunk.null_count,
            count=len(chunk) - chunk.null_count,
        )
        if kind == "numeric":
            part._add_numbers(*(numbers or finite_values(chunk)), seed)
            return part
        valid = chunk.drop_null() if chunk.null_count else chunk
        if kind == "temporal":
            part._add_times(valid)
        elif kind in ("categorical", "boolean"):
            part._add_categories(valid)
        return part

    def _add_numbers(
        self, values: np.ndarray, non_finite: dict[str, int], seed: int | tuple[int, ...]
    ) -> None:
        self.non_finite = non_finite
        self.finite = len(values)
        self.hll = HyperLogLog()
        self.sample = QuantileSample.from_values(values, seed=seed)
        if self.finite:
            self.hll.add_float64(values)
            self.min, self.max = float(values.min()), float(values.max())
            self.total = float(values.sum())
            deviations = values - self.total / self.finite
            self.m2 = float(np.dot(deviations, deviations))

    def _add_times(self, valid: Any) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        self.hll = HyperLogLog()
        if len(valid):
            minmax = pc.min_max(valid)
            self.min, self.max = minmax["min"].as_py(), minmax["max"].as_py()
            ints = (
                valid.view(pa.int64())
                if valid.type.bit_width == 64
                else valid.view(pa.int32()).cast(pa.int64())
            )
            self.hll.add_int64(ints.to_numpy(zero_copy_only=False))

    def _add_categories(self, valid: Any) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        self.hll = HyperLogLog()
        if pa.types.is_dictionary(
            valid.type
        ):  # counting codes is a bincount, no hashing of strings
            counts = np.bincount(
                valid.indices.to_numpy(zero_copy_only=False), minlength=len(valid.dictionary)
            )
            used = np.flatnonzero(counts)
            values = valid.dictionary.take(pa.array(used)).to_numpy(zero_copy_only=False)
            counts = counts[used]
        else:
            counted = pc.value_counts(valid)
            values = counted.field("values").to_numpy(zero_copy_only=False)
            counts = counted.field("counts").to_numpy(zero_copy_only=False)
        self.hll.add_objects(values)
        self.counts, self.counts_error = _truncate(dict(zip(values.tolist(), counts.tolist())), 0)

    # -- merging -------------------------------------------------------------------------------

    def merge(self, other: ColumnPartial) -> ColumnPartial:
        """The summary of both chunks together. Associative and commutative."""
        if self.kind == "null":  # an all-null chunk has no type of its own: take the other's
            return replace(other, nulls=other.nulls + self.nulls)
        if other.kind == "null":
            return replace(self, nulls=self.nulls + other.nulls)
        if self.kind != other.kind:
            raise ValueError(
                f"cannot merge a {self.kind} column ({self.type}) with a {other.kind} one ({other.type})"
            )
        merged = ColumnPartial(
            type=self.type if self.type == other.type else _wider(self.type, other.type),
            kind=self.kind,
            count=self.count + other.count,
            nulls=self.nulls + other.nulls,
            finite=self.finite + other.finite,
            non_finite={
                k: self.non_finite.get(k, 0) + other.non_finite.get(k, 0)
                for k in {*self.non_finite, *other.non_finite}
            },
            min=_pick(min, self.min, other.min),
            max=_pick(max, self.max, other.max),
            total=self.total + other.total,
            m2=_chan_m2(self, other),
            hll=self.hll.merge(other.hll) if self.hll and other.hll else self.hll or other.hll,
            sample=self.sample.merge(other.sample)
            if self.sample and other.sample
            else self.sample or other.sample,
        )
        if self.counts is not None or other.counts is not None:
            summed = dict(self.counts or {})
            for value, n in (other.counts or {}).items():
                summed[value] = summed.get(value, 0) + n
            merged.counts, merged.counts_error = _truncate(
                summed, self.counts_error + other.counts_error
            )
        return merged

    # -- pass 2 --------------------------------------------------------------------------------

    def histogram_edges(self, bins: int) -> np.ndarray | None:
        """Bin edges at evenly spaced quantiles, with the exact min and max outside; None if not numeric."""
        if self.kind != "numeric" or not self.finite or self.sample is None:
            return None
        # Observed values, not interpolations: discrete data gets edges on its values.
        edges = self.sample.quantiles(np.linspace(0, 1, bins + 1), method="inverted_cdf")
        edges[0], edges[-1] = self.min, self.max
        return np.unique(edges)  # ties (discrete data) collapse: fewer, still disjoint bins

    @property
    def wants_value_counts(self) -> bool:
        return (
            self.kind == "numeric"
            and self.hll is not None
            and self.hll.estimate() <= NUMERIC_EXACT_DISTINCT
        )


@dataclass
class Tallies:
    """Pass-2 counts of one chunk on shared bin edges; merging adds them."""

    histogram: np.ndarray | None = None
    counts: dict[Any, int] | None = None

    @classmethod
    def of(
        cls,
        chunk: Any,
        partial: ColumnPartial,
        edges: np.ndarray | None,
        *,
        numbers: tuple[np.ndarray, dict[str, int]] | None = None,
    ) -> Tallies:
        import pyarrow as pa
        import pyarrow.compute as pc

        if isinstance(chunk, pa.ChunkedArray):
            chunk = chunk.combine_chunks()
        tallies = cls()
        if partial.kind != "numeric" or pa.types.is_null(chunk.type):
            return tallies
        if edges is not None:
            values = (numbers or finite_values(chunk))[0]
            if len(edges) == 1:  # one distinct value: one bin holding all of it
                tallies.histogram = np.array([len(values)], dtype=np.int64)
            else:
                tallies.histogram = np.histogram(values, edges)[0]
        if partial.wants_value_counts:
            valid = chunk.drop_null() if chunk.null_count else chunk
            counted = pc.value_counts(
                valid.cast(pa.float64()) if pa.types.is_decimal(valid.type) else valid
            )
            tallies.counts = dict(
                zip(counted.field("values").to_pylist(), counted.field("counts").to_pylist())
            )
        return tallies

    def merge(self, other: Tallies) -> Tallies:
        histogram = (
            self.histogram
            if other.histogram is None
            else other.histogram
            if self.histogram is None
            else self.histogram + other.histogram
        )
        counts = None
        if self.counts is not None or other.counts is not None:
            counts = dict(self.counts or {})
            for value, n in (other.counts or {}).items():
                counts[value] = counts.get(value, 0) + n
        return Tallies(histogram, counts)


def describe(
    partial: ColumnPartial, tallies: Tallies, edges: np.ndarray | None, *, top_k: int
) -> dict[str, Any]:
    """The JSON statistics of one column from its merged partial and tallies."""
    rows = partial.count + partial.nulls
    stats: dict[str, Any] = {
        "type": partial.type,
        "kind": "other" if partial.kind == "null" else partial.kind,
        "count": partial.count,
        "nulls": partial.nulls,
        "null_fraction": partial.nulls / rows if rows else 0.0,
    }
    counts, counts_error = partial.counts, partial.counts_error
    if partial.kind == "numeric" and tallies.counts is not None:
        counts, counts_error = tallies.counts, 0
    if counts is not None and counts_error == 0:
        stats.update(distinct=len(counts), distinct_exact=True)
    elif partial.hll is not None:
        extra = len(partial.non_finite)  # NaN, inf, -inf are values too, outside the sketch
        stats.update(distinct=int(round(partial.hll.estimate())) + extra, distinct_exact=False)
    if partial.kind == "numeric":
        stats["non_finite"] = partial.count - partial.finite
        if partial.finite:
            sample = partial.sample
            stats.update(
                min=partial.min,
                max=partial.max,
                mean=partial.mean,
                std=math.sqrt(partial.m2 / (partial.finite - 1)) if partial.finite > 1 else None,
                quantiles=dict(
                    zip(map(str, QUANTILES), sample.quantiles(list(QUANTILES)).tolist())
                ),
                quantiles_exact=sample.exact,
                quantile_rank_error=round(sample.rank_error(), 4),
            )
        if edges is not None and tallies.histogram is not None:
            stats["histogram"] = {"edges": edges.tolist(), "counts": tallies.histogram.tolist()}
    elif partial.kind == "temporal" and partial.count:
        stats.update(min=str(partial.min), max=str(partial.max))
    show_top = partial.kind in ("categorical", "boolean") or (
        partial.kind == "numeric" and stats.get("distinct", top_k + 1) <= top_k
    )
    if counts is not None and show_top:
        ranked = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))[:top_k]
        stats["top"] = [{"value": _jsonable(v), "count": n} for v, n in ranked]
        stats["top_exact"] = counts_error == 0
        stats["top_other"] = partial.count - sum(n for _, n in ranked)
    return stats


def _truncate(counts: dict[Any, int], error: int) -> tuple[dict[Any, int], int]:
    if len(counts) <= TRACKED_VALUES:
        return counts, error
    ranked = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
    return dict(ranked[:TRACKED_VALUES]), error + ranked[TRACKED_VALUES][1]


def _chan_m2(a: ColumnPartial, b: ColumnPartial) -> float:
    """Chan, Golub & LeVeque: M2 of the union from the parts' counts, means and M2s."""
    if not a.finite or not b.finite:
        return a.m2 + b.m2
    delta = b.total / b.finite - a.total / a.finite
    return a.m2 + b.m2 + delta * delta * a.finite * b.finite / (a.finite + b.finite)


def _pick(fn: Any, a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else fn(a, b)


def _wider(a: str, b: str) -> str:
    # Chunks of one column from different partitions may differ (int64 vs double): name both.
    return " | ".join(sorted({*a.split(" | "), *b.split(" | ")}))


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "inf", "-inf", "nan": JSON has no literal for them
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)
