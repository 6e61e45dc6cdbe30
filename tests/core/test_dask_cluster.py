"""Profile and drift over partitioned Parquet on a real two-worker dask LocalCluster: the single-process verdicts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")

from mlops_tasks.dask_cluster import parquet_parts, profile_parquet, summarize_parquet  # noqa: E402
from mlops_tasks.errors import SourceNotFoundError  # noqa: E402
from mlops_tasks.monitoring import detect_drift, fit_reference  # noqa: E402

METHODS = ("auto", "psi", "ks", "wasserstein", "chi2")


@pytest.fixture(scope="module")
def client():
    # Workers as threads of this process (a real scheduler and two workers, tasks and results
    # through them): process workers take 10-20 s to start on a busy CI box; bench/dask.py
    # runs them as processes.
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def _frame(seed: int, n: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x": rng.normal(shift, 1 + shift, n),
            "ints": rng.integers(0, 30, n),
            "c": rng.choice(list("abcd") + (["e"] if shift else []), n),
        }
    )
    frame.loc[: n // 50, "x"] = np.nan
    return frame


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    folder = tmp_path_factory.mktemp("events")
    current = _frame(2, 12_000, shift=0.3)
    for i, part in enumerate(np.array_split(np.arange(len(current)), 5)):
        sub = folder / f"day={i}"
        sub.mkdir()
        current.iloc[part].to_parquet(sub / "part-0.parquet", index=False)
    return folder, current


def test_parts_of_a_folder_a_glob_and_nothing(dataset, tmp_path):
    folder, _ = dataset
    parts = parquet_parts(str(folder))
    assert len(parts) == 5 and parts == sorted(parts)
    assert parquet_parts(str(folder / "day=*" / "*.parquet")) == parts
    with pytest.raises(SourceNotFoundError):
        parquet_parts(str(tmp_path / "nothing"))


def test_drift_on_the_cluster_equals_in_memory(client, dataset):
    folder, current = dataset
    reference = fit_reference(_frame(1, 10_000), sketch=300)
    summaries = summarize_parquet(reference, str(folder), client=client)
    local = summarize_parquet(reference, str(folder))
    for method in METHODS:
        memory = detect_drift(reference, current, method=method).to_dict()
        cluster = detect_drift(reference, summaries, method=method).to_dict()
        assert detect_drift(reference, local, method=method).to_dict() == cluster
        assert cluster["current_rows"] == memory["current_rows"] == len(current)
        for a, b in zip(memory["columns"], cluster["columns"]):
            assert (a["column"], a["method"], a["drifted"]) == (
                b["column"],
                b["method"],
                b["drifted"],
            )
            assert b["statistic"] == pytest.approx(a["statistic"], rel=1e-9, abs=1e-12)
    assert "x" in detect_drift(reference, summaries, method="psi").drifted_columns


def test_profile_on_the_cluster_equals_the_local_pass(client, dataset):
    import pyarrow as pa

    from mlops_tasks.profiling import profile_table

    folder, current = dataset
    cluster = profile_parquet(str(folder), client=client)
    assert cluster == profile_parquet(str(folder))  # which worker ran what changes nothing
    whole = profile_table(pa.Table.from_pandas(current, preserve_index=False))
    for name in current.columns:
        for key in ("count", "nulls", "min", "max", "distinct"):
            if key in whole[name]:
                assert cluster[name][key] == whole[name][key], (name, key)
        if "mean" in whole[name]:
            assert cluster[name]["mean"] == pytest.approx(whole[name]["mean"], rel=1e-12)


@pytest.fixture(scope="module")
def events(tmp_path_factory):
    """Five partitions whose keys repeat within and across partitions, with nulls, outliers and a bad code."""
    rng = np.random.default_rng(7)
    n = 6_000
    frame = pd.DataFrame(
        {
            "id": pd.array([f"e{i}" for i in rng.integers(0, 5_500, n)], dtype="str"),
            "user": rng.integers(0, 400, n),
            "day": rng.integers(0, 20, n),
            "amount": rng.normal(50, 20, n),
            "code": rng.choice(["ok", "retry", "fail", "BAD!"], n, p=[0.7, 0.2, 0.0995, 0.0005]),
        }
    )
    frame.loc[rng.choice(n, 30, replace=False), "amount"] = np.nan
    frame.loc[rng.choice(n, 7, replace=False), "id"] = None
    folder = tmp_path_factory.mktemp("validate")
    for i, part in enumerate(np.array_split(np.arange(n), 5)):
        frame.iloc[part].to_parquet(folder / f"part-{i}.parquet", index=False)
    return folder, frame


def test_validate_on_the_cluster_equals_in_memory(client, events):
    from mlops_tasks.dask_cluster import validate_parquet
    from mlops_tasks.validation.pandas_engine import validate_frame
    from mlops_tasks.validation.rules import parse_rule

    folder, frame = events
    rules = [
        parse_rule(rule)
        for rule in (
            {"rule": "unique", "column": "id"},
            {"rule": "unique", "columns": ["user", "day"]},
            {"rule": "unique", "column": "amount"},
            {"rule": "unique", "column": "missing_column"},
            {"rule": "not_null", "column": "amount", "max_fraction": 0.001},
            {"rule": "not_null", "column": "id"},
            {"rule": "range", "column": "amount", "min": 0, "max": 100},
            {"rule": "allowed", "column": "code", "values": ["ok", "retry", "fail"]},
            {"rule": "regex", "column": "id", "pattern": "^e[0-9]+$"},
            {"rule": "regex", "column": "user", "pattern": "^x"},
            {"rule": "mean_between", "column": "amount", "min": 49, "max": 51},
            {"rule": "dtype", "column": "user", "dtype": "int"},
            {"rule": "row_count", "min": 10_000},
            {"rule": "required_columns", "columns": ["id", "nope"]},
        )
    ]
    memory = [o.model_dump() for o in validate_frame(frame.reset_index(drop=True), rules)]
    for kwargs in ({"client": client}, {}):
        rows, outcomes = validate_parquet(str(folder), rules, buckets=3, **kwargs)
        assert rows == len(frame)
        for a, b in zip(memory, (o.model_dump() for o in outcomes)):
            a = {**a, "observed": dict(a["observed"])}
            mean_a, mean_b = a["observed"].pop("mean", 0), b["observed"].pop("mean", 0)
            assert mean_b == pytest.approx(mean_a, rel=1e-12)  # re-weighted partition means
            assert a == b
    failing = {o["id"]: o["failing_rows"] for o in memory if not o["passed"]}
    # The keys repeat across partitions, not only within them: the shuffle is what finds them.
    assert failing["unique:id"] > 0 and failing["unique:user,day"] > 0
    assert {"allowed:code", "range:amount", "not_null:id", "row_count"} <= set(failing)


def test_the_validate_task_dispatches_to_the_cluster(client, events, settings):
    from mlops_tasks.errors import CheckFailedError
    from mlops_tasks.runtime import run_task

    folder, frame = events
    rules = [
        {"rule": "unique", "column": "id", "severity": "warn"},
        {"rule": "allowed", "column": "code", "values": ["ok", "retry", "fail"]},
        {"rule": "row_count", "min": 1},
    ]
    config = {"parquet": str(folder), "dask_address": client.scheduler.address, "rules": rules}
    with pytest.raises(CheckFailedError) as info:
        run_task("validate", config, settings=settings)
    result = info.value.result
    assert result.rows == len(frame) and result.failing_rules == ["unique:id", "allowed:code"]
    assert result.errors == 1 and result.warnings == 1
