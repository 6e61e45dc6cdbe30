"""The lifecycle under Prefect, with the example flows in ``dags/`` on a temporary local server.

1. ``mlops-tasks-training`` on the 2011 days: the first champion.
2. ``mlops-tasks-monitoring`` on the drifted 2012 days: drift -> a "retrain" decision, which
   emits the Prefect event ``mlops-tasks.retrain``.
3. The training deployment of `example_prefect_monitoring.py`
   (``mlops-tasks-training/on-retrain-decision``, on the newest data) is registered with its
   trigger before monitoring runs; the temporary server's triggers service matches the event
   and creates a flow run of it, with the decided model. The demo then executes that very run
   in this process, as ``prefect flow-run execute`` would in a runner's subprocess (one process
   fewer to start on a small machine), and its gate judges the candidate against the champion.
4. ``mlops-tasks-aiops`` on the Online Boutique fault day.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import lifecycle_data  # noqa: E402
from progress import Progress  # noqa: E402

DAGS = HERE.parent / "dags"
BIKES = HERE.parents[1] / "shared" / "data" / "bike_sharing" / "day.csv"


def load(example: str):
    name = Path(example).stem
    spec = importlib.util.spec_from_file_location(name, DAGS / example)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def triggered_run(deployment_id, after, timeout: float = 180):
    """The flow run the deployment's trigger created, once the server's automation has made it."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.client.schemas.sorting import FlowRunSort

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            # `sort` and `limit` given: Prefect 3.8's sync client sends None for them otherwise.
            runs = client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
                sort=FlowRunSort.EXPECTED_START_TIME_ASC,
                limit=10,
            )
            if runs := [r for r in runs if r.created > after]:
                return runs[0]
            time.sleep(0.5)
    raise SystemExit(f"the retrain trigger made no run of deployment {deployment_id} in {timeout}s")


def main() -> None:
    data = Path(os.environ["MLOPS_TASKS_DEMO_DATA"])
    progress = Progress("prefect", Path(os.environ["PREFECT_HOME"]) / "demo.log")
    paths = lifecycle_data.write(BIKES, data)
    training = load("example_prefect_training.py").training
    loop = load("example_prefect_monitoring.py")
    aiops = load("example_prefect_aiops.py").aiops
    from prefect.flow_engine import run_flow

    from prefect_blocks.tasks import flush

    with progress.stage("1/4 training on 2011 (extract, validate, prepare, train, evaluate, gate, register, promote)"):  # fmt: skip
        training(source=str(paths["train"]))
    with progress.stage(f"deployment {loop.TRAINING_DEPLOYMENT} of the training flow, with its retrain trigger"):  # fmt: skip
        deployment_id = loop.training_deployment(newest=str(paths["newest"])).apply()
    begun = datetime.now(timezone.utc)
    with progress.stage("2/4 monitoring on drifted 2012 (reference, drift, report, retraining decision)"):  # fmt: skip
        decision = loop.monitoring(
            train_source=str(paths["train"]), current_source=str(paths["drifted"])
        )
    if decision.retrain:
        progress.say(f"retrain decided ({'; '.join(decision.reasons)}): event {decision.events}")
        with progress.stage("the server's retrain trigger"):
            flow_run = triggered_run(deployment_id, after=begun)
        progress.say(
            f"the trigger created flow run {flow_run.name} ({flow_run.id}) with {flow_run.parameters}"
        )
        with progress.stage("3/4 that run, on the newest data, gated against the champion"):
            state = run_flow(training, flow_run=flow_run, return_type="state")
        if not state.is_completed():
            progress.say(f"the retraining run ended {state.name}: {state.message}")
            raise SystemExit(1)
    else:
        progress.say("no retrain decision: no retraining run")
    with progress.stage("4/4 AIOps on the fault day (anomalies, topology, incidents, root causes, report)"):  # fmt: skip
        aiops()
        flush()


if __name__ == "__main__":
    main()
