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
