"""Root-cause ranking and the BARO baseline: synthetic faults, bad input, one real Nezha case."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_tasks.aiops.baro import baro_rank
from mlops_tasks.aiops.rootcause import downstream_pagerank, rank_root_causes

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
    frames["late"] = frames["fe"].iloc[68:]  # no baseline
    shuffled = frames["cart"].sample(frac=1, random_state=0)
    frames["cart"] = pd.concat([shuffled, shuffled.iloc[:5]])  # unordered, duplicated
    causes = rank_root_causes(frames, ONSET)
    reasons = {c.service: c.reason for c in causes if c.reason}
    assert set(reasons) == {"empty", "zeros", "late"}
    assert "constant at zero" in reasons["zeros"] and "before the onset" in reasons["late"]
    assert causes[0].service == "db"
    assert [c.service for c in baro_rank(frames, ONSET)][-1] in reasons


def test_pagerank_moves_mass_to_the_deviating_callee():
    ranks = downstream_pagerank({"fe": 3.0, "cart": 0.1, "db": 3.0}, [("fe", "cart"), ("fe", "db")])
    assert ranks["db"] > ranks["fe"] > ranks["cart"]


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
