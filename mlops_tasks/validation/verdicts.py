"""From what an engine measured to a rule's verdict and message: one place, so both engines agree.

An engine returns a `Measure` per rule (failing rows, observed values, or a problem that kept
the rule from being checked); `judge` turns it into a `RuleOutcome`.

>>> from mlops_tasks.validation.rules import Range
>>> judge(Range(column="x", min=0, max=1), 10, Measure(failing=2)).message
'range:x: 2 of 10 rows (20%) outside [0.0, 1.0]'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from mlops_tasks.validation import rules as r

NUMERIC = ("int", "float")


@dataclass
class Measure:
    failing: int | None = None
    observed: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None
    samples: list[dict[str, Any]] = field(default_factory=list)


def wrong_kind(rule: r.Rule, column: str, kind: str, wanted: str) -> Measure:
    return Measure(
        problem=f"{rule.id}: column {column!r} is {kind}; {rule.rule} needs {wanted} values",
        observed={"dtype": kind},
    )


def dtype_matches(expected: str, kind: str) -> bool:
    return kind == expected or kind == "null" or (expected == "number" and kind in NUMERIC)


def judge(rule: r.Rule, rows: int, m: Measure) -> r.RuleOutcome:
    fraction = (m.failing / rows if rows else 0.0) if m.failing is not None else None
    out = {
        "id": rule.id, "rule": rule.rule, "columns": list(rule.columns_used), "severity": rule.severity,
        "failing_rows": m.failing, "fraction": fraction, "observed": m.observed, "samples": m.samples,
    }  # fmt: skip
    if m.problem:
        return r.RuleOutcome(passed=False, message=m.problem, **out)
    passed, message = _verdict(rule, rows, m, fraction)
    return r.RuleOutcome(passed=passed, message=message if not passed else "", **out)


def _share(m: Measure, rows: int, fraction: float | None) -> str:
    return f"{m.failing:,} of {rows:,} rows ({_pct(fraction or 0.0)})"


def _pct(fraction: float) -> str:
    return f"{fraction * 100:.3g}%"


def _verdict(rule: r.Rule, rows: int, m: Measure, fraction: float | None) -> tuple[bool, str]:
    o = m.observed
    if isinstance(rule, r.NotNull):
        ok = (fraction or 0.0) <= rule.max_fraction
        limit = (
            "none allowed"
            if rule.max_fraction == 0
            else f"at most {_pct(rule.max_fraction)} allowed"
        )
        return ok, f"{rule.id}: {_share(m, rows, fraction)} are null; {limit}"
    if isinstance(rule, r.RowCount):
        ok = (rule.min is None or rows >= rule.min) and (rule.max is None or rows <= rule.max)
        return ok, f"{rule.id}: {rows:,} rows, expected {_bounds(rule.min, rule.max)}"
    if isinstance(rule, r.Dtype):
        return dtype_matches(
            rule.dtype, o["dtype"]
        ), f"{rule.id}: column {rule.column!r} is {o['dtype']}, expected {rule.dtype}"
    if isinstance(rule, r.MeanBetween):
        mean = o.get("mean")
        if mean is None:
            return (
                False,
                f"{rule.id}: column {rule.column!r} has no non-null finite values to average",
            )
        ok = (rule.min is None or mean >= rule.min) and (rule.max is None or mean <= rule.max)
        return ok, f"{rule.id}: mean {mean:.6g} is outside {_bounds(rule.min, rule.max)}"
    if isinstance(rule, r.Freshness):
        latest = o.get("latest")
        if latest is None:
            return False, f"{rule.id}: column {rule.column!r} has no timestamps"
        now = rule.now or datetime.now(timezone.utc)
        now = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
        latest_dt = datetime.fromisoformat(latest)
        latest_dt = latest_dt if latest_dt.tzinfo else latest_dt.replace(tzinfo=timezone.utc)
        age = (now - latest_dt).total_seconds()
        o["age_seconds"] = age
        return age <= rule.max_age.total_seconds(), (
            f"{rule.id}: newest value {latest} is {age / 3600:.3g} h old; at most {rule.max_age.total_seconds() / 3600:.3g} h allowed"
        )
    if isinstance(rule, r.RequiredColumns):
        return not o[
            "missing"
        ], f"{rule.id}: missing column(s) {', '.join(map(repr, o['missing']))}"
    if isinstance(rule, r.NoExtraColumns):
        return not o[
            "extra"
        ], f"{rule.id}: column(s) {', '.join(map(repr, o['extra']))} are not in the schema"
    what = {
        "range": lambda: f"outside {_interval(rule)}",
        "allowed": lambda: f"not in {_short(rule.values)}",
        "regex": lambda: f"do not match {rule.pattern!r}",
        "unique": lambda: f"repeat an earlier key ({', '.join(rule.columns_used)})",
        "finite": lambda: "are +inf or -inf",
        "references": lambda: (
            f"have no match in {rule.dataset_column or rule.column!r} of {rule.dataset.uri}"
        ),
    }.get(rule.rule, lambda: f"fail {rule.rule}")()
    return m.failing == 0, f"{rule.id}: {_share(m, rows, fraction)} {what}"


def _bounds(lo: Any, hi: Any) -> str:
    if lo is not None and hi is not None:
        return f"[{lo}, {hi}]"
    return f">= {lo}" if lo is not None else f"<= {hi}"


def _interval(rule: r.Range) -> str:
    left, right = ("[", "]") if rule.inclusive else ("(", ")")
    lo = "-inf" if rule.min is None else rule.min
    hi = "inf" if rule.max is None else rule.max
    return f"{left}{lo}, {hi}{right}"


def _short(values: list[Any], limit: int = 8) -> str:
    shown = ", ".join(map(repr, values[:limit]))
    return "{" + shown + (", ..." if len(values) > limit else "") + "}"


def jsonable(value: Any) -> Any:
    """A sample value as JSON can hold it: NaN/inf as strings, timestamps as ISO text, numpy as Python."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (bool, int, str)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError, ImportError):
        pass
    return str(value)
