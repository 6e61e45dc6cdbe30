"""The training DAG, run twice for real with dag.test(): the first run makes the champion, the second gates a challenger.

Between extract and prepare, `validate` checks the data against `dags/contracts/bike_sharing.yaml`;
data that breaks the contract fails the run there, before anything is trained.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from mlops_tasks.artifacts import ArtifactStore
from mlops_tasks.metadata import MetadataStore
from mlops_tasks.models.registry import ModelNotFoundError, ModelRegistry

DAG_FILE = Path(__file__).resolve().parents[2] / "dags" / "example_airflow_training.py"


def states(dag_run) -> dict[str, str]:
    return {ti.task_id: ti.state for ti in dag_run.get_task_instances()}


def training_dag(load_dag):
    link = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"]) / DAG_FILE.name
    if not link.exists():
        link.symlink_to(DAG_FILE)
    return load_dag(DAG_FILE.name, "mlops_tasks_training")


def inputs(md: MetadataStore, execution_id: int) -> dict[str, dict]:
    return {e["name"]: e["artifact"] for e in md.events(execution_id) if e["direction"] == "input"}


def outputs(md: MetadataStore, execution_id: int) -> dict[str, dict]:
    return {e["name"]: e["artifact"] for e in md.events(execution_id) if e["direction"] == "output"}


def test_training_dag_twice_champion_then_gated_challenger(airflow_db, stores, load_dag, bike_csv):
    dag = training_dag(load_dag)

    first = dag.test()
    got = states(first)
    assert first.state == "success", got
    assert got["validate"] == "success"
    assert got["promote"] == "success" and got["keep_champion"] == "skipped"
    registry = ModelRegistry(MetadataStore(stores.database_url))
    champion = registry.get("bike_demand@champion")
    assert champion.version == 1 and champion.tags == {"gate": "promote"}

    # The validation is in the lineage: extract's dataset -> validate -> its report, and
    # prepare reads that very dataset.
    md = MetadataStore(stores.database_url)
    [extracted] = md.runs(task="extract")
    [validated] = md.runs(task="validate")
    [prepared] = md.runs(task="prepare")
    assert validated["status"] == "succeeded" and validated["run_id"] == first.run_id
    dataset = outputs(md, extracted["id"])["dataset"]
    assert inputs(md, validated["id"]) == {"dataset": dataset}
    assert inputs(md, prepared["id"])["dataset"] == dataset
    report = outputs(md, validated["id"])["report"]
    assert report.kind == "validation" and report.metadata["passed"] is True
    result = md.execution(validated["id"])["result"]
    assert (
        result["passed"]
        and result["rows"] == 731
        and result["errors"] == 0
        and result["rules"] > 40
    )
    document = json.loads(ArtifactStore(stores.artifact_root).read_bytes(report))
    assert document["passed"] and {
        "row_count",
        "unique:dteday",
        "range:hum",
        "allowed:season",
        "not_null:cnt",
    } <= {r["id"] for r in document["rules"]}
    downstream = md.lineage(dataset.sha256)["downstream"]
    by_task = {step["execution"]["task"]: step for step in downstream}
    assert {"validate", "prepare"} <= set(by_task)
    assert [a["artifact"]["sha256"] for a in by_task["validate"]["artifacts"]] == [report.sha256]

    second = dag.test()
    got = states(second)
    assert second.state == "success", got
    # Same data, same seed: the candidate equals the champion, so it cannot improve MAE by 1%.
    assert (
        got["gate"] == "success"
        and got["promote"] == "skipped"
        and got["keep_champion"] == "success"
    )
    assert registry.get("bike_demand@champion").version == 1
    assert registry.get("bike_demand@challenger").version == 2
    audit = registry.audit("bike_demand")
    promoted = [e for e in audit if e["action"] == "promote"]
    assert (
        len(promoted) == 1
        and promoted[0]["dag_id"] == "mlops_tasks_training"
        and promoted[0]["run_id"] == first.run_id
    )
    gate_runs = MetadataStore(stores.database_url).runs(task="gate")
    assert [r["result"]["champion_version"] for r in gate_runs] == [1, None]
    assert [r["status"] for r in md.runs(task="validate")] == ["succeeded", "succeeded"]


def test_training_dag_stops_before_train_on_a_contract_violation(
    airflow_db, stores, load_dag, bike_csv, tmp_path, monkeypatch
):
    # The real data with one impossible humidity (normalised to [0, 1]) on the 10th day.
    with bike_csv.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows[9]["hum"] = "1.5"
    bad = tmp_path / "day_bad_humidity.csv"
    with bad.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    monkeypatch.setenv("MLOPS_TASKS_EXAMPLE_SOURCE", str(bad))
    dag = training_dag(load_dag)

    run = dag.test()
    got = states(run)
    assert run.state == "failed", got
    assert got["extract"] == "success" and got["validate"] == "failed"
    assert all(
        got[t] == "upstream_failed"
        for t in ("prepare", "train", "evaluate", "gate", "register", "promote")
    ), got

    md = MetadataStore(stores.database_url)
    assert md.runs(task="prepare") == [] and md.runs(task="train") == []
    [validated] = md.runs(task="validate")
    assert validated["status"] == "failed" and validated["error_type"] == "CheckFailedError"
    assert validated["try_number"] == 1  # not retried: the data will not change on another try
    assert (
        validated["result"]["failing_rules"] == ["range:hum"]
        and validated["result"]["passed"] is False
    )
    report = outputs(md, validated["id"])["report"]
    [failed] = [
        r
        for r in json.loads(ArtifactStore(stores.artifact_root).read_bytes(report))["rules"]
        if not r["passed"]
    ]
    assert (
        failed["id"] == "range:hum"
        and failed["failing_rows"] == 1
        and failed["samples"][0]["hum"] == 1.5
    )
    with pytest.raises(ModelNotFoundError):  # nothing registered either
        ModelRegistry(md).get("bike_demand@champion")
