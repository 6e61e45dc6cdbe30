"""The training DAG, run twice for real with dag.test(): the first run makes the champion, the second gates a challenger."""

from __future__ import annotations

import os
from pathlib import Path

from mlops_tasks.metadata import MetadataStore
from mlops_tasks.models.registry import ModelRegistry

DAG_FILE = Path(__file__).resolve().parents[2] / "dags" / "example_airflow_training.py"


def states(dag_run) -> dict[str, str]:
    return {ti.task_id: ti.state for ti in dag_run.get_task_instances()}


def test_training_dag_twice_champion_then_gated_challenger(airflow_db, stores, load_dag, bike_csv):
    link = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"]) / DAG_FILE.name
    if not link.exists():
        link.symlink_to(DAG_FILE)
    dag = load_dag(DAG_FILE.name, "mlops_tasks_training")

    first = dag.test()
    got = states(first)
    assert first.state == "success", got
    assert got["promote"] == "success" and got["keep_champion"] == "skipped"
    registry = ModelRegistry(MetadataStore(stores.database_url))
    champion = registry.get("bike_demand@champion")
    assert champion.version == 1 and champion.tags == {"gate": "promote"}

    second = dag.test()
    got = states(second)
    assert second.state == "success", got
    # Same data, same seed: the candidate equals the champion, so it cannot improve MAE by 1%.
    assert got["gate"] == "success" and got["promote"] == "skipped" and got["keep_champion"] == "success"
    assert registry.get("bike_demand@champion").version == 1
    assert registry.get("bike_demand@challenger").version == 2
    audit = registry.audit("bike_demand")
    promoted = [e for e in audit if e["action"] == "promote"]
    assert len(promoted) == 1 and promoted[0]["dag_id"] == "mlops_tasks_training" and promoted[0]["run_id"] == first.run_id
    gate_runs = MetadataStore(stores.database_url).runs(task="gate")
    assert [r["result"]["champion_version"] for r in gate_runs] == [1, None]
