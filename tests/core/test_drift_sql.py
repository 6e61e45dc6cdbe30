"""SQL push-down gives the same numbers as the in-memory path, on SQLite and PostgreSQL."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from mlops_tasks.errors import SourceNotFoundError
from mlops_tasks.monitoring import detect_drift, fit_reference
from mlops_tasks.monitoring.sql import summarize_table

METHODS = ("auto", "psi", "ks", "chi2", "jensen_shannon", "wasserstein", "linf", "hellinger")


@pytest.fixture
def frames():
    rng = np.random.default_rng(11)
    n_ref, n_cur = 3000, 2500
    ref = pd.DataFrame(
        {
            "x": rng.normal(size=n_ref),
            "ints": rng.integers(0, 30, n_ref),  # ties: current values equal sketch points
            "small": rng.normal(size=n_ref)[:n_ref],
            "c": rng.choice(list("abcd"), n_ref),
        }
    )
    cur = pd.DataFrame(
        {
            "x": rng.normal(0.3, 1.2, n_cur),
            "ints": rng.integers(0, 33, n_cur),
            "small": rng.normal(size=n_cur),
            "c": rng.choice(list("abcde"), n_cur),  # "e" unseen
        }
    )
    cur.loc[:20, "x"] = np.nan
    cur.loc[5:9, "c"] = None
    return ref, cur


def _close(a, b):
    if a is None or b is None:
        return a is b
    return a == pytest.approx(b, rel=1e-9, abs=1e-12)


def test_push_down_equals_in_memory(db_url, frames):
    ref_frame, cur = frames
    reference = fit_reference(ref_frame, sketch=500)
    engine = sa.create_engine(db_url)
    try:
        cur.to_sql("current_window", engine, index=False)
        summaries = summarize_table(engine, "current_window", reference)
    finally:
        engine.dispose()
    for method in METHODS:
        memory = detect_drift(reference, cur, method=method).to_dict()
        pushed = detect_drift(reference, summaries, method=method).to_dict()
        assert pushed["current_rows"] == memory["current_rows"] == len(cur)
        for m, p in zip(memory["columns"], pushed["columns"]):
            assert (m["column"], m["method"], m["current_n"], m["current_nulls"], m["unseen"]) == (
                p["column"], p["method"], p["current_n"], p["current_nulls"], p["unseen"]
            )  # fmt: skip
            assert _close(m["statistic"], p["statistic"]), (method, m, p)
            assert _close(m["p_value"], p["p_value"]), (method, m, p)
            assert m["drifted"] == p["drifted"]
    for name in ("x", "ints"):
        assert summaries[name].mean == pytest.approx(cur[name].mean())


def test_push_down_filters_a_window_and_reports_missing_columns(tmp_path, frames):
    ref_frame, cur = frames
    reference = fit_reference(ref_frame)
    url = f"sqlite:///{tmp_path / 'cur.db'}"
    engine = sa.create_engine(url)
    cur.assign(day=np.arange(len(cur)) % 2).drop(columns=["small"]).to_sql("t", engine, index=False)
    engine.dispose()
    summaries = summarize_table(url, "t", reference, where="day = 1")
    found = detect_drift(reference, summaries)
    assert found.missing_columns == ["small"]
    assert found.current_rows == (np.arange(len(cur)) % 2 == 1).sum()
    with pytest.raises(SourceNotFoundError):
        summarize_table(url, "nope", reference)
