"""Rank candidate root-cause services for an incident window.

Everything comes from data the system itself produced (never a label), with one default for
every system (chosen on the development systems' training parts, see ``bench/rootcause.py``):

1. **Deviation that persists.** Each metric of each service is compared with its baseline: the
   window before the onset, plus normal-period `reference` metrics when there are any. The
   evidence is the *median* robust z over the window after the onset (at least three samples:
   a fault lasts; one spike is noise), so half the samples after the onset must deviate. A
   5-minute row whose interval holds the onset is not baseline (`_window_arrays`); a case with
   one sample before the onset and no normal period is scaled across services (`_single_sample_stats`).
2. **Scales that cannot collapse.** The scale is the largest of the baseline's MAD and IQR,
   its own history's tail (the 95th percentile of absolute deviations / 1.96: the standard
   deviation for normal noise, larger for a series that spikes in normal operation), and the
   metric *family's* typical scale across services (the median over the services that have the
   metric, e.g. every pod's ``PodClientLatencyP99(s)``; when most members are constant, as
   availability at 100% is, the quietest member that moves at all), and the family's median
   scale *relative to its level* times the service's own level (members run at levels orders of
   magnitude apart: a slow member's wobble is not read against fast members' noise). With fewer
   than `SHORT_BASELINE` baseline rows (the day's first fault) every member's spread, and so the
   family's, is too unsure: the scale is at least the family's typical change across the onset,
   absolute and relative to the level (`_change_scales`). In the one-sample path no family's spread is below the case's typical
   one. With normal-period metrics the level is the case's own pre-onset median (another period
   runs at another load) and the scale at least those samples' own spread. Not a fraction of its own level: that made
   z ~ 600,000 of one spike on a near-constant series. A gap after the onset (nothing served)
   counts as no deviation.
3. **Idle services are weak candidates.** A service absent from the traces (`active`), or whose
   traffic metrics (requests, workload, ops, calls) were all zero or missing before the onset
   (in the median over the whole baseline, normal period included, or right before the onset),
   has its evidence halved and ranks after the active services of its tier: it served nothing,
   so it is rarely what users felt.
4. **The graph: deepest abnormal first.** With call edges, an abnormal service (evidence above
   `abnormal`, a robust z of 3) that calls an abnormal callee whose deciding metric moved the
   same way in goodness (`got_worse`: a faster callee does not explain a slower caller, a callee's
   availability drop does), that is not weak while the caller is (an idle callee has no before to compare
   with; an untraced one is a caller's view), and that failed if the caller's deciding metric is a
   failure one (availability, success: a callee that only got slower does not explain them), and
   that is abnormal by its own metrics (not only by a caller's client view lent to all its
   callees, which says one of them is slow, not which), is explained by it, unless the caller's
   deciding metric is one of its own resources (`RESOURCE`: CPU, memory, disk, network bytes;
   only latency, errors and availability travel along a call): callers sit below
   the callees whose own callees are normal, the anomaly-traversal rule. Among the unexplained,
   the one whose anomaly reaches furthest up abnormal callers comes first (a database whose
   slowness shows in three layers above it before a load balancer's client view one call below
   the front end), then by evidence.
5. **Where the problem was seen.** Given a `symptom` (the service an alert or SLO fired on), a
   candidate with no path of abnormal calls from it ranks after those with one: PetShop's
   step-function lambdas are noisy, but their noise does not reach the page users saw. Where a
   service has a mean latency and a request count, the path goes only through callees that
   spent more time serving after the onset than before (mean latency x requests): a state
   machine started asynchronously runs 2 s longer per execution but adds nothing to the page.

>>> import pandas as pd
>>> idx = pd.date_range("2024-01-01", periods=40, freq="min", tz="UTC")
>>> calm = pd.DataFrame({"latency": [1.0, 1.1] * 20}, index=idx)
>>> hit = pd.DataFrame({"latency": [1.0, 1.1] * 17 + [5.0] * 6}, index=idx)
>>> [c.service for c in rank_root_causes({"api": hit, "db": hit}, idx[34], edges=[("api", "db")])]
['db', 'api']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

# Node-level metrics belong to the host, shared by every pod on it: they do not single out a service.
HOST_PREFIXES = ("Node", "node_")
# Metrics that count served traffic: all zero or missing before the onset means an idle service.
# Metrics a caller measures of its calls (Istio's client latency): evidence about its callees.
CLIENT = re.compile(r"client", re.IGNORECASE)
TRAFFIC = re.compile(r"workload|request|\bops\b|\(ops\)|calls|throughput|qps|rps", re.IGNORECASE)
# Metrics where higher is better (a fall is the bad way): availability, success rates, hit rates.
HIGHER_IS_BETTER = re.compile(r"availab|success|hit.?rate|apdex|uptime", re.IGNORECASE)
# A service's own resources (CPU, memory, syscalls, disk, network bytes of its host or container):
# nothing of these travels along a call, so a callee's anomaly does not explain a caller's rise.
# Not a bare "network" or "mem": a network latency or a memcached hit rate does travel along calls.
RESOURCE = re.compile(r"cpu|memory|\bmem_|syscall|disk|filesystem|bytes", re.IGNORECASE)
MIN_BASELINE = 2
# Services with one sample of history needed to scale their changes across them.
MIN_ACROSS = 3
# Fewer baseline rows than this: a spread too unsure to trust alone (`_change_scales`).
SHORT_BASELINE = 10
MIN_AFTER = 3  # samples after the onset the evidence is the median of
IDLE_WEIGHT = 0.5
EVIDENCE_FROM_TRAFFIC = False
ABNORMAL = 3.0
# A mean latency: with a request count it gives the time a service spent serving (`_added_time`).
AVERAGE = re.compile(r"latency.*(avg|average|mean)", re.IGNORECASE)


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


def got_worse(metric: str, shift: float) -> bool:
    """Whether a metric's median shift after the onset is the bad way: up, or down for a metric
    where higher is better (`HIGHER_IS_BETTER`). A callee explains a caller only if both got worse:
    a callee's availability drop explains a caller's slower calls, a faster callee does not.

    >>> got_worse("latency.p90", 2.0), got_worse("availability.Average", -4.0), got_worse("latency.p50", -3.0)
    (True, True, False)
    """
    return bool(shift < 0) if HIGHER_IS_BETTER.search(metric) else bool(shift > 0)


def family(column: str) -> str:
    """A metric's family across replicas: ``cpu@pod-a`` and ``cpu@pod-b`` are both ``cpu``."""
    return column.split("@", 1)[0]


def window(
    frame: pd.DataFrame,
    onset: pd.Timestamp,
    baseline_minutes: float,
    after_minutes: float,
    reference: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, str | None]:
    """The baseline (pre-onset rows, after `reference` rows) and the post-onset window as frames, or
    why there are none: the same rows and columns `rank_root_causes` ranks on (`_window_rows`), so
    a peer ranker (BARO) gets the same inputs.
    """
    import pandas as pd

    if frame is None or frame.empty:
        return frame, frame, "no metrics"
    normal = reference is not None and not reference.empty
    frame, keep, (lo, before, mid, hi) = _window_rows(
        frame, onset, baseline_minutes, after_minutes, normal
    )
    base, post = frame.iloc[lo:before, keep], frame.iloc[mid:hi, keep]
    if normal:
        base = pd.concat([reference.reindex(columns=base.columns), base])
    if len(base) < MIN_BASELINE:
        return base, post, f"only {len(base)} samples before the onset (need {MIN_BASELINE})"
    if post.empty:
        return base, post, "no samples after the onset"
    return base, post, None


@dataclass
class _Stats:
    columns: list[str]
    median: np.ndarray
    own_scale: np.ndarray
    post: np.ndarray
    idle: bool
    added: float | None = None
    log: bool = False  # in log units (`_single_sample_stats`): scales are relative already
    samples: int = 0  # baseline rows (normal period included)


def nanquantiles(values: np.ndarray, qs: tuple[float, ...]) -> list[np.ndarray]:
    """Column quantiles ignoring NaN (linear interpolation, NaN for an all-NaN column), from one sort.

    numpy's nanmedian/nanpercentile go through masked arrays: 30x slower on these small frames.

    >>> import numpy as np
    >>> [q.tolist() for q in nanquantiles(np.array([[1.0, np.nan], [3.0, 2.0], [2.0, np.nan]]), (0.5, 1.0))]
    [[2.0, 2.0], [3.0, 2.0]]
    """
    import numpy as np

    ordered = np.sort(values, axis=0)  # NaN sorts last
    count = (~np.isnan(values)).sum(axis=0)
    out = []
    for q in qs:
        pos = q * np.maximum(count - 1, 0)
        lo, hi = np.floor(pos).astype(int), np.ceil(pos).astype(int)
        low = np.take_along_axis(ordered, lo[None, :], axis=0)[0]
        high = np.take_along_axis(ordered, hi[None, :], axis=0)[0]
        out.append(np.where(count > 0, low + (high - low) * (pos - lo), np.nan))
    return out


def _window_rows(
    frame: pd.DataFrame,
    onset: pd.Timestamp,
    baseline_minutes: float,
    after_minutes: float,
    normal_period: bool = False,
) -> tuple[pd.DataFrame, list[int], tuple[int, int, int, int]]:
    """The one window definition: (the frame sorted and de-duplicated on its time index, the
    positions of its numeric non-host columns, row positions ``lo, before, mid, hi``). The
    baseline is rows ``lo:before``, the window after the onset ``mid:hi``.

    Irregular and repeated timestamps are common in scraped metrics: the last of a repeated time
    is kept. The window after the onset spans `after_minutes` but at least `MIN_AFTER` sampling
    steps (the median step over the whole frame; 5-minute aggregates need 15 minutes).

    An aggregate row may stand for the interval it opens (CloudWatch's 5-minute periods): a row
    whose interval holds the onset is part fault, so the baseline takes only rows whose interval
    ends by the onset (``t + step < onset + 30 s``; for 1-minute samples the same as
    ``t < onset - 30 s``). Without a `normal_period` and with fewer than `MIN_BASELINE` such rows,
    that row stays in: a part-fault baseline is better than none.
    """
    import numpy as np
    import pandas as pd

    index = frame.index
    if not index.is_monotonic_increasing or index.has_duplicates:
        frame = frame[~index.duplicated(keep="last")].sort_index()
        index = frame.index
    times = pd.DatetimeIndex(index).as_unit("ns").asi8  # pandas may keep us or s units
    step = int(np.median(np.diff(times))) if len(times) > 1 else 60 * 10**9
    start = onset.value - 30 * 10**9  # onsets are known to a minute at best: open 30 s early
    end = onset.value + max(int(after_minutes * 60e9), MIN_AFTER * step)
    clean = min(start, onset.value + 30 * 10**9 - step)
    lo, before, mid, hi = np.searchsorted(
        times, [onset.value - int(baseline_minutes * 60e9), clean, start, end], side="left"
    )
    if before - lo < MIN_BASELINE and not normal_period:
        before = mid
    numeric = frame.iloc[:0].select_dtypes("number").columns  # dtypes only: no rows copied
    keep = [
        i
        for i, c in enumerate(frame.columns)
        if c in numeric and not str(c).startswith(HOST_PREFIXES)
    ]
    return frame, keep, (int(lo), int(before), int(mid), int(hi))


def _window_arrays(
    frame: pd.DataFrame,
    onset: pd.Timestamp,
    baseline_minutes: float,
    after_minutes: float,
    normal_period: bool = False,
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(columns, baseline rows, post-onset rows) of `_window_rows`, as float arrays.

    Only the rows of the window are converted, on every call. No cache keyed by the frame: one
    served the first call's values after a column was assigned anew between calls.
    """
    frame, keep, (lo, before, mid, hi) = _window_rows(
        frame, onset, baseline_minutes, after_minutes, normal_period
    )
    part = frame.iloc[lo:hi]
    if frame.iloc[:0].select_dtypes("number").shape[1] == frame.shape[1]:
        # All numeric (the usual case): one conversion, then pick columns in numpy (cheaper than pandas).
        rows = part.to_numpy(dtype=float)[:, keep]
    else:
        rows = part.iloc[:, keep].to_numpy(dtype=float)
    return [str(frame.columns[i]) for i in keep], rows[: before - lo], rows[mid - lo :]


def _stats(
    b: np.ndarray,
    p: np.ndarray,
    columns: list[str],
    level: np.ndarray | None = None,
    recent: np.ndarray | None = None,
) -> _Stats:
    import numpy as np

    q25, median, q75 = nanquantiles(b, (0.25, 0.5, 0.75))
    dev = np.abs(b - median)
    mad, tail = nanquantiles(dev, (0.5, 0.95))
    mad, tail = 1.4826 * mad, tail / 1.96
    own = np.fmax(np.fmax(mad, (q75 - q25) / 1.349), tail)
    traffic = [i for i, c in enumerate(columns) if TRAFFIC.search(c)]
    # Idle in the whole baseline (normal period included: a service called in 2% of its normal
    # intervals) or right before the onset.
    idle = bool(traffic) and not bool((np.nan_to_num(median[traffic]) > 0).any())
    if level is not None:
        median = np.where(np.isfinite(level), level, median)
        if recent is not None and len(recent) >= MIN_BASELINE:
            (spread,) = nanquantiles(np.abs(recent - level), (0.5,))
            own = np.fmax(own, 1.4826 * spread)
    idle = idle or (bool(traffic) and not bool((np.nan_to_num(median[traffic]) > 0).any()))
    if traffic and not EVIDENCE_FROM_TRAFFIC:
        # The load is the users', not the fault's: traffic tells idleness only.
        own[traffic] = np.nan
    return _Stats(columns, median, own, p, idle, samples=len(b))


def rank_root_causes(
    metrics: dict[str, pd.DataFrame],
    onset: pd.Timestamp,
    *,
    edges: list[tuple[str, str]] | None = None,
    reference: dict[str, pd.DataFrame] | None = None,
    active: set[str] | None = None,
    baseline_minutes: float = 60,
    after_minutes: float = 4,
    propagate: bool = True,
    abnormal: float = ABNORMAL,
    idle_weight: float = IDLE_WEIGHT,
    symptom: str | None = None,
) -> list[Cause]:
    """Services ordered from most to least likely root cause of a fault starting at `onset`.

    `edges` are call edges ``(caller, callee)``; `reference` holds normal-period metrics per
    service (added to the baseline); `active` the services seen in traces (others are idle).
    `symptom` is where the problem was seen (see the module doc). `propagate=False` ignores the
    graph. Services without usable data rank last, each with its reason.
    """

    import numpy as np

    stats: dict[str, _Stats] = {}
    unscored: list[Cause] = []
    single: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}
    for service, frame in metrics.items():
        if frame is None or frame.empty:
            unscored.append(Cause(service=service, score=0.0, reason="no metrics"))
            continue
        ref = (reference or {}).get(service)
        columns, before, post = _window_arrays(
            frame, onset, baseline_minutes, after_minutes, ref is not None and len(ref) > 0
        )
        base = before
        level = recent = None
        if ref is not None and len(ref):
            # The normal period gives the noise scale; the case's own pre-onset samples the level
            # (another period runs at another traffic level).
            level = nanquantiles(base, (0.5,))[0] if len(base) else None
            recent = base
            base = np.concatenate([ref.reindex(columns=columns).to_numpy(dtype=float), base])
        if len(base) == 1 and len(post) and len(columns):
            # One sample of history (no normal period): scaled across services when the whole
            # case has only that (`_single_sample_stats`).
            single[service] = (columns, before, post)
            continue
        if len(base) < MIN_BASELINE:
            reason = f"only {len(base)} samples before the onset (need {MIN_BASELINE})"
        elif not len(post):
            reason = "no samples after the onset"
        elif not len(columns):
            reason = "no numeric metrics"
        else:
            stats[service] = _stats(base, post, columns, level, recent)
            stats[service].added = _added_time(columns, before, post)
            continue
        unscored.append(Cause(service=service, score=0.0, reason=reason))
    if not stats and len(single) >= MIN_ACROSS:
        stats.update(_single_sample_stats(single))
    else:  # a service late among others with a history has no scale to borrow: unscored
        for service in single:
            reason = f"only 1 samples before the onset (need {MIN_BASELINE})"
            unscored.append(Cause(service=service, score=0.0, reason=reason))
    # The family floor: the median own scale of a metric over the services (and replicas) that
    # have it, and the median scale relative to the level, times this service's level.
    scales: dict[str, list[float]] = {}
    relative: dict[str, list[float]] = {}
    for st in stats.values():
        for column, scale, level in zip(st.columns, st.own_scale, st.median):
            if np.isfinite(scale):
                scales.setdefault(family(column), []).append(float(scale))
                if np.isfinite(level) and level != 0 and not st.log:
                    relative.setdefault(family(column), []).append(float(scale / abs(level)))
    floor = {}
    for name, values in scales.items():
        # Most members constant (availability at 100%): the quietest member that moves at all.
        moving = [x for x in values if x > 0]
        median = float(np.median(values))
        floor[name] = median if median > 0 else min(moving, default=0.0)
    # Members of a family run at levels orders of magnitude apart (a 5 s step-function lambda and
    # a 1 ms cache share latency.p50): the absolute floor, set by the many fast ones, lets a slow
    # member's ordinary wobble read 700 z. Its own level times the family's typical relative
    # spread bounds that; a measured ratio, not a fixed fraction of the level.
    ratio = {name: float(np.median(values)) for name, values in relative.items()}
    across, across_ratio = _change_scales(stats)
    scored: dict[str, tuple[float, str]] = {}
    weak: set[str] = set()
    worse: dict[str, bool] = {}  # whether the deciding metric moved the bad way (see `got_worse`)
    lent: dict[str, tuple[float, str]] = {}  # a caller's client-side evidence, lent to its callees
    inherited: dict[str, tuple[float, str]] = {}
    callees: dict[str, list[str]] = {}
    for caller, callee in edges or []:
        if caller != callee:
            callees.setdefault(caller, []).append(callee)
    for service, st in stats.items():
        fam = np.array([floor.get(family(c), 0.0) for c in st.columns])
        if not st.log:
            by_level = np.array([ratio.get(family(c), 0.0) for c in st.columns])
            fam = np.fmax(fam, by_level * np.abs(st.median))  # a NaN level keeps the absolute floor
            if st.samples < SHORT_BASELINE:
                moved = np.array([across.get(family(c), 0.0) for c in st.columns])
                moved_by_level = np.array([across_ratio.get(family(c), 0.0) for c in st.columns])
                fam = np.fmax(fam, np.fmax(moved, moved_by_level * np.abs(st.median)))
        scale = np.fmax(st.own_scale, fam)
        usable = np.isfinite(scale) & (scale > 0) & np.isfinite(st.median)
        if not usable.any():
            unscored.append(
                Cause(
                    service=service,
                    score=0.0,
                    reason="every metric was constant at zero before the onset",
                )
            )
            continue
        signed = (st.post[:, usable] - st.median[usable]) / scale[usable]
        # A gap (no sample: nothing served) is no deviation: one value among gaps is one
        # sample, and a fault must last.
        seen = np.isfinite(signed).any(axis=0)
        signed = np.where(seen, np.nan_to_num(signed, nan=0.0), np.nan)
        (evidence,) = nanquantiles(np.abs(signed), (0.5,))
        (shift,) = nanquantiles(signed, (0.5,))
        evidence = np.where(np.isfinite(evidence), evidence, np.nan)
        if np.isnan(evidence).all():
            unscored.append(
                Cause(service=service, score=0.0, reason="no finite value after the onset")
            )
            continue
        names = [c for c, u in zip(st.columns, usable) if u]
        idle = st.idle or (bool(active) and service not in active)
        weight = idle_weight if idle else 1.0
        if idle:
            weak.add(service)
        client = np.array([bool(CLIENT.search(c)) for c in names])
        if propagate and callees.get(service) and client.any():
            # What a caller measures of its calls is evidence about its callees too.
            best = int(np.nanargmax(np.where(client, evidence, np.nan)))
            lent[service] = (float(evidence[best]) * weight, f"{names[best]} of {service}")
            worse[f"{names[best]} of {service}"] = got_worse(names[best], shift[best])
        best = int(np.nanargmax(evidence))
        scored[service] = (float(evidence[best]) * weight, names[best])
        worse[service] = got_worse(names[best], shift[best])
    for caller, (value, metric) in lent.items():
        for callee in callees[caller]:
            if callee in scored and value > scored[callee][0]:
                inherited[callee] = max(inherited.get(callee, (0.0, "")), (value, metric))
    if not scored:
        return unscored
    own = {s: v for s, (v, _) in scored.items()}
    final = {s: max(own[s], inherited.get(s, (0.0, ""))[0]) for s in scored}
    metric = {s: scored[s][1] if own[s] >= final[s] else inherited[s][1] for s in scored}
    bad_way = {s: worse[s] if own[s] >= final[s] else worse[inherited[s][1]] for s in scored}
    # Tiers: abnormal and unexplained, abnormal but explained by an abnormal callee, normal.
    tier = {s: 0 for s in scored}
    explains = {s: 0 for s in scored}
    off: set[str] = set()
    if propagate and edges:
        bad = {s for s in scored if final[s] >= abnormal}
        tier = {s: 0 if s in bad else 2 for s in scored}
        callers: dict[str, set[str]] = {}
        for caller, callee in edges:
            if caller == callee or caller not in bad or callee not in bad:
                continue
            if callee in weak and caller not in weak:
                # A callee that served nothing before the onset has no before to compare with:
                # its numbers after it do not explain an active caller's change.
                continue
            if own[callee] < abnormal:
                # Abnormal only by a caller's client view lent to all its callees: that says one of
                # the caller's callees is slow, not which one, and explains none of them.
                continue
            if own[caller] >= final[caller] and RESOURCE.search(family(metric[caller])):
                # A callee reaches its caller only through what travels along the call (latency,
                # errors, availability): a caller's memory rise beside a callee's is its own. (A
                # lent client view is a call metric; the family drops a replica's pod name.)
                continue
            if bad_way[caller] != bad_way[callee]:
                continue  # a callee that got faster (or fewer errors) does not explain a slower caller
            if HIGHER_IS_BETTER.search(metric[caller]) and not HIGHER_IS_BETTER.search(
                metric[callee]
            ):
                # Failures are what a caller returned: a callee that failed shows it in its own
                # availability (or success rate); one that only got slower explains slower
                # calls, not the caller's failures (PetSearch's errors beside a slower S3).
                continue
            tier[caller] = 1
            # How far an anomaly reaches counts the callers' own evidence, not what they lent.
            if min(own[caller], own[callee]) >= abnormal:
                callers.setdefault(callee, set()).add(caller)
        for s in bad:
            explains[s] = _upstream(s, callers)
        if symptom in scored:
            # Where the problem was seen (abnormal, whatever its metrics say): a cause must reach
            # it through abnormal calls.
            reach = {symptom}
            todo = [symptom]
            while todo:
                for callee in callees.get(todo.pop(), ()):
                    # A callee that spent no more time serving than before the onset added
                    # nothing to its callers' time: its slowness is not on their path (an
                    # asynchronous call, or fewer calls), so it does not reach the symptom.
                    if callee not in bad or callee in reach:
                        continue
                    added = stats[callee].added
                    if added is None or added > 0:
                        reach.add(callee)
                        todo.append(callee)
            off = bad - reach  # normal services are in the last tier anyway
    causes = [
        Cause(service=s, score=round(float(np.log1p(final[s])), 6), metric=metric[s],
              deviation=round(own[s], 6))
        for s in scored
    ]  # fmt: skip
    # Siblings that inherit one caller's evidence are told apart by their own.
    return (
        sorted(
            causes,
            key=lambda c: (
                tier[c.service],
                c.service in weak,
                c.service in off,
                -explains[c.service],
                -c.score,
                -own[c.service],
                c.service,
            ),
        )
        + unscored
    )


def _single_sample_stats(
    single: dict[str, tuple[list[str], np.ndarray, np.ndarray]],
) -> dict[str, _Stats]:
    """Stats of services with one sample before the onset and no normal period (in a case where no
    service has more), in log units.

    One sample has no spread of its own, and a fraction of its level is the collapsing scale
    the module avoids; instead a change is compared with the same metric's change across these
    services (1.4826 x the median absolute log change, or the smallest that moves when most do
    not): PetShop's temporal files, whose first row is all there is before the onset, show a
    4x mean latency on the faulty service where the others move by 10%. Positive values only
    (latencies, counts, rates); the log of zero is a gap.
    """
    import numpy as np

    if not single:
        return {}
    logs = {}
    changes: dict[str, list[float]] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for service, (columns, before, post) in single.items():
            b = np.log(np.where(before > 0, before, np.nan))
            p = np.log(np.where(post > 0, post, np.nan))
            logs[service] = (columns, b, p)
            (shift,) = nanquantiles(p - b, (0.5,))
            for column, x in zip(columns, shift):
                if np.isfinite(x):
                    changes.setdefault(family(column), []).append(abs(float(x)))
    spread = {}
    for name, values in changes.items():
        moving = [x for x in values if x > 0]
        median = 1.4826 * float(np.median(values))
        spread[name] = median if median > 0 else min(moving, default=0.0)
    # A family constant nearly everywhere (availability at 100%) has a quietest mover that barely
    # moved: a 20% drop read 252 z against it. No family's spread is below the case's typical
    # family spread, the size of change this step brought to any metric.
    typical = float(np.median(list(spread.values()))) if spread else 0.0
    spread = {name: max(value, typical) for name, value in spread.items()}
    out = {}
    for service, (columns, b, p) in logs.items():
        own = np.array([spread.get(family(c), np.nan) for c in columns])
        raw_before = single[service][1]
        traffic = [i for i, c in enumerate(columns) if TRAFFIC.search(c)]
        idle = bool(traffic) and not bool((np.nan_to_num(raw_before[0, traffic]) > 0).any())
        if traffic and not EVIDENCE_FROM_TRAFFIC:
            own[traffic] = np.nan
        st = _Stats(columns, b[0], own, p, idle, log=True)
        st.added = _added_time(columns, raw_before, single[service][2])
        out[service] = st
    return out


def _change_scales(stats: dict[str, _Stats]) -> tuple[dict[str, float], dict[str, float]]:
    """Per metric family, how far its members' medians moved across the onset: 1.4826 x the median
    absolute change over the services that have it, and the same of the change relative to each
    member's level (members run at levels orders of magnitude apart, as for the family floor).

    A few baseline rows (the day's first fault) give every member a spread too small to trust,
    and the family floor, a median of those, is as small: every change reads 25-125 z. The change
    most members made across the onset is the size of a normal move at this step. A family most
    of whose members did not move (availability at 100%) gets 0, leaving the other floors: its
    quietest mover may be another failing service (PetShop temporal1/train/issue_1: PetSearch's
    5-point availability drop read 2.4 z against its own client's 2-point drop).
    """
    import numpy as np

    changes: dict[str, list[float]] = {}
    relative: dict[str, list[float]] = {}
    for st in stats.values():
        if st.log or not len(st.post):
            continue
        with np.errstate(invalid="ignore"):
            (after,) = nanquantiles(st.post, (0.5,))
        for column, x, own, level in zip(st.columns, after - st.median, st.own_scale, st.median):
            if not (np.isfinite(x) and np.isfinite(own)):  # no own scale: not evidence (traffic)
                continue
            changes.setdefault(family(column), []).append(abs(float(x)))
            if level != 0:
                relative.setdefault(family(column), []).append(abs(float(x / level)))

    def typical(groups: dict[str, list[float]]) -> dict[str, float]:
        return {name: 1.4826 * float(np.median(values)) for name, values in groups.items()}

    return typical(changes), typical(relative)


def _upstream(service: str, callers: dict[str, set[str]]) -> int:
    """How far up the abnormal calls `service`'s anomaly reaches: the largest number of calls from an
    abnormal caller (through abnormal callers, shortest way) down to `service`, 0 with none."""
    seen, level, depth = {service}, [service], 0
    while True:
        level = [c for s in level for c in callers.get(s, ()) if c not in seen]
        if not level:
            return depth
        seen.update(level)
        depth += 1


def _added_time(columns: list[str], before: np.ndarray, after: np.ndarray) -> float | None:
    """Seconds a service spent serving after the onset beyond before it, per sample (median mean
    latency x median requests), or None without a mean-latency and a traffic column."""
    import numpy as np

    avg = next((i for i, c in enumerate(columns) if AVERAGE.search(c)), None)
    req = next((i for i, c in enumerate(columns) if TRAFFIC.search(c)), None)
    if avg is None or req is None or not len(before) or not len(after):
        return None

    def total(rows: np.ndarray) -> float:
        # A missing mean latency is an interval with no requests: no time spent.
        return float(np.median(np.nan_to_num(rows[:, avg]) * np.nan_to_num(rows[:, req])))

    return total(after) - total(before)
