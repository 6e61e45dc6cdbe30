"""Root-cause ranking and the BARO baseline: synthetic faults, bad input, one real Nezha case."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_tasks.aiops.baro import baro_rank
from mlops_tasks.aiops.rootcause import rank_root_causes

IDX = pd.date_range("2024-01-01", periods=90, freq="min", tz="UTC")
ONSET = IDX[70]


def services(seed=0):
    rng = np.random.default_rng(seed)
    frames = {
        s: pd.DataFrame(
            {"latency": rng.normal(1, 0.05, 90), "cpu": rng.normal(50, 2, 90)}, index=IDX
        )
        for s in ("fe", "cart", "db")
    }
    frames["db"].loc[IDX[70:75], "cpu"] += 40  # the fault
    frames["fe"].loc[IDX[70:75], "latency"] += 0.3  # its symptom upstream
    frames["cart"].loc[IDX[20], "latency"] = 1e9  # one absurd sample, long before
    return frames


def test_the_faulty_service_ranks_first_and_a_spike_alone_does_not():
    causes = rank_root_causes(services(), ONSET, edges=[("fe", "cart"), ("cart", "db")])
    assert causes[0].service == "db" and causes[0].metric == "cpu"
    spiky = services()
    spiky["cart"].loc[IDX[71], "latency"] = 1e9  # one sample after the onset: the median ignores it
    assert rank_root_causes(spiky, ONSET)[0].service == "db"


def test_bad_input_is_ranked_last_with_a_reason():
    frames = services()
    frames["empty"] = pd.DataFrame()
    frames["zeros"] = pd.DataFrame({"x": np.zeros(90)}, index=IDX)
    frames["late"] = frames["fe"].iloc[69:]  # one sample before the onset: no baseline
    shuffled = frames["cart"].sample(frac=1, random_state=0)
    frames["cart"] = pd.concat([shuffled, shuffled.iloc[:5]])  # unordered, duplicated
    causes = rank_root_causes(frames, ONSET)
    reasons = {c.service: c.reason for c in causes if c.reason}
    assert set(reasons) == {"empty", "zeros", "late"}
    assert "constant at zero" in reasons["zeros"] and "before the onset" in reasons["late"]
    assert causes[0].service == "db"
    assert [c.service for c in baro_rank(frames, ONSET)][-1] in reasons


def test_the_deepest_abnormal_service_wins_over_its_louder_caller():
    frames = services()
    frames["fe"].loc[IDX[70:75], "latency"] += 5.0  # the caller deviates more than its sick callee
    edges = [("fe", "cart"), ("fe", "db")]  # cart is calm: only db explains fe
    assert rank_root_causes(frames, ONSET, propagate=False)[0].service == "fe"
    assert [c.service for c in rank_root_causes(frames, ONSET, edges=edges)][:2] == ["db", "fe"]


def test_scales_do_not_collapse_on_a_flat_series_that_spikes():
    """A latency flat at 5 ms that spiked in normal operation: a spike after the onset is no evidence."""
    frames = services()
    flat = np.full(90, 0.005)
    flat[[5, 17, 29, 41, 53, 64]] = 30.0  # normal operation has spikes
    flat[[70, 71, 72]] = 30.0  # and three after the onset
    frames["idle"] = pd.DataFrame({"latency": flat}, index=IDX)
    top = rank_root_causes(frames, ONSET)
    assert top[0].service == "db"
    assert next(c for c in top if c.service == "idle").deviation < 10


def test_an_idle_service_is_a_weak_candidate():
    frames = services()
    quiet = pd.DataFrame(
        {"requests": np.zeros(90), "latency": np.r_[np.full(70, 1.0), np.full(20, 1.4)]}, index=IDX
    )
    frames["quiet"] = quiet  # its latency moves as much as db's cpu, but it served nothing
    frames["db"].loc[IDX[70:75], "cpu"] -= 30  # db's fault is smaller now
    causes = {c.service: c for c in rank_root_causes(frames, ONSET)}
    served = quiet.assign(requests=1.0)  # the same latency, but it served requests
    busy = {c.service: c for c in rank_root_causes({**frames, "quiet": served}, ONSET)}
    assert causes["quiet"].deviation == pytest.approx(busy["quiet"].deviation * 0.5)
    assert busy["quiet"].deviation > causes["db"].deviation > causes["quiet"].deviation
    traced = rank_root_causes(services(), ONSET, active={"fe", "cart"})
    assert {c.service: c.deviation for c in traced}["db"] == pytest.approx(
        {c.service: c.deviation for c in rank_root_causes(services(), ONSET)}["db"] * 0.5
    )


def test_one_real_fault_case(tmp_path):
    from mlops_tasks.aiops.cases import load_day
    from tests.conftest import SHARED_DATA

    folder = SHARED_DATA / "nezha_ob" / "rca_data" / "2022-08-23"
    if not folder.exists():
        pytest.fail(f"shared data missing: {folder}")
    day = load_day(folder)
    assert day.edge_source == "dependency.csv" and ("frontend", "cartservice") in day.edges
    onset = pd.Timestamp("2022-08-23 16:31:35", tz="UTC")  # adservice cpu_contention (ground truth)
    assert rank_root_causes(day.metrics, onset, edges=day.edges)[0].service == "adservice"


def test_a_network_delay_shows_in_its_callers_view_of_the_calls():
    """Real data: currencyservice's own metrics move by ~1 robust z under a network delay (it
    ranked 4th on them alone); its callers' per-edge latency (``source_50``) singles it out."""
    from mlops_tasks.aiops.cases import CALL_LATENCY, load_day
    from tests.conftest import SHARED_DATA

    folder = SHARED_DATA / "nezha_ob" / "rca_data" / "2022-08-22"
    if not folder.exists():
        pytest.fail(f"shared data missing: {folder}")
    day = load_day(folder)
    calls = [c for c in day.metrics["currencyservice"] if c.startswith(CALL_LATENCY)]
    assert sorted(calls) == [f"{CALL_LATENCY}@checkoutservice", f"{CALL_LATENCY}@frontend"]
    assert not any(c.startswith(CALL_LATENCY) for c in day.metrics["frontend"])  # nobody calls it
    onset = pd.Timestamp("2022-08-22 05:27:06", tz="UTC")  # currencyservice network_delay
    ranked = rank_root_causes(day.metrics, onset, edges=day.edges)
    assert ranked[0].service == "currencyservice" and ranked[0].metric.startswith(CALL_LATENCY)
    without = {
        s: f.drop(columns=calls) if s == "currencyservice" else f for s, f in day.metrics.items()
    }
    assert rank_root_causes(without, onset, edges=day.edges)[0].service != "currencyservice"


def test_replicas_of_a_service_keep_their_own_columns(tmp_path):
    from mlops_tasks.aiops.cases import load_day

    metric = tmp_path / "2024-01-01" / "metric"
    metric.mkdir(parents=True)
    times = pd.date_range("2024-01-01 10:00", periods=90, freq="60s", tz="UTC")
    for pod, jitter, sick in (
        ("cart-5f-aaaaa", 0, False),
        ("cart-5f-bbbbb", 3, True),
        ("web-7c-ccccc", 1, False),
    ):
        cpu = np.full(len(times), 10.0) + np.random.default_rng(len(pod) + jitter).normal(
            0, 0.5, len(times)
        )
        if sick:
            cpu[60:] += 40  # one replica of cart goes bad at 11:00
        clock = (times + pd.Timedelta(seconds=jitter)).strftime(
            "%Y-%m-%d %H:%M:%S.000000 +0000 UTC m=+1.0"
        )
        pd.DataFrame({"Time": clock, "PodName": pod, "CpuUsage(m)": cpu}).to_csv(
            metric / f"{pod}_metric.csv.gz", index=False
        )
    day = load_day(tmp_path / "2024-01-01")
    assert sorted(day.metrics) == ["cart", "web"]
    assert list(day.metrics["cart"]) == ["CpuUsage(m)@cart-5f-aaaaa", "CpuUsage(m)@cart-5f-bbbbb"]
    assert day.metrics["cart"].notna().all().all()  # both replicas on one clock, nothing dropped
    assert rank_root_causes(day.metrics, times[60])[0].service == "cart"


def _traced_day(folder):
    """A Nezha-layout day: fe -> cart -> db traced, `quiet` never traced; db's cpu fault at 11:00,
    `quiet` deviates more (so it ranks first unless its absence from the traces counts)."""
    times = pd.date_range("2024-01-01 10:00", periods=90, freq="60s", tz="UTC")
    (folder / "metric").mkdir(parents=True)
    (folder / "trace").mkdir()
    rng = np.random.default_rng(1)
    for pod, jump in (("fe-5f-aaaaa", 0), ("cart-5f-bbbbb", 0), ("db-5f-ccccc", 12), ("quiet-5f-ddddd", 18)):  # fmt: skip
        cpu = rng.normal(10, 1, len(times))
        cpu[60:] += jump
        clock = times.strftime("%Y-%m-%d %H:%M:%S.000000 +0000 UTC m=+1.0")
        pd.DataFrame({"Time": clock, "PodName": pod, "CpuUsage(m)": cpu}).to_csv(
            folder / "metric" / f"{pod}_metric.csv.gz", index=False
        )
    spans = pd.DataFrame(
        {
            "TraceID": ["t1"] * 3,
            "SpanID": ["a", "b", "c"],
            "ParentID": ["root", "a", "b"],
            "PodName": ["fe-5f-aaaaa", "cart-5f-bbbbb", "db-5f-ccccc"],
        }
    )
    spans.to_csv(folder / "trace" / "10_00_trace.csv", index=False)
    return times[60]


def test_the_task_ranks_as_the_library_does_with_the_traced_services(tmp_path, settings):
    """The task passes the services seen in traces to the ranker, whatever gives it the graph."""
    from mlops_tasks.aiops.cases import load_day
    from mlops_tasks.runtime import run_task

    onset = _traced_day(tmp_path / "2024-01-01")
    day = load_day(tmp_path / "2024-01-01")
    assert day.active == {"fe", "cart", "db"} and ("cart", "db") in day.edges
    untraced = rank_root_causes(day.metrics, onset, edges=day.edges)
    assert untraced[0].service == "quiet"  # without the traced services, the idle one wins
    expected = [
        c.service
        for c in rank_root_causes(day.metrics, onset, edges=day.edges, active=day.active)
        if c.reason is None
    ]
    assert expected[0] == "db"
    base = {"metrics": str(tmp_path / "2024-01-01"), "onset": onset.isoformat(), "top_k": 10}
    graph_csv = tmp_path / "dependency.csv"
    pd.DataFrame({"source": [s for s, _ in day.edges], "target": [t for _, t in day.edges]}).to_csv(
        graph_csv, index=False
    )
    topology = run_task(
        "map_topology", {"traces": [str(tmp_path / "2024-01-01" / "trace" / "10_00_trace.csv")]},
        settings=settings,
    ).graph  # fmt: skip
    for extra in ({}, {"graph": str(graph_csv)}, {"topology": topology.model_dump()}):
        result = run_task("rank_root_causes", {**base, **extra}, settings=settings)
        assert result.top == expected, extra
        assert any(n.startswith("untraced (weak candidates): quiet") for n in result.notes)


def test_a_frame_changed_in_place_is_ranked_on_its_new_values():
    # A cache keyed by the frame served the first call's arrays to the second: a column assigned
    # anew (a new block, where an in-place write to a float block happened to show through).
    frames = services()
    frames["db"]["note"] = "text"  # a non-numeric column is left out, not an error
    assert rank_root_causes(frames, ONSET)[0].service == "db"
    bump = pd.Series(0.0, index=IDX)
    bump[IDX[70:75]] = 40.0
    frames["db"]["cpu"] = frames["db"]["cpu"] - bump  # the fault repaired
    frames["cart"]["cpu"] = frames["cart"]["cpu"] + bump  # and moved to cart
    causes = rank_root_causes(frames, ONSET)
    assert causes[0].service == "cart" and causes[0].metric == "cpu"
    reference = {s: f.iloc[:60].copy() for s, f in frames.items()}
    assert rank_root_causes(frames, ONSET, reference=reference)[0].service == "cart"
    # The normal period's cpu now swings 50-90: the fault's +40 is inside its noise.
    reference["cart"]["cpu"] = np.tile([50.0, 90.0], 30)
    assert rank_root_causes(frames, ONSET, reference=reference)[0].service == "fe"


def test_a_five_minute_row_holding_the_onset_is_not_baseline():
    # PetShop's files: 5 five-minute rows, each standing for the interval it opens. The onset
    # falls inside the second row, which is part fault: as baseline it moved the level and
    # widened the spread (a drop of 3 points read as 1 z).
    idx = pd.date_range("2024-01-01", periods=5, freq="5min", tz="UTC")
    rng = np.random.default_rng(1)
    normal = pd.date_range("2023-12-31", periods=60, freq="5min", tz="UTC")

    def frame(values):
        return pd.DataFrame({"availability.Average": values}, index=idx)

    metrics = {"db": frame([100.0, 97.5, 94.7, 97.0, 100.0])}
    reference = {"db": pd.DataFrame({"availability.Average": 100.0}, index=normal)}
    for name in ("web", "queue", "cache"):
        metrics[name] = frame(100.0 - rng.uniform(0, 0.4, 5))
        reference[name] = pd.DataFrame(
            {"availability.Average": 100.0 - rng.uniform(0, 0.4, 60)}, index=normal
        )
    causes = rank_root_causes(metrics, idx[1] + pd.Timedelta(minutes=2.5), reference=reference)
    assert causes[0].service == "db" and causes[0].deviation >= 3


def test_the_peer_gets_the_rows_and_columns_the_ranking_uses():
    """One window definition: `window()` (BARO's) returns the rows and columns `rank_root_causes`
    scores on, so a 5-minute row holding the onset is in neither baseline and host metrics in
    neither input."""
    from mlops_tasks.aiops.rootcause import _window_arrays, window

    rng = np.random.default_rng(4)
    for freq, onset_at in (("5min", 2.5), ("min", 0.0), ("min", 0.7)):
        idx = pd.date_range("2024-01-01", periods=40, freq=freq, tz="UTC")
        frame = pd.DataFrame(
            {"latency": rng.normal(1, 0.1, 40), "Node_cpu": rng.normal(5, 1, 40), "name": "x"},
            index=idx,
        ).sample(frac=1, random_state=0)  # unordered: both sort it the same way
        onset = idx[30] + pd.Timedelta(minutes=onset_at)
        base, post, reason = window(frame, onset, 60, 4)
        columns, before, after = _window_arrays(frame, onset, 60, 4)
        assert reason is None and list(base.columns) == columns == ["latency"]
        np.testing.assert_array_equal(base.to_numpy(dtype=float), before)
        np.testing.assert_array_equal(post.to_numpy(dtype=float), after)
        step = pd.Timedelta(minutes=5 if freq == "5min" else 1)
        assert base.index.max() + step <= onset + pd.Timedelta(seconds=30)  # no part-fault row


def test_one_sample_before_the_onset_is_scaled_across_services():
    # PetShop's temporal files: one row before the onset and no normal period. Each metric's
    # change is weighed against the same metric's change on the other services.
    idx = pd.date_range("2024-01-01", periods=5, freq="5min", tz="UTC")
    rng = np.random.default_rng(2)
    metrics = {
        name: pd.DataFrame(
            {"latency.Average": 0.1 * rng.uniform(0.9, 1.1, 5), "requests.Sum": 500.0},
            index=idx,
        )
        for name in ("web", "queue", "cache", "auth")
    }
    metrics["db"] = pd.DataFrame(
        {"latency.Average": [0.007, 0.026, 0.051, 0.009, 0.007], "requests.Sum": 600.0}, index=idx
    )
    causes = rank_root_causes(metrics, idx[1])
    assert causes[0].service == "db" and causes[0].metric == "latency.Average"
    assert not any(c.reason for c in causes)  # every service scored, none "only 1 samples"


def test_a_slower_callee_does_not_explain_its_callers_failures():
    frames = {
        s: pd.DataFrame(
            {"availability": 100.0 - np.random.default_rng(i).uniform(0, 0.2, 90),
             "latency": np.random.default_rng(9 + i).normal(1, 0.05, 90)},
            index=IDX,
        )
        for i, s in enumerate(("fe", "api", "db"))
    }  # fmt: skip
    frames["api"].loc[IDX[70:76], "availability"] -= 5  # api fails its calls
    frames["fe"].loc[IDX[70:76], "availability"] -= 3  # which fe passes on
    frames["db"].loc[IDX[70:76], "latency"] += 0.5  # db, called by api, is slower too
    edges = [("fe", "api"), ("api", "db")]
    order = [c.service for c in rank_root_causes(frames, ONSET, edges=edges)]
    assert order[:2] == ["api", "db"]  # db still abnormal, but it does not explain api's failures
    frames["db"].loc[IDX[70:76], "availability"] -= 8  # db failing as well does explain them
    assert rank_root_causes(frames, ONSET, edges=edges)[0].service == "db"


def test_one_sample_availability_drop_is_bounded_by_the_cases_typical_change():
    # Availability at 100% nearly everywhere: its family's spread across services is the one
    # mover's 0.01% (the quietest that moves), and a 20% drop read ~2,000 z against it. No
    # family's spread is below the case's typical one (latency's ~10% here).
    idx = pd.date_range("2024-01-01", periods=5, freq="5min", tz="UTC")
    rng = np.random.default_rng(3)
    metrics = {}
    for name in ("web", "queue", "cache", "auth", "lambda", "table"):
        metrics[name] = pd.DataFrame(
            {
                "latency.Average": 0.1 * rng.uniform(0.9, 1.1, 5),
                "latency.p99": 0.3 * rng.uniform(0.9, 1.1, 5),
                "availability.Average": 100.0,
            },
            index=idx,
        )
    metrics["auth"]["availability.Average"] = [100.0, 99.99, 99.99, 99.99, 99.99]
    metrics["lambda"]["availability.Average"] = [100.0, 80.0, 80.0, 80.0, 80.0]
    metrics["db"] = pd.DataFrame(
        {
            "latency.Average": [0.007, 0.026, 0.051, 0.04, 0.03],
            "latency.p99": [0.02, 0.09, 0.12, 0.1, 0.1],
            "availability.Average": 100.0,
        },
        index=idx,
    )
    causes = {c.service: c for c in rank_root_causes(metrics, idx[1])}
    assert causes["lambda"].metric == "availability.Average"
    assert causes["db"].deviation > causes["lambda"].deviation > 1
    assert causes["lambda"].deviation < 50


def test_a_short_baseline_is_scaled_by_the_change_across_services():
    """The day's first fault: three samples before the onset. Ordinary minute-to-minute noise
    (5%) on services whose three samples happened to sit close reads 50 z against their own
    spread, and the family floor (the median of those spreads) is as small. The truth (+50%)
    had a wider baseline (2%): the old code ranked a noisy-but-normal service above it."""
    idx = pd.date_range("2024-01-01", periods=8, freq="min", tz="UTC")
    onset = idx[3]
    frames = {}
    for i in range(8):
        calm = 1.0 + 0.001 * np.array([0, 1, -1])  # three close samples before the onset
        step = 0.05 if i % 2 else -0.05  # an ordinary move after it, either way
        frames[f"svc{i}"] = pd.DataFrame(
            {"latency": np.concatenate([calm, 1.0 + step + 0.001 * np.arange(5)])}, index=idx
        )
    before = 1.0 + 0.02 * np.array([0, 1, -1])
    frames["truth"] = pd.DataFrame(
        {"latency": np.concatenate([before, 1.5 + 0.001 * np.arange(5)])}, index=idx
    )
    causes = rank_root_causes(frames, onset)
    assert causes[0].service == "truth"
    assert causes[0].deviation > 3  # still clearly abnormal
    assert all(c.deviation < 3 for c in causes[1:])  # ordinary moves are not
