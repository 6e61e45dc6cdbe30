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


# -- mergeable partials -------------------------------------------------------------------------


def _parts_frame(rows: int = 30_000) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    x = rng.normal(10, 3, rows)
    x[rng.integers(0, rows, 50)] = np.nan
    x[:3] = [np.inf, -np.inf, np.inf]
    return pd.DataFrame(
        {
            "x": x,
            "n": rng.integers(0, 5, rows),
            "c": pd.Series(
                rng.choice(["a", "b", "c", None], rows, p=[0.5, 0.3, 0.15, 0.05]), dtype=object
            ),
            "t": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 10_000, rows), unit="min"),
        }
    )


def _partial(series_arrow, seed):
    from mlops_tasks.profiling import ColumnPartial

    return ColumnPartial.of(series_arrow, seed=seed)


def test_merged_partials_equal_one_pass_and_merging_is_associative():
    import pyarrow as pa

    from mlops_tasks.profiling.sketches import QuantileSample

    frame = _parts_frame()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    a, b, c = table.slice(0, 7_000), table.slice(7_000, 13_000), table.slice(20_000)
    for name in ("x", "n", "c", "t"):
        whole = _partial(table.column(name), 0)
        pa_, pb, pc_ = (_partial(p.column(name), i + 1) for i, p in enumerate((a, b, c)))
        left, right = pa_.merge(pb).merge(pc_), pa_.merge(pb.merge(pc_))
        for merged in (left, right, pc_.merge(pa_).merge(pb)):
            assert (merged.count, merged.nulls, merged.finite, merged.non_finite) == (
                whole.count,
                whole.nulls,
                whole.finite,
                whole.non_finite,
            )
            assert (merged.min, merged.max) == (whole.min, whole.max)
            assert merged.counts == whole.counts  # exact value counts (categorical)
            assert np.array_equal(
                merged.hll.registers, whole.hll.registers
            )  # so `distinct` is identical
            if whole.finite:
                assert merged.mean == pytest.approx(whole.mean, rel=1e-12)
                assert merged.m2 == pytest.approx(whole.m2, rel=1e-9)  # Chan's parallel variance
    x = frame["x"][np.isfinite(frame["x"])]
    merged = (
        _partial(a.column("x"), 1)
        .merge(_partial(b.column("x"), 2))
        .merge(_partial(c.column("x"), 3))
    )
    assert merged.mean == pytest.approx(x.mean(), rel=1e-12)
    assert math.sqrt(merged.m2 / (merged.finite - 1)) == pytest.approx(x.std(), rel=1e-9)
    # Quantiles from the merged sample are within the DKW rank bound of the true ones.
    assert isinstance(merged.sample, QuantileSample) and len(merged.sample.values) == 8192
    bound = merged.sample.rank_error(delta=1e-6)
    for q in (0.05, 0.25, 0.5, 0.75, 0.95):
        rank = (x <= merged.sample.quantiles([q])[0]).mean()
        assert abs(rank - q) <= bound


def test_profile_of_partitions_equals_profile_of_their_concatenation(settings):
    import pyarrow as pa

    from mlops_tasks.profiling import profile_table

    frame = _parts_frame(12_000)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    one = profile_table(table.combine_chunks())
    parts = profile_table(
        pa.concat_tables([table.slice(0, 5_000), table.slice(5_000, 1), table.slice(5_001)])
    )
    assert (
        len(pa.concat_tables([table.slice(0, 5_000), table.slice(5_000)]).column("x").chunks) == 2
    )
    for name in frame.columns:
        exact = (
            "count",
            "nulls",
            "null_fraction",
            "non_finite",
            "min",
            "max",
            "distinct",
            "top",
            "top_other",
        )
        assert {k: one[name].get(k) for k in exact} == {k: parts[name].get(k) for k in exact}, name
    assert parts["x"]["mean"] == pytest.approx(one["x"]["mean"], rel=1e-12)
    assert parts["x"]["std"] == pytest.approx(one["x"]["std"], rel=1e-9)
    assert parts["x"]["distinct_exact"] is False and parts["n"]["distinct_exact"] is True
    for q, v in parts["x"]["quantiles"].items():
        assert (frame["x"][np.isfinite(frame["x"])] <= v).mean() == pytest.approx(
            float(q), abs=parts["x"]["quantile_rank_error"] * 1.5
        )


def test_histogram_has_quantile_edges_and_exact_counts(settings):
    values = np.random.default_rng(3).lognormal(size=20_000)
    doc = profile_of(settings, pd.DataFrame({"v": values}), bins=8)
    hist = doc["columns"]["v"]["histogram"]
    edges, counts = np.array(hist["edges"]), hist["counts"]
    assert edges[0] == values.min() and edges[-1] == values.max() and np.all(np.diff(edges) > 0)
    assert len(counts) == len(edges) - 1 == 8
    assert counts == np.histogram(values, edges)[0].tolist() and sum(counts) == 20_000
    assert max(counts) / min(counts) < 1.3  # quantile edges: about equal mass per bin
    discrete = profile_of(settings, pd.DataFrame({"d": [1, 1, 1, 2, 2, 3] * 10}))["columns"]["d"]
    assert (
        discrete["histogram"]["edges"] == [1.0, 2.0, 3.0]
        and sum(discrete["histogram"]["counts"]) == 60
    )
    assert discrete["top"] == [
        {"value": 1, "count": 30},
        {"value": 2, "count": 20},
        {"value": 3, "count": 10},
    ]


def test_distinct_estimate_of_a_large_column_is_within_the_sketch_error(settings):
    frame = pd.DataFrame({"id": np.arange(200_000) * 7, "s": [f"k{i}" for i in range(200_000)]})
    doc = profile_of(settings, frame)
    for name in ("id", "s"):
        stats = doc["columns"][name]
        assert stats["distinct_exact"] is False
        assert stats["distinct"] == pytest.approx(200_000, rel=0.03)  # 3.7 standard errors of 0.81%


def test_top_values_past_the_tracked_limit_are_flagged_inexact(settings, monkeypatch):
    from mlops_tasks.profiling import partials

    monkeypatch.setattr(partials, "TRACKED_VALUES", 50)
    values = ["common"] * 500 + [f"rare{i}" for i in range(300)]
    stats = profile_of(settings, pd.DataFrame({"s": values}))["columns"]["s"]
    assert stats["top"][0] == {"value": "common", "count": 500}
    assert stats["top_exact"] is False and stats["distinct_exact"] is False
    assert stats["distinct"] == pytest.approx(301, rel=0.03)


def test_empty_dataset_is_a_clear_error(settings):
    with pytest.raises(DataError, match="is empty"):
        profile_of(settings, pd.DataFrame({"a": pd.Series([], dtype="float64")}))


def test_profile_is_deterministic(settings):
    ctx = TaskContext(settings)
    dataset = ctx.write_dataframe(_parts_frame(20_000))
    first = run_task("profile", {"dataset": dataset}, settings=settings)
    second = run_task("profile", {"dataset": dataset}, settings=settings)
    assert first.profile.sha256 == second.profile.sha256


# -- SQL push-down (PostgreSQL, DuckDB) ---------------------------------------------------------


@pytest.fixture(params=["duckdb", "postgresql"])
def warehouse_url(request, tmp_path):
    if request.param == "duckdb":
        pytest.importorskip("duckdb_engine")
        return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    return request.getfixturevalue("pg_url")


def _sql_frame(n: int = 6000) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "k": np.arange(n),
            "x": rng.normal(size=n),
            "ints": rng.integers(0, 5, n),  # few values: exact counts and top values
            "wide": rng.integers(0, 3000, n),  # past the exact-distinct limit in memory
            "flag": rng.random(n) < 0.3,
            "city": rng.choice(["b", "a", "Z", "é", "c", "a b"], n),
            "tied": np.array(["b", "é", "a", "Z", "a b", "c"])[np.arange(n) % 6],  # all counts tie
            "ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**6, n), "s"),
            "empty": pd.Series([None] * n, dtype="float64"),
        }
    )
    frame.loc[::17, "x"] = None
    frame.loc[::23, "city"] = None
    return frame


def test_sql_profile_equals_the_in_memory_profile(warehouse_url):
    """Every statistic the in-memory path computes exactly is the same number when the table is
    profiled in the database (NaN and infinities included); its sketched distinct counts agree
    with the exact ones within the HyperLogLog's error."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import sqlalchemy as sa

    from mlops_tasks.profiling import profile_table
    from mlops_tasks.profiling.sql import profile_sql_table

    frame = _sql_frame()
    special = {1: "NaN", 2: "Infinity", 3: "-Infinity", 4: "NaN"}  # rows of k -> x
    engine = sa.create_engine(warehouse_url)
    with engine.begin() as conn:
        frame.to_sql("events", conn, index=False, chunksize=2000)
        for k, v in special.items():
            conn.exec_driver_sql(f"UPDATE events SET x = '{v}'::float8 WHERE k = {k}")
    engine.dispose()
    x = frame["x"].to_numpy(copy=True)
    for k, v in special.items():
        x[k] = float(v.lower())
    columns = {c: pa.array(frame[c]) for c in frame.columns}
    columns["x"] = pa.array(x, mask=frame["x"].isna().to_numpy())
    in_memory = profile_table(pa.table(columns), top_k=5, bins=8)
    rows, pushed = profile_sql_table(warehouse_url, "events", top_k=5, bins=8)
    assert rows == len(frame)
    assert pushed["x"]["non_finite"] == 4 and pushed["x"]["nulls"] == len(frame.x[::17])
    for name in frame.columns:
        memory, sql = in_memory[name], pushed[name]
        assert sql.keys() == memory.keys(), name
        for key, value in memory.items():
            if key == "type":
                continue
            if key in ("distinct", "distinct_exact") and not (
                memory["distinct_exact"] and sql["distinct_exact"]
            ):  # a sketch on one side: both within its error of the truth, exact ones equal
                truth = pc.count_distinct(columns[name], mode="only_valid").as_py()
                for side in (memory, sql):
                    assert side["distinct"] == pytest.approx(truth, rel=0.025), name
                    assert side["distinct"] == truth or not side["distinct_exact"], name
            elif key in ("mean", "std"):
                assert sql[key] == pytest.approx(value, rel=1e-9), (name, key)
            else:
                assert sql[key] == value, (name, key)
    # Ties go by code point, as in Python, whatever the database's collation: "Z" < "a" < "é".
    assert [t["value"] for t in pushed["tied"]["top"]] == ["Z", "a", "a b", "b", "c"]
    assert "top" in pushed["ints"] and "histogram" in pushed["ints"]  # numbers with few values


def test_sql_profile_of_a_large_table_samples_quantiles_within_their_bound(warehouse_url):
    import sqlalchemy as sa

    from mlops_tasks.profiling.sql import profile_sql_table

    n = 60_000
    x = np.random.default_rng(5).exponential(size=n)
    engine = sa.create_engine(warehouse_url)
    with engine.begin() as conn:
        pd.DataFrame({"x": x}).to_sql("big", conn, index=False, chunksize=20_000)
    engine.dispose()
    first = profile_sql_table(warehouse_url, "big")[1]["x"]
    again = profile_sql_table(warehouse_url, "big")[1]["x"]
    assert first == again  # the sample is seeded: the same table gives the same profile
    assert first["quantiles_exact"] is False and 0 < first["quantile_rank_error"] < 0.02
    for q, value in first["quantiles"].items():  # rank of each sampled quantile in the data
        assert abs((x < value).mean() - float(q)) <= first["quantile_rank_error"], q
    assert sum(first["histogram"]["counts"]) == n  # counted exactly on the sampled edges
    edges = np.array(first["histogram"]["edges"])
    assert first["histogram"]["counts"] == np.histogram(x, edges)[0].tolist()
    assert (first["min"], first["max"]) == (x.min(), x.max())


def test_profile_task_on_a_table_and_its_errors(settings, warehouse_url):
    import sqlalchemy as sa

    from mlops_tasks.errors import SourceNotFoundError

    engine = sa.create_engine(warehouse_url)
    with engine.begin() as conn:
        pd.DataFrame({"a": [1.0, None, 3.0], "s": ["u", "v", "u"]}).to_sql("t", conn, index=False)
        pd.DataFrame({"a": pd.Series([], dtype="float64")}).to_sql("nothing", conn, index=False)
    engine.dispose()
    result = run_task("profile", {"source": warehouse_url, "table": "t"}, settings=settings)
    assert (result.rows, result.columns, result.columns_with_nulls) == (3, 2, ["a"])
    doc = TaskContext(settings).read_json(result.profile)
    assert doc["table"] == "t" and doc["columns"]["a"]["mean"] == 2.0
    assert doc["columns"]["s"]["top"] == [{"value": "u", "count": 2}, {"value": "v", "count": 1}]
    with pytest.raises(DataError, match=r"\['zz'\] are not in table t"):
        run_task(
            "profile", {"source": warehouse_url, "table": "t", "columns": ["zz"]}, settings=settings
        )
    with pytest.raises(DataError, match="is empty"):
        run_task("profile", {"source": warehouse_url, "table": "nothing"}, settings=settings)
    with pytest.raises(SourceNotFoundError, match="no table 'absent'"):
        run_task("profile", {"source": warehouse_url, "table": "absent"}, settings=settings)
