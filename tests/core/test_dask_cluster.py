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
