"""The in-memory engine: check rules against a pandas DataFrame with vectorised numpy and Arrow kernels.

Per column, the statistics several rules need (null count, min, max) are computed once and
shared; a range rule whose column's min and max are inside the bounds costs nothing more.
String rules read the Arrow buffers directly (`strings`). Rules run on a small thread pool:
numpy reductions and Arrow kernels release the GIL, so the expensive string rules use one
core while the numeric ones use the other.

>>> import pandas as pd
>>> from mlops_tasks.validation.rules import Range, Unique
>>> frame = pd.DataFrame({"x": [1.0, 5.0, 11.0], "k": ["a", "b", "a"]})
>>> [(o.id, o.passed, o.failing_rows) for o in validate_frame(frame, [Range(column="x", max=10), Unique(columns=["k"])])]
[('range:x', False, 1), ('unique:k', False, 1)]
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from mlops_tasks.validation import rules as r
from mlops_tasks.validation import strings
from mlops_tasks.validation.verdicts import Measure, jsonable, judge, wrong_kind

if TYPE_CHECKING:
    import pandas as pd

# Rules that scan strings run first, so the cheap numeric ones fill the other core meanwhile.
_HEAVY = ("unique", "regex", "references", "allowed")
ReferenceLoader = Callable[[Any, str], Any]


def validate_frame(
    frame: pd.DataFrame,
    rules: list[r.Rule],
    *,
    sample_rows: int = 5,
    load_reference: ReferenceLoader | None = None,
    threads: int = 2,
) -> list[r.RuleOutcome]:
    """Check every rule against `frame`; outcomes come back in the rules' order.

    `load_reference(ref, column)` returns the values of a referenced dataset's column (an
    Arrow array), for `references` rules.
    """
    checker = _Checker(frame, sample_rows, load_reference, threads)
    order = sorted(range(len(rules)), key=lambda i: rules[i].rule not in _HEAVY)
    with ThreadPoolExecutor(max(1, threads)) as pool:
        measured = dict(zip(order, pool.map(lambda i: checker.measure(rules[i]), order)))
    return [judge(rule, len(frame), measured[i]) for i, rule in enumerate(rules)]


class Column:
    """One column's views (numpy values, null mask, Arrow strings) and shared statistics, made once."""

    def __init__(self, series: pd.Series):
        self.series = series
        self.name = str(series.name)
        self.kind, self.detail = column_kind(series)
        self.categorical = str(series.dtype) == "category"
        self._lock = threading.RLock()  # a view may be built from another (stats from numeric)
        self._cache: dict[str, Any] = {}

    def _once(self, key: str, make: Callable[[], Any]) -> Any:
        with self._lock:
            if key not in self._cache:
                self._cache[key] = make()
            return self._cache[key]

    def numeric(self) -> tuple[np.ndarray, np.ndarray | None]:
        """(values, null mask or None): int64/float64 (datetimes as int64) without copying where possible."""
        return self._once("numeric", self._numeric)

    def _numeric(self) -> tuple[np.ndarray, np.ndarray | None]:
        import pandas as pd

        s, array = self.series, self.series.array
        if self.kind == "datetime":
            if not pd.api.types.is_datetime64_any_dtype(s.dtype):
                s = pd.to_datetime(s)  # datetime.date objects: how Arrow's date32 reads back
            values = np.asarray(s.dt.tz_localize(None) if getattr(s.dt, "tz", None) else s).view(
                "i8"
            )
            return values, np.asarray(s.isna())
        if hasattr(array, "_data") and hasattr(
            array, "_mask"
        ):  # pandas masked arrays (Int64, Float64, boolean)
            return np.asarray(array._data), (np.asarray(array._mask) if array._mask.any() else None)
        if isinstance(s.dtype, np.dtype) and s.dtype.kind in "iufb":
            return s.to_numpy(), None  # in a float column NaN marks the nulls
        values = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        return values, None

    def stats(self) -> dict[str, Any]:
        """nulls, min, max (inf included, NaN excluded) of a numeric column, in one pass; for an
        unmasked float or int column also each block's min and max (``blocks``, so a failing
        range re-reads only the blocks that hold a value outside)."""
        return self._once("stats", self._stats)

    def _stats(self) -> dict[str, Any]:
        values, mask = self.numeric()
        if values.dtype.kind == "f" and mask is None:
            return _float_stats(values)
        if values.dtype.kind == "f":
            nulls = int(mask.sum())
            if len(values) - nulls == 0:
                return {"nulls": nulls, "min": None, "max": None}
            lo = np.fmin.reduce(values, initial=np.inf, where=~mask)
            hi = np.fmax.reduce(values, initial=-np.inf, where=~mask)
            return {"nulls": nulls, "min": float(lo), "max": float(hi)}
        nulls = 0 if mask is None else int(mask.sum())
        if len(values) - nulls == 0:
            return {"nulls": nulls, "min": None, "max": None}
        if mask is None and values.dtype.kind in "iu":
            return _int_stats(values)
        if mask is None:
            return {"nulls": 0, "min": values.min().item(), "max": values.max().item()}
        info = np.iinfo(values.dtype) if values.dtype.kind in "iu" else None
        lo = values.min(where=~mask, initial=info.max if info else True)
        hi = values.max(where=~mask, initial=info.min if info else False)
        return {"nulls": nulls, "min": lo.item(), "max": hi.item()}

    def null_count(self) -> int:
        if self.kind in ("int", "float", "bool", "datetime") and not self.categorical:
            return (
                self.stats()["nulls"] if self.kind != "datetime" else int(self.numeric()[1].sum())
            )
        return self._once("nulls", lambda: int(self.series.isna().sum()))

    def valid_values(self) -> tuple[np.ndarray, np.ndarray | None]:
        """(values, validity or None) for comparisons: NaN and masked entries are not valid."""
        values, mask = self.numeric()
        if mask is not None:
            return values, ~mask
        if values.dtype.kind == "f" and self.stats()["nulls"]:
            return values, ~np.isnan(values)
        return values, None

    def string_views(self) -> list[Any]:
        """The Arrow string chunks as `strings` views (offsets, lengths, bytes), shared by the
        column's string rules (unique and regex each built them: ~20 ms at 10M ids)."""
        return self._once("views", lambda: strings.chunk_views(self.arrow()))

    def arrow(self) -> Any:
        """The column as an Arrow (chunked) array: zero-copy for pandas' Arrow-backed strings."""
        import pyarrow as pa

        def make() -> Any:
            array = self.series.array
            native = getattr(array, "_pa_array", None)
            if native is not None:
                return native
            if self.categorical:
                return pa.chunked_array(
                    [
                        pa.array(
                            self.series.astype(object).where(self.series.notna(), None),
                            from_pandas=True,
                        )
                    ]
                )
            return pa.chunked_array([pa.array(self.series, from_pandas=True)])

        return self._once("arrow", make)


def column_kind(series: pd.Series) -> tuple[str, str]:
    """(kind, detail): int, float, bool, datetime, string, null, mixed or other, and the dtype behind it."""
    import pandas as pd
    from pandas.api import types as pt

    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        kind, _ = column_kind(pd.Series(dtype.categories))
        return (kind if kind != "null" else "string"), "category"
    if pt.is_bool_dtype(dtype):
        return "bool", str(dtype)
    if pt.is_integer_dtype(dtype):
        return "int", str(dtype)
    if pt.is_float_dtype(dtype):
        return "float", str(dtype)
    if pt.is_datetime64_any_dtype(dtype):
        return "datetime", str(dtype)
    if pt.is_string_dtype(dtype) and not pt.is_object_dtype(dtype):
        return "string", str(dtype)
    if pt.is_object_dtype(dtype):
        inferred = pd.api.types.infer_dtype(series, skipna=True)
        simple = {"string": "string", "empty": "null", "integer": "int", "floating": "float",
                  "mixed-integer-float": "float", "boolean": "bool", "datetime": "datetime",
                  "date": "datetime"}  # fmt: skip
        if inferred in simple:
            return simple[inferred], f"object ({inferred})"
        types = sorted({type(v).__name__ for v in series.dropna().head(10_000)})
        return "mixed", f"mixed types ({', '.join(types)})"
    return "other", str(dtype)


class _Checker:
    def __init__(
        self,
        frame: pd.DataFrame,
        sample_rows: int,
        load_reference: ReferenceLoader | None,
        threads: int,
    ):
        self.frame, self.rows = frame, len(frame)
        self.sample_rows, self.load_reference, self.threads = sample_rows, load_reference, threads
        self._columns: dict[str, Column] = {}
        self._lock = threading.Lock()

    def column(self, name: str) -> Column:
        with self._lock:
            if name not in self._columns:
                self._columns[name] = Column(self.frame[name])
            return self._columns[name]

    def measure(self, rule: r.Rule) -> Measure:
        missing = [c for c in rule.columns_used if c not in self.frame.columns]
        if missing and not isinstance(rule, (r.RequiredColumns, r.NoExtraColumns)):
            return Measure(problem=f"{rule.id}: column {missing[0]!r} is missing from the dataset")
        method = getattr(self, f"_{rule.rule}", None) or self._plugin
        try:
            return method(rule)
        except (
            TypeError,
            ValueError,
        ) as exc:  # a kernel met data it cannot compare: say which rule and column
            return Measure(
                problem=f"{rule.id}: cannot check column(s) {list(rule.columns_used)}: {exc}"
            )

    def _found(
        self,
        mask: np.ndarray | None,
        columns: tuple[str, ...],
        observed: dict[str, Any] | None = None,
    ) -> Measure:
        """A Measure from a boolean mask of offending rows, with the first few as samples."""
        if mask is None:
            return Measure(failing=0, observed=observed or {})
        positions = np.flatnonzero(mask)
        return Measure(
            failing=len(positions),
            observed=observed or {},
            samples=self.samples(positions, columns),
        )

    def samples(self, positions: Any, columns: tuple[str, ...]) -> list[dict[str, Any]]:
        picked = list(positions[: self.sample_rows])
        if not picked:
            return []
        part = self.frame.iloc[picked][list(columns)]
        return [
            {"row": int(pos), **{str(c): jsonable(v) for c, v in zip(columns, values)}}
            for pos, values in zip(picked, part.itertuples(index=False, name=None))
        ]

    # -- dataset-wide ----------------------------------------------------------------------------

    def _row_count(self, rule: r.RowCount) -> Measure:
        return Measure(observed={"rows": self.rows})

    def _required_columns(self, rule: r.RequiredColumns) -> Measure:
        return Measure(
            observed={"missing": [c for c in rule.columns if c not in self.frame.columns]}
        )

    def _no_extra_columns(self, rule: r.NoExtraColumns) -> Measure:
        return Measure(
            observed={"extra": [str(c) for c in self.frame.columns if c not in rule.columns]}
        )

    # -- per column ------------------------------------------------------------------------------

    def _dtype(self, rule: r.Dtype) -> Measure:
        col = self.column(rule.column)
        kind = (
            "null"
            if col.kind in ("float", "string") and self.rows and col.null_count() == self.rows
            else col.kind
        )
        return Measure(observed={"dtype": kind, "detail": col.detail})

    def _not_null(self, rule: r.NotNull) -> Measure:
        col = self.column(rule.column)
        nulls = col.null_count()
        if not nulls:
            return Measure(failing=0)
        values, mask = col.numeric() if col.kind in ("int", "float") else (None, None)
        if values is not None and mask is None and values.dtype.kind == "f" and not col.categorical:
            _, first = flagged(
                len(values), lambda a, b: np.isnan(values[a:b]), self.sample_rows, counted=False
            )
            return Measure(failing=nulls, samples=self.samples(first, (rule.column,)))
        return self._found(np.asarray(col.series.isna()), (rule.column,))

    def _numeric_column(self, rule: r.Rule, column: str) -> Column | Measure:
        col = self.column(column)
        if col.kind not in ("int", "float") or col.categorical:
            return wrong_kind(
                rule, column, col.detail if col.kind == "mixed" else col.kind, "numeric"
            )
        return col

    def _range(self, rule: r.Range) -> Measure:
        col = self._numeric_column(rule, rule.column)
        if isinstance(col, Measure):
            return col
        stats = col.stats()
        observed = {"min": stats["min"], "max": stats["max"]}
        lo, hi = rule.min, rule.max
        if stats["min"] is None or (
            (lo is None or (stats["min"] >= lo if rule.inclusive else stats["min"] > lo))
            and (hi is None or (stats["max"] <= hi if rule.inclusive else stats["max"] < hi))
        ):
            return Measure(failing=0, observed=_finite(observed))
        values, mask = col.numeric()
        if mask is None and (lo is None or hi is None or lo <= hi):
            # NaN compares false either way, so no validity mask: per block, a compare and a
            # count per bound (a value is below or above, never both), the flags only where
            # samples are still wanted.
            failing, first = _outside_count(
                values, lo, hi, rule.inclusive, self.sample_rows, stats.get("blocks")
            )
            return Measure(
                failing=failing,
                observed=_finite(observed),
                samples=self.samples(first, (rule.column,)),
            )
        values, valid = col.valid_values()

        def outside(a: int, b: int) -> np.ndarray:
            block, bad = values[a:b], np.zeros(b - a, dtype=bool)
            if lo is not None:
                bad |= block < lo if rule.inclusive else block <= lo
            if hi is not None:
                bad |= block > hi if rule.inclusive else block >= hi
            if valid is not None:
                bad &= valid[a:b]
            return bad

        failing, first = flagged(len(values), outside, self.sample_rows)
        return Measure(
            failing=failing, observed=_finite(observed), samples=self.samples(first, (rule.column,))
        )

    def _finite(self, rule: r.Finite) -> Measure:
        col = self._numeric_column(rule, rule.column)
        if isinstance(col, Measure):
            return col
        stats = col.stats()
        if (
            col.kind == "int"
            or stats["min"] is None
            or (np.isfinite(stats["min"]) and np.isfinite(stats["max"]))
        ):
            return Measure(failing=0)
        return self._found(np.isinf(col.numeric()[0]), (rule.column,))

    def _mean_between(self, rule: r.MeanBetween) -> Measure:
        col = self._numeric_column(rule, rule.column)
        if isinstance(col, Measure):
            return col
        values, valid = col.valid_values()
        stats = col.stats()
        if (
            values.dtype.kind == "f"
            and valid is None
            and stats["min"] is not None
            and np.isfinite(stats["min"])
            and np.isfinite(stats["max"])
        ):
            # Every value finite (the shared stats say so): a plain pairwise sum, no mask.
            return Measure(
                observed={"mean": float(np.add.reduce(values) / len(values)), "count": len(values)}
            )
        if values.dtype.kind == "f":
            finite = np.isfinite(values) if valid is None else (valid & np.isfinite(values))
            count = int(np.count_nonzero(finite))
            mean = float(np.add.reduce(values, where=finite) / count) if count else None
        else:
            count = len(values) if valid is None else int(valid.sum())
            mean = (
                float(np.mean(values, where=valid) if valid is not None else values.mean())
                if count
                else None
            )
        return Measure(observed={"mean": mean, "count": count})

    def _allowed(self, rule: r.Allowed) -> Measure:
        col = self.column(rule.column)
        allowed = values_for_kind(rule.values, col.kind)
        if col.categorical:
            bad_codes = [
                i for i, c in enumerate(col.series.cat.categories) if c not in set(allowed)
            ]
            return self._bad_categories(col, bad_codes, rule.column)
        if col.kind == "string":
            import pyarrow as pa
            import pyarrow.compute as pc

            array = col.arrow()
            inside = pc.is_in(array, value_set=pa.array([str(v) for v in allowed], type=array.type))
            bad = pc.and_(pc.is_valid(array), pc.invert(pc.fill_null(inside, True)))
            return self._found(bad.to_numpy(zero_copy_only=False), (rule.column,))
        if col.kind in ("int", "float", "bool"):
            values, valid = col.valid_values()
            bad = ~np.isin(values, np.asarray(allowed)) if allowed else np.ones(len(values), bool)
            return self._found(bad if valid is None else bad & valid, (rule.column,))
        series = col.series
        return self._found(np.asarray(series.notna() & ~series.isin(allowed)), (rule.column,))

    def _bad_categories(self, col: Column, bad_codes: list[int], column: str) -> Measure:
        if not bad_codes:
            return Measure(failing=0)
        codes = np.asarray(col.series.cat.codes)
        bad = np.array(bad_codes, dtype=codes.dtype)

        def offending(a: int, b: int) -> np.ndarray:
            return codes[a:b] == bad[0] if len(bad) == 1 else np.isin(codes[a:b], bad)

        failing, first = flagged(len(codes), offending, self.sample_rows)
        return Measure(failing=failing, samples=self.samples(first, (column,)))

    def _regex(self, rule: r.Regex) -> Measure:
        col = self.column(rule.column)
        if col.kind != "string":
            return wrong_kind(
                rule, rule.column, col.detail if col.kind == "mixed" else col.kind, "string"
            )
        if col.categorical:
            compiled = re.compile(python_pattern(rule.pattern))
            cats = col.series.cat.categories
            return self._bad_categories(
                col, [i for i, c in enumerate(cats) if not compiled.search(str(c))], rule.column
            )
        simple = strings.simple_pattern(rule.pattern)
        if simple is not None:
            failing, first = strings.count_simple_mismatches(
                col.arrow(), simple, sample=self.sample_rows, views=col.string_views()
            )
        else:
            failing, first = strings.count_regex_mismatches(
                col.arrow(), rule.pattern, threads=self.threads, sample=self.sample_rows
            )
        return Measure(failing=failing, samples=self.samples(first, (rule.column,)))

    def _unique(self, rule: r.Unique) -> Measure:
        if len(rule.columns) == 1:
            col = self.column(rule.columns[0])
            if col.kind == "string" and not col.categorical:
                failing, first = strings.count_duplicates(
                    col.arrow(), sample=self.sample_rows, views=col.string_views()
                )
                return Measure(failing=failing, samples=self.samples(first, tuple(rule.columns)))
            if col.kind in ("int", "float", "datetime", "bool") and not col.categorical:
                values, valid = col.valid_values()
                present = values if valid is None else values[valid]
                if not np.count_nonzero(present[1:] < present[:-1]):
                    # Already in order (a sequence id, a timestamp): repeats are neighbours,
                    # each after the first of its run, and no sort is needed.
                    repeats = np.flatnonzero(present[1:] == present[:-1]) + 1
                    if valid is not None:
                        repeats = np.flatnonzero(valid)[repeats]
                    return Measure(
                        failing=len(repeats),
                        samples=self.samples(repeats, tuple(rule.columns)),
                    )
                ordered = np.sort(present)
                if not np.count_nonzero(ordered[1:] == ordered[:-1]):
                    return Measure(failing=0)
        keys = self.frame[rule.columns]
        complete = np.asarray(keys.notna().all(axis=1))
        repeats = np.zeros(self.rows, dtype=bool)
        repeats[complete] = np.asarray(keys[complete].duplicated(keep="first"))
        return self._found(repeats, tuple(rule.columns))

    def _freshness(self, rule: r.Freshness) -> Measure:
        col = self.column(rule.column)
        if col.kind != "datetime":
            return wrong_kind(rule, rule.column, col.kind, "datetime")
        latest = col.series.max()
        import pandas as pd

        if pd.isna(latest):
            return Measure(observed={"latest": None})
        if latest.tzinfo is not None:
            latest = latest.tz_convert("UTC")
        return Measure(observed={"latest": latest.isoformat()})

    def _references(self, rule: r.References) -> Measure:
        import pyarrow as pa
        import pyarrow.compute as pc

        if self.load_reference is None:
            return Measure(problem=f"{rule.id}: no way to read the referenced dataset here")
        reference = self.load_reference(rule.dataset, rule.dataset_column or rule.column)
        array = self.column(rule.column).arrow()
        value_type = array.type.value_type if pa.types.is_dictionary(array.type) else array.type
        try:
            reference = pc.unique(reference).cast(value_type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            return Measure(
                problem=f"{rule.id}: the referenced column's values are not comparable to {rule.column!r}: {exc}"
            )
        bad = pc.and_(
            pc.is_valid(array), pc.invert(pc.fill_null(pc.is_in(array, value_set=reference), True))
        )
        return self._found(bad.to_numpy(zero_copy_only=False), (rule.column,))

    def _plugin(self, rule: r.Rule) -> Measure:
        check = r.plugin_rules().get(rule.rule)
        if check is None:
            return Measure(problem=f"{rule.id}: no engine check for rule {rule.rule!r}")
        column = getattr(rule, "column", None)
        target = self.frame[column] if column else self.frame
        try:
            mask = np.asarray(check(target, rule), dtype=bool)
        except Exception as exc:  # noqa: BLE001 - a plugin's bug is reported as its rule's failure
            return Measure(problem=f"{rule.id}: plugin check raised {type(exc).__name__}: {exc}")
        if mask.shape != (self.rows,):
            return Measure(
                problem=f"{rule.id}: plugin check returned {mask.shape}, expected one flag per row ({self.rows})"
            )
        return self._found(mask, (column,) if column else tuple(map(str, self.frame.columns[:5])))


BLOCK = 1 << 16  # values per block of the numeric kernels: a block stays in L2 between passes


def _float_stats(values: np.ndarray) -> dict[str, Any]:
    """nulls (NaN), min, max (inf included) and each block's min and max of a float column, each
    block read from memory once: a block without NaN costs a min and a max (np.minimum is NaN
    if the block holds one), one with NaN a count and the NaN-skipping fmin and fmax."""
    nulls, dense = 0, False  # dense: the last block held NaN, so this one likely does too
    count = -(-len(values) // BLOCK)
    lows, highs = np.empty(count), np.empty(count)
    flags = np.empty(min(BLOCK, len(values)), dtype=bool)
    with np.errstate(invalid="ignore"):
        for k, start in enumerate(range(0, len(values), BLOCK)):
            block = values[start : start + BLOCK]
            if not dense:
                lows[k] = np.minimum.reduce(block)
                if lows[k] == lows[k]:
                    highs[k] = np.maximum.reduce(block)
                    continue
            found = int(np.count_nonzero(np.isnan(block, out=flags[: len(block)])))
            nulls, dense = nulls + found, found > 0
            lows[k] = np.fmin.reduce(block, initial=np.inf)
            highs[k] = np.fmax.reduce(block, initial=-np.inf)
    if nulls == len(values):
        return {"nulls": nulls, "min": None, "max": None}
    return {
        "nulls": nulls,
        "min": float(lows.min()),
        "max": float(highs.max()),
        "blocks": (lows, highs),
    }


def _int_stats(values: np.ndarray) -> dict[str, Any]:
    """min, max and per-block min and max of an int column without nulls, each block read once
    for both (two whole-column reductions read it twice)."""
    count = -(-len(values) // BLOCK)
    lows, highs = np.empty(count, values.dtype), np.empty(count, values.dtype)
    for k, start in enumerate(range(0, len(values), BLOCK)):
        block = values[start : start + BLOCK]
        lows[k], highs[k] = block.min(), block.max()
    return {
        "nulls": 0,
        "min": lows.min().item(),
        "max": highs.max().item(),
        "blocks": (lows, highs),
    }


def _outside_count(
    values: np.ndarray,
    lo: Any,
    hi: Any,
    inclusive: bool,
    first: int,
    blocks: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[int, np.ndarray]:
    """(values outside [lo, hi] (or the open interval), positions of the first `first`).

    With `blocks` (each `BLOCK`'s min and max, NaN ignored) only the blocks whose min or max is
    outside are read: a few bad values cost a few blocks, not the column again."""
    below, above = (np.less, np.greater) if inclusive else (np.less_equal, np.greater_equal)
    if values.dtype.kind in "iu":
        # A whole-number bound as an int: an int column against a float casts every block.
        lo, hi = (_as_int(v) for v in (lo, hi))
    starts = np.arange(0, len(values), BLOCK)
    if blocks is not None:
        hit = np.zeros(len(starts), dtype=bool)
        if lo is not None:
            hit |= below(blocks[0], lo)
        if hi is not None:
            hit |= above(blocks[1], hi)
        starts = starts[hit]
    low, high = np.empty(min(BLOCK, len(values)), bool), np.empty(min(BLOCK, len(values)), bool)
    count, positions, have = 0, [], 0
    for start in starts.tolist():
        block = values[start : start + BLOCK]
        lf, hf, found = low[: len(block)], high[: len(block)], 0
        if lo is not None:
            found += int(np.count_nonzero(below(block, lo, out=lf)))
        if hi is not None:
            found += int(np.count_nonzero(above(block, hi, out=hf)))
        if found and have < first:
            flags = lf | hf if lo is not None and hi is not None else lf if lo is not None else hf
            positions.append(np.flatnonzero(flags)[: first - have] + start)
            have += len(positions[-1])
        count += found
    return count, (np.concatenate(positions) if positions else np.zeros(0, np.int64))


def _as_int(bound: Any) -> Any:
    """A whole-number float bound as a Python int (compares alike, no cast); others unchanged."""
    if isinstance(bound, float) and bound.is_integer() and abs(bound) < 2**62:
        return int(bound)
    return bound


def flagged(
    n: int, flags_of: Callable[[int, int], np.ndarray], first: int, *, counted: bool = True
) -> tuple[int, np.ndarray]:
    """(rows flagged, positions of the first `first`) with ``flags_of(start, stop)`` a block's
    flags: the blocks' masks stay small, where one whole-column mask costs fresh pages. With
    ``counted=False`` (the count is known already) it stops at the block holding the last sample."""
    count, positions, have = 0, [], 0
    for start in range(0, n, BLOCK):
        if not counted and have >= first:
            break
        flags = flags_of(start, min(start + BLOCK, n))
        found = int(np.count_nonzero(flags))
        if found and have < first:
            positions.append(np.flatnonzero(flags)[: first - have] + start)
            have += len(positions[-1])
        count += found
    picked = np.concatenate(positions) if positions else np.zeros(0, np.int64)
    return count, picked


def _finite(observed: dict[str, Any]) -> dict[str, Any]:
    return {k: jsonable(v) for k, v in observed.items()}


def values_for_kind(values: list[Any], kind: str) -> list[Any]:
    """The allowed values that can equal a value of this kind (a string never equals 1)."""
    if kind == "string":
        return [v for v in values if isinstance(v, str)]
    if kind == "bool":
        return [v for v in values if isinstance(v, bool)]
    if kind in ("int", "float"):
        return [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return list(values)


def python_pattern(pattern: str) -> str:
    """`pattern` for Python's `re` with RE2/PostgreSQL meaning: a final ``$`` is the very end, not before a newline."""
    return (
        pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith(r"\$") else pattern
    )
