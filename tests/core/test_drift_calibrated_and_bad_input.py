"""Calibrated thresholds, dataset drift share, and what bad input gives."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from mlops_tasks.errors import DataError
from mlops_tasks.monitoring import detect_drift, fit_reference
from mlops_tasks.monitoring.drift import calibrated
from mlops_tasks.monitoring.reference import Reference


def test_calibrated_threshold_is_mean_plus_three_std_of_chunk_statistics():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=20_000), "c": rng.choice(list("abcde"), 20_000)})
    ref = fit_reference(frame, calibration_chunks=10)
    values = ref.columns["x"].calibration["psi"]
    assert len(values) == 10 and all(v >= 0 for v in values)
    expected = np.mean(values) + 3 * np.std(values)
    assert calibrated.threshold(ref.columns["x"], "psi") == pytest.approx(expected)
    # KS and chi-square calibrate on size-free statistics.
    assert set(ref.columns["x"].calibration) >= {
        "psi",
        "ks",
        "wasserstein",
        "jensen_shannon",
        "hellinger",
        "linf",
        "chi2",
    }
    assert (
        set(ref.columns["c"].calibration) >= {"psi", "chi2", "jensen_shannon"}
        and "ks" not in ref.columns["c"].calibration
    )

    # A chunk-sized window from the same distribution does not drift; a shifted one does.
    same = pd.DataFrame({"x": rng.normal(size=2000), "c": rng.choice(list("abcde"), 2000)})
    moved = pd.DataFrame(
        {
            "x": rng.normal(0.5, 1, size=2000),
            "c": rng.choice(list("abcde"), 2000, p=[0.6, 0.1, 0.1, 0.1, 0.1]),
        }
    )
    for frame_, drifted in ((same, False), (moved, True)):
        found = detect_drift(ref, frame_, method="psi", calibrated_thresholds=True)
        for col in found.columns:
            assert col.threshold_source == "calibrated" and col.threshold == pytest.approx(
                calibrated.threshold(ref.columns[col.column], "psi")
            )
            assert col.drifted is drifted
    # The calibration survives the JSON round trip of the stored reference.
    again = Reference.from_dict(json.loads(json.dumps(ref.to_dict())))
    assert again.columns["x"].calibration == ref.columns["x"].calibration


def test_calibrated_without_calibration_falls_back_to_the_default_and_says_so():
    frame = pd.DataFrame({"x": np.arange(100.0)})
    [col] = detect_drift(
        fit_reference(frame), frame, method="psi", calibrated_thresholds=True
    ).columns
    assert col.threshold_source == "default" and "no calibration" in col.note


def test_dataset_drift_is_the_share_of_drifted_columns():
    rng = np.random.default_rng(5)
    ref_frame = pd.DataFrame({f"c{i}": rng.normal(size=3000) for i in range(4)})
    cur = ref_frame.copy()
    cur["c0"] += 2
    ref = fit_reference(ref_frame)
    found = detect_drift(ref, cur, method="psi")
    assert found.drifted_columns == ["c0"] and found.share == 0.25 and not found.dataset_drift
    assert detect_drift(ref, cur, method="psi", drift_share=0.25).dataset_drift


def test_missing_columns_are_reported_not_guessed():
    frame = pd.DataFrame({"a": np.arange(100.0), "b": np.arange(100.0)})
    found = detect_drift(fit_reference(frame), frame[["a"]])
    assert found.missing_columns == ["b"] and [c.column for c in found.columns] == ["a"]


def test_all_nan_window_is_drift_never_no_drift():
    # A column whose values all vanished (unparsable, a broken join) is broken: drift, said why.
    frame = pd.DataFrame({"a": np.arange(100.0), "b": np.arange(100.0)})
    current = pd.DataFrame({"a": [np.nan] * 10, "b": np.arange(10.0)})
    found = detect_drift(fit_reference(frame), current, method="psi")
    a = found.columns[0]
    assert a.drifted is True and a.statistic is None and "no usable values" in a.note
    assert (a.current_n, a.current_nulls) == (0, 10)
    assert found.share >= 0.5 and found.dataset_drift


def test_zero_variance_reference_never_divides_by_zero():
    ref = fit_reference(pd.DataFrame({"k": [3.0] * 2000}), numeric=["k"], sketch=1000)
    col = ref.columns["k"]
    assert col.std == 0 and col.bins == 3  # {< 3}, {3}, {> 3}
    same = detect_drift(ref, pd.DataFrame({"k": [3.0] * 100}), method="wasserstein").columns[0]
    assert same.statistic == 0 and same.drifted is False
    moved = detect_drift(
        ref, pd.DataFrame({"k": [3.0] * 50 + [4.0] * 50}), method="wasserstein"
    ).columns[0]
    assert (
        moved.statistic == pytest.approx(0.5)
        and moved.drifted
        and "constant reference column" in moved.note
    )
    for method in ("psi", "ks", "chi2", "jensen_shannon", "hellinger", "linf"):
        for values in ([3.0] * 100, [2.0] * 50 + [3.0] * 50):
            found = detect_drift(ref, pd.DataFrame({"k": values}), method=method).columns[0]
            assert found.statistic is not None and math.isfinite(found.statistic), method
            assert found.p_value is None or math.isfinite(found.p_value)
            assert found.drifted == (values[0] != 3.0), (method, values[0])


def test_empty_current_data_is_a_clear_error():
    ref = fit_reference(pd.DataFrame({"a": np.arange(100.0)}))
    with pytest.raises(DataError, match="current data is empty"):
        detect_drift(ref, pd.DataFrame({"a": pd.Series([], dtype=float)}))


def test_unknown_method_is_a_clear_error():
    ref = fit_reference(pd.DataFrame({"a": np.arange(100.0)}))
    with pytest.raises(DataError, match="unknown drift method"):
        detect_drift(ref, pd.DataFrame({"a": np.arange(10.0)}), method="nope")


def test_infinities_are_set_aside_as_nulls():
    ref = fit_reference(pd.DataFrame({"a": np.arange(100.0)}))
    col = detect_drift(
        ref, pd.DataFrame({"a": [1.0, np.inf, -np.inf, 5.0]}), method="wasserstein"
    ).columns[0]
    assert (col.current_n, col.current_nulls) == (2, 2) and math.isfinite(col.statistic)


def test_chunks_add_up_to_the_whole():
    rng = np.random.default_rng(9)
    ref = fit_reference(
        pd.DataFrame({"x": rng.normal(size=5000), "c": rng.choice(list("abc"), 5000)})
    )
    cur = pd.DataFrame({"x": rng.normal(0.1, 1, size=9000), "c": rng.choice(list("abcd"), 9000)})
    whole = detect_drift(ref, cur, method="ks").to_dict()
    chunked = detect_drift(
        ref, (cur.iloc[i : i + 2000] for i in range(0, 9000, 2000)), method="ks"
    ).to_dict()
    assert chunked["columns"] == whole["columns"]
