"""A retried Airflow task whose first try failed after its write leaves one version, one artifact."""

from __future__ import annotations

from pathlib import Path

from mlops_tasks.metadata import MetadataStore
from mlops_tasks.models.registry import ModelRegistry


def test_a_retried_register_leaves_one_version_and_one_artifact(
    airflow_db, stores, load_dag, bike_csv, monkeypatch
):
    from mlops_tasks.runtime import run_task

    dataset = run_task("extract", {"source": str(bike_csv)}, settings=stores).dataset
    model = run_task(
        "train", {"dataset": dataset, "target": "cnt", "estimator": "sklearn.linear_model.Ridge",
                  "drop": ["instant", "casual", "registered", "dteday"]}, settings=stores,
    ).model  # fmt: skip
    monkeypatch.setenv("MLOPS_TASKS_TEST_MODEL_REF", model.model_dump_json())
    dag = load_dag("mlops_tasks_test_retry.py", "mlops_tasks_test_retry")
    dag_run = dag.test()

    states = {ti.task_id: (ti.state, ti.try_number) for ti in dag_run.get_task_instances()}
    assert dag_run.state == "success"
    assert states["register"] == ("success", 2)  # the first try failed, the retry passed
    store = MetadataStore(stores.database_url)
    registers = store.runs(task="register")
    assert [(r["try_number"], r["result"]["version"]) for r in registers] == [(2, 1), (1, 1)]
    assert [v.version for v in ModelRegistry(store).versions("bikes")] == [1]
    models = [p for p in (Path(stores.artifact_root) / "model").rglob("*") if p.is_file()]
    assert len(models) == 1
