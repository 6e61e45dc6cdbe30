"""A user's own dataset through the example DAGs from one config file, under Airflow.

The test writes a `;`-separated CSV it generates (a date column, a leaking column, a drifting
yes-rate) and a config file, and runs the unmodified example DAGs with ``dag.test()`` and that
file as their `config` param: training makes a champion, a bad estimator (a param over the
file) is rejected by the gate and not promoted, monitoring sees the drift between the years.
"""

from __future__ import annotations

import os
from pathlib import Path

from own_data import write_own_data

from mlops_tasks.metadata import MetadataStore
from mlops_tasks.models.registry import ModelRegistry

DAGS = Path(__file__).resolve().parents[2] / "dags"


def load(load_dag, name: str, dag_id: str):
    link = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"]) / name
    if not link.exists():
        link.symlink_to(DAGS / name)
    return load_dag(name, dag_id)


def states(dag_run) -> dict[str, str]:
    return {ti.task_id: ti.state for ti in dag_run.get_task_instances()}


def test_own_data_from_a_config_file_under_airflow(airflow_db, stores, load_dag, tmp_path):
    config = str(write_own_data(tmp_path / "mine"))
    training = load(load_dag, "example_airflow_training.py", "mlops_tasks_training")
    md = MetadataStore(stores.database_url)
    registry = ModelRegistry(md)

    first = training.test(run_conf={"config": config})
    got = states(first)
    assert first.state == "success", got
    assert got["promote"] == "success" and got["keep_champion"] == "skipped"
    [extracted] = md.runs(task="extract")
    result = extracted["result"]
    # Read as its columns (the file is ';'-separated), only 2008's rows (the training window).
    assert "balance" in result["columns"] and result["rows"] == 600
    [trained] = md.runs(task="train")
    assert trained["result"]["features"] and "duration" not in str(trained["result"]["features"])
    assert registry.get("campaign@champion").version == 1

    bad = training.test(
        run_conf={"config": config, "estimator": "sklearn.dummy.DummyClassifier", "params": {}}
    )
    got = states(bad)
    assert bad.state == "success", got
    assert got["gate"] == "success" and got["promote"] == "skipped"
    gate = md.runs(task="gate")[0]["result"]
    assert gate["decision"] == "reject" and any(
        "roc_auc = 0.5000 fails" in r for r in gate["reasons"]
    )
    assert registry.get("campaign@champion").version == 1
    assert registry.get("campaign@challenger").version == 2

    monitoring = load(load_dag, "example_airflow_monitoring.py", "mlops_tasks_monitoring")
    run = monitoring.test(run_conf={"config": config})
    assert run.state == "success", states(run)
    drift = md.runs(task="detect_drift")[0]["result"]
    assert drift["dataset_drift"] and drift["share"] >= 0.6
    assert {"y", "balance"} <= set(drift["drifted_columns"])
    assert not {"date", "duration"} & set(drift["statistics"])  # time and leak left out
    decision = md.runs(task="decide_retraining")[0]["result"]
    assert decision["retrain"] and decision["model"] == "campaign"
