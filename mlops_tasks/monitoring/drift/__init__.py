"""Data drift per column against a reference, and dataset drift by the share of drifted columns.

>>> import numpy as np, pandas as pd
>>> from mlops_tasks.monitoring.reference import fit_reference
>>> rng = np.random.default_rng(1)
>>> ref = fit_reference(pd.DataFrame({"a": rng.normal(size=3000), "b": rng.normal(size=3000)}))
>>> found = detect_drift(ref, pd.DataFrame({"a": rng.normal(size=3000), "b": rng.normal(1, 1, 3000)}))
>>> [(c.column, c.method, c.drifted) for c in found.columns]
[('a', 'wasserstein', False), ('b', 'wasserstein', True)]
>>> found.share, found.dataset_drift
(0.5, True)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from mlops_tasks.errors import DataError
from mlops_tasks.monitoring.drift import auto, calibrated
from mlops_tasks.monitoring.drift.base import ColumnDrift, DriftMethod
from mlops_tasks.monitoring.drift.chi2 import ChiSquare
from mlops_tasks.monitoring.drift.hellinger import Hellinger
from mlops_tasks.monitoring.drift.jensen_shannon import JensenShannon
from mlops_tasks.monitoring.drift.ks import KolmogorovSmirnov
from mlops_tasks.monitoring.drift.linf import LInf
from mlops_tasks.monitoring.drift.psi import PSI
from mlops_tasks.monitoring.drift.wasserstein import Wasserstein
from mlops_tasks.monitoring.reference import Reference
from mlops_tasks.monitoring.summary import ColumnSummary, summarize

BUILTIN_METHODS: dict[str, type[DriftMethod]] = {
    m.name: m
    for m in (PSI, KolmogorovSmirnov, ChiSquare, JensenShannon, Wasserstein, LInf, Hellinger)
}
# Evidently's default: the dataset drifts when at least half of its columns do.
DRIFT_SHARE = 0.5


def drift_methods() -> dict[str, type[DriftMethod]]:
    """Built-in methods, then those plugins register (``mlops_tasks_register_drift_methods``)."""
    from mlops_tasks.plugins import registered

    return {**BUILTIN_METHODS, **registered("mlops_tasks_register_drift_methods")}


@dataclass
class DatasetDrift:
    """Every column's verdict, and the dataset's."""

    columns: list[ColumnDrift]
    share: float  # drifted / evaluated columns
    drift_share: float  # the share at which the dataset drifts
    dataset_drift: bool
    reference_rows: int
    current_rows: int
    missing_columns: list[str] = field(
        default_factory=list
    )  # in the reference, not in the current data

    @property
    def drifted_columns(self) -> list[str]:
        return [c.column for c in self.columns if c.drifted]

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["drifted_columns"] = self.drifted_columns
        return doc


def detect_drift(
    reference: Reference,
    current: Any,
    *,
    method: str = "auto",
    methods: dict[str, str] | None = None,
    threshold: float | None = None,
    thresholds: dict[str, float] | None = None,
    calibrated_thresholds: bool = False,
    drift_share: float = DRIFT_SHARE,
    columns: list[str] | None = None,
    js_base: float | None = None,
) -> DatasetDrift:
    """Compare current data with the reference, column by column.

    Parameters
    ----------
    current : DataFrame, iterable of DataFrames (chunks), or ``{column: ColumnSummary}``
        The current data, or its summaries (as `mlops_tasks.monitoring.sql` computes them).
    method : str
        ``auto`` (see `auto`) or a method name for every column; ``methods`` overrides per column.
        A method that does not apply to a column's type (KS on a categorical column) falls back
        to the automatic choice for that column, and the result's note says so.
    threshold, thresholds : float, dict
        Override the methods' default thresholds, for all columns or per column.
    calibrated_thresholds : bool
        Use thresholds calibrated on the reference's chunks (the reference must be fitted with
        ``calibration_chunks``); explicit ``thresholds`` still win.
    js_base : float, optional
        Log base of the Jensen-Shannon distance; natural log when None.
    """
    available = drift_methods()
    wanted = [c for c in (columns or reference.columns) if c in reference.columns]
    unknown = {method, *(methods or {}).values()} - set(available) - {"auto"}
    if unknown:
        raise DataError(
            f"unknown drift method(s) {sorted(unknown)}; known: auto, {', '.join(sorted(available))}"
        )
    choices = {
        name: _choose(reference, name, (methods or {}).get(name, method), available)
        for name in wanted
    }

    if isinstance(current, dict):
        summaries: dict[str, ColumnSummary] = current
    else:
        if hasattr(current, "columns") and len(current) == 0:
            raise DataError("current data is empty: no rows to compare with the reference")
        needs_grid = {name for name, (m, _) in choices.items() if available[m].needs_grid}
        summaries = summarize(reference, current, columns=wanted, grid=needs_grid)
    if summaries and all(s.n + s.nulls == 0 for s in summaries.values()):
        raise DataError("current data is empty: no rows to compare with the reference")

    results, missing = [], []
    for name in wanted:
        if name not in summaries:
            missing.append(name)
            continue
        method_name, note = choices[name]
        given = (thresholds or {}).get(name, threshold)
        if given is not None:
            field = f"thresholds.{name}" if name in (thresholds or {}) else "threshold"
            _check_threshold(available[method_name], method_name, given, field, name)
        results.append(
            _column(
                reference,
                name,
                summaries[name],
                available[method_name],
                method_name,
                note,
                given,
                calibrated_thresholds,
                js_base,
            )
        )
    evaluated = [r for r in results if r.drifted is not None]
    share = sum(r.drifted for r in evaluated) / len(evaluated) if evaluated else 0.0
    current_rows = max((s.n + s.nulls for s in summaries.values()), default=0)
    return DatasetDrift(
        columns=results,
        share=share,
        drift_share=drift_share,
        dataset_drift=bool(evaluated) and share >= drift_share,
        reference_rows=reference.rows,
        current_rows=current_rows,
        missing_columns=missing,
    )


# Where a threshold means something: a p-value lies in (0, 1); these distances never exceed 1.
_BOUNDED_BY_ONE = {"jensen_shannon", "hellinger", "linf"}


def threshold_range(cls: type[DriftMethod], name: str) -> tuple[float, float, bool]:
    """(low, high, high included) of a meaningful threshold; a method may declare its own."""
    declared = getattr(cls, "threshold_range", None)
    if declared is not None:
        return (*declared, True)
    if cls.decides_on == "p_value":
        return 0.0, 1.0, False
    return (0.0, 1.0, True) if name in _BOUNDED_BY_ONE else (0.0, float("inf"), False)


def _check_threshold(
    cls: type[DriftMethod], method: str, value: float, field: str, column: str
) -> None:
    from mlops_tasks.errors import ConfigError

    low, high, closed = threshold_range(cls, method)
    if low < value < high or (closed and value == high):
        return
    shown = f"(0, {high:g}{']' if closed else ')'}" if high != float("inf") else "(0, inf)"
    what = "a p-value" if cls.decides_on == "p_value" else "a distance"
    raise ConfigError(
        "detect_drift",
        [f"{field}: {value:g} for column {column!r} is outside {method}'s range {shown} ({what}); "
         "such a threshold would decide every column the same way"],
    )  # fmt: skip


def _choose(
    reference: Reference, name: str, asked: str, available: dict[str, type[DriftMethod]]
) -> tuple[str, str | None]:
    ref = reference.columns[name]
    if asked == "auto":
        return auto.choose(ref), None
    cls = available[asked]
    if ref.kind not in cls.kinds:
        chosen = auto.choose(ref)
        return chosen, f"{asked} does not apply to {ref.kind} columns; chose {chosen}"
    if cls.needs_grid and not len(ref.grid):
        chosen = auto.choose(ref)
        return (
            chosen,
            f"{asked} needs a reference fitted with a CDF sketch (sketch > 0); chose {chosen}",
        )
    return asked, None


def _column(
    reference: Reference,
    name: str,
    cur: ColumnSummary,
    cls: type[DriftMethod],
    method_name: str,
    note: str | None,
    given: float | None,
    use_calibrated: bool,
    js_base: float | None,
) -> ColumnDrift:
    ref = reference.columns[name]
    instance = cls(base=js_base) if cls is JensenShannon else cls()
    threshold, source, decides_on = instance.threshold, "default", instance.decides_on
    if given is not None:
        threshold, source = given, "given"
    elif use_calibrated:
        fitted = calibrated.threshold(ref, method_name)
        if fitted is None:
            note = _join(note, "no calibration for this method in the reference: default threshold")
        else:
            threshold, source, decides_on = fitted, "calibrated", "statistic"
    unseen = (
        {k: v for k, v in cur.categories.items() if k not in ref.categories}
        if ref.kind == "categorical"
        else {}
    )
    base = dict(
        column=name, kind=ref.kind, method=method_name, threshold=threshold, threshold_source=source,
        decides_on=decides_on, log_base=instance.log_base, reference_n=ref.count, current_n=cur.n,
        reference_nulls=ref.nulls, current_nulls=cur.nulls, unseen=unseen,
    )  # fmt: skip
    if not ref.count:
        return ColumnDrift(
            statistic=None, p_value=None, drifted=None, bins=ref.bins,
            note=_join(note, "reference has no non-null values"), **base,
        )  # fmt: skip
    if not cur.n:
        # Values the reference had are all gone (unparsable, a broken join): the column is broken,
        # which is drift, never "no drift".
        why = (
            f"current data has no usable values ({cur.nulls} null or unparsable); "
            f"the reference had {ref.count}: counted as drift"
        )
        return ColumnDrift(
            statistic=None, p_value=None, drifted=True, bins=ref.bins, note=_join(note, why), **base
        )

    measure = instance.measure(ref, cur)
    statistic = measure.statistic
    if source == "calibrated":
        statistic = instance.calibration_value(measure, cur.n)
        drifted = statistic >= threshold
    else:
        value = measure.p_value if decides_on == "p_value" else statistic
        drifted = instance.is_drift(value, threshold)
    if unseen:
        note = _join(note, f"{len(unseen)} categories not in the reference")
    return ColumnDrift(
        statistic=statistic, p_value=measure.p_value, drifted=bool(drifted), bins=measure.bins,
        note=_join(note, measure.note), **base,
    )  # fmt: skip


def _join(*notes: str | None) -> str | None:
    kept = [n for n in notes if n]
    return "; ".join(kept) if kept else None


__all__ = [
    "BUILTIN_METHODS",
    "ColumnDrift",
    "DatasetDrift",
    "DriftMethod",
    "detect_drift",
    "drift_methods",
]
