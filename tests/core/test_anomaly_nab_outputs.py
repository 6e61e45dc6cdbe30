"""The NAB bench's written files score exactly what it prints, and suppression is a separate fact.

Held-out series are scored from the files ``bench/nab.py`` writes, by a scorer we do not run: the
files must reproduce the printed figures, at the shipped threshold and at any threshold a reader
picks a little below it.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pandas as pd
import pytest

from bench import nab
from bench.nab_scoring import load_windows, score_corpus
from mlops_tasks.aiops.defaults import DEFAULT_DETECTOR
from mlops_tasks.aiops.detectors import make_detector
from tests.conftest import SHARED_DATA

NAB = SHARED_DATA / "nab"
# A few short series with windows in two categories, and one without any: a fast corpus.
SERIES = [
    "realAdExchange/exchange-2_cpc_results.csv",
    "realAdExchange/exchange-3_cpm_results.csv",
    "realAWSCloudwatch/iio_us-east-1_i-a2eb1cd9_NetworkIn.csv",
    "artificialNoAnomaly/art_noisy.csv",
]

pytestmark = pytest.mark.skipif(not (NAB / "data").exists(), reason="NAB shared data missing")


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("nab")
    data = root / "data"
    for rel in SERIES:
        (data / rel).parent.mkdir(parents=True, exist_ok=True)
        (data / rel).symlink_to(NAB / "data" / rel)
    labels = NAB / "labels" / "combined_windows.json"
    printed = []
    figures = nab.main([str(data), str(labels), str(root / "out")], echo=printed.append)
    return root / "out", labels, figures, printed


def read_written(path):
    """A results file read with the csv module, not pandas: an independent reader."""
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r["timestamp"] for r in rows], np.array([float(r["anomaly_score"]) for r in rows])


def test_scoring_the_written_files_gives_the_printed_figures(bench_run):
    out, labels, figures, printed = bench_run
    assert json.loads(printed[-1]) == json.loads(json.dumps(figures))  # the last line is the JSON
    written = {rel: read_written(out / rel) for rel in SERIES}
    for rel, (ts, scores) in written.items():
        source = pd.read_csv(NAB / "data" / rel)
        assert ts == source["timestamp"].tolist()  # one row per input row, in input order
        assert np.all((scores >= 0) & (scores <= 1))
    windows = load_windows(str(labels))
    threshold = figures["default_threshold"]
    assert score_corpus(written, windows, threshold=threshold) == figures["default"]
    assert score_corpus(written, windows) == figures["optimised"]
    for category, got in figures["default_by_category"].items():
        part = {k: v for k, v in written.items() if k.startswith(category + "/")}
        assert score_corpus(part, windows, threshold=threshold) == got
    assert any(line.strip().startswith("realAdExchange") for line in printed)
    # Both halves of the files, from the same run: each the score of its own files.
    halves = figures["default_by_half"]
    assert set(halves) == {"even", "odd"}
    for h, got in halves.items():
        part = [
            p.relative_to(out).as_posix() for p in nab.select_half(sorted(out.glob("*/*.csv")), h)
        ]
        assert (
            part
            and score_corpus({k: written[k] for k in part}, windows, threshold=threshold) == got
        )
    assert halves["even"] != halves["odd"]
    assert any(line.strip().startswith("halves by file") for line in printed)
    # Something to score: alarms inside windows and the files' FP rows both show up.
    assert figures["default"]["standard"]["windows_detected"] > 0


def test_suppressed_points_sit_far_below_the_threshold_in_the_files(bench_run):
    out, _, figures, _ = bench_run
    threshold = figures["default_threshold"]
    suppressed_any = False
    for rel in SERIES:
        frame = pd.read_csv(NAB / "data" / rel)
        values, ts = frame["value"].to_numpy(float), pd.to_datetime(frame["timestamp"]).to_numpy()
        loud = make_detector({**DEFAULT_DETECTOR, "suppress": 0}).update(values, ts)
        detector = make_detector(DEFAULT_DETECTOR)
        quiet = detector.update(values, ts)
        _, written = read_written(out / rel)
        np.testing.assert_array_equal(written, quiet)  # full precision, nothing rounded
        hushed = (loud >= threshold) & (quiet < threshold)
        np.testing.assert_array_equal(hushed, detector.last_suppressed)
        suppressed_any |= bool(hushed.any())
        # A reader's threshold well below the shipped one does not turn them into alarms.
        assert np.all(written[hushed] < 0.1 * threshold)
    assert suppressed_any
