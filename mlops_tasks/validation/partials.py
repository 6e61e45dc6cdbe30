"""Validation over partitions: each partition checked alone, the outcomes merged into the whole dataset's verdicts.

A partition is checked with the in-memory engine (`validate_frame`); what it reports merges
exactly: failing counts add, min/max take the extremes, a mean is re-weighted by its count,
samples are shifted by the rows before the partition and the first few kept. A `unique` rule
cannot be checked partition by partition, so each partition hands over its distinct keys
(with the row of their first occurrence), split into hash buckets; one task per bucket then
finds the keys already seen in an earlier partition (a shuffle). The repeats are exactly the
rows the single pass would flag: a partition's own repeats plus the first occurrence of keys
an earlier partition holds — same count, same first sample rows.

>>> import pandas as pd
>>> from mlops_tasks.validation.rules import Range, Unique
>>> rules = [Range(column="x", max=10), Unique(columns=["k"])]
>>> parts = [pd.DataFrame({"x": [1.0, 11.0], "k": ["a", "b"]}), pd.DataFrame({"x": [12.0], "k": ["a"]})]
>>> checks = [check_partition(p, rules, buckets=2) for p in parts]
>>> offsets = row_offsets(checks)
>>> repeats = {0: [bucket_repeats([c.keys[1][b] for c in checks], offsets, ["k"]) for b in range(2)]}
>>> rows, outcomes = merge_checks(rules, checks, {1: repeats[0]})
>>> rows, [(o.id, o.passed, o.failing_rows) for o in outcomes]
(3, [('range:x', False, 2), ('unique:k', False, 1)])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mlops_tasks.validation import rules as r
from mlops_tasks.validation.verdicts import Measure, jsonable, judge

ROW = "__row"  # the key pieces' column holding each key's first row (within its partition)
# What a whole-dataset rule's own measurement holds; without it the partition reported a problem.
_NATURAL = {
    "row_count": "rows",
    "dtype": "dtype",
    "mean_between": "mean",
    "freshness": "latest",
    "required_columns": "missing",
    "no_extra_columns": "extra",
}


@dataclass
class PartitionChecks:
    """One partition's outcomes (unique rules left out), and its unique rules' partials."""

    rows: int
    outcomes: dict[int, r.RuleOutcome]
    repeats: dict[int, tuple[int, list[dict[str, Any]]]] = field(default_factory=dict)
    keys: dict[int, list[Any]] = field(default_factory=dict)  # rule index -> frame per bucket
    problems: dict[int, str] = field(default_factory=dict)


def check_partition(
    frame: Any,
    rules: list[r.Rule],
    *,
    sample_rows: int = 5,
    load_reference: Any = None,
    buckets: int = 1,
) -> PartitionChecks:
    """Check one partition: every rule but `unique` in memory; the unique rules' distinct keys bucketed."""
    import numpy as np
    import pandas as pd

    from mlops_tasks.validation.pandas_engine import validate_frame

    plain = [i for i, rule in enumerate(rules) if not isinstance(rule, r.Unique)]
    found = validate_frame(
        frame, [rules[i] for i in plain], sample_rows=sample_rows,
        load_reference=load_reference, threads=1,
    )  # fmt: skip
    checks = PartitionChecks(rows=len(frame), outcomes=dict(zip(plain, found)))
    for i, rule in enumerate(rules):
        if not isinstance(rule, r.Unique):
            continue
        missing = [c for c in rule.columns if c not in frame.columns]
        if missing:  # the in-memory engine's wording
            checks.problems[i] = f"{rule.id}: column {missing[0]!r} is missing from the dataset"
            continue
        keys = frame[rule.columns].reset_index(drop=True)
        keys = keys[np.asarray(keys.notna().all(axis=1))]
        repeated = np.asarray(keys.duplicated(keep="first"))
        own = keys.index[repeated][:sample_rows]
        checks.repeats[i] = (int(repeated.sum()), _samples(keys.loc[own], rule.columns))
        distinct = keys[~repeated]
        distinct = distinct.assign(**{ROW: distinct.index.to_numpy(np.int64)})
        bucket = pd.util.hash_pandas_object(distinct[rule.columns], index=False).to_numpy()
        bucket = bucket % np.uint64(buckets)
        checks.keys[i] = [distinct[bucket == b].reset_index(drop=True) for b in range(buckets)]
    return checks


def row_offsets(checks: list[PartitionChecks]) -> list[int]:
    """The rows before each partition."""
    import itertools

    return [0, *itertools.accumulate(c.rows for c in checks)][:-1]


def bucket_repeats(
    pieces: list[Any], offsets: list[int], columns: list[str], sample_rows: int = 5
) -> tuple[int, list[dict[str, Any]]]:
    """(keys already in an earlier partition, the first few as samples) of one hash bucket.

    `pieces` are the bucket's distinct keys of every partition, in partition order.
    """
    import pandas as pd

    shifted = [p.assign(**{ROW: p[ROW] + offsets[i]}) for i, p in enumerate(pieces) if len(p)]
    if not shifted:
        return 0, []
    keys = pd.concat(shifted, ignore_index=True)
    repeats = keys[keys.duplicated(subset=columns, keep="first").to_numpy()]
    first = repeats.nsmallest(sample_rows, ROW) if sample_rows else repeats.iloc[:0]
    return len(repeats), _samples(first.set_index(ROW), columns)


def _samples(keys: Any, columns: list[str]) -> list[dict[str, Any]]:
    return [
        {"row": int(pos), **{str(c): jsonable(v) for c, v in zip(columns, values)}}
        for pos, values in zip(keys.index, keys.itertuples(index=False, name=None))
    ]


def merge_checks(
    rules: list[r.Rule],
    checks: list[PartitionChecks],
    unique_repeats: dict[int, list[tuple[int, list[dict[str, Any]]]]],
    *,
    sample_rows: int = 5,
) -> tuple[int, list[r.RuleOutcome]]:
    """(rows, outcomes in the rules' order) of the whole dataset from its partitions' checks.

    `unique_repeats[i]` holds rule i's `bucket_repeats` per bucket.
    """
    rows = sum(c.rows for c in checks)
    offsets = row_offsets(checks)
    outcomes = []
    for i, rule in enumerate(rules):
        if isinstance(rule, r.Unique):
            measure = _merge_unique(i, checks, offsets, unique_repeats.get(i, []), sample_rows)
        else:
            found = [c.outcomes[i] for c in checks]
            measure = _merge_measures(rule, found, offsets, rows, sample_rows)
        outcomes.append(judge(rule, rows, measure))
    return rows, outcomes


def _merge_unique(
    i: int, checks: list[PartitionChecks], offsets: list[int], cross: list[Any], sample_rows: int
) -> Measure:
    problem = next((c.problems[i] for c in checks if i in c.problems), None)
    if problem:
        return Measure(problem=problem)
    failing = sum(c.repeats[i][0] for c in checks) + sum(n for n, _ in cross)
    samples = [
        {**s, "row": s["row"] + offsets[p]} for p, c in enumerate(checks) for s in c.repeats[i][1]
    ] + [s for _, found in cross for s in found]
    samples.sort(key=lambda s: s["row"])
    return Measure(failing=failing, samples=samples[:sample_rows])


def _merge_measures(
    rule: r.Rule, outcomes: list[r.RuleOutcome], offsets: list[int], rows: int, sample_rows: int
) -> Measure:
    """One rule's partition outcomes as the whole dataset's measurement."""
    natural = _NATURAL.get(rule.rule)
    for o in outcomes:  # a problem (missing column, wrong kind) is the dataset's problem
        if o.failing_rows is None and (natural is None or natural not in o.observed):
            return Measure(problem=o.message, observed=o.observed)
    observed = dict(outcomes[0].observed)
    if rule.rule == "row_count":
        observed = {"rows": rows}
    elif rule.rule == "dtype":
        known = [o.observed for o in outcomes if o.observed["dtype"] != "null"]
        observed = dict(known[0]) if known else observed
    elif rule.rule == "range":
        observed = _extremes([o.observed for o in outcomes])
    elif rule.rule == "mean_between":
        count = sum(o.observed["count"] for o in outcomes)
        total = sum(
            o.observed["mean"] * o.observed["count"] for o in outcomes if o.observed["count"]
        )
        observed = {"mean": total / count if count else None, "count": count}
    elif rule.rule == "freshness":
        latest = [o.observed["latest"] for o in outcomes if o.observed["latest"] is not None]
        observed = {"latest": max(latest, key=datetime.fromisoformat) if latest else None}
    if outcomes[0].failing_rows is None:
        return Measure(observed=observed)
    samples = [
        {**s, "row": s["row"] + offsets[p]} for p, o in enumerate(outcomes) for s in o.samples
    ]
    return Measure(
        failing=sum(o.failing_rows or 0 for o in outcomes),
        observed=observed,
        samples=samples[:sample_rows],
    )


def _extremes(observed: list[dict[str, Any]]) -> dict[str, Any]:
    """The smallest min and largest max (JSON's "inf"/"-inf" strings read back as floats)."""

    def number(v: Any) -> Any:
        return float(v) if isinstance(v, str) else v

    lows = [number(o["min"]) for o in observed if o.get("min") is not None]
    highs = [number(o["max"]) for o in observed if o.get("max") is not None]
    return {
        "min": jsonable(min(lows)) if lows else None,
        "max": jsonable(max(highs)) if highs else None,
    }
