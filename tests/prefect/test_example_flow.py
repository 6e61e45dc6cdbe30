"""The example flow, run for real on the test server: lineage in our store, artifacts and events in Prefect."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import time
from pathlib import Path

import pytest

pytest.importorskip("prefect")
pytestmark = pytest.mark.prefect

REPO = Path(__file__).resolve().parents[2]
# As in tests/conftest.py: CI may keep the shared data elsewhere.
BIKE_DAY_CSV = (
    Path(os.environ.get("MLOPS_TASKS_SHARED_DATA", REPO.parent / "shared" / "data"))
    / "bike_sharing"
    / "day.csv"
)


def _load_example():
    spec = importlib.util.spec_from_file_location(
        "example_prefect_extract_profile", REPO / "dags" / "example_prefect_extract_profile.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def example_run(tmp_path_factory):
    """One run of the example flow with no parameters: default source, stores from the env."""
    example = _load_example()
    if not BIKE_DAY_CSV.exists():
        pytest.fail(f"shared data missing: {BIKE_DAY_CSV} (set MLOPS_TASKS_SHARED_DATA)")
    home = tmp_path_factory.mktemp("example-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLOPS_TASKS_HOME", str(home))
        mp.delenv("MLOPS_TASKS_ARTIFACT_ROOT", raising=False)
        mp.delenv("MLOPS_TASKS_DB_URL", raising=False)
        if example.DEFAULT_SOURCE.resolve() == BIKE_DAY_CSV.resolve():
            mp.delenv("MLOPS_TASKS_EXAMPLE_SOURCE", raising=False)  # the built-in default
        else:
            mp.setenv("MLOPS_TASKS_EXAMPLE_SOURCE", str(BIKE_DAY_CSV))
        state = example.extract_profile(return_state=True)
    assert state.is_completed(), state.message
    from mlops_tasks.metadata import MetadataStore

    store = MetadataStore(f"sqlite:///{home / 'metadata.db'}")
    runs = {r["task"]: r for r in store.runs()}
    return {
        "module": example,
        "state": state,
        "result": state.result(),
        "flow_run_id": str(state.state_details.flow_run_id),
        "store": store,
        "runs": runs,
        "home": home,
        "source": BIKE_DAY_CSV,
    }


def test_default_source_is_the_shared_csv_beside_the_repo(example_run, monkeypatch):
    example = example_run["module"]
    assert example.DEFAULT_SOURCE == REPO.parent / "shared" / "data" / "bike_sharing" / "day.csv"
    monkeypatch.delenv("MLOPS_TASKS_EXAMPLE_SOURCE", raising=False)
    assert example.default_source() == str(example.DEFAULT_SOURCE)
    monkeypatch.setenv("MLOPS_TASKS_EXAMPLE_SOURCE", "/elsewhere/x.csv")
    assert example.default_source() == "/elsewhere/x.csv"


def test_lineage_records_prefect_identity_and_links_the_tasks(example_run, prefect_client):
    from prefect.client.schemas.sorting import TaskRunSort

    runs, store = example_run["runs"], example_run["store"]
    assert set(runs) == {"extract", "profile"}
    for run in runs.values():
        assert run["status"] == "succeeded"
        assert run["engine"] == "prefect"
        assert run["flow_run_id"] == example_run["flow_run_id"]
        assert run["try_number"] == 1

    # The task-run ids we recorded are the ones Prefect knows, for the tasks of those names.
    task_runs = {
        str(tr.id): tr
        for tr in prefect_client.read_task_runs(
            flow_run_filter=_flow_run_filter(example_run["flow_run_id"]),
            limit=50,
            sort=TaskRunSort.ID_DESC,
        )
    }
    for name, run in runs.items():
        assert run["task_run_id"] in task_runs
        assert task_runs[run["task_run_id"]].task_key.startswith(f"{name}-")
        assert task_runs[run["task_run_id"]].name.startswith(f"mlops-tasks.{name}")

    extract_events = store.events(runs["extract"]["id"])
    profile_events = store.events(runs["profile"]["id"])
    source = next(e["artifact"] for e in extract_events if e["direction"] == "input")
    assert source.uri.endswith("bike_sharing/day.csv")
    assert source.sha256 == hashlib.sha256(example_run["source"].read_bytes()).hexdigest()
    dataset_out = next(
        e["artifact"]
        for e in extract_events
        if e["direction"] == "output" and e["name"] == "dataset"
    )
    dataset_in = next(
        e["artifact"]
        for e in profile_events
        if e["direction"] == "input" and e["name"] == "dataset"
    )
    assert dataset_in == dataset_out
    assert dataset_out.metadata["rows"] == 731
    profile_out = next(e["artifact"] for e in profile_events if e["direction"] == "output")
    assert example_run["result"].profile == profile_out
    # Stores came from MLOPS_TASKS_HOME: the artifacts are under it.
    assert Path(profile_out.uri.removeprefix("file://")).is_relative_to(example_run["home"])


def test_each_task_publishes_a_markdown_artifact_with_short_sha_and_uri(
    example_run, read_artifacts
):
    runs = example_run["runs"]
    for name, output in (("extract", "dataset"), ("profile", "profile")):
        artifacts = read_artifacts(f"mlops-tasks-{name}", flow_run_id=example_run["flow_run_id"])
        assert len(artifacts) == 1, artifacts
        artifact = artifacts[0]
        assert artifact.type == "markdown"
        assert str(artifact.task_run_id) == runs[name]["task_run_id"]
        ref = runs[name]["result"][output]
        assert f"| {output} | `{ref['sha256'][:12]}` {ref['uri']} |" in artifact.data
        assert f"execution {runs[name]['id']} in the metadata store" in artifact.data
        assert f"mlops-tasks lineage {ref['sha256'][:12]}" in artifact.data
        assert "succeeded" in artifact.data
    extract_md = read_artifacts("mlops-tasks-extract", flow_run_id=example_run["flow_run_id"])[
        0
    ].data
    assert "| rows | 731 |" in extract_md


def test_completed_events_name_the_delivered_artifact_and_the_execution(
    example_run, prefect_client
):
    from prefect.events.filters import EventFilter, EventNameFilter, EventRelatedFilter
    from prefect.events.worker import EventsWorker

    from prefect_blocks.tasks import flush

    flush()  # our events are emitted from the background publisher
    EventsWorker.drain_all()
    runs = example_run["runs"]
    event_filter = EventFilter(
        event=EventNameFilter(name=["mlops-tasks.task.completed"]),
        related=EventRelatedFilter(id=[f"prefect.flow-run.{example_run['flow_run_id']}"]),
    )
    events = []
    deadline = time.monotonic() + 20  # the server persists events in batches
    while time.monotonic() < deadline:
        # limit: the client's default (100) is above the server's maximum (50).
        events = prefect_client.read_events(filter=event_filter, limit=50).events
        if len(events) >= len(runs):
            break
        time.sleep(0.5)
    by_task = {e.resource["mlops-tasks.task"]: e for e in events}
    assert len(events) == 2 and set(by_task) == {"extract", "profile"}

    for name, output in (("extract", "dataset"), ("profile", "profile")):
        event, run = by_task[name], runs[name]
        assert event.resource.id == f"mlops-tasks.artifact.{run['result'][output]['sha256']}"
        assert event.resource["mlops-tasks.execution"] == str(run["id"])
        assert event.resource["mlops-tasks.status"] == "succeeded"
        assert event.payload["execution_id"] == run["id"]
        related = {(r.role, r.id) for r in event.related}
        assert ("task-run", f"prefect.task-run.{run['task_run_id']}") in related
    dataset_sha = runs["extract"]["result"]["dataset"]["sha256"]
    assert ("input", f"mlops-tasks.artifact.{dataset_sha}") in {
        (r.role, r.id) for r in by_task["profile"].related
    }


def _flow_run_filter(flow_run_id: str):
    from uuid import UUID

    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    return FlowRunFilter(id=FlowRunFilterId(any_=[UUID(flow_run_id)]))
