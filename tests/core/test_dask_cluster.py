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


# -- fit_reference ----------------------------------------------------------------------------


def _training(n: int = 30_000) -> pd.DataFrame:
    """Columns that take each branch of the fit: continuous, ties, few values, constant, tiny, empty, text."""
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(
        {
            "x": rng.normal(0, 1, n),
            "ints": rng.integers(0, 30, n),
            "few": rng.integers(0, 4, n).astype(float),
            "heavy": np.where(rng.random(n) < 0.7, 0.0, rng.exponential(size=n)),
            "wide": np.concatenate([rng.normal(1e9, 1e-3, n // 2), -rng.pareto(1.5, n - n // 2)]),
            "const": np.full(n, 2.5),
            "tiny": np.where(np.arange(n) % 97 == 0, rng.normal(size=n), np.nan),
            "empty": np.full(n, np.nan),
            "c": rng.choice(list("abcd"), n),
            "flag": rng.random(n) < 0.3,
            "when": pd.date_range("2020", periods=n, freq="min"),
        }
    )
    frame.loc[::97, "x"] = np.nan
    frame.loc[::1001, "x"] = np.inf
    frame.loc[5, "few"] = np.nan
    return frame


@pytest.fixture(scope="module")
def training(tmp_path_factory):
    import pyarrow.parquet as pq

    folder = tmp_path_factory.mktemp("training")
    frame = _training()
    for i, part in enumerate(np.array_split(np.arange(len(frame)), 6)):
        frame.iloc[part].to_parquet(folder / f"part-{i}.parquet", index=False)
    return folder, pq.read_table(folder).to_pandas()  # as a task reads the whole dataset


def assert_same_reference(memory, partitioned) -> None:
    """Every count, edge, sketch point and category identical; mean and std from partition sums
    (and Wasserstein's calibration values, which divide by std) equal to the last bits."""
    a, b = memory.to_dict(), partitioned.to_dict()
    assert {k: v for k, v in a.items() if k != "columns"} == {
        k: v for k, v in b.items() if k != "columns"
    }
    assert sorted(a["columns"]) == sorted(b["columns"])  # stored JSON has sorted keys
    for name, col in a["columns"].items():
        other = dict(b["columns"][name])
        mine = dict(col)
        for key in ("mean", "std"):
            expected, got = mine.pop(key, None), other.pop(key, None)
            assert (got is None) == (expected is None), (name, key)
            if expected is not None:
                assert got == pytest.approx(expected, rel=1e-12, abs=1e-300), (name, key)
        if "wasserstein" in mine.get("calibration", {}):
            mine["calibration"] = dict(mine["calibration"])
            theirs = other["calibration"] = dict(other["calibration"])
            assert theirs.pop("wasserstein") == pytest.approx(
                mine["calibration"].pop("wasserstein"), rel=1e-9
            )
        assert mine == other, name


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"sketch": 0},
        {"sketch": 120, "bins": 7, "calibration_chunks": 6},
        {"numeric": ["few"], "categorical": ["ints"], "columns": ["few", "ints", "x"]},
    ],
    ids=["default", "no-sketch", "calibrated", "kinds-forced"],
)
def test_fit_reference_on_the_cluster_equals_in_memory(client, training, options):
    from mlops_tasks.dask_cluster import fit_reference_parquet

    folder, frame = training
    memory = fit_reference(frame, **options)
    cluster = fit_reference_parquet(str(folder), client=client, **options)
    assert_same_reference(memory, cluster)
    assert list(cluster.skipped) == ([] if "columns" in options else ["when"])  # a timestamp
    assert cluster.columns["few"].kind == ("numeric" if "numeric" in options else "categorical")
    assert_same_reference(memory, fit_reference_parquet(str(folder), **options))  # in order, here


def test_radix_select_finds_exact_order_statistics_with_ties_and_extremes():
    from mlops_tasks.monitoring import ranks

    rng = np.random.default_rng(11)
    huge = np.finfo(float).max
    parts = [
        np.array([-0.0, 0.0, -1e-300, 5e-324, -huge, huge, 3.0, 3.0]),
        rng.standard_cauchy(20_000),
        rng.integers(-3, 3, 50_000).astype(float),
        1.7e9 + rng.random(30_000) * 1e-3,  # 30k values within a few ulps' worth of bits
    ]
    s = np.sort(np.concatenate(parts))
    wanted = np.unique(np.concatenate([[0, len(s) - 1], rng.integers(0, len(s), 300)]))
    select, rounds = ranks.RankSelect(wanted, len(s)), 0
    keys = [ranks.float_keys(p) for p in parts]
    while not select.done:
        select.advance([ranks.tally(k, select.query()) for k in keys])
        rounds += 1
    assert rounds <= 5
    assert np.array_equal(select.values(), s[wanted])
    assert np.array_equal(select.lt, np.searchsorted(s, s[wanted], "left"))
    assert np.array_equal(select.le, np.searchsorted(s, s[wanted], "right"))
    assert np.array_equal(ranks.key_floats(ranks.float_keys(s)), s + 0.0)


# -- the tasks on a cluster -------------------------------------------------------------------


@pytest.fixture(scope="module")
def stored(tmp_path_factory, training, dataset, events):
    """The folders' data as single-file dataset artifacts, for the in-memory runs."""
    from mlops_tasks.runtime import run_task
    from mlops_tasks.settings import Settings

    root = tmp_path_factory.mktemp("store")
    settings = Settings(
        artifact_root=str(root / "artifacts"), metadata_url=f"sqlite:///{root / 'md.db'}"
    )
    refs = {}
    for name, frame in (("training", training[1]), ("current", dataset[1]), ("events", events[1])):
        frame.to_parquet(root / f"{name}.parquet", index=False)
        refs[name] = run_task(
            "extract", {"source": str(root / f"{name}.parquet")}, settings=settings
        ).dataset
    return settings, refs


def test_the_monitoring_tasks_on_the_cluster_equal_in_memory(client, training, dataset, stored):
    from mlops_tasks.context import TaskContext
    from mlops_tasks.monitoring.reference import Reference
    from mlops_tasks.runtime import run_task

    settings, refs = stored
    read = TaskContext(settings).read_json
    address = client.scheduler.address
    columns = ["x", "ints", "c"]
    fitted = {
        how: run_task(
            "fit_reference",
            {**source, "columns": columns, "calibration_chunks": 5},
            settings=settings,
        )
        for how, source in (
            ("memory", {"dataset": refs["training"]}),
            ("cluster", {"parquet": str(training[0]), "dask_address": address}),
        )
    }
    assert fitted["cluster"].rows == fitted["memory"].rows == len(training[1])
    assert fitted["cluster"].columns == fitted["memory"].columns == columns
    references = {how: Reference.from_dict(read(r.reference)) for how, r in fitted.items()}
    assert_same_reference(references["memory"], references["cluster"])

    # The drift data has the training columns x, ints, c: drift of the current folder against the reference.
    for method in ("psi", "ks", "auto"):
        config = {"reference": fitted["memory"].reference, "method": method}
        memory = run_task("detect_drift", {**config, "dataset": refs["current"]}, settings=settings)
        cluster = run_task(
            "detect_drift",
            {**config, "parquet": str(dataset[0]), "dask_address": address},
            settings=settings,
        )
        assert cluster.drifted_columns == memory.drifted_columns and cluster.share == memory.share
        assert cluster.current_rows == memory.current_rows == len(dataset[1])
        assert cluster.statistics == pytest.approx(memory.statistics, rel=1e-9)
    assert "x" in cluster.drifted_columns


def test_the_profile_task_on_the_cluster_equals_in_memory(client, events, stored):
    from mlops_tasks.context import TaskContext
    from mlops_tasks.errors import DataError
    from mlops_tasks.runtime import run_task

    settings, refs = stored
    read = TaskContext(settings).read_json
    folder, frame = events
    memory = run_task("profile", {"dataset": refs["events"]}, settings=settings)
    cluster = run_task(
        "profile",
        {"parquet": str(folder), "dask_address": client.scheduler.address},
        settings=settings,
    )
    assert (cluster.rows, cluster.columns, cluster.columns_with_nulls) == (
        memory.rows, memory.columns, memory.columns_with_nulls,
    )  # fmt: skip
    mine, theirs = read(memory.profile)["columns"], read(cluster.profile)["columns"]
    # 6,000 rows: every quantile sample holds the whole column, so quantiles and histogram
    # edges are exact; past 8,192 values they come from a uniform sample whose draw depends on
    # how the rows are split (the same error bound, other values).
    for name in frame.columns:
        a, b = dict(mine[name]), dict(theirs[name])
        for key in ("mean", "std"):
            if key in a:
                assert b.pop(key) == pytest.approx(a.pop(key), rel=1e-12), (name, key)
        assert a == b, name
    with pytest.raises(DataError, match="nope"):
        run_task("profile", {"parquet": str(folder), "columns": ["x", "nope"]}, settings=settings)


# -- s3:// ------------------------------------------------------------------------------------
@pytest.fixture
def s3_events(tmp_path, monkeypatch, dataset):
    """The drift folder's partitions on an S3 server (moto's server mode on 127.0.0.1), stopped by PID."""
    pytest.importorskip("moto")
    pytest.importorskip("s3fs")
    from deploy.daemons import Daemons, start_s3

    daemons = Daemons(tmp_path / "logs")
    try:
        server = start_s3(daemons, "lake")
        for name, value in server["env"].items():
            monkeypatch.setenv(name, value)
        s3 = server["client"]
        folder, _ = dataset
        for part in sorted(folder.glob("day=*/*.parquet")):
            s3.upload_file(str(part), "lake", f"events/{part.parent.name}/{part.name}")
        yield "s3://lake/events"
    finally:
        daemons.stop()


def test_fit_reference_task_over_s3_on_the_cluster(client, dataset, s3_events, settings):
    from mlops_tasks.context import TaskContext
    from mlops_tasks.dask_cluster import fit_reference_parquet, parquet_parts
    from mlops_tasks.monitoring.reference import Reference
    from mlops_tasks.runtime import run_task

    folder, current = dataset
    assert [p.rsplit("/", 2)[-2] for p in parquet_parts(s3_events)] == [
        f"day={i}" for i in range(5)
    ]
    config = {
        "parquet": s3_events,
        "dask_address": client.scheduler.address,
        "calibration_chunks": 0,  # calibration is tested above: here the reads over s3://
    }
    result = run_task("fit_reference", config, settings=settings)
    assert result.rows == len(current) and result.columns == ["x", "ints", "c"]
    fitted = Reference.from_dict(TaskContext(settings).read_json(result.reference))
    assert_same_reference(fit_reference(current.reset_index(drop=True)), fitted)
    assert_same_reference(fit_reference_parquet(str(folder)), fitted)
