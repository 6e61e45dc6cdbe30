"""validate: verdicts, counts and samples of each rule kind; the report; failing on errors, not warnings."""

import json
import logging
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pytest

from mlops_tasks.context import TaskContext
from mlops_tasks.errors import CheckFailedError, ConfigError
from mlops_tasks.runtime import run_task
from mlops_tasks.validation.pandas_engine import validate_frame
from mlops_tasks.validation.rules import parse_rule


def check(frame, *rules, **kwargs):
    outcomes = validate_frame(frame, [parse_rule(r) for r in rules], **kwargs)
    return {o.id: o for o in outcomes}


def test_error_rule_fails_the_task_with_its_report(settings):
    frame = pd.DataFrame(
        {"age": [30, 41, -2, 150, 25], "email": ["a@x", "b@x", "nope", None, "a@x"]}
    )
    ctx = TaskContext(settings)
    dataset = ctx.write_dataframe(frame)
    rules = [
        {"rule": "range", "column": "age", "min": 0, "max": 120},
        {"rule": "regex", "column": "email", "pattern": "^[^@]+@[^@]+$"},
        {"rule": "unique", "column": "email", "severity": "warn"},
        {"rule": "not_null", "column": "age"},
    ]
    with pytest.raises(CheckFailedError) as info:
        run_task("validate", {"dataset": dataset, "rules": rules}, settings=settings)
    message = str(info.value)
    assert (
        "2 error rule(s) failed" in message and "range:age" in message and "regex:email" in message
    )
    assert "unique:email" not in message  # a warning does not fail the run
    assert info.value.retryable is False
    result = info.value.result
    assert result.passed is False and result.errors == 2 and result.warnings == 1
    assert result.failing_rules == ["range:age", "regex:email", "unique:email"]
    report = ctx.read_json(result.report)
    assert (
        result.report.kind == "validation" and report["engine"] == "pandas" and report["rows"] == 5
    )
    by_id = {r["id"]: r for r in report["rules"]}
    assert by_id["range:age"]["failing_rows"] == 2 and by_id["range:age"][
        "fraction"
    ] == pytest.approx(0.4)
    assert by_id["range:age"]["samples"] == [{"row": 2, "age": -2}, {"row": 3, "age": 150}]
    assert by_id["range:age"]["observed"] == {"min": -2, "max": 150}
    assert by_id["regex:email"]["failing_rows"] == 1 and by_id["regex:email"]["samples"] == [
        {"row": 2, "email": "nope"}
    ]
    assert by_id["unique:email"]["samples"] == [{"row": 4, "email": "a@x"}]
    assert by_id["not_null:age"]["passed"] is True
    # the failed execution is recorded with the report as its output
    run = ctx.metadata.runs(1)[0]
    assert run["status"] == "failed" and run["error_type"] == "CheckFailedError"
    assert run["result"]["report"]["sha256"] == result.report.sha256


def test_warnings_only_pass_and_are_logged(settings, caplog):
    frame = pd.DataFrame({"x": [1.0, 2.0, 50.0]})
    dataset = TaskContext(settings).write_dataframe(frame)
    rule = {"rule": "range", "column": "x", "max": 10, "severity": "warn"}
    with caplog.at_level(logging.WARNING, logger="mlops_tasks"):
        result = run_task("validate", {"dataset": dataset, "rules": [rule]}, settings=settings)
    assert (
        result.passed
        and result.failed == 1
        and result.warnings == 1
        and result.failing_rules == ["range:x"]
    )
    assert "range:x: 1 of 3 rows (33.3%) outside [-inf, 10.0]" in caplog.text


def test_contract_missing_and_extra_columns_are_rule_failures_naming_them(settings):
    ctx = TaskContext(settings)
    contract = ctx.artifacts.put_bytes(
        b"columns:\n  a: {dtype: int}\n  b: {min: 0}\n", kind="schema", media_type="text/yaml"
    )
    dataset = ctx.write_dataframe(pd.DataFrame({"a": [1, 2], "c": ["x", "y"]}))
    with pytest.raises(CheckFailedError) as info:
        run_task("validate", {"dataset": dataset, "schema": contract}, settings=settings)
    report = {r["id"]: r for r in ctx.read_json(info.value.result.report)["rules"]}
    assert report["required_columns"]["message"] == "required_columns: missing column(s) 'b'"
    assert report["no_extra_columns"]["severity"] == "warn"
    assert "'c'" in report["no_extra_columns"]["message"]
    assert report["range:b"]["message"] == "range:b: column 'b' is missing from the dataset"
    assert report["dtype:a"]["passed"]


def test_nan_and_inf_are_counted_by_the_rules_that_concern_them():
    frame = pd.DataFrame({"x": [1.0, np.nan, np.inf, -np.inf, 3.0, None]})
    got = check(
        frame,
        {"rule": "not_null", "column": "x", "max_fraction": 0.5},
        {"rule": "range", "column": "x", "min": 0, "max": 10},
        {"rule": "finite", "column": "x"},
        {"rule": "mean_between", "column": "x", "min": 1.9, "max": 2.1},
        {"rule": "dtype", "column": "x", "dtype": "number"},
    )
    assert (got["not_null:x"].passed, got["not_null:x"].failing_rows) == (True, 2)
    assert got["range:x"].failing_rows == 2 and got["range:x"].observed == {
        "min": "-inf",
        "max": "inf",
    }
    assert got["finite:x"].failing_rows == 2
    assert got["mean_between:x"].passed and got["mean_between:x"].observed["mean"] == 2.0
    assert got["dtype:x"].passed
    json.dumps([o.model_dump() for o in got.values()], allow_nan=False)  # samples are JSON-safe


def test_all_null_column_fails_not_null_and_mean_with_clear_messages():
    frame = pd.DataFrame(
        {"x": pd.Series([None] * 4, dtype="float64"), "s": pd.Series([None] * 4, dtype="str")}
    )
    got = check(
        frame,
        {"rule": "not_null", "column": "x"},
        {"rule": "mean_between", "column": "x", "min": 0, "max": 1},
        {"rule": "range", "column": "x", "min": 0},
        {"rule": "dtype", "column": "x", "dtype": "int"},
        {"rule": "unique", "column": "s"},
        {"rule": "regex", "column": "s", "pattern": "^a"},
    )
    assert got["not_null:x"].message == "not_null:x: 4 of 4 rows (100%) are null; none allowed"
    assert (
        got["mean_between:x"].message
        == "mean_between:x: column 'x' has no non-null finite values to average"
    )
    assert (
        got["range:x"].passed
        and got["dtype:x"].passed
        and got["unique:s"].passed
        and got["regex:s"].passed
    )


def test_empty_dataset_fails_row_count_and_nothing_divides_by_zero(settings):
    frame = pd.DataFrame({"x": pd.Series([], dtype="float64"), "s": pd.Series([], dtype="str")})
    got = check(
        frame,
        {"rule": "row_count", "min": 1},
        {"rule": "not_null", "column": "x"},
        {"rule": "range", "column": "x", "max": 1},
        {"rule": "unique", "column": "s"},
        {"rule": "regex", "column": "s", "pattern": "^a$"},
        {"rule": "allowed", "column": "s", "values": ["a"]},
    )
    assert got["row_count"].message == "row_count: 0 rows, expected >= 1"
    assert all(o.passed and o.fraction in (None, 0.0) for i, o in got.items() if i != "row_count")
    # and through the task: a Parquet file with zero rows
    dataset = TaskContext(settings).write_dataframe(frame)
    with pytest.raises(CheckFailedError, match="row_count: 0 rows"):
        run_task(
            "validate",
            {"dataset": dataset, "rules": [{"rule": "row_count", "min": 1}]},
            settings=settings,
        )


def test_mixed_types_are_rule_failures_naming_column_and_rule():
    frame = pd.DataFrame({"m": pd.Series([1, "two", 3.5, None], dtype=object)})
    got = check(
        frame,
        {"rule": "dtype", "column": "m", "dtype": "int"},
        {"rule": "range", "column": "m", "min": 0},
        {"rule": "regex", "column": "m", "pattern": "^t"},
        {"rule": "not_null", "column": "m"},
        {"rule": "allowed", "column": "m", "values": [1, "two"]},
    )
    assert got["dtype:m"].message.startswith("dtype:m: column 'm' is mixed")
    assert (
        got["range:m"].message
        == "range:m: column 'm' is mixed types (float, int, str); range needs numeric values"
    )
    assert "regex needs string values" in got["regex:m"].message
    assert got["not_null:m"].failing_rows == 1
    assert got["allowed:m"].failing_rows == 1  # 3.5


def test_uniqueness_single_and_compound_ignores_null_keys():
    frame = pd.DataFrame(
        {
            "a": [1, 1, 2, 2, None, None],
            "b": ["x", "x", "x", "y", "z", "z"],
            "n": [1, 2, 3, 3, 3, 4],
        }
    )
    got = check(
        frame,
        {"rule": "unique", "columns": ["a", "b"]},
        {"rule": "unique", "column": "n"},
        {"rule": "unique", "column": "b"},
        {"rule": "unique", "columns": ["b", "n"]},
    )
    assert got["unique:a,b"].failing_rows == 1 and got["unique:a,b"].samples == [
        {"row": 1, "a": 1.0, "b": "x"}
    ]
    assert got["unique:n"].failing_rows == 2
    assert got["unique:b"].failing_rows == 3
    assert got["unique:b,n"].passed


@pytest.mark.parametrize("block", [7, 1 << 20])
def test_string_kernels_match_python_on_awkward_strings(block, monkeypatch):
    import random
    import re

    import pyarrow as pa

    from mlops_tasks.validation import strings

    monkeypatch.setattr(
        strings, "BLOCK", block
    )  # equal strings in different blocks must still collide

    rng = random.Random(1)
    alphabet = ["i", "d", "-", "0", "7", "9", "x", "é", "\n", "\x00"]
    values = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 19))) for _ in range(3000)]
    values += ["id-12", "id-12", "é" * 30, "é" * 30, "long" * 20, "long" * 20] + [None] * 4
    rng.shuffle(values)
    array = pa.chunked_array([values[:1000], values[1000:]], type=pa.large_string())
    present = [v for v in values if v is not None]
    assert strings.count_duplicates(array)[0] == len(present) - len(set(present))
    for pattern in ("^id-[0-9]+$", "^id-\\d*$", "^[-x0-9]+$", "^id-12$"):
        expected = sum(1 for v in present if not re.search(pattern[:-1] + r"\Z", v))
        assert strings.simple_pattern(pattern) is not None
        assert (
            strings.count_simple_mismatches(array, strings.simple_pattern(pattern))[0] == expected
        ), pattern
        assert strings.count_regex_mismatches(array, pattern)[0] == expected, pattern
    assert (
        strings.simple_pattern("^[^0-9]+$") is None and strings.simple_pattern("id-[0-9]+") is None
    )


@pytest.mark.parametrize("width", [1, 4, 11, 12, 20])
def test_fixed_width_byte_class_kernel_agrees_with_python_re(width):
    """Strings of one byte width take the 8-bytes-at-a-time class test: every ASCII edge of the
    classes, non-ASCII and NUL bytes must decide as `re` does."""
    import random
    import re

    import pyarrow as pa

    from mlops_tasks.validation import strings

    rng = random.Random(width)
    alphabet = list("0123456789aZz-_/:@[`{~ ") + ["\x7f", "\x00", "\n"]
    heads = ["id-", "a", "x-", "", "I"]
    values = [rng.choice(heads) + "".join(rng.choices(alphabet, k=width)) for _ in range(4000)]
    values = [v[:width] if len(v) > width else v for v in values]
    values = [v for v in values if len(v) == width] + ["é" * (width // 2)] * (width % 2 == 0)
    values = [v for v in values if len(v.encode()) == width]
    array = pa.chunked_array([values], type=pa.string())
    assert strings._Chunk.of(array.chunks[0]).width == width  # the fixed-width path
    present = [(i, v) for i, v in enumerate(values) if v is not None]
    for pattern in (r"^id-[0-9]+$", r"^[0-9]*$", r"^a[a-zA-Z_]+$", r"^[-/:@]+$", r"^x-[ -~]*$"):
        simple = strings.simple_pattern(pattern)
        assert simple is not None, pattern
        failing = [i for i, v in present if not re.search(pattern[:-1] + r"\Z", v)]
        count, first = strings.count_simple_mismatches(array, simple, sample=10**6)
        assert (count, first) == (len(failing), failing), pattern


def test_categorical_allowed_and_regex_check_categories_not_rows():
    frame = pd.DataFrame(
        {"c": pd.Categorical(["a", "b", "zz", None, "a"], categories=["a", "b", "zz", "unused"])}
    )
    got = check(
        frame,
        {"rule": "allowed", "column": "c", "values": ["a", "b"]},
        {"rule": "regex", "column": "c", "pattern": "^[ab]$"},
    )
    assert got["allowed:c"].failing_rows == 1 and got["allowed:c"].samples == [
        {"row": 2, "c": "zz"}
    ]
    assert got["regex:c"].failing_rows == 1


def test_freshness_and_references(settings):
    ctx = TaskContext(settings)
    customers = ctx.write_dataframe(pd.DataFrame({"customer_id": [1, 2, 3]}))
    frame = pd.DataFrame(
        {
            "customer": [1, 2, 7, None, 3],
            "at": pd.to_datetime(
                ["2026-01-01", "2026-01-02", "2026-01-03", None, "2026-01-01 06:00"],
                format="ISO8601",
            ),
        }
    )
    dataset = ctx.write_dataframe(frame)
    rules = [
        {
            "rule": "references",
            "column": "customer",
            "dataset": customers,
            "dataset_column": "customer_id",
        },
        {
            "rule": "freshness",
            "column": "at",
            "max_age": "2d",
            "now": "2026-01-04T12:00:00Z",
            "severity": "warn",
        },
        {
            "rule": "freshness",
            "column": "at",
            "max_age": "36h",
            "now": "2026-01-04T06:00:00+00:00",
            "name": "fresh_enough",
        },
    ]
    with pytest.raises(CheckFailedError) as info:
        run_task("validate", {"dataset": dataset, "rules": rules}, settings=settings)
    report = {r["id"]: r for r in ctx.read_json(info.value.result.report)["rules"]}
    assert report["references:customer"]["failing_rows"] == 1
    assert report["references:customer"]["samples"] == [{"row": 2, "customer": 7.0}]
    assert (
        report["freshness:at"]["passed"]
        and report["freshness:at"]["observed"]["latest"] == "2026-01-03T00:00:00"
    )
    assert report["fresh_enough"]["passed"]
    late = {
        "rule": "freshness",
        "column": "at",
        "max_age": "1d",
        "now": datetime(2026, 1, 9, tzinfo=timezone.utc),
    }
    assert "is 144 h old; at most 24 h allowed" in check(frame, late)["freshness:at"].message


def test_inline_rule_typos_are_config_errors_naming_the_rule(settings):
    dataset = TaskContext(settings).write_dataframe(pd.DataFrame({"x": [1]}))
    with pytest.raises(
        ConfigError, match=r"rules\[0\]: unknown rule 'rnage'; did you mean 'range'\?"
    ):
        run_task(
            "validate",
            {"dataset": dataset, "rules": [{"rule": "rnage", "column": "x"}]},
            settings=settings,
        )
    with pytest.raises(ConfigError, match="give a contract, rules, or both"):
        run_task("validate", {"dataset": dataset}, settings=settings)
    with pytest.raises(ConfigError, match="give either dataset or source"):
        run_task("validate", {"rules": [{"rule": "row_count", "min": 1}]}, settings=settings)


@pytest.mark.parametrize("order", ["sorted", "nearly", "spike", "shuffled"])
@pytest.mark.parametrize("nulls", [False, True])
def test_id_kernels_agree_with_pandas_in_any_order_with_nulls(order, nulls):
    """Fixed-width ids, in order or not, with nulls or not, in one chunk or three: the duplicate
    count and the byte-class check equal pandas' and `re`'s, rows and all."""
    import re

    import pyarrow as pa

    from mlops_tasks.validation import strings

    rng = np.random.default_rng(len(order) + nulls)
    n = 200_000  # past the 64k block, so block edges are crossed
    ids = [f"id-{i:08d}" for i in range(n)]
    if order == "shuffled":
        ids = [ids[i] for i in rng.permutation(n)]
    if order in ("nearly", "spike", "shuffled"):
        for dup, orig in ((5, 3), (9, 4), (11, 4), (70_000, 69_999), (n - 1, 0), (65_536, 10)):
            ids[dup] = ids[orig]
        ids[7] = "ID-00000007"
        ids[65_535] = ids[65_535].replace("id", "i_")  # a dip on a block's last row
    if order == "spike":
        ids[100] = "id-99999999"  # one row too large: not "in order but for dips"
    values = [None if nulls and i % 997 in (0, 5) else v for i, v in enumerate(ids)]
    expected_dups = pd.Series(values).pipe(lambda s: s.duplicated() & s.notna())
    expected = np.flatnonzero(expected_dups.to_numpy())
    pattern = r"^id-[0-9]+$"
    bad = [i for i, v in enumerate(values) if v is not None and not re.search(r"^id-[0-9]+\Z", v)]
    for array in (
        pa.chunked_array([values], type=pa.string()),
        pa.chunked_array([values[:1000], values[1000:150_001], values[150_001:]], type=pa.string()),
    ):
        view, rows = strings._Chunk.of(array.chunks[0]).present()
        assert view.width == 11 and (rows is not None) == nulls  # the fixed-width path
        if len(array.chunks) == 1:  # ids in order but for dips skip the hash sort
            in_order = strings._ordered_suspects(view) is not None
            assert in_order == (order in ("sorted", "nearly"))
        count, first = strings.count_duplicates(array, sample=10**6)
        assert (count, first) == (len(expected), expected.tolist())
        count, first = strings.count_simple_mismatches(
            array, strings.simple_pattern(pattern), sample=10**6
        )
        assert (count, first) == (len(bad), bad)


@pytest.mark.parametrize("dtype", ["int64", "Int64", "float64"])
def test_unique_on_numeric_ids_in_order_or_not_with_nulls_matches_pandas(dtype):
    """An id column in order takes the no-sort path (repeats are neighbours); with nulls
    (masked Int64, NaN floats) or out of order, the counts and sample rows equal pandas'."""
    rng = np.random.default_rng(3)
    ids = np.arange(5_000) * 3
    ids[[10, 11, 400]] = ids[[9, 9, 399]]  # repeats, still in order
    shuffled = rng.permutation(ids)
    for values in (ids, shuffled):
        series = pd.Series(values, dtype=dtype)
        if dtype != "int64":
            series[[0, 12, 4_000]] = None
        frame = pd.DataFrame({"id": series})
        (outcome,) = validate_frame(
            frame, [parse_rule({"rule": "unique", "column": "id"})], sample_rows=10
        )
        expected = np.flatnonzero((series.duplicated() & series.notna()).to_numpy())
        assert outcome.failing_rows == len(expected) == 3
        assert [s["row"] for s in outcome.samples] == expected.tolist()


@pytest.mark.parametrize("inclusive", [True, False])
def test_blocked_numeric_kernels_match_pandas_across_blocks(inclusive):
    """range, not_null and allowed counted block by block (200k rows: several 64k blocks, the
    offenders late) give pandas' counts and first rows, NaN and inf included."""
    rng = np.random.default_rng(int(inclusive))
    n = 200_000
    x = rng.uniform(0, 10, n)
    x[rng.choice(n, 500, replace=False)] = np.nan
    x[[150_000, 150_001, 199_999]] = [np.inf, -np.inf, 10.0]
    i = rng.integers(0, 10, n)
    i[[70_000, 190_000]] = [-3, 99]
    cat = pd.Categorical.from_codes(rng.integers(0, 3, n), categories=["a", "b", "zz"])
    frame = pd.DataFrame({"x": x, "i": i, "cat": cat})
    rules = [
        parse_rule({"rule": "range", "column": "x", "min": 0, "max": 10, "inclusive": inclusive}),
        parse_rule({"rule": "range", "column": "i", "min": 0, "max": 9, "inclusive": inclusive}),
        parse_rule({"rule": "not_null", "column": "x"}),
        parse_rule({"rule": "allowed", "column": "cat", "values": ["a", "b"]}),
    ]
    outcomes = validate_frame(frame, rules, sample_rows=7)
    s = frame["x"]
    outside_x = (s < 0) | (s > 10) if inclusive else (s <= 0) | (s >= 10)
    outside_i = (frame.i < 0) | (frame.i > 9) if inclusive else (frame.i <= 0) | (frame.i >= 9)
    expected = [outside_x, outside_i, s.isna(), frame["cat"] == "zz"]
    for outcome, mask in zip(outcomes, expected):
        rows = np.flatnonzero(mask.to_numpy())
        assert outcome.failing_rows == len(rows), outcome.id
        assert [r["row"] for r in outcome.samples] == rows[:7].tolist(), outcome.id


def test_blocked_float_stats_and_mean_match_pandas():
    """Min, max and mean of float columns over several blocks (the last one short), one clean,
    one with an inf, one with NaN in some blocks only (the stats switch between the NaN-free and
    the NaN-counting pass): equal to pandas'."""
    rng = np.random.default_rng(5)
    x = rng.normal(50, 20, 200_001)
    y = x.copy()
    y[123_456] = np.inf
    z = x.copy()
    z[[3, 70_000, 70_001, 140_000]] = np.nan  # blocks 0, 1 and 2 hold NaN, block 3 does not
    z[150_000] = -1e6
    frame = pd.DataFrame({"x": x, "y": y, "z": z})
    rules = [
        parse_rule({"rule": "range", "column": "x", "min": -1e9, "max": 1e9}),
        parse_rule({"rule": "mean_between", "column": "x", "min": 49.9, "max": 50.1}),
        parse_rule({"rule": "mean_between", "column": "y", "min": 0, "max": 100}),
        parse_rule({"rule": "range", "column": "z", "min": -1e5, "max": z[200_000] - 1e-9}),
        parse_rule({"rule": "not_null", "column": "z"}),
    ]
    outcomes = validate_frame(frame, rules)
    zs = frame["z"]
    assert outcomes[3].observed == {"min": zs.min(), "max": zs.max()}
    assert outcomes[3].failing_rows == int(((zs < -1e5) | (zs > z[200_000] - 1e-9)).sum()) >= 2
    assert outcomes[4].failing_rows == 4
    assert outcomes[1].observed["mean"] == pytest.approx(frame["x"].mean(), rel=1e-13, abs=0)
    finite = np.isfinite(y)
    assert outcomes[2].observed["mean"] == pytest.approx(y[finite].mean(), rel=1e-13, abs=0)
    assert [o.passed for o in outcomes[:3]] == [True, 49.9 <= frame["x"].mean() <= 50.1, True]
