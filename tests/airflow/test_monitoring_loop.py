"""The closed loop under Airflow: injected drift -> "retrain" decision -> Asset event -> the
example training DAG (`mlops_tasks_training`, scheduled on that Asset) runs again.

``dag.test()`` runs one DAG and serialises the DAGs folder; it runs no scheduler. So after the
monitoring run the test checks what the scheduler acts on (the Asset event and the training
DAG's queued run), lets the scheduler's own run-creation step turn that queue into an
asset-triggered run, and then executes that run, on the newest data, as `make demo` does
(`demo/airflow_lifecycle.py`: the scheduler's start step, then each task in this process).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from monitoring_loop_data import write_loop_data  # puts demo/ on the path

from mlops_tasks.metadata import MetadataStore
from mlops_tasks.models.registry import ModelRegistry
from mlops_tasks.monitoring.policy import RETRAIN_EVENT

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = {
    "monitoring": REPO / "dags" / "example_airflow_monitoring.py",
    "training": REPO / "dags" / "example_airflow_training.py",
}
TRAINING = "mlops_tasks_training"


@pytest.fixture
def loop(airflow_db, stores, bike_csv, tmp_path, monkeypatch):
    """Both example files, linked into the DAGs folder; ``loop(name, current=...)`` loads one.

    Monitoring compares ``current`` with the 2011 training days; training reads the newest data
    (2011 and the drifted 2012), as a retraining would.
    """
    paths = write_loop_data(bike_csv, tmp_path)
    folder = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    for example in EXAMPLES.values():
        if not (folder / example.name).exists():
            (folder / example.name).symlink_to(example)
    monkeypatch.setenv("MLOPS_TASKS_MONITORING_TRAIN", str(paths["train"]))
    monkeypatch.setenv("MLOPS_TASKS_EXAMPLE_SOURCE", str(paths["newest"]))

    def load(name: str, current: str = "current"):
        monkeypatch.setenv("MLOPS_TASKS_MONITORING_CURRENT", str(paths[current]))
        spec = importlib.util.spec_from_file_location(
            f"example_{name}_{current}", folder / EXAMPLES[name].name
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    load.paths = paths
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
            select(
                AssetEvent.id,
                AssetEvent.source_dag_id,
                AssetEvent.source_task_id,
                AssetEvent.source_run_id,
            )
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .where(AssetModel.name == RETRAIN_EVENT, AssetEvent.id > since_id)
        ).all()
    return [tuple(r) for r in rows]


def _queued_for(dag_id: str) -> int:
    from airflow.models.asset import AssetDagRunQueue
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    with create_session() as session:
        return session.scalar(
            select(func.count())
            .select_from(AssetDagRunQueue)
            .where(AssetDagRunQueue.target_dag_id == dag_id)
        )


def _scheduler_creates_runs() -> list[tuple[str, list[int]]]:
    """One pass of the scheduler's run-creation step (the code its loop calls): the asset-triggered
    runs of the training DAG it created, each with the ids of the Asset events it consumed."""
    from airflow.jobs.job import Job
    from airflow.jobs.scheduler_job_runner import SchedulerJobRunner
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.sqlalchemy import prohibit_commit
    from airflow.utils.types import DagRunType
    from sqlalchemy import select

    runner = SchedulerJobRunner(job=Job())
    with create_session() as session, prohibit_commit(session) as guard:
        runner._create_dagruns_for_dags(guard, session)
        guard.commit()
    with create_session() as session:
        runs = session.scalars(
            select(DagRun).where(
                DagRun.dag_id == TRAINING, DagRun.run_type == DagRunType.ASSET_TRIGGERED
            )
        ).all()
        return [(run.run_id, sorted(e.id for e in run.consumed_asset_events)) for run in runs]


def test_injected_drift_runs_the_training_dag_again(loop, stores):
    training = loop("training")
    assert [a.name for a in training.dag.schedule] == [RETRAIN_EVENT]
    monitoring = loop("monitoring", current="drifted")
    _sync_and_unpause(TRAINING)
    before = max([e[0] for e in _retrain_events()], default=0)
    asset_runs_before = _scheduler_creates_runs()

    run = monitoring.dag.test()
    assert run.state == "success", {ti.task_id: ti.state for ti in run.get_task_instances()}
    store = MetadataStore(stores.database_url)
    [decision] = store.runs(task="decide_retraining")
    assert decision["result"]["retrain"] is True and decision["result"]["events"] == [RETRAIN_EVENT]
    assert decision["result"]["reasons"][0].startswith("drift share")
    [drift] = store.runs(task="detect_drift")
    assert {"temp", "atemp", "hum", "windspeed", "weathersit"} <= set(
        drift["result"]["drifted_columns"]
    )
    assert store.runs(task="monitoring_report")[0]["status"] == "succeeded"

    # What the scheduler acts on: the Asset event of this run, queued for the training DAG ...
    [event] = _retrain_events(before)
    assert event[1:] == ("mlops_tasks_monitoring", "decide_retraining", run.run_id)
    assert _queued_for(TRAINING) == 1
    # ... and what it does with them: one asset-triggered run of the training DAG, consuming that event.
    created = [r for r in _scheduler_creates_runs() if r not in asset_runs_before]
    assert [events for _, events in created] == [[event[0]]]
    assert _queued_for(TRAINING) == 0

    # The executor's part: that run of the training DAG runs on the newest data, registers a model.
    from airflow_lifecycle import run_queued

    [(run_id, _)] = created
    trained = run_queued(training.dag, run_id)
    assert trained.run_id == run_id and trained.run_type == "asset_triggered"
    states = {ti.task_id: ti.state for ti in trained.get_task_instances()}
    assert trained.state == "success", states
    assert states["validate"] == states["train"] == states["register"] == "success"
    [extracted] = [r for r in store.runs(task="extract") if r["dag_id"] == TRAINING]
    assert (
        extracted["config"]["source"] == str(loop.paths["newest"])
        and extracted["result"]["rows"] == 731
    )
    [train] = store.runs(task="train")
    assert train["run_id"] == trained.run_id and train["status"] == "succeeded"
    [version] = ModelRegistry(store).versions(training.MODEL_NAME)
    assert version.version == 1


def test_no_drift_no_asset_event(loop, stores):
    loop("training")
    monitoring = loop("monitoring", current="current")
    _sync_and_unpause(TRAINING)
    before = max([e[0] for e in _retrain_events()], default=0)
    queued_before = _queued_for(TRAINING)
    run = monitoring.dag.test()
    assert run.state == "success"
    [decision] = MetadataStore(stores.database_url).runs(task="decide_retraining")
    assert decision["result"]["retrain"] is False and decision["result"]["events"] == []
    assert _retrain_events(before) == [] and _queued_for(TRAINING) == queued_before
