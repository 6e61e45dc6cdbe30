"""Rank candidate root-cause services for an incident window.

Two steps, both using only data the system itself produced (never a label):

1. **Deviation**: each metric of each service is compared with its own pre-onset baseline. The
   statistic is the *median* absolute robust z over the window after the onset (a fault lasts
   minutes; a single-sample spike is noise), with a scale floored at 1% of the level so a
   near-constant series cannot produce astronomic z, then ``log1p`` so one absurd value (a
   latency of 1e9 s) cannot dominate. A service scores its most deviating metric.
2. **Propagation** (optional: ``propagate=True``; off by default because on the Online Boutique
   cases it lowered AC@1, see ``bench/rootcause.py``): a fault in a callee shows
   up in its callers (their client latency, errors), not the other way round. A personalised
   PageRank walks from each service towards its callees, weighted by their deviation, so mass
   flows to the most *downstream* deviating service; its stationary mass is blended with the
   deviation score.

>>> import pandas as pd
>>> idx = pd.date_range("2024-01-01", periods=40, freq="min", tz="UTC")
>>> calm = pd.DataFrame({"latency": [1.0, 1.1] * 20}, index=idx)
>>> hit = pd.DataFrame({"latency": [1.0, 1.1] * 17 + [5.0] * 6}, index=idx)
>>> [c.service for c in rank_root_causes({"api": calm, "db": hit}, idx[34], edges=[("api", "db")], propagate=True)]
['db', 'api']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

# Node-level metrics belong to the host, shared by every pod on it: they do not single out a service.
HOST_PREFIXES = ("Node", "node_")


@dataclass(frozen=True)
class Cause:
    """A ranked candidate: its score, the metric that deviated most, and why it is unscored if so."""

    service: str
    score: float
    metric: str | None = None
    deviation: float = 0.0
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("service", "score", "metric", "deviation", "reason")}


def window(
    frame: pd.DataFrame, onset: pd.Timestamp, baseline_minutes: float, after_minutes: float
) -> tuple[pd.DataFrame, pd.DataFrame, str | None]:
    """The pre-onset baseline and the post-onset window of a service's metrics, or why there are none.

    The frame is sorted and de-duplicated on its time index first: irregular and repeated
    timestamps are common in scraped metrics.
    """
    import pandas as pd

    if frame is None or frame.empty:
        return frame, frame, "no metrics"
    frame = frame.select_dtypes("number")
    if not frame.index.is_monotonic_increasing or frame.index.has_duplicates:
        frame = frame[~frame.index.duplicated(keep="last")].sort_index()
    # Onset times are known to a minute at best: the window opens 30 s early.
    start = onset - pd.Timedelta(seconds=30)
    base = frame[
        (frame.index >= onset - pd.Timedelta(minutes=baseline_minutes)) & (frame.index < start)
    ]
    post = frame[
        (frame.index >= start) & (frame.index < onset + pd.Timedelta(minutes=after_minutes))
    ]
    if len(base) < 3:
        return base, post, f"only {len(base)} samples before the onset (need 3)"
    if post.empty:
        return base, post, "no samples after the onset"
    return base, post, None


def deviations(
    frame: pd.DataFrame,
    onset: pd.Timestamp,
    *,
    baseline_minutes: float = 60,
    after_minutes: float = 4,
) -> tuple[pd.Series | None, str | None]:
    """Per-metric deviation after `onset` (log1p of the median robust z), or the reason there is none."""
    import numpy as np

    keep = [c for c in frame.columns if not str(c).startswith(HOST_PREFIXES)]
    base, post, reason = window(frame[keep], onset, baseline_minutes, after_minutes)
    if reason:
        return None, reason
    median = base.median()
    iqr = (base.quantile(0.75) - base.quantile(0.25)) / 1.349
    mad = (base - median).abs().median() * 1.4826
    scale = np.maximum(np.maximum(iqr, mad), 0.01 * median.abs())
    usable = scale > 0  # a metric constant at zero before the onset has no scale to measure by
    if not usable.any():
        return None, "every metric was constant at zero before the onset"
    z = ((post.loc[:, usable] - median[usable]) / scale[usable]).abs()
    score = np.log1p(z.median()).replace([np.inf, -np.inf], np.nan).dropna()
    if score.empty:
        return None, "no finite value after the onset"
    return score, None


def rank_root_causes(
    metrics: dict[str, pd.DataFrame],
    onset: pd.Timestamp,
    *,
    edges: list[tuple[str, str]] | None = None,
    baseline_minutes: float = 60,
    after_minutes: float = 4,
    propagate: bool = False,
    damping: float = 0.5,
    blend: float = 0.3,
) -> list[Cause]:
    """Services ordered from most to least likely root cause of a fault starting at `onset`.

    `edges` are call edges ``(caller, callee)``. Services without usable data rank last, each
    with its reason.
    """
    scored: dict[str, tuple[float, str]] = {}
    unscored: list[Cause] = []
    for service, frame in metrics.items():
        dev, reason = deviations(
            frame, onset, baseline_minutes=baseline_minutes, after_minutes=after_minutes
        )
        if dev is None:
            unscored.append(Cause(service=service, score=0.0, reason=reason))
        else:
            scored[service] = (float(dev.max()), str(dev.idxmax()))
    if not scored:
        return unscored
    deviation = {s: v for s, (v, _) in scored.items()}
    final = dict(deviation)
    if propagate and edges:
        walk = downstream_pagerank(deviation, edges, damping=damping)
        top_dev, top_walk = max(deviation.values()) or 1.0, max(walk.values()) or 1.0
        final = {
            s: (1 - blend) * deviation[s] / top_dev + blend * walk[s] / top_walk for s in deviation
        }
    causes = [
        Cause(
            service=s,
            score=round(final[s], 6),
            metric=scored[s][1],
            deviation=round(deviation[s], 6),
        )
        for s in deviation
    ]
    return sorted(causes, key=lambda c: (-c.score, c.service)) + unscored


def downstream_pagerank(
    scores: dict[str, float],
    edges: list[tuple[str, str]],
    *,
    damping: float = 0.85,
    iterations: int = 100,
) -> dict[str, float]:
    """Personalised PageRank that walks from callers to callees, weighted by the callee's deviation.

    From a service the walker stays (weight: its own deviation) or moves to a callee (weight:
    the callee's deviation); it restarts in proportion to the deviations. Mass piles up on
    deviating services whose callees are calm: the likeliest origin of what callers see.

    >>> r = downstream_pagerank({"fe": 2.0, "db": 2.0, "ok": 0.1}, [("fe", "db"), ("fe", "ok")])
    >>> max(r, key=r.get)
    'db'
    """
    import numpy as np

    names = sorted(scores)
    index = {n: i for i, n in enumerate(names)}
    weight = np.array([max(scores[n], 0.0) for n in names]) + 1e-9
    n = len(names)
    transition = np.diag(weight)
    for caller, callee in edges:
        if caller in index and callee in index and caller != callee:
            transition[index[caller], index[callee]] = weight[index[callee]]
    transition /= transition.sum(axis=1, keepdims=True)
    restart = weight / weight.sum()
    rank = np.full(n, 1.0 / n)
    for _ in range(iterations):
        new = damping * rank @ transition + (1 - damping) * restart
        if np.abs(new - rank).sum() < 1e-12:
            rank = new
            break
        rank = new
    return {name: float(rank[index[name]]) for name in names}
