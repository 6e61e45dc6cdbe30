"""The NAB scorer against NAB's rules and the known answer of the published ARTime outputs."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from bench.nab_scoring import (
    PROFILES,
    load_windows,
    optimize_threshold,
    probation_length,
    score_at,
    score_corpus,
    sweep_rows,
)
from tests.conftest import SHARED_DATA

NAB = SHARED_DATA / "nab"


def test_scaled_sigmoid_credit_and_fp_costs_follow_nab():
    ts = pd.date_range("2020-01-01", periods=1000, freq="5min")
    windows = [(ts[500], ts[599])]
    p = PROFILES["standard"]
    rows = sweep_rows(ts, np.zeros(1000), windows)
    assert score_at(rows, 0.5, p).raw == -1.0  # a missed window costs fn
    early, late = np.zeros(1000), np.zeros(1000)
    early[500], late[598] = 1, 1
    assert score_at(sweep_rows(ts, early, windows), 0.5, p).raw == pytest.approx(
        1.0
    )  # window start: full credit
    assert 0 < score_at(sweep_rows(ts, late, windows), 0.5, p).raw < 0.1  # last points: little
    before = np.zeros(1000)
    before[300] = 1  # before any window, outside probation: -fp, plus the miss
    assert score_at(sweep_rows(ts, before, windows), 0.5, p).raw == pytest.approx(-1.11)
    after = np.zeros(1000)
    after[601] = 1  # right after a window, a false positive costs almost nothing
    assert -0.11 < score_at(sweep_rows(ts, after, windows), 0.5, p).raw + 1 < 0
    probation = np.zeros(1000)
    probation[10] = 1
    assert score_at(sweep_rows(ts, probation, windows), 0.5, p).fp_rows == 0
    assert probation_length(1000) == 150 and probation_length(22695) == 750


def test_the_optimiser_finds_the_best_threshold_of_all_scores():
    rng = np.random.default_rng(0)
    ts = pd.date_range("2020-01-01", periods=2000, freq="5min")
    scores = rng.random(2000) * 0.5
    scores[1210] = 0.9
    windows = [(ts[1200], ts[1299])]
    rows = sweep_rows(ts, scores, windows)
    p = PROFILES["standard"]
    best = optimize_threshold(rows, p)
    brute = max(score_at(rows, t, p).raw for t in np.unique(scores))
    assert best.raw == pytest.approx(brute) and best.threshold == pytest.approx(0.9)


def read_artime() -> dict:
    results = {}
    for path in sorted((NAB / "reference_results" / "ARTime").glob("*/*.csv.gz")):
        with gzip.open(path) as fh:
            frame = pd.read_csv(fh)
        results[f"{path.parent.name}/{path.name.removeprefix('ARTime_').removesuffix('.gz')}"] = (
            frame["timestamp"],
            frame["anomaly_score"],
        )
    return results


@pytest.mark.skipif(not (NAB / "reference_results").exists(), reason="NAB shared data missing")
def test_artime_reference_outputs_score_the_known_answers():
    results = read_artime()
    assert len(results) == 41
    scores = score_corpus(results, load_windows(str(NAB / "labels" / "combined_windows.json")))
    expected = {
        "standard": (69.08, 26.3257),
        "reward_low_FP_rate": (59.57, 13.2075),
        "reward_low_FN_rate": (74.55, 16.3257),
    }
    for profile, (score, raw) in expected.items():
        got = scores[profile]
        assert (got["score"], got["raw"]) == (score, raw), profile
        assert got["threshold"] == pytest.approx(0.317486, abs=1e-6)
        assert (got["windows_detected"], got["windows"], got["fp_rows"]) == (59, 69, 126)


@pytest.mark.skipif(not (NAB / "reference_results").exists(), reason="NAB shared data missing")
def test_the_bench_scores_a_peer_on_the_same_files_with_its_known_answer():
    from bench.nab import score_peer, select_half

    data = NAB / "data"
    windows = load_windows(str(NAB / "labels" / "combined_windows.json"))
    root = NAB / "reference_results" / "ARTime"
    files = sorted(data.glob("*/*.csv"))
    peer = score_peer("ARTime", root, data, files, windows)
    assert peer["optimised"]["standard"]["score"] == 69.08
    assert set(peer["by_category"]) == {
        "artificialWithAnomaly",
        "realAWSCloudwatch",
        "realAdExchange",
        "realKnownCause",
    }
    half = score_peer("ARTime", root, data, select_half(files, "even"), windows)
    assert half["optimised"]["standard"]["windows"] < 69  # scored on the chosen files only
    # The halves the bench prints beside ours, each at its own optimised threshold.
    assert half["optimised"]["standard"]["score"] == 75.21
    odd = score_peer("ARTime", root, data, select_half(files, "odd"), windows)
    assert odd["optimised"]["standard"]["score"] == 63.16
    with pytest.raises(SystemExit, match="no output"):
        score_peer("ARTime", root / "missing", data, files[:1], windows)
