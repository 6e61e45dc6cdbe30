"""The linear-pass binning (PSI without a CDF sketch) gives the very edges and counts of the sort path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_tasks.monitoring import detect_drift, fit_reference
from mlops_tasks.monitoring.summary import summarize


def _frame(seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 20_011
    return pd.DataFrame(
        {
            "normal": rng.normal(shift, 1, n),
            "ties": rng.integers(0, 40, n).astype(float) + shift,  # many ties at the quantiles
            "with_nan": np.where(rng.random(n) < 0.05, np.nan, rng.gamma(2, 2, n)),
            "few": rng.integers(0, 3, n).astype(float),  # 3 values: fitted as categorical
            "late_few": np.r_[np.zeros(5000), rng.integers(0, 9, n - 5000)].astype(float),
            "constant": np.full(n, 3.0),
        }
    )


@pytest.mark.parametrize("bins", [4, 10])
def test_binned_fit_equals_sorted_fit(bins):
    ref = _frame(1)
    # sketch=0 takes the partition + bincount path; sketch>0 the sort path: same edges and counts.
    linear = fit_reference(ref, bins=bins, sketch=0)
    sorted_ = fit_reference(ref, bins=bins, sketch=1000)
    assert linear.columns.keys() == sorted_.columns.keys()
    for name, col in linear.columns.items():
        other = sorted_.columns[name]
        assert col.kind == other.kind, name
        if col.kind == "numeric":
            np.testing.assert_array_equal(col.edges, other.edges, err_msg=name)
            np.testing.assert_array_equal(col.hist, other.hist, err_msg=name)
            assert (col.min, col.max, col.count, col.nulls) == (
                other.min,
                other.max,
                other.count,
                other.nulls,
            )
        else:
            assert col.categories == other.categories, name
    assert linear.columns["few"].kind == "categorical"
    assert linear.columns["late_few"].kind == "numeric"  # 9 values, only 1 in the head sample


def test_bins_only_summary_equals_sorted_summary():
    reference = fit_reference(_frame(1), sketch=1000)
    current = _frame(2, shift=0.3)
    bins_only = summarize(reference, current, grid=False)
    with_grid = summarize(reference, current, grid=True)
    for name, s in bins_only.items():
        if s.kind == "numeric":
            np.testing.assert_array_equal(s.hist, with_grid[name].hist, err_msg=name)
            assert s.n == with_grid[name].n and s.nulls == with_grid[name].nulls


def test_psi_verdicts_same_whichever_fit_path():
    ref, cur = _frame(1), _frame(2, shift=0.6)
    a = detect_drift(fit_reference(ref, sketch=0), cur, method="psi")
    b = detect_drift(fit_reference(ref, sketch=1000), cur, method="psi")
    assert [(c.column, c.drifted, c.statistic) for c in a.columns] == [
        (c.column, c.drifted, c.statistic) for c in b.columns
    ]
    assert "normal" in a.drifted_columns and "constant" not in a.drifted_columns


def test_bins_only_counts_and_sums_match_searchsorted_and_numpy():
    """The bins-only summary counts and sums on the same blocks: counts equal to a searchsorted per
    value and sums to numpy's, across several blocks, with values exactly on the edges, ties,
    a heavy tail, a constant, NaN and +-inf (set aside as nulls, out of the sums)."""
    rng = np.random.default_rng(7)
    n = 3 * (1 << 16) + 123  # past the counting block, with a partial last block
    reference = fit_reference(
        pd.DataFrame(
            {
                "cauchy": rng.standard_cauchy(n),
                "ties": rng.integers(0, 30, n).astype(float),
                "constant": np.full(n, 2.5),
            }
        ),
        numeric=["cauchy", "ties", "constant"],  # the constant too: numeric, two edges
        sketch=0,
    )
    current = pd.DataFrame(
        {
            "cauchy": rng.standard_cauchy(n) * 2,
            "ties": rng.integers(0, 40, n).astype(float),
            "constant": np.r_[np.full(n - 3, 2.5), 1.0, 2.5, 9.0],
        }
    )
    for name in current:
        edges = reference.columns[name].edges
        values = current[name].to_numpy().copy()
        values[rng.integers(0, n, 500)] = rng.choice(edges, 500)  # exactly on an edge
        values[[5, 70_000, n - 1]] = [np.nan, np.inf, -np.inf]
        current[name] = values
    summaries = summarize(reference, current, grid=False)
    for name, s in summaries.items():
        x = current[name].to_numpy()
        x = x[np.isfinite(x)]
        edges = reference.columns[name].edges
        want = np.bincount(np.searchsorted(edges, x, side="left"), minlength=len(edges) + 1)
        assert s.hist.tolist() == want.tolist(), name
        assert (s.n, s.nulls) == (len(x), 3), name
        np.testing.assert_allclose([s.total, s.total_sq], [x.sum(), (x * x).sum()], rtol=1e-12)
