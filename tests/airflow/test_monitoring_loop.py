"""The closed loop under Airflow: injected drift -> "retrain" decision -> Asset event -> training DAG runs.

``dag.test()`` runs one DAG and serialises the DAGs folder; it does not run the scheduler, so
the test checks what the scheduler acts on - the Asset event and the queued run of the DAG
scheduled on the Asset (AssetDagRunQueue) - and then runs that DAG as the scheduler would.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from monitoring_loop_data import write_loop_data

from mlops_tasks.metadata import MetadataStore
from mlops_tasks.monitoring.policy import RETRAIN_EVENT

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "dags" / "example_airflow_monitoring.py"


@pytest.fixture
def monitoring_dags(airflow_db, stores, bike_csv, tmp_path, monkeypatch):
    """The example file, linked into the DAGs folder, loaded with training and current data of our making."""
    paths = write_loop_data(bike_csv, tmp_path)
    link = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"]) / EXAMPLE.name
    if not link.exists():
        link.symlink_to(EXAMPLE)
    monkeypatch.setenv("MLOPS_TASKS_MONITORING_TRAIN", str(paths["train"]))

    def load(current_name: str):
        monkeypatch.setenv("MLOPS_TASKS_MONITORING_CURRENT", str(paths[current_name]))
        spec = importlib.util.spec_from_file_location(f"example_monitoring_{current_name}", link)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


def _sync_and_unpause(dag_id: str) -> None:
    """Write the DAGs folder to Airflow's DB as ``dag.test()`` does, and unpause ``dag_id``.

    The scheduler queues runs only for unpaused DAGs scheduled on an Asset, and new DAGs are
    paused by default.
    """
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session
    from sqlalchemy import update

    manager = DagBundlesManager()
    with create_session() as session:
        manager.sync_bundles_to_db(session=session)
    for bundle in manager.get_all_dag_bundles():
        if not bundle.is_initialized:
            bundle.initialize()
        bag = BundleDagBag(dag_folder=bundle.path, bundle_path=bundle.path, bundle_name=bundle.name)
        sync_bag_to_db(bag, bundle.name, bundle.version)
    with create_session() as session:
        session.execute(update(DagModel).where(DagModel.dag_id == dag_id).values(is_paused=False))


def _retrain_events(since_id: int = 0):
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(AssetEvent.id, AssetEvent.source_dag_id, AssetEvent.source_task_id, AssetEvent.source_run_id)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .where(AssetModel.name == RETRAIN_EVENT, AssetEvent.id > since_id)
        ).all()
    return [tuple(r) for r in rows]


def _queued_for(dag_id: str) -> int:
    from airflow.models.asset import AssetDagRunQueue
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    with create_session() as session:
        return session.scalar(select(func.count()).select_from(AssetDagRunQueue).where(AssetDagRunQueue.target_dag_id == dag_id))


def test_injected_drift_triggers_the_training_dag(monitoring_dags, stores):
    example = monitoring_dags("drifted")
    assert [a.name for a in example.retrain_dag.schedule] == [RETRAIN_EVENT] == [example.RETRAIN.name]
    _sync_and_unpause("mlops_tasks_retrain")
    before = max([e[0] for e in _retrain_events()], default=0)
    queued_before = _queued_for("mlops_tasks_retrain")
    run = example.dag.test()
    assert run.state == "success", {ti.task_id: ti.state for ti in run.get_task_instances()}

    store = MetadataStore(stores.database_url)
    [decision] = store.runs(task="decide_retraining")
    assert decision["result"]["retrain"] is True and decision["result"]["events"] == [RETRAIN_EVENT]
    assert decision["result"]["reasons"][0].startswith("drift share")
    [drift] = store.runs(task="detect_drift")
    assert {"temp", "atemp", "hum", "windspeed", "weathersit"} <= set(drift["result"]["drifted_columns"])
    assert store.runs(task="monitoring_report")[0]["status"] == "succeeded"

    # What the scheduler acts on: the Asset event from this run, and a queued run of the training DAG.
    assert _retrain_events(before) == [(_retrain_events(before)[0][0], "mlops_tasks_monitoring", "decide_retraining", run.run_id)]
    assert _queued_for("mlops_tasks_retrain") == queued_before + 1

    # The scheduler's part: run the DAG scheduled on the Asset.
    training = example.retrain_dag.test()
    assert training.state == "success"
    [refit] = store.runs(task="fit_reference", limit=1)
    assert (refit["dag_id"], refit["task_id"], refit["status"]) == ("mlops_tasks_retrain", "refit_reference", "succeeded")


def test_no_drift_no_asset_event(monitoring_dags, stores):
    example = monitoring_dags("current")
    _sync_and_unpause("mlops_tasks_retrain")
    before = max([e[0] for e in _retrain_events()], default=0)
    queued_before = _queued_for("mlops_tasks_retrain")
    run = example.dag.test()
    assert run.state == "success"
    [decision] = MetadataStore(stores.database_url).runs(task="decide_retraining")
    assert decision["result"]["retrain"] is False and decision["result"]["events"] == []
    assert _retrain_events(before) == [] and _queued_for("mlops_tasks_retrain") == queued_before
