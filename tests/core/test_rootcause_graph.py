"""How the ranker reads the call graph: depth of the anomaly, direction, the symptom, constant
families, gaps; and the traced services a topology artifact carries (map_topology's nodes)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlops_tasks.aiops.rootcause import rank_root_causes

IDX = pd.date_range("2024-01-01", periods=90, freq="min", tz="UTC")
ONSET = IDX[70]


def calm(names, seed=0, level=1.0):
    rng = np.random.default_rng(seed)
    return {n: pd.DataFrame({"latency": rng.normal(level, 0.05, 90)}, index=IDX) for n in names}


def order(frames, **kw):
    return [c.service for c in rank_root_causes(frames, ONSET, **kw) if c.reason is None]


def test_the_anomaly_that_reaches_furthest_up_wins_over_a_louder_leaf():
    """db's slowness shows in api and web above it; the load balancer's client view (a leaf one
    call below web) deviates more but explains only web."""
    frames = calm(["web", "api", "db", "lb"])
    for name, jump in (("web", 2.0), ("api", 1.5), ("db", 1.0), ("lb", 8.0)):
        frames[name].loc[IDX[70:], "latency"] += jump
    edges = [("web", "api"), ("api", "db"), ("web", "lb")]
    assert order(frames, propagate=False)[0] == "lb"
    assert order(frames, edges=edges)[:2] == ["db", "lb"]


def test_a_callee_that_got_faster_does_not_explain_a_slower_caller():
    frames = calm(["web", "cache"])
    frames["web"].loc[IDX[70:], "latency"] += 1.0
    frames["cache"].loc[IDX[70:], "latency"] -= 0.5  # abnormal (z ~ 10), but faster
    edges = [("web", "cache")]
    assert order(frames, edges=edges)[0] == "web"
    frames["cache"].loc[IDX[70:], "latency"] += 1.0  # as far off, but slower: it explains web
    assert order(frames, edges=edges)[0] == "cache"


def test_a_callee_availability_drop_explains_a_slower_caller():
    """Both got worse: db's availability fell (higher is better), web's latency rose."""
    rng = np.random.default_rng(4)
    frames = calm(["web"])
    frames["web"].loc[IDX[70:], "latency"] += 2.0  # louder than db's drop
    frames["db"] = pd.DataFrame({"availability": 99.0 + rng.normal(0, 0.1, 90)}, index=IDX)
    frames["db"].loc[IDX[70:], "availability"] -= 2.0
    edges = [("web", "db")]
    assert order(frames, propagate=False)[0] == "web"
    assert order(frames, edges=edges)[0] == "db"
    better = frames["db"]["availability"].where(IDX < ONSET, frames["db"]["availability"] + 4.0)
    frames["db"] = frames["db"].assign(
        availability=better
    )  # as far off, but better: web is the cause
    assert order(frames, edges=edges)[0] == "web"


def test_an_idle_callee_does_not_explain_an_active_caller():
    """db served nothing before the onset (PetShop's S3 between issues): its latency once it is
    called has no before to compare with, so it does not push its active caller down."""
    frames = calm(["web", "db"])
    for name in frames:
        frames[name]["requests"] = 50.0
    frames["web"].loc[IDX[70:], "latency"] += 1.0
    frames["db"].loc[IDX[70:], "latency"] += 3.0
    edges = [("web", "db")]
    assert order(frames, edges=edges)[0] == "db"  # active: db explains web
    # Idle before the onset (a new frame: the ranker caches arrays per frame object).
    frames["db"] = frames["db"].assign(requests=np.where(IDX < ONSET, 0.0, 50.0))
    assert order(frames, edges=edges)[0] == "web"


def test_a_service_idle_in_its_normal_period_is_weak_though_called_before_the_onset():
    """PetShop's S3 serves nothing in 98% of the normal period's intervals; called a few times
    right before an issue, its latency is still no stronger evidence than an active service's."""
    normal = pd.date_range("2023-12-31", periods=300, freq="min", tz="UTC")
    rng = np.random.default_rng(8)
    reference, frames = {}, {}
    for name, calls in (
        ("api", np.full(300, 50.0)),
        ("s3", np.where(np.arange(300) % 50, 0.0, 5.0)),
    ):
        reference[name] = pd.DataFrame(
            {"latency": rng.normal(1.0, 0.05, 300), "requests": calls}, index=normal
        )
        frames[name] = pd.DataFrame(
            {"latency": rng.normal(1.0, 0.05, 90), "requests": 50.0}, index=IDX
        )
    frames["api"].loc[IDX[70:], "latency"] += 1.0
    frames["s3"].loc[IDX[70:], "latency"] += 1.5
    assert order(frames)[0] == "s3"  # no normal period: both active, s3 deviates more
    assert order(frames, reference=reference)[0] == "api"


def test_a_slower_callee_that_added_no_time_does_not_reach_the_symptom():
    """site starts queue's executions asynchronously: queue runs 2 s longer each, on fewer runs,
    so it spent less time serving than before; db's 20 ms more per call on 1,000 calls is the
    time site's users waited."""
    rng = np.random.default_rng(6)

    def service(latency, jump, requests, after_requests):
        frame = pd.DataFrame(
            {
                "latency.Average": latency * (1 + rng.normal(0, 0.02, 90)),
                "requests.Sum": np.where(IDX < ONSET, requests, after_requests),
            },
            index=IDX,
        )
        frame.loc[IDX[70:], "latency.Average"] += jump
        return frame

    frames = {
        "site": service(0.1, 0.1, 600, 600),
        "db": service(0.01, 0.02, 1000, 1000),
        "queue": service(1.0, 2.0, 20, 5),
    }
    edges = [("site", "db"), ("site", "queue")]
    assert order(frames, edges=edges)[0] == "queue"  # louder, and no symptom given
    assert order(frames, edges=edges, symptom="site")[0] == "db"
    frames["queue"] = service(1.0, 2.0, 20, 20)  # as many runs: its added time is on site's path
    assert order(frames, edges=edges, symptom="site")[0] == "queue"


def test_noise_that_does_not_reach_the_symptom_ranks_after_a_cause_that_does():
    frames = calm(["site", "pets", "cron", "lambda"])
    frames["site"].loc[IDX[70:], "latency"] += 0.5
    frames["pets"].loc[IDX[70:], "latency"] += 1.0
    frames["cron"].loc[IDX[70:], "latency"] += 3.0  # a noisy batch job, louder
    frames["lambda"].loc[IDX[70:], "latency"] += 5.0
    edges = [("site", "pets"), ("cron", "lambda")]
    assert order(frames, edges=edges)[0] == "lambda"
    assert order(frames, edges=edges, symptom="site")[:2] == ["pets", "lambda"]
    # A symptom the ranker has no metrics for changes nothing.
    assert order(frames, edges=edges, symptom="nowhere") == order(frames, edges=edges)
    # Nothing abnormal: the symptom itself is not pushed to the top.
    quiet = calm(["site", "pets", "cron", "lambda"])
    assert order(quiet, edges=edges, symptom="site") == order(quiet, edges=edges)


def test_a_drop_in_a_family_that_is_constant_everywhere_is_abnormal():
    """Availability sits at 100% in every service's normal period: the family floor cannot be
    zero (every z infinite) nor the noisy few members' scale (a 3-point drop drowned)."""
    normal = pd.date_range("2023-12-31", periods=300, freq="min", tz="UTC")
    rng = np.random.default_rng(2)
    reference, frames = {}, {}
    for n in [f"svc{i}" for i in range(8)] + ["noisy"]:
        level = np.full(300, 100.0)
        now = np.full(90, 100.0)
        if n == "svc0":
            level[::10] = 99.5  # the quietest member that moves: a failed request now and then
        if n == "noisy":
            level, now = rng.normal(50, 10, 300), rng.normal(50, 10, 90)
        reference[n] = pd.DataFrame({"availability": level}, index=normal)
        frames[n] = pd.DataFrame({"availability": now}, index=IDX)
    frames["svc3"].loc[IDX[70:], "availability"] = 97.0
    causes = rank_root_causes(frames, ONSET, reference=reference)
    assert causes[0].service == "svc3" and causes[0].deviation >= 3


def test_a_lone_sample_among_gaps_is_not_a_lasting_fault():
    frames = calm(["a", "b"])
    frames["a"].loc[IDX[70:], "latency"] = np.nan
    frames["a"].loc[IDX[72], "latency"] = 50.0  # one value after the onset, the rest missing
    frames["b"].loc[IDX[70:], "latency"] += 1.0
    assert order(frames)[0] == "b"


def test_map_topology_counts_a_service_without_cross_service_calls_as_traced(tmp_path, settings):
    """`solo` has spans but calls no other service: no edge, still a traced node; a `nodes`
    entry from a catalogue is drawn but not traced. The ranker's task reads both apart."""
    from mlops_tasks.runtime import run_task
    from tests.core.test_rootcause import _traced_day

    onset = _traced_day(tmp_path / "2024-01-01")
    trace = tmp_path / "2024-01-01" / "trace" / "10_00_trace.csv"
    spans = pd.read_csv(trace)
    solo = pd.DataFrame(
        {"TraceID": ["t2"] * 2, "SpanID": ["x", "y"], "ParentID": ["root", "x"],
         "PodName": ["quiet-5f-ddddd"] * 2}
    )  # fmt: skip
    pd.concat([spans, solo]).to_csv(trace, index=False)
    result = run_task(
        "map_topology", {"traces": [str(trace)], "nodes": ["catalogue"]}, settings=settings
    )
    from mlops_tasks.context import TaskContext

    graph = TaskContext(settings).read_json(result.graph)
    assert {n["id"] for n in graph["nodes"]} == {"fe", "cart", "db", "quiet", "catalogue"}
    assert graph["traced"] == ["cart", "db", "fe", "quiet"]
    assert not any("quiet" in (e["source"], e["target"]) for e in graph["edges"])
    ranked = run_task(
        "rank_root_causes",
        {"metrics": str(tmp_path / "2024-01-01"), "onset": onset.isoformat(), "top_k": 10,
         "topology": result.graph.model_dump()},
        settings=settings,
    )  # fmt: skip
    # quiet is traced now: nothing is listed as untraced, and its larger jump ranks it first.
    assert not any(n.startswith("untraced") for n in ranked.notes)
    assert ranked.top[0] == "quiet"


def test_a_callers_client_view_lent_to_a_callee_does_not_explain_another_callee():
    """frontend's client latency rose: one of its callees is slow, not which. catalog is abnormal
    only by that lent view; rec (which also calls catalog) by its own metric: rec first."""
    frames = calm(["frontend", "rec", "catalog"])
    rng = np.random.default_rng(5)
    frames["frontend"]["PodClientLatencyP95(s)"] = rng.normal(0.2, 0.01, 90)
    frames["frontend"].loc[IDX[70:], "PodClientLatencyP95(s)"] += 0.1  # 10 z, lent to its callees
    frames["rec"].loc[IDX[70:], "latency"] += 0.3  # 6 z of its own
    edges = [("frontend", "rec"), ("frontend", "catalog"), ("rec", "catalog")]
    assert order(frames, edges=edges)[0] == "rec"


def test_a_callees_memory_rise_does_not_explain_its_callers_own_memory_rise():
    """Memory does not travel along a call: web's louder memory rise is its own, beside db's. A
    rise of web's latency (what a call carries) is still explained by db."""
    rng = np.random.default_rng(7)
    frames = {
        name: pd.DataFrame({"MemoryUsage(Mi)": 500 + rng.normal(0, 5, 90)}, index=IDX)
        for name in ("web", "db")
    }
    frames["web"].loc[IDX[70:], "MemoryUsage(Mi)"] += 200.0
    frames["db"].loc[IDX[70:], "MemoryUsage(Mi)"] += 100.0
    edges = [("web", "db")]
    assert order(frames, edges=edges)[0] == "web"
    frames["web"] = frames["web"].rename(columns={"MemoryUsage(Mi)": "latency"})
    assert order(frames, edges=edges)[0] == "db"
