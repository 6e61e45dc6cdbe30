import json
import math

import numpy as np
import pandas as pd
import pytest

from mlops_tasks.context import TaskContext
from mlops_tasks.errors import DataError
from mlops_tasks.runtime import run_task


def profile_of(settings, frame: pd.DataFrame, **config) -> dict:
    ctx = TaskContext(settings)
    dataset = ctx.write_dataframe(frame)
    result = run_task("profile", {"dataset": dataset, **config}, settings=settings)
    return ctx.read_json(result.profile)


def test_numeric_statistics_match_pandas_on_real_data(settings, bike_csv):
    frame = pd.read_csv(bike_csv)
    doc = profile_of(settings, frame)
    assert doc["rows"] == 731
    for name in ("temp", "hum", "cnt"):
        stats, expected = doc["columns"][name], frame[name]
        assert stats["kind"] == "numeric" and stats["nulls"] == 0 and stats["count"] == 731
        assert stats["min"] == expected.min() and stats["max"] == expected.max()
        assert stats["mean"] == pytest.approx(expected.mean())
        assert stats["std"] == pytest.approx(expected.std())
        assert stats["distinct"] == expected.nunique()
    assert doc["columns"]["dteday"]["kind"] in ("temporal", "categorical")
    season = {t["value"]: t["count"] for t in doc["columns"]["season"]["top"]}
    assert season == frame["season"].value_counts().to_dict()


def test_nulls_nan_inf_and_all_null_columns_are_counted_not_averaged(settings):
    frame = pd.DataFrame(
        {
            "x": [1.0, np.nan, np.inf, -np.inf, 3.0, None],
            "empty": pd.Series([None] * 6, dtype="float64"),
            "city": ["a", "b", "a", None, "a", "c"],
        }
    )
    doc = profile_of(settings, frame)
    x = doc["columns"]["x"]
    assert (x["nulls"], x["non_finite"], x["min"], x["max"], x["mean"]) == (2, 2, 1.0, 3.0, 2.0)
    empty = doc["columns"]["empty"]
    assert empty["nulls"] == 6 and "mean" not in empty
    assert doc["columns"]["city"]["top"][0] == {"value": "a", "count": 3}
    assert doc["columns"]["city"]["nulls"] == 1
    text = json.dumps(doc)
    assert "NaN" not in text and "Infinity" not in text


def test_result_lists_columns_with_nulls(settings):
    ctx = TaskContext(settings)
    dataset = ctx.write_dataframe(pd.DataFrame({"a": [1, None], "b": [1, 2]}))
    result = run_task("profile", {"dataset": dataset}, settings=settings)
    assert result.columns_with_nulls == ["a"] and result.rows == 2 and result.columns == 2


def test_selected_columns_only_and_missing_ones_named(settings):
    doc = profile_of(settings, pd.DataFrame({"a": [1], "b": [2]}), columns=["b"])
    assert list(doc["columns"]) == ["b"]
    with pytest.raises(DataError, match=r"\['zz'\] are not in dataset"):
        profile_of(settings, pd.DataFrame({"a": [1]}), columns=["zz"])


def test_quantiles_are_ordered(settings):
    doc = profile_of(settings, pd.DataFrame({"v": np.random.default_rng(0).normal(size=5000)}))
    q = list(doc["columns"]["v"]["quantiles"].values())
    assert q == sorted(q) and all(math.isfinite(v) for v in q)
    assert doc["columns"]["v"]["quantiles"]["0.5"] == pytest.approx(0.0, abs=0.1)
