"""The lifecycle under Airflow, with ``dag.test()`` on the example DAGs in ``dags/``.

1. ``mlops_tasks_training`` on the 2011 days: the first champion.
2. ``mlops_tasks_monitoring`` on the drifted 2012 days: drift -> a "retrain" decision, which
   emits an event of the Asset ``mlops-tasks.retrain``.
3. The scheduler's own steps turn that event into an asset-triggered run of
   ``mlops_tasks_training`` (the DAG is scheduled on the Asset) and start it; the demo then
   executes that very run, each task in this process as ``dag.test()`` executes its own (no
   executor or api-server to start), on the newest data, and its gate judges the candidate
   against the champion.
4. ``mlops_tasks_aiops`` on the Online Boutique fault day.

Run by ``scripts/demo`` with ``MLOPS_TASKS_HOME``, ``AIRFLOW_HOME`` and the DAGs folder set.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import lifecycle_data  # noqa: E402
from progress import Progress  # noqa: E402

DAGS = HERE.parent / "dags"
BIKES = HERE.parents[1] / "shared" / "data" / "bike_sharing" / "day.csv"
TRAINING = "mlops_tasks_training"


def load(example: str, alias: str):
    """Import a DAG file under its own module name, with the environment as it is now."""
    spec = importlib.util.spec_from_file_location(alias, DAGS / example)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(progress: Progress, module, text: str):
    with progress.stage(text):
        dag_run = module.dag.test()
    return check(progress, dag_run)


def check(progress: Progress, dag_run):
    """The run, if it succeeded; else say which tasks did not, and stop."""
    if dag_run.state != "success":
        states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
        progress.say(f"{dag_run.dag_id} {dag_run.run_id}: {dag_run.state} {states}")
        raise SystemExit(1)
    return dag_run


def unpause(dag_id: str) -> None:
    """New DAGs are paused, and the scheduler queues Asset-triggered runs only for unpaused ones."""
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session
    from sqlalchemy import update

    with create_session() as session:
        session.execute(update(DagModel).where(DagModel.dag_id == dag_id).values(is_paused=False))


def scheduler_creates_runs(dag_id: str) -> list[str]:
    """One pass of the scheduler's run-creation step: the asset-triggered runs of ``dag_id``."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.sqlalchemy import prohibit_commit
    from airflow.utils.types import DagRunType
    from sqlalchemy import select

    runner = _scheduler()
    with create_session() as session, prohibit_commit(session) as guard:
        runner._create_dagruns_for_dags(guard, session)
        guard.commit()
    with create_session() as session:
        return list(
            session.scalars(
                select(DagRun.run_id).where(
                    DagRun.dag_id == dag_id, DagRun.run_type == DagRunType.ASSET_TRIGGERED
                )
            )
        )


def _scheduler():
    from airflow.jobs.job import Job
    from airflow.jobs.scheduler_job_runner import SchedulerJobRunner

    return SchedulerJobRunner(job=Job())


def run_queued(dag, run_id: str):
    """Start the queued run ``run_id`` of ``dag`` (the scheduler's step) and run it to its end.

    The loop is ``dag.test()``'s, on this run instead of a new manual one (``dag.test()`` always
    makes its own): the scheduler's dependency check picks the ready task instances, and each
    runs in this process, with the DAG's own operator objects.
    """
    from airflow.models.dagbag import DBDagBag
    from airflow.models.dagrun import DagRun
    from airflow.sdk import timezone
    from airflow.sdk.definitions.dag import _run_task
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState, TaskInstanceState
    from sqlalchemy import select

    which = (DagRun.dag_id == dag.dag_id, DagRun.run_id == run_id)
    # The scheduler starts a run once its run_after has passed, by the database's clock (to the
    # second on SQLite): a run created this second waits for the next.
    deadline = time.monotonic() + 10
    while True:
        with create_session() as session:
            _scheduler()._start_queued_dagruns(session)
        with create_session() as session:
            state = session.scalar(select(DagRun.state).where(*which))
        if state != DagRunState.QUEUED or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    with create_session() as session:
        run = session.scalar(select(DagRun).where(*which))
        if run.state != DagRunState.RUNNING:
            raise SystemExit(f"{dag.dag_id} run {run_id}: the scheduler left it {run.state}")
        run.dag = DBDagBag().get_dag_for_run(run, session=session)
        while run.state == DagRunState.RUNNING:
            session.expire_all()
            ready, _ = run.update_state(session=session)
            for ti in ready:
                ti.try_number += 1
                ti.state = TaskInstanceState.SCHEDULED
                ti.scheduled_dttm = timezone.utcnow()
            session.commit()
            for ti in run.get_task_instances(state=[TaskInstanceState.SCHEDULED], session=session):
                _run_task(ti=ti, task=dag.task_dict[ti.task_id])
    return run  # its columns stay loaded: Airflow's sessions do not expire on commit


def main() -> None:
    data = Path(os.environ["MLOPS_TASKS_DEMO_DATA"])
    progress = Progress("airflow", Path(os.environ["AIRFLOW_HOME"]) / "demo.log")
    paths = lifecycle_data.write(BIKES, data)
    os.environ["MLOPS_TASKS_EXAMPLE_SOURCE"] = str(paths["train"])
    os.environ["MLOPS_TASKS_MONITORING_TRAIN"] = str(paths["train"])
    os.environ["MLOPS_TASKS_MONITORING_CURRENT"] = str(paths["drifted"])

    run(progress, load("example_airflow_training.py", "demo_training_2011"),
        "1/4 training on 2011 (extract, validate, prepare, train, evaluate, gate, register, promote)")  # fmt: skip
    with progress.stage("unpausing the training DAG, scheduled on the Asset mlops-tasks.retrain"):
        unpause(TRAINING)
        before = set(scheduler_creates_runs(TRAINING))
    run(progress, load("example_airflow_monitoring.py", "demo_monitoring"),
        "2/4 monitoring on drifted 2012 (reference, drift, report, retraining decision)")  # fmt: skip
    with progress.stage("the scheduler's run-creation step"):
        triggered = sorted(set(scheduler_creates_runs(TRAINING)) - before)
    if triggered:
        progress.say(
            f"the retrain Asset event made the scheduler create {TRAINING} run {triggered[0]}"
        )
        os.environ["MLOPS_TASKS_EXAMPLE_SOURCE"] = str(paths["newest"])
        training = load("example_airflow_training.py", "demo_training_newest").dag
        with progress.stage("3/4 that run, on the newest data, gated against the champion"):
            dag_run = run_queued(training, triggered[0])
        check(progress, dag_run)
    else:
        progress.say("no retrain decision: no retraining run")
    run(progress, load("example_airflow_aiops.py", "demo_aiops"),
        "4/4 AIOps on the fault day (anomalies, topology, incidents, root causes, report)")  # fmt: skip


if __name__ == "__main__":
    main()
