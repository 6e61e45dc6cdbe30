"""The lifecycle under Airflow, with ``dag.test()`` on the example DAGs in ``dags/``.

1. ``mlops_tasks_training`` on the 2011 days: the first champion.
2. ``mlops_tasks_monitoring`` on the drifted 2012 days: drift -> a "retrain" decision, which
   emits an event of the Asset ``mlops-tasks.retrain``.
3. The scheduler's own run-creation step turns that event into an asset-triggered run of
   ``mlops_tasks_training`` (the DAG is scheduled on the Asset); the demo then runs the training
   DAG on the newest data, as the executor would, and its gate judges it against the champion.
4. ``mlops_tasks_aiops`` on the Online Boutique fault day.

Run by ``scripts/demo`` with ``MLOPS_TASKS_HOME``, ``AIRFLOW_HOME`` and the DAGs folder set.
"""

from __future__ import annotations

import importlib.util
import os
import sys
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
    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    if dag_run.state != "success":
        progress.say(f"{module.dag.dag_id}: {dag_run.state} {states}")
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
        return list(
            session.scalars(
                select(DagRun.run_id).where(
                    DagRun.dag_id == dag_id, DagRun.run_type == DagRunType.ASSET_TRIGGERED
                )
            )
        )


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
        run(progress, load("example_airflow_training.py", "demo_training_newest"),
            "3/4 retraining on the newest data, gated against the champion")  # fmt: skip
    else:
        progress.say("no retrain decision: no retraining run")
    run(progress, load("example_airflow_aiops.py", "demo_aiops"),
        "4/4 AIOps on the fault day (anomalies, topology, incidents, root causes, report)")  # fmt: skip


if __name__ == "__main__":
    main()
