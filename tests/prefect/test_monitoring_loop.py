"""The closed loop under Prefect: injected drift -> "retrain" decision -> event -> training deployment.

The flows run for real on the session's test server. The "retrain" decision's event is read
back from the server and matches the trigger of the training deployment, which is applied to
the server; the harness has no worker to run that deployment, so the test then runs the
training flow itself, as the automation would have it run.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import pytest
from monitoring_loop_data import write_loop_data

pytest.importorskip("prefect")
pytestmark = pytest.mark.prefect

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def example(bike_csv, tmp_path, env_home, monkeypatch):
    paths = write_loop_data(bike_csv, tmp_path)
    monkeypatch.setenv("MLOPS_TASKS_MONITORING_TRAIN", str(paths["train"]))
    spec = importlib.util.spec_from_file_location("example_prefect_monitoring", REPO / "dags" / "example_prefect_monitoring.py")
    module = importlib.util.module_from_spec(spec)
    # Importable by name: a deployment records where its flow comes from.
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    module.paths = paths
    return module


def _wait(fetch, timeout=30):
    """Poll the server until ``fetch`` returns something (it persists events in batches)."""
    deadline = time.monotonic() + timeout
    while True:
        found = fetch()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def test_injected_drift_emits_the_event_that_runs_the_training_deployment(example, prefect_client, env_home):
    from prefect.events.filters import EventFilter, EventNameFilter, EventRelatedFilter
    from prefect.events.worker import EventsWorker

    from mlops_tasks.metadata import MetadataStore
    from mlops_tasks.monitoring.policy import RETRAIN_EVENT

    # The training deployment and its trigger are accepted by the server.
    deployment = example.retrain_deployment()
    [trigger] = deployment.triggers
    assert trigger.expect == {RETRAIN_EVENT} and list(trigger.match["prefect.resource.id"]) == ["mlops-tasks.task.decide_retraining"]
    deployment.apply()

    state = example.monitoring(current_source=str(example.paths["drifted"]), return_state=True)
    assert state.is_completed(), state.message
    decision = state.result()
    assert decision.retrain and decision.events == [RETRAIN_EVENT]
    flow_run_id = str(state.state_details.flow_run_id)

    EventsWorker.drain_all()
    related = EventRelatedFilter(id=[f"prefect.flow-run.{flow_run_id}"])
    events = _wait(
        lambda: prefect_client.read_events(
            filter=EventFilter(event=EventNameFilter(name=[RETRAIN_EVENT]), related=related), limit=50
        ).events
    )
    [event] = events
    assert event.resource.id == "mlops-tasks.task.decide_retraining"
    assert event.payload["retrain"] is True and event.payload["model"] == "bikes"

    # Prefect's automation would now start the training deployment; the harness has no worker to
    # run it, so the test runs the training flow because the decision says so.
    result = example.retrain(source=str(example.paths["drifted"]), return_state=True)
    assert result.is_completed() and result.result().rows == 366
    training_run_id = str(result.state_details.flow_run_id)
    store = MetadataStore(f"sqlite:///{env_home / 'metadata.db'}")
    [refit] = store.runs(task="fit_reference", limit=1)
    assert refit["flow_run_id"] == training_run_id and refit["status"] == "succeeded"


def test_no_drift_no_event(example, prefect_client):
    from prefect.events.filters import EventFilter, EventNameFilter, EventRelatedFilter
    from prefect.events.worker import EventsWorker

    from mlops_tasks.monitoring.policy import RETRAIN_EVENT

    state = example.monitoring(current_source=str(example.paths["current"]), return_state=True)
    assert state.is_completed() and state.result().retrain is False
    EventsWorker.drain_all()
    flow_run_id = str(state.state_details.flow_run_id)
    # The task's completion event arrives: once it is there, a retrain event would be too.
    completed = _wait(
        lambda: prefect_client.read_events(
            filter=EventFilter(
                event=EventNameFilter(name=["mlops-tasks.task.completed"]),
                related=EventRelatedFilter(id=[f"prefect.flow-run.{flow_run_id}"]),
            ),
            limit=50,
        ).events
    )
    assert completed
    retrain_events = prefect_client.read_events(
        filter=EventFilter(event=EventNameFilter(name=[RETRAIN_EVENT]), related=EventRelatedFilter(id=[f"prefect.flow-run.{flow_run_id}"])),
        limit=50,
    ).events
    assert retrain_events == []
