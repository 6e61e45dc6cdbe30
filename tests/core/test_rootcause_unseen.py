"""The ranking on a system shaped like the one that filed issue 11: 46 services, a heavy-tailed
client-latency percentile, idle services that served nothing before the onset."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlops_tasks.aiops.rootcause import rank_root_causes

IDX = pd.date_range("2024-01-01", periods=90, freq="min", tz="UTC")
ONSET = IDX[70]
P99 = "PodClientLatencyP99(s)"


def issue_shaped_system(seed=0):
    """19 busy fast services (P99 5 ms, 10% noise), one busy slow one whose P99 sits on a bucket
    edge (0.5 s) with spikes to 28.9 s and 3,600 s before the onset, and 26 idle ones (no
    requests, P99 0) that see a few slow requests after it. The root cause `svc07` is fast and
    moves 50% (5 of its own noise) for good."""
    rng = np.random.default_rng(seed)
    frames = {}
    for i in range(46):
        name = f"svc{i:02d}"
        if i < 19:
            p99 = rng.normal(0.005, 0.0005, 90)
            requests = rng.poisson(50, 90).astype(float)
        elif i == 19:
            name = "slow"
            p99 = np.full(90, 0.5)
            p99[[12, 40]] = [28.9, 3600.0]  # 3% of the baseline: below its tail's reach
            p99[70:] = 0.6  # the next bucket edge: 20%, two of its family's relative spreads
            requests = rng.poisson(50, 90).astype(float)
        else:
            name = f"idle{i:02d}"
            p99 = np.zeros(90)
            p99[70:] = 0.3  # a few requests after the onset, each slow (a cold start)
            requests = np.r_[np.zeros(70), np.full(20, 2.0)]
        frames[name] = pd.DataFrame({P99: p99, "requests": requests}, index=IDX)
    frames["svc07"].loc[IDX[70:], P99] += 0.0025
    return frames


def test_a_slow_bucketed_percentile_and_idle_services_do_not_outrank_a_lasting_shift():
    """Without a floor from the family's relative spread, the slow service's 0.1 s wobble is
    read against the fast services' 0.5 ms noise (the median absolute scale is 0: most members
    are idle or bucketed, so the quietest mover's): ~250 z, first."""
    causes = rank_root_causes(issue_shaped_system(), ONSET)
    top = [c.service for c in causes[:3]]
    assert top[0] == "svc07", top
    assert not any(s.startswith("idle") for s in top)
    slow = next(c for c in causes if c.service == "slow")
    assert slow.deviation < 3  # two of the family's relative spreads: not abnormal
    # The idle services rank after every busy one, whatever their z.
    order = [c.service for c in causes]
    assert max(order.index(f"svc{i:02d}") for i in range(19)) < min(
        order.index(s) for s in order if s.startswith("idle")
    )
