"""Real DAG runs (``dag.test()``, which also serialises the DAGs folder to Airflow's DB), checked
against the lineage the mlops-tasks metadata store recorded."""

from __future__ import annotations

import json
from pathlib import Path

from mlops_tasks.metadata import MetadataStore

EXAMPLE = ("example_airflow_extract_profile.py", "mlops_tasks_extract_profile")


def task_states(dag_run) -> dict[str, tuple[str, int]]:
    return {
        (ti.task_id, ti.map_index): (ti.state, ti.try_number) for ti in dag_run.get_task_instances()
    }


def _local(uri: str) -> Path:
    """The file behind a file:// URI, links resolved (shared data may be reached through one)."""
    return Path(uri.removeprefix("file://")).resolve()


def assert_extract_profile_lineage(store: MetadataStore, dag_run, source: Path) -> None:
    runs = {r["task"]: r for r in store.runs()}
    assert set(runs) == {"extract", "profile"}
    for name, run in runs.items():
        assert run["status"] == "succeeded"
        assert (run["engine"], run["dag_id"], run["run_id"]) == (
            "airflow",
            dag_run.dag_id,
            dag_run.run_id,
        )
        assert (run["task_id"], run["map_index"], run["try_number"]) == (name, None, 1)

    extract = {
        (e["direction"], e["name"]): e["artifact"] for e in store.events(runs["extract"]["id"])
    }
    profile = {
        (e["direction"], e["name"]): e["artifact"] for e in store.events(runs["profile"]["id"])
    }
    assert set(extract) == {("input", "source"), ("output", "dataset")}
    assert set(profile) == {("input", "dataset"), ("output", "profile")}
    # The source file is an input of extract ...
    assert _local(extract["input", "source"].uri) == source
    assert extract["input", "source"].size == source.stat().st_size
    # ... and what extract wrote is exactly what profile read (through XCom).
    assert profile["input", "dataset"] == extract["output", "dataset"]
    assert runs["profile"]["config"]["dataset"]["sha256"] == extract["output", "dataset"].sha256
    assert runs["extract"]["result"]["rows"] == runs["profile"]["result"]["rows"] == 731

    # Walking back from the profile reaches the CSV.
    upstream = store.lineage(profile["output", "profile"].uri)["upstream"]
    [profile_step] = upstream
    [dataset] = profile_step["artifacts"]
    [extract_step] = dataset["next"]
    assert extract_step["execution"]["task_id"] == "extract"
    assert [_local(a["artifact"]["uri"]) for a in extract_step["artifacts"]] == [source]


def test_example_dag_runs_and_records_lineage(airflow_db, stores, load_dag, bike_csv):
    # No MLOPS_TASKS_EXAMPLE_SOURCE: the DAG finds the shared CSV from its own location.
    dag = load_dag(*EXAMPLE)
    assert dag.schedule is None
    assert not dag.catchup and "mlops-tasks" in dag.tags and dag.doc_md
    dag_run = dag.test()

    assert dag_run.state == "success", task_states(dag_run)
    assert task_states(dag_run) == {
        ("extract", -1): ("success", 1),
        ("profile", -1): ("success", 1),
    }
    assert_extract_profile_lineage(MetadataStore(stores.database_url), dag_run, bike_csv.resolve())
    assert list(Path(stores.artifact_root).glob("dataset/*/*.parquet"))
    assert list(Path(stores.artifact_root).glob("profile/*/*.json"))


def test_the_connection_decides_where_the_stores_are(
    airflow_db, stores, set_connection, load_dag, bike_csv, tmp_path
):
    conn_db, conn_root = tmp_path / "from-connection.db", tmp_path / "from-connection-artifacts"
    set_connection(host=f"sqlite:///{conn_db}", extra={"artifact_root": str(conn_root)})
    dag_run = load_dag(*EXAMPLE).test()

    assert dag_run.state == "success", task_states(dag_run)
    assert_extract_profile_lineage(
        MetadataStore(f"sqlite:///{conn_db}"), dag_run, bike_csv.resolve()
    )
    assert list(conn_root.glob("dataset/*/*.parquet"))
    # The environment's stores, which the connection overrides, were not touched.
    assert not Path(stores.database_url.removeprefix("sqlite:///")).exists()
    assert not Path(stores.artifact_root).exists()


def test_invalid_config_fails_the_task_without_retrying(
    airflow_db, stores, load_dag, bike_csv, capfd
):
    dag = load_dag("mlops_tasks_test_bad_config.py", "mlops_tasks_test_bad_config")
    assert dag.task_dict["extract"].retries == 3
    dag_run = dag.test()

    assert dag_run.state == "failed"
    # One try, failed: not up_for_retry, although three retries were allowed.
    assert task_states(dag_run) == {("extract", -1): ("failed", 1)}
    logs = capfd.readouterr()
    assert "AirflowFailException" in logs.out + logs.err
    assert (
        "invalid config for task 'extract': chunk_rows: Input should be greater than 0"
        in logs.out + logs.err
    )
    assert MetadataStore(stores.database_url).runs() == []


def test_mapped_operators_record_their_map_index(
    airflow_db, stores, load_dag, bike_csv, tmp_path, monkeypatch
):
    head = tmp_path / "head.csv"
    head.write_text("".join(bike_csv.read_text().splitlines(keepends=True)[:11]))
    monkeypatch.setenv("MLOPS_TASKS_TEST_SOURCES", json.dumps([str(bike_csv), str(head)]))
    dag_run = load_dag("mlops_tasks_test_mapped.py", "mlops_tasks_test_mapped").test()

    assert dag_run.state == "success", task_states(dag_run)
    runs = MetadataStore(stores.database_url).runs()
    got = sorted((r["task"], r["map_index"], r["result"]["rows"]) for r in runs)
    assert got == [("extract", 0, 731), ("extract", 1, 10), ("profile", 0, 731), ("profile", 1, 10)]
