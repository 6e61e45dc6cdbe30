"""The per-window study of bench/nab_windows.py agrees with the detector's scores and the peer's file."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from bench import nab_windows
from mlops_tasks.aiops.defaults import DEFAULT_DETECTOR
from mlops_tasks.aiops.detectors import make_detector
from mlops_tasks.aiops.detectors.base import SURPRISE_AT_HALF
from tests.conftest import SHARED_DATA

NAB = SHARED_DATA / "nab"
SERIES = ["realAdExchange/exchange-3_cpc_results.csv", "realAdExchange/exchange-4_cpc_results.csv"]

pytestmark = pytest.mark.skipif(not (NAB / "data").exists(), reason="NAB shared data missing")


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    data = tmp_path_factory.mktemp("nabw") / "data"
    for rel in SERIES:
        (data / rel).parent.mkdir(parents=True, exist_ok=True)
        (data / rel).symlink_to(NAB / "data" / rel)
    printed = []
    result = nab_windows.main(
        [
            str(data),
            str(NAB / "labels" / "combined_windows.json"),
            f"ARTime={NAB / 'reference_results' / 'ARTime'}",
        ],
        echo=printed.append,
    )
    return result, printed


def test_each_window_row_matches_the_scores_and_the_peer_file(study):
    result, printed = study
    assert json.loads(printed[-1]) == json.loads(json.dumps(result))
    assert {r["file"] for r in result["windows"]} == set(SERIES)
    for r in result["windows"]:
        frame = pd.read_csv(NAB / "data" / r["file"])
        scores = make_detector(DEFAULT_DETECTOR).update(
            frame["value"].to_numpy(float), pd.to_datetime(frame["timestamp"]).to_numpy()
        )
        category, name = r["file"].split("/")
        peer = pd.read_csv(NAB / "reference_results" / "ARTime" / category / f"ARTime_{name}.gz")
        a, b = r["window"]
        for key, s, at in (
            ("ours", scores, 0.5),
            ("peer", peer["anomaly_score"].to_numpy(), result["peer_threshold"]),
        ):
            hits = np.flatnonzero(s[a : b + 1] >= at)
            assert r[key] == (int(hits[0]) if len(hits) else None)
        # The ensemble alarms where a candidate reaches the alarm level.
        if r["ours"] is not None:
            assert max(r["max_surprise"].values()) >= SURPRISE_AT_HALF


def test_the_study_lists_the_windows_only_the_peer_detects(study):
    result, printed = study
    only_peer = [r for r in result["windows"] if r["ours"] is None and r["peer"] is not None]
    line = next(p for p in printed if p.startswith("only ARTime:"))
    assert line.startswith(f"only ARTime: {len(only_peer)} windows")
    assert all(f"{r['file']}@{r['window'][0]}" in line for r in only_peer)
