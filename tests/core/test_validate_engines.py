"""The same rules give the same verdicts and counts in memory (pandas) and pushed down (SQLite, PostgreSQL)."""

import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlops_tasks.context import TaskContext
from mlops_tasks.errors import CheckFailedError, SourceNotFoundError
from mlops_tasks.plugins import plugin_manager
from mlops_tasks.runtime import run_task
from mlops_tasks.validation.pandas_engine import validate_frame
from mlops_tasks.validation.rules import parse_rule
from mlops_tasks.validation.sql_engine import validate_table

FRAME = pd.DataFrame(
    {
        "x": [0.5, np.nan, np.inf, 12.0, -1.0, 3.0, 7.25, None, 4.0, 2.0],
        "n": [1, 2, 3, 4, 5, 5, 7, 8, 9, 100],
        "s": ["id-1", "id-2", "id-2", "ID-4", None, "id-6", "id-7x", "id-8", "id-9", "id-10"],
        "cat": ["a", "b", "c", "a", "zz", "b", None, "a", "b", "q"],
        "ts": pd.to_datetime(
            ["2026-01-01"] * 5 + ["2026-03-01 12:30:00"] + [None] + ["2026-02-01"] * 3,
            format="ISO8601",
        ),
        "empty": pd.Series([None] * 10, dtype="float64"),
    }
)
RULES = [
    {"rule": "row_count", "min": 1, "max": 5},
    {"rule": "not_null", "column": "x", "max_fraction": 0.1},
    {"rule": "not_null", "column": "s"},
    {"rule": "not_null", "column": "empty"},
    {"rule": "range", "column": "x", "min": 0, "max": 10},
    {"rule": "range", "column": "n", "min": 1, "max": 9, "inclusive": False, "severity": "warn"},
    {"rule": "finite", "column": "x"},
    {"rule": "mean_between", "column": "x", "min": 0, "max": 4},
    {"rule": "mean_between", "column": "n", "min": 10, "max": 20},
    {"rule": "mean_between", "column": "empty", "min": 0, "max": 1},
    {"rule": "allowed", "column": "cat", "values": ["a", "b", "c", 1]},
    {"rule": "allowed", "column": "n", "values": [1, 2, 3, 4, 5, "x"]},
    {"rule": "regex", "column": "s", "pattern": "^id-[0-9]+$"},
    {"rule": "regex", "column": "s", "pattern": "[0-9]{2}$", "name": "two_digits"},
    {"rule": "regex", "column": "n", "pattern": "^1"},
    {"rule": "unique", "column": "s"},
    {"rule": "unique", "column": "n"},
    {"rule": "unique", "columns": ["cat", "n"]},
    {"rule": "dtype", "column": "x", "dtype": "float"},
    {"rule": "dtype", "column": "n", "dtype": "string"},
    {"rule": "dtype", "column": "empty", "dtype": "int"},
    {"rule": "freshness", "column": "ts", "max_age": "30d", "now": "2026-03-20T00:00:00"},
    {"rule": "freshness", "column": "s", "max_age": "1d"},
    {"rule": "range", "column": "missing", "min": 0},
    {"rule": "required_columns", "columns": ["x", "gone"]},
    {"rule": "no_extra_columns", "columns": ["x", "n", "s", "cat", "ts"]},
]


def load(url: str, frame: pd.DataFrame, table: str = "data") -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        frame.to_sql(table, conn, index=False, if_exists="replace")
    engine.dispose()


def verdicts(outcomes):
    return [(o.id, o.passed, o.failing_rows, o.message) for o in outcomes]


def pushed_agrees(url, frame, rules):
    """Validate `frame` in memory and its loaded table by push-down; assert equal verdicts.

    Returns the in-memory outcomes and the pushed-down ones by rule id, for spelled-out counts.
    """
    in_memory = validate_frame(frame, rules)
    rows, pushed = validate_table(url, "data", rules)
    assert rows == len(frame)
    assert verdicts(pushed) == verdicts(in_memory)
    return in_memory, {o.id: o for o in pushed}


def test_pushdown_agrees_with_pandas_rule_by_rule(db_url):
    load(db_url, FRAME)
    rules = [parse_rule(r) for r in RULES]
    in_memory, by_id = pushed_agrees(db_url, FRAME, rules)
    # a few of the counts spelled out, so agreement is not agreement on nothing
    assert by_id["range:x"].failing_rows == 3  # inf, 12, -1 (NaN and null are not compared)
    assert by_id["not_null:x"].failing_rows == 2 and by_id["not_null:x"].passed is False
    assert by_id["regex:s"].failing_rows == 2 and by_id["unique:s"].failing_rows == 1
    assert by_id["unique:n"].failing_rows == 1 and by_id["unique:cat,n"].passed
    assert by_id["allowed:cat"].failing_rows == 2 and by_id["allowed:n"].failing_rows == 4
    assert by_id["mean_between:x"].observed["mean"] == pytest.approx(in_memory[7].observed["mean"])
    assert by_id["freshness:ts"].observed["latest"] == "2026-03-01T12:30:00"
    assert by_id["range:x"].samples and all("x" in s for s in by_id["range:x"].samples)
    assert by_id["unique:s"].samples == [{"s": "id-2", "count": 2}]


def test_validate_task_pushes_down_and_fails_like_the_dataset_path(settings, db_url):
    load(db_url, FRAME)
    rules = RULES[:19]
    with pytest.raises(CheckFailedError) as on_table:
        run_task("validate", {"source": db_url, "table": "data", "rules": rules}, settings=settings)
    dataset = TaskContext(settings).write_dataframe(FRAME)
    with pytest.raises(CheckFailedError) as on_dataset:
        run_task("validate", {"dataset": dataset, "rules": rules}, settings=settings)
    assert on_table.value.result.failing_rules == on_dataset.value.result.failing_rules
    report = TaskContext(settings).read_json(on_table.value.result.report)
    assert report["engine"] == "sql" and report["table"] == "data" and report["rows"] == 10
    with pytest.raises(SourceNotFoundError, match="no table 'nope'"):
        run_task("validate", {"source": db_url, "table": "nope", "rules": rules}, settings=settings)


@pytest.fixture
def even_plugin():
    """A plugin registering a custom rule with both a pandas check and a SQL form."""

    def even(values, rule):
        return values.notna() & (values % rule.params.get("modulo", 2) != 0)

    even.sql = lambda column, rule: column % rule.params.get("modulo", 2) != 0

    def hookimpl_rules():
        return {"is_even": even, "no_sql": lambda values, rule: values.isna()}

    from mlops_tasks.plugins import hookimpl

    module = types.ModuleType("even_rule_plugin")
    module.mlops_tasks_register_validation_rules = hookimpl(hookimpl_rules)
    sys.modules[module.__name__] = module
    plugin_manager().register(module)
    yield
    plugin_manager().unregister(module)
    sys.modules.pop(module.__name__, None)


def test_plugin_rules_run_on_both_engines(even_plugin, tmp_path):
    from mlops_tasks.validation import SchemaError

    url = f"sqlite:///{tmp_path / 'd.db'}"
    load(url, FRAME)
    rules = [
        parse_rule({"rule": "is_even", "column": "n", "severity": "warn"}),
        parse_rule({"rule": "is_even", "column": "n", "params": {"modulo": 5}, "name": "fives"}),
        parse_rule({"rule": "no_sql", "column": "x"}),
    ]
    in_memory = validate_frame(FRAME, rules)
    assert [(o.id, o.failing_rows) for o in in_memory] == [
        ("is_even:n", 6),
        ("fives", 7),
        ("no_sql:x", 2),
    ]
    _, pushed = validate_table(url, "data", rules)
    assert verdicts(pushed[:2]) == verdicts(in_memory[:2])
    assert "has no SQL form" in pushed[2].message
    with pytest.raises(SchemaError, match="unknown rule 'is_evne'; did you mean 'is_even'"):
        parse_rule({"rule": "is_evne", "column": "n"})


# Floats as warehouses store them: NULL and NaN side by side (pandas' to_sql writes NaN as NULL,
# so the NaN rows are set afterwards). In memory both are NaN, i.e. missing.
NAN_FRAME = pd.DataFrame(
    {
        "row": range(10),
        "v": [1.0, np.nan, np.nan, np.inf, -np.inf, 5.0, np.nan, 20.0, 5.0, 3.0],
        "all_nan": [np.nan] * 10,
    }
)
NAN_ROWS = (1, 2)  # NaN in the table; row 6 stays NULL
NAN_RULES = [
    {"rule": "not_null", "column": "v", "max_fraction": 0.2},
    {"rule": "not_null", "column": "all_nan"},
    {"rule": "range", "column": "v", "min": 0, "max": 10},
    {"rule": "range", "column": "all_nan", "min": 0, "max": 10},
    {"rule": "finite", "column": "v"},
    {"rule": "mean_between", "column": "v", "min": 0, "max": 4},
    {"rule": "mean_between", "column": "all_nan", "min": 0, "max": 1},
    {"rule": "allowed", "column": "v", "values": [1.0, 5.0, 20.0]},
    {"rule": "unique", "column": "v"},
    {"rule": "unique", "columns": ["v", "row"]},
    {"rule": "dtype", "column": "all_nan", "dtype": "int"},
]


@pytest.fixture(params=["duckdb", "postgresql"])
def nan_db_url(request, tmp_path: Path) -> str:
    """A database that stores NaN as a value distinct from NULL."""
    if request.param == "duckdb":
        pytest.importorskip("duckdb_engine")
        return f"duckdb:///{tmp_path / 'nan.duckdb'}"
    return request.getfixturevalue("pg_url")


def test_pushdown_treats_stored_nan_as_missing_like_pandas(nan_db_url):
    import sqlalchemy as sa

    load(nan_db_url, NAN_FRAME)
    engine = sa.create_engine(nan_db_url)
    with engine.begin() as conn:
        nan = "CAST('NaN' AS DOUBLE PRECISION)"
        conn.exec_driver_sql(f'UPDATE data SET all_nan = {nan} WHERE "row" < 5')
        conn.exec_driver_sql(f'UPDATE data SET v = {nan} WHERE "row" IN {NAN_ROWS}')
        stored = conn.exec_driver_sql(
            f"SELECT COUNT(*) FILTER (WHERE v IS NULL), COUNT(*) FILTER (WHERE v = {nan}) FROM data"
        ).one()
    engine.dispose()
    assert tuple(stored) == (1, 2)  # the table really holds NaN beside NULL
    rules = [parse_rule(r) for r in NAN_RULES]
    in_memory, by_id = pushed_agrees(nan_db_url, NAN_FRAME, rules)
    assert by_id["not_null:v"].failing_rows == 3 and by_id["range:v"].failing_rows == 3
    assert by_id["finite:v"].failing_rows == 2 and by_id["unique:v"].failing_rows == 1
    assert by_id["allowed:v"].failing_rows == 3  # inf, -inf, 3.0; not the NaN rows
    assert by_id["mean_between:v"].observed == pytest.approx(in_memory[5].observed)
    assert by_id["dtype:all_nan"].observed["dtype"] == "null"
