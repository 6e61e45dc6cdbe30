"""Each drift method against scipy or a hand computation on known data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial import distance

from mlops_tasks.monitoring import detect_drift, fit_reference


def one(ref_values, cur_values, method, **kw):
    ref = fit_reference(pd.DataFrame({"x": ref_values}), **kw)
    return detect_drift(ref, pd.DataFrame({"x": cur_values}), method=method).columns[
        0
    ], ref.columns["x"]


@pytest.fixture
def samples():
    rng = np.random.default_rng(7)
    return rng.normal(size=800), rng.normal(0.25, 1.1, size=600)


def _shares(col_ref, ref_values, cur_values):
    bins = (
        np.searchsorted(col_ref.edges, ref_values, "left"),
        np.searchsorted(col_ref.edges, cur_values, "left"),
    )
    k = len(col_ref.edges) + 1
    return [np.bincount(b, minlength=k) / len(b) for b in bins]


def test_ks_equals_scipy_on_an_exact_reference(samples):
    r, c = samples
    found, _ = one(r, c, "ks")
    expected = stats.ks_2samp(r, c, method="asymp")
    assert found.statistic == pytest.approx(expected.statistic, abs=1e-12)
    assert found.p_value == pytest.approx(expected.pvalue, rel=1e-9)
    assert found.drifted == (expected.pvalue < 0.05) and found.decides_on == "p_value"


def test_ks_on_a_sketch_is_within_one_sketch_step():
    rng = np.random.default_rng(1)
    r, c = rng.normal(size=50_000), rng.normal(0.05, 1, size=30_000)
    found, col = one(r, c, "ks", sketch=500)
    assert not col.exact and len(col.grid) <= 501
    assert found.statistic == pytest.approx(stats.ks_2samp(r, c).statistic, abs=2 / 500)
    assert "sketch" in found.note


def test_wasserstein_is_normalised_by_the_reference_std(samples):
    r, c = samples
    found, _ = one(r, c, "wasserstein")
    assert found.statistic == pytest.approx(stats.wasserstein_distance(r, c) / np.std(r), rel=0.01)
    rng = np.random.default_rng(2)
    big_r, big_c = rng.gamma(2, size=40_000), rng.gamma(2.3, size=40_000)
    found, _ = one(big_r, big_c, "wasserstein")
    assert found.statistic == pytest.approx(
        stats.wasserstein_distance(big_r, big_c) / np.std(big_r), rel=0.02
    )


def test_binned_methods_match_hand_computation_on_reference_deciles(samples):
    r, c = samples
    found, col = one(r, c, "psi")
    assert found.bins == 10 and len(col.edges) == 9
    assert np.allclose(col.edges, np.quantile(r, np.linspace(0, 1, 11)[1:-1]))
    p, q = _shares(col, r, c)
    assert found.statistic == pytest.approx(np.sum((q - p) * np.log(q / p)), rel=1e-12)
    assert found.log_base == "e" and found.threshold == 0.1

    js, _ = one(r, c, "jensen_shannon")
    assert js.statistic == pytest.approx(distance.jensenshannon(p, q), rel=1e-9)
    assert js.log_base == "e"
    ref = fit_reference(pd.DataFrame({"x": r}))
    js2 = detect_drift(ref, pd.DataFrame({"x": c}), method="jensen_shannon", js_base=2).columns[0]
    assert (
        js2.statistic == pytest.approx(distance.jensenshannon(p, q, base=2), rel=1e-9)
        and js2.log_base == "2"
    )

    hellinger, _ = one(r, c, "hellinger")
    assert hellinger.statistic == pytest.approx(
        np.sqrt(np.sum((np.sqrt(p) - np.sqrt(q)) ** 2) / 2), rel=1e-9
    )
    linf, _ = one(r, c, "linf")
    assert linf.statistic == pytest.approx(np.abs(p - q).max(), rel=1e-12)

    chi, _ = one(r, c, "chi2")
    counts = q * len(c)
    expected = stats.chisquare(counts, p * len(c))
    assert chi.statistic == pytest.approx(expected.statistic, rel=1e-9)
    assert chi.p_value == pytest.approx(expected.pvalue, rel=1e-6)


def test_categorical_methods_include_unseen_categories():
    ref = fit_reference(pd.DataFrame({"c": ["a"] * 50 + ["b"] * 30 + ["c"] * 20}))
    current = pd.DataFrame({"c": ["a"] * 40 + ["b"] * 30 + ["c"] * 20 + ["new"] * 10})
    p, q = np.array([0.5, 0.3, 0.2, 0.0]), np.array([0.4, 0.3, 0.2, 0.1])
    res = {
        m: detect_drift(ref, current, method=m).columns[0]
        for m in ("psi", "jensen_shannon", "hellinger", "linf", "chi2")
    }
    assert res["jensen_shannon"].statistic == pytest.approx(distance.jensenshannon(p, q))
    assert res["linf"].statistic == pytest.approx(0.1)
    assert res["hellinger"].statistic == pytest.approx(math.sqrt(1 - np.sum(np.sqrt(p * q))))
    filled = np.where(p > 0, p, 1e-4)  # Evidently's fill for empty bins
    assert res["psi"].statistic == pytest.approx(np.sum((q - filled) * np.log(q / filled)))
    for found in res.values():
        assert found.unseen == {"new": 10} and "not in the reference" in found.note
        assert found.bins == 4 and math.isfinite(found.statistic)
    assert res["chi2"].p_value < 1e-6 and res["chi2"].drifted


def test_auto_choice_follows_evidently_by_type_and_size():
    rng = np.random.default_rng(3)
    small = pd.DataFrame(
        {
            "num": rng.normal(size=500),
            "cat": rng.choice(list("xyz"), 500),
            "few": rng.integers(0, 3, 500),
        }
    )
    large = pd.DataFrame(
        {
            "num": rng.normal(size=5000),
            "cat": rng.choice(list("xyz"), 5000),
            "few": rng.integers(0, 3, 5000),
        }
    )
    for frame, expected in (
        (small, ["ks", "chi2", "chi2"]),
        (large, ["wasserstein", "jensen_shannon", "jensen_shannon"]),
    ):
        found = detect_drift(fit_reference(frame), frame)
        assert [c.method for c in found.columns] == expected
        assert not found.drifted_columns


def test_a_method_that_does_not_fit_the_column_falls_back_and_says_so():
    frame = pd.DataFrame({"cat": list("ab") * 100})
    [found] = detect_drift(fit_reference(frame), frame, method="ks").columns
    assert found.method == "chi2" and "ks does not apply to categorical" in found.note


def test_every_result_states_method_base_bins_threshold_and_sizes(samples):
    r, c = samples
    ref = fit_reference(pd.DataFrame({"x": r, "y": r}))
    found = detect_drift(
        ref, pd.DataFrame({"x": c, "y": c}), methods={"y": "psi"}, thresholds={"x": 0.5}
    )
    x, y = found.columns
    assert (x.method, x.threshold, x.threshold_source, x.reference_n, x.current_n) == (
        "ks",
        0.5,
        "given",
        800,
        600,
    )
    assert (y.method, y.threshold, y.threshold_source, y.bins, y.log_base) == (
        "psi",
        0.1,
        "default",
        10,
        "e",
    )
    doc = found.to_dict()
    assert set(doc["columns"][0]) >= {
        "method",
        "log_base",
        "bins",
        "threshold",
        "reference_n",
        "current_n",
        "statistic",
        "p_value",
    }
