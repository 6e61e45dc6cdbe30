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
