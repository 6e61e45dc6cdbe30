"""The closed loop under Prefect: injected drift -> "retrain" decision -> event -> training deployment -> training.

Nothing is run by hand past the monitoring flow: the example's deployments are served by a
Prefect `Runner` in a background thread (what `python dags/example_prefect_monitoring.py`
does with `serve`), the session server's triggers service (on in `conftest.py`) evaluates the
training deployment's trigger on the decision's event and creates a flow run of the deployment,
and the runner executes that run in a subprocess that loads the training flow from its file,
with this test's environment (`MLOPS_TASKS_*`, the server's URL).
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from monitoring_loop_data import write_loop_data

pytest.importorskip("prefect")
pytestmark = pytest.mark.prefect

REPO = Path(__file__).resolve().parents[2]
# Trigger -> flow run -> runner poll -> a subprocess that imports Prefect and trains, on a
# loaded two-core CI box.
TRAINING_TIMEOUT = 240


@pytest.fixture
def example(bike_csv, tmp_path, env_home, monkeypatch):
    paths = write_loop_data(bike_csv, tmp_path)
    monkeypatch.setenv("MLOPS_TASKS_MONITORING_TRAIN", str(paths["train"]))
    # Deployment entrypoints are file paths relative to the working directory, which the runner's
    # subprocess inherits.
    monkeypatch.chdir(REPO)
    spec = importlib.util.spec_from_file_location(
        "example_prefect_monitoring", REPO / "dags" / "example_prefect_monitoring.py"
    )
    module = importlib.util.module_from_spec(spec)
    # Importable by name: a deployment records where its flow comes from.
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    module.paths = paths
    yield module
    sys.modules.pop(module.TRAINING_FILE.stem, None)  # loaded by `training_flow()`


class ServedInBackground:
    """A `Runner` serving deployments from a daemon thread with its own event loop."""

    def __init__(self, deployments):
        from prefect.runner import Runner

        # Poll every second (the default is 10 s); one run at a time.
        self.runner = Runner(
            name=f"mlops-tasks-loop-{uuid.uuid4().hex[:8]}",
            query_seconds=1,
            limit=1,
            pause_on_shutdown=False,
        )
        self.deployment_ids = {d.name: self.runner.add_deployment(d) for d in deployments}
        self.loop = asyncio.new_event_loop()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="prefect-runner", daemon=True)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        try:
            self.task = self.loop.create_task(self.runner.start())
            self.loop.run_until_complete(self.task)
        except asyncio.CancelledError:
            pass
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def start(self, timeout=60):
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.runner.started and self.thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert self.runner.started, f"the runner did not start: {self.error!r}"
        return self

    def check(self):
        assert self.thread.is_alive(), f"the runner stopped: {self.error!r}"

    def stop(self, timeout=60):
        if self.thread.is_alive() and not self.loop.is_closed():
            if self.runner.started:
                # A run that has reported its final state may still be exiting: let it, then stop
                # polling; `astop` kills the runs still in progress (none, when the test passed).
                deadline = time.monotonic() + 30
                while not self.runner.has_slots_available() and time.monotonic() < deadline:
                    time.sleep(0.2)
                asyncio.run_coroutine_threadsafe(self.runner.astop(), self.loop).result(timeout)
            elif task := getattr(self, "task", None):
                self.loop.call_soon_threadsafe(task.cancel)
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the runner thread did not stop"


@pytest.fixture
def served(example, prefect_client):
    """The example's deployments served as `python dags/example_prefect_monitoring.py` does."""
    deployments = example.deployments(newest=str(example.paths["newest"]))
    server = ServedInBackground(deployments)
    try:
        yield server.start()
    finally:
        try:
            server.stop()
        finally:
            # Left on the session server, the trigger would start runs for later tests' decisions.
            for deployment_id in server.deployment_ids.values():
                prefect_client.delete_resource_owned_automations(
                    f"prefect.deployment.{deployment_id}"
                )
                prefect_client.delete_deployment(deployment_id)


def _wait(fetch, timeout=30, every=0.5):
    """Poll the server until ``fetch`` returns something (it persists events in batches)."""
    deadline = time.monotonic() + timeout
    while True:
        found = fetch()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(every)


def _flow_runs(client, deployment_id):
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.client.schemas.sorting import FlowRunSort

    # `sort` and `limit` given: Prefect 3.8's sync client sends None for them otherwise (422).
    return client.read_flow_runs(
        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
        sort=FlowRunSort.EXPECTED_START_TIME_ASC,
        limit=10,
    )


def _events(client, name, related_id):
    from prefect.events.filters import EventFilter, EventNameFilter, EventRelatedFilter

    return client.read_events(
        filter=EventFilter(
            event=EventNameFilter(name=[name]), related=EventRelatedFilter(id=[related_id])
        ),
        limit=50,
    ).events


def test_injected_drift_runs_the_training_deployment_through_its_trigger(
    example, served, prefect_client, env_home, tmp_path
):
    from prefect.events.worker import EventsWorker

    from mlops_tasks.metadata import MetadataStore
    from mlops_tasks.monitoring.policy import RETRAIN_EVENT
    from prefect_blocks.blocks import MlopsTasksStore

    # The monitoring runs on a saved block whose stores are not the environment's: the
    # triggered training must find the same block (one registry), not the runner's defaults.
    block = f"loop-{uuid.uuid4().hex[:8]}"
    shared = tmp_path / "shared-store"
    MlopsTasksStore(
        artifact_root=str(shared / "artifacts"), metadata_url=f"sqlite:///{shared / 'metadata.db'}"
    ).save(block)

    # The training deployment and its trigger, as served.
    training_id = served.deployment_ids[example.TRAINING_DEPLOYMENT]
    deployment = prefect_client.read_deployment(training_id)
    assert deployment.parameters == {"source": str(example.paths["newest"])}
    [automation] = prefect_client.read_resource_related_automations(
        f"prefect.deployment.{training_id}"
    )
    assert automation.trigger.expect == {RETRAIN_EVENT}
    assert list(automation.trigger.match["prefect.resource.id"]) == [
        "mlops-tasks.task.decide_retraining"
    ]
    [action] = automation.actions
    assert action.type == "run-deployment" and action.deployment_id == training_id

    # No drift first: no event, so no training run (checked below: the one run is the drift's).
    calm = example.monitoring(
        current_source=str(example.paths["current"]), store=block, return_state=True
    )
    assert calm.is_completed() and calm.result().retrain is False

    state = example.monitoring(
        current_source=str(example.paths["drifted"]), store=block, return_state=True
    )
    assert state.is_completed(), state.message
    decision = state.result()
    assert decision.retrain and decision.events == [RETRAIN_EVENT]
    flow_run_id = str(state.state_details.flow_run_id)

    EventsWorker.drain_all()
    [event] = _wait(
        lambda: _events(prefect_client, RETRAIN_EVENT, f"prefect.flow-run.{flow_run_id}")
    )
    assert event.resource.id == "mlops-tasks.task.decide_retraining"
    assert event.resource["mlops-tasks.store"] == block
    assert event.payload["retrain"] is True and event.payload["model"] == "bike_demand"

    # The automation creates the training run and the runner executes it: wait for its end.
    def finished():
        served.check()
        runs = _flow_runs(prefect_client, training_id)
        return runs if runs and all(r.state and r.state.is_final() for r in runs) else None

    runs = _wait(finished, timeout=TRAINING_TIMEOUT, every=1)
    assert runs, (
        f"no finished run of the training deployment: {_flow_runs(prefect_client, training_id)}"
    )
    [run] = runs  # the no-drift decision started none
    created_by = run.created_by
    assert created_by and created_by.type == "AUTOMATION" and created_by.id == automation.id
    assert run.parameters == {
        "source": str(example.paths["newest"]),
        "model_name": "bike_demand",
        "store": block,
    }
    # The first model of the store: the gate makes it the champion.
    assert run.state.is_completed() and run.state.name == "Promoted", run.state
    assert run.expected_start_time > event.occurred
    # The automation's action names the flow run it made and the event that triggered it.
    [executed] = _wait(
        lambda: _events(
            prefect_client, "prefect.automation.action.executed", f"prefect.flow-run.{run.id}"
        )
    )
    assert executed.resource.id == f"prefect.automation.{automation.id}"
    triggering = [r.id for r in executed.related if r.role == "triggering-event"]
    assert triggering == [f"prefect.event.{event.id}"]

    # The training tasks ran in that flow run, on the newest data (2011 + the drifted 2012), and
    # recorded in the block's store: the runner's environment (env_home) saw none of it.
    store = MetadataStore(f"sqlite:///{shared / 'metadata.db'}")
    assert not (env_home / "metadata.db").exists()

    def in_run(task):
        [execution] = [
            e for e in store.runs(task=task, limit=50) if e["flow_run_id"] == str(run.id)
        ]
        assert execution["status"] == "succeeded" and execution["engine"] == "prefect", execution
        return execution

    for task in ("validate", "prepare", "train", "evaluate", "gate", "validate_model", "promote"):
        in_run(task)
    extracted = in_run("extract")
    assert extracted["config"]["source"] == str(example.paths["newest"])
    assert extracted["result"]["rows"] == 731
    assert in_run("register")["result"]["name"] == "bike_demand"


def test_no_drift_no_event(example, prefect_client):
    from prefect.events.worker import EventsWorker

    from mlops_tasks.monitoring.policy import RETRAIN_EVENT

    state = example.monitoring(current_source=str(example.paths["current"]), return_state=True)
    assert state.is_completed() and state.result().retrain is False
    EventsWorker.drain_all()
    related = f"prefect.flow-run.{state.state_details.flow_run_id}"
    # The task's completion event arrives: once it is there, a retrain event would be too.
    assert _wait(lambda: _events(prefect_client, "mlops-tasks.task.completed", related))
    assert _events(prefect_client, RETRAIN_EVENT, related) == []
