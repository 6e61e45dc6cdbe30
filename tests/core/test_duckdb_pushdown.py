"""The SQL push-downs on DuckDB (its SQLAlchemy dialect, duckdb-engine): the in-memory path's verdicts.

DuckDB is an embedded column store, the stand-in here for warehouse-class engines; the same
rules and the same drift summaries run on it as on SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest

pytest.importorskip("duckdb_engine")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from test_drift_sql import METHODS, _close  # noqa: E402
from test_validate_engines import FRAME, RULES, pushed_agrees  # noqa: E402

from mlops_tasks.monitoring import detect_drift, fit_reference  # noqa: E402
from mlops_tasks.monitoring.sql import summarize_table  # noqa: E402
from mlops_tasks.validation.rules import parse_rule  # noqa: E402


@pytest.fixture
def duckdb_url(tmp_path):
    return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"


def _load(url: str, frame: pd.DataFrame, table: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        frame.to_sql(table, conn, index=False)
    engine.dispose()


def test_validate_pushdown_on_duckdb_agrees_with_pandas(duckdb_url):
    _load(duckdb_url, FRAME, "data")
    rules = [parse_rule(r) for r in RULES]
    _, by_id = pushed_agrees(duckdb_url, FRAME, rules)
    assert by_id["range:x"].failing_rows == 3 and by_id["regex:s"].failing_rows == 2
    assert by_id["unique:s"].samples == [{"s": "id-2", "count": 2}]


def test_drift_pushdown_on_duckdb_agrees_with_pandas(duckdb_url):
    rng = np.random.default_rng(11)
    ref = pd.DataFrame(
        {
            "x": rng.normal(size=3000),
            "ints": rng.integers(0, 30, 3000),
            "c": rng.choice(list("abcd"), 3000),
        }
    )
    cur = pd.DataFrame(
        {
            "x": rng.normal(0.3, 1.2, 2500),
            "ints": rng.integers(0, 33, 2500),
            "c": rng.choice(list("abcde"), 2500),
        }
    )
    cur.loc[:20, "x"] = np.nan
    cur.loc[5:9, "c"] = None
    reference = fit_reference(ref, sketch=500)
    _load(duckdb_url, cur, "current_window")
    engine = sa.create_engine(duckdb_url)
    try:
        summaries = summarize_table(engine, "current_window", reference)
        bins_only = summarize_table(engine, "current_window", reference, grid=False)
    finally:
        engine.dispose()
    # Without the CDF grid, DuckDB's own histogram aggregate counts the bins: the same counts.
    assert bins_only["x"].hist.tolist() == summaries["x"].hist.tolist()
    assert bins_only["ints"].hist.tolist() == summaries["ints"].hist.tolist()
    for method in METHODS:
        memory = detect_drift(reference, cur, method=method).to_dict()
        pushed = detect_drift(reference, summaries, method=method).to_dict()
        assert pushed["current_rows"] == memory["current_rows"] == len(cur)
        for a, b in zip(memory["columns"], pushed["columns"]):
            assert (a["column"], a["method"], a["drifted"]) == (
                b["column"],
                b["method"],
                b["drifted"],
            )
            assert _close(a["statistic"], b["statistic"]), (method, a["column"])
    assert "x" in detect_drift(reference, summaries, method="psi").drifted_columns
