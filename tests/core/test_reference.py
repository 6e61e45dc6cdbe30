"""The reference profile: fitted once, stored as an artifact, enough to monitor without the training data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_tasks.errors import ConfigError, DataError
from mlops_tasks.monitoring.reference import Reference, fit_reference
from mlops_tasks.runtime import run_task


def test_fit_keeps_edges_counts_sketch_and_categories():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=5000),
            "few": rng.integers(0, 3, 5000),  # <= 5 distinct: categorical, as Evidently
            "c": pd.Categorical(rng.choice(list("ab"), 5000)),
            "flag": rng.random(5000) > 0.5,
            "when": pd.date_range("2024-01-01", periods=5000, freq="min"),
        }
    )
    frame.loc[:9, "x"] = np.nan
    ref = fit_reference(frame, bins=10, sketch=200)
    x = ref.columns["x"]
    assert (x.kind, x.count, x.nulls, x.bins, int(x.hist.sum())) == ("numeric", 4990, 10, 10, 4990)
    assert not x.exact and len(x.grid) == 201 and x.grid[0] == x.min and x.grid[-1] == x.max
    assert x.grid_le[-1] == 1.0 and np.all(np.diff(x.grid_le) >= 0)
    assert ref.columns["few"].kind == "categorical" and set(ref.columns["few"].categories) == {
        "0",
        "1",
        "2",
    }
    assert ref.columns["c"].kind == ref.columns["flag"].kind == "categorical"
    assert "when" in ref.skipped and "when" not in ref.columns
    assert Reference.from_dict(ref.to_dict()).to_dict() == ref.to_dict()


def test_explicit_kinds_override_the_dtype():
    frame = pd.DataFrame({"code": [1, 2, 3, 4, 5, 6, 7, 8] * 10})
    assert fit_reference(frame).columns["code"].kind == "numeric"
    assert fit_reference(frame, categorical=["code"]).columns["code"].kind == "categorical"


def test_fit_reference_task_stores_a_reference_artifact(settings, tmp_path):
    rng = np.random.default_rng(1)
    path = tmp_path / "train.parquet"
    pd.DataFrame({"x": rng.normal(size=2000), "c": rng.choice(list("abc"), 2000)}).to_parquet(path)
    dataset = run_task("extract", {"source": str(path)}, settings=settings).dataset
    result = run_task(
        "fit_reference", {"dataset": dataset, "calibration_chunks": 4}, settings=settings
    )
    assert (
        result.reference.kind == "reference"
        and result.columns == ["x", "c"]
        and result.rows == 2000
    )
    from mlops_tasks.context import TaskContext

    doc = TaskContext(settings).read_json(result.reference)
    ref = Reference.from_dict(doc)
    assert ref.calibration_chunks == 4 and len(ref.columns["x"].calibration["psi"]) == 4
    with pytest.raises(DataError, match="not in dataset"):
        run_task("fit_reference", {"dataset": dataset, "columns": ["nope"]}, settings=settings)
    with pytest.raises(ConfigError):
        run_task("fit_reference", {"dataset": dataset, "bins": 1}, settings=settings)


def test_linear_kernels_equal_the_sorting_ones_past_the_direct_size():
    """order_statistics (sample brackets, then a small partition), bin_counts (a count per edge)
    and the categorical counts from codes give exactly what np.partition, np.searchsorted and
    pandas' value_counts give, on shapes that strain the brackets: ties, sorted, heavy tails,
    a period equal to the sample's stride (the sample misleads: the exact fallback)."""
    from mlops_tasks.monitoring.reference import (
        SELECT_DIRECT,
        category_counts,
        category_key,
        edge_probs,
        interpolation_ranks,
        order_statistics,
    )
    from mlops_tasks.monitoring.summary import bin_counts

    rng = np.random.default_rng(14)
    n = SELECT_DIRECT + 12_345
    stride = n // max(n // 64, 1 << 14)
    shapes = {
        "normal": rng.normal(size=n),
        "sorted": np.sort(rng.lognormal(size=n)),
        "ties": np.round(rng.exponential(size=n), 1),
        "ten values": np.repeat(np.arange(10.0), n // 10 + 1)[:n],
        "stride period": np.tile(np.r_[np.zeros(stride - 1), 1e6], n // stride + 1)[:n],
        "cauchy": rng.standard_cauchy(n),
    }
    for name, x in shapes.items():
        for bins in (4, 10, 100):
            pos, below, above = interpolation_ranks(n, edge_probs(bins))
            ranks = np.unique(np.concatenate((below, above, [0, n - 1])))
            got = order_statistics(x, ranks)
            assert np.array_equal(got, np.partition(x, ranks)[ranks]), (name, bins)
            edges = np.unique(got)
            want = np.bincount(np.searchsorted(edges, x, side="left"), minlength=len(edges) + 1)
            assert bin_counts(x, edges).tolist() == want.tolist(), (name, bins)
    # The linear fit (sketch=0: brackets, counts from them) equals the sorting fit's bins.
    frame = pd.DataFrame(shapes)
    linear, sorting = fit_reference(frame, sketch=0), fit_reference(frame, sketch=50)
    for name in shapes:
        a, b = linear.columns[name], sorting.columns[name]
        assert a.kind == b.kind, name
        if a.kind == "numeric":
            assert a.edges.tolist() == b.edges.tolist() and a.hist.tolist() == b.hist.tolist()
    codes = rng.integers(-1, 7, n)
    series = pd.Series(pd.Categorical.from_codes(codes, categories=[*"abcde", 1.0, 2.5]))
    counts, nulls = category_counts(series)
    expected = series.astype(object).value_counts(dropna=True)
    assert counts == {category_key(k): int(v) for k, v in expected.items()}
    assert nulls == int((codes == -1).sum())
