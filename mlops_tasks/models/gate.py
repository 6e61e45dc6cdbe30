"""The gate's logic: should the candidate replace the champion? A decision with its reasons.

Thresholds as in MLflow's ``MetricThreshold`` (an absolute threshold, a minimum absolute and
relative change against the champion, a direction), plus paired tests on the same rows
(McNemar for accuracy, a paired bootstrap interval of each metric's delta) and per-slice
no-regression guards.

>>> import numpy as np
>>> from mlops_tasks.models.metrics import Outputs
>>> y = np.arange(100.0)
>>> cand, champ = Outputs.regression(y, y + 1), Outputs.regression(y, y + 3)
>>> d = decide(cand, champ, [Threshold(metric="mae", threshold=2.0, min_absolute_change=1.0)])
>>> d.decision, d.reasons[0]
('promote', 'mae = 1.0000 meets the threshold <= 2.0000')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlops_tasks.models import metrics as M
from mlops_tasks.models.thresholds import Threshold


@dataclass
class Decision:
    decision: str
    reasons: list[str]
    candidate: dict[str, float]
    champion: dict[str, float] | None
    tests: dict[str, Any] = field(default_factory=dict)
    slices: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.decision == "promote"


def mcnemar(candidate: M.Outputs, champion: M.Outputs) -> dict[str, float]:
    """Exact McNemar test on the rows exactly one of the two models gets right."""
    from scipy.stats import binomtest

    a = candidate.y == candidate.pred
    b = champion.y == champion.pred
    only_candidate, only_champion = int(np.sum(a & ~b)), int(np.sum(~a & b))
    n = only_candidate + only_champion
    p = 1.0 if n == 0 else float(binomtest(only_candidate, n, 0.5).pvalue)
    return {
        "only_candidate_right": only_candidate,
        "only_champion_right": only_champion,
        "p_value": p,
    }


def decide(
    candidate: M.Outputs,
    champion: M.Outputs | None,
    thresholds: list[Threshold],
    *,
    paired_test: bool = True,
    require_significance: bool = False,
    alpha: float = 0.05,
    n_boot: int = 1000,
    seed: int = 0,
    slices: list[tuple[str, str, np.ndarray]] = (),  # type: ignore[assignment]
    min_slice_size: int = 30,
    slice_tolerance: float = 0.0,
) -> Decision:
    """Promote or reject, with a reason for every check made.

    Paired test: the candidate is rejected if it is significantly worse than the champion (the
    delta's interval lies wholly on the worse side; McNemar for accuracy); with
    `require_significance`, also unless it is significantly better.
    """
    names = tuple(dict.fromkeys([t.metric for t in thresholds] or [candidate.metrics[0]]))
    unknown = [n for n in names if n not in candidate.metrics]
    if unknown:
        from mlops_tasks.errors import ConfigError

        raise ConfigError("gate", [f"thresholds: metric {n!r} does not apply to a {candidate.task} model "
                                   f"(use {', '.join(candidate.metrics)})" for n in unknown])  # fmt: skip
    cand = M.scores(candidate, names)
    champ = M.scores(champion, names) if champion is not None else None
    reasons: list[str] = []
    failed = False
    direction = {t.metric: t.higher() for t in thresholds} or {
        names[0]: M.HIGHER_IS_BETTER.get(names[0], True)
    }

    for t in thresholds:
        value, better = cand[t.metric], t.higher()
        if t.threshold is not None:
            ok = value >= t.threshold if better else value <= t.threshold
            failed |= not ok
            reasons.append(f"{t.metric} = {value:.4f} {'meets' if ok else 'fails'} the threshold "
                           f"{'>=' if better else '<='} {t.threshold:.4f}")  # fmt: skip
        if champ is None:
            if t.min_absolute_change is not None or t.min_relative_change is not None:
                reasons.append(f"{t.metric}: no champion yet, change requirements not applied")
            continue
        gain = (value - champ[t.metric]) if better else (champ[t.metric] - value)
        if t.min_absolute_change is not None:
            ok = gain >= t.min_absolute_change
            failed |= not ok
            reasons.append(f"{t.metric} improves on the champion by {gain:+.4f} "
                           f"({'>=' if ok else '<'} {t.min_absolute_change:.4f} required)")  # fmt: skip
        if t.min_relative_change is not None:
            rel = (
                gain / abs(champ[t.metric])
                if champ[t.metric]
                else float("inf")
                if gain > 0
                else 0.0
            )
            ok = rel >= t.min_relative_change
            failed |= not ok
            reasons.append(f"{t.metric} improves on the champion by {rel:+.2%} "
                           f"({'>=' if ok else '<'} {t.min_relative_change:.2%} required)")  # fmt: skip

    tests: dict[str, Any] = {}
    if champion is not None and paired_test:
        reps = M.replicates(candidate, names, n_boot, seed, other=champion)
        for name in names:
            lo, hi = M._percentiles(reps[name], 1 - alpha)
            better = direction.get(name, True)
            worse = hi < 0 if better else lo > 0
            significant_gain = lo > 0 if better else hi < 0
            tests[name] = {"delta": cand[name] - champ[name], "low": lo, "high": hi,
                           "significantly_worse": bool(worse), "significantly_better": bool(significant_gain)}  # fmt: skip
            if worse:
                failed = True
                reasons.append(f"paired bootstrap: {name} delta {cand[name] - champ[name]:+.4f}, "
                               f"{1 - alpha:.0%} interval [{lo:+.4f}, {hi:+.4f}]: significantly worse than the champion")  # fmt: skip
            elif require_significance and not significant_gain:
                failed = True
                reasons.append(f"paired bootstrap: {name} delta interval [{lo:+.4f}, {hi:+.4f}] includes no "
                               "significant improvement")  # fmt: skip
            else:
                reasons.append(
                    f"paired bootstrap: {name} delta {cand[name] - champ[name]:+.4f}, interval [{lo:+.4f}, {hi:+.4f}]"
                )
        if candidate.classes is not None:
            test = mcnemar(candidate, champion)
            tests["mcnemar"] = test
            worse = (
                test["p_value"] < alpha
                and test["only_champion_right"] > test["only_candidate_right"]
            )
            better = (
                test["p_value"] < alpha
                and test["only_candidate_right"] > test["only_champion_right"]
            )
            if worse or (require_significance and not better):
                failed = True
            reasons.append(f"McNemar: candidate alone right on {test['only_candidate_right']} rows, champion alone on "
                           f"{test['only_champion_right']}, p = {test['p_value']:.4g}"
                           + (" (significantly worse)" if worse else ""))  # fmt: skip

    slice_rows: list[dict[str, Any]] = []
    if champion is not None:
        metric = names[0]
        better = direction.get(metric, True)
        for column, value, rows in slices:
            entry = {"column": column, "value": value, "rows": len(rows), "metric": metric}
            if len(rows) < min_slice_size:
                entry["skipped"] = f"fewer than {min_slice_size} rows"
                slice_rows.append(entry)
                continue
            c = M.score(candidate.subset(rows), metric)
            h = M.score(champion.subset(rows), metric)
            loss = (h - c) if better else (c - h)
            entry.update(
                candidate=c, champion=h, regression=loss, ok=bool(not loss > slice_tolerance)
            )
            if loss > slice_tolerance:
                failed = True
                reasons.append(f"slice {column}={value} ({len(rows)} rows): {metric} {c:.4f} vs champion {h:.4f}, "
                               f"worse by {loss:.4f} (tolerance {slice_tolerance:.4f})")  # fmt: skip
            slice_rows.append(entry)
        checked = sum(1 for s in slice_rows if "skipped" not in s)
        if slices:
            reasons.append(
                f"slices: {checked} checked, {len(slice_rows) - checked} below {min_slice_size} rows skipped"
            )
    else:
        reasons.append("no champion: the candidate is judged on absolute thresholds only")

    return Decision("reject" if failed else "promote", reasons, cand, champ, tests, slice_rows)
