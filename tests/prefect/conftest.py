"""Prefect suite: one temporary Prefect server for the session, isolated from the machine's Prefect.

Prefect reads its settings from the environment when it is first imported, so the environment
is fixed here, at collection time, before any test module imports it.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile

import pytest

if importlib.util.find_spec("prefect") is None:
    collect_ignore_glob = ["test_*.py"]  # run in .venv/prefect; the airflow venv has no Prefect
else:
    _home = tempfile.mkdtemp(prefix="mlops-tasks-prefect-home-")
    os.environ.update(
        PREFECT_HOME=_home,  # no profiles, storage or DB of the developer's own Prefect
        PREFECT_PROFILES_PATH=os.path.join(_home, "profiles.toml"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",  # the client-side SDK telemetry
        PREFECT_SERVER_UI_ENABLED="false",  # the test server needs no UI build
        PREFECT_SERVER_LOGGING_LEVEL="WARNING",
        PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS="false",
    )
    # Server loops these tests do not need (schedules, late-run and worker bookkeeping): less
    # background work on a small CI box. Task-run recording and event persistence stay on: the
    # tests read both back. So do the triggers (automations and their actions): the monitoring
    # loop test has a deployment trigger start the training deployment.
    for _service in (
        "SCHEDULER", "LATE_RUNS", "FOREMAN", "CANCELLATION_CLEANUP", "PAUSE_EXPIRATIONS",
        "REPOSSESSOR",
    ):  # fmt: skip
        os.environ[f"PREFECT_SERVER_SERVICES_{_service}_ENABLED"] = "false"
    for _name in ("PREFECT_API_URL", "PREFECT_API_KEY", "PREFECT_PROFILE", "PREFECT_UI_URL"):
        os.environ.pop(_name, None)  # never talk to a real server or Prefect Cloud


@pytest.fixture(scope="session", autouse=True)
def prefect_server():
    """A throwaway Prefect server and database, shared by every test.

    It starts in 10-25 s on two idle cores; the generous timeout is for a loaded CI machine.
    """
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture
def prefect_client():
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        yield client


@pytest.fixture
def read_artifacts(prefect_client):
    """``read_artifacts(key, flow_run_id=..., task_run_id=...)``: Prefect artifacts, newest first."""
    from uuid import UUID

    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterKey,
        FlowRunFilter,
        FlowRunFilterId,
        TaskRunFilter,
        TaskRunFilterId,
    )
    from prefect.client.schemas.sorting import ArtifactSort

    def read(key: str, flow_run_id: str | None = None, task_run_id: str | None = None):
        from prefect_blocks.tasks import flush

        flush()  # artifacts are published in the background
        flow_runs = (
            FlowRunFilter(id=FlowRunFilterId(any_=[UUID(str(flow_run_id))]))
            if flow_run_id
            else FlowRunFilter()
        )
        task_runs = (
            TaskRunFilter(id=TaskRunFilterId(any_=[UUID(str(task_run_id))]))
            if task_run_id
            else TaskRunFilter()
        )
        # Every argument is given: Prefect 3.8's sync client sends None for omitted ones, which
        # the server rejects (422).
        return prefect_client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
            flow_run_filter=flow_runs,
            task_run_filter=task_runs,
            sort=ArtifactSort.ID_DESC,
            limit=50,
            offset=0,
        )

    return read


@pytest.fixture
def env_home(tmp_path, monkeypatch):
    """The stores the tasks use when given no block: `MLOPS_TASKS_*` pointed into tmp_path."""
    home = tmp_path / "env-home"
    monkeypatch.setenv("MLOPS_TASKS_HOME", str(home))
    monkeypatch.delenv("MLOPS_TASKS_ARTIFACT_ROOT", raising=False)
    monkeypatch.delenv("MLOPS_TASKS_DB_URL", raising=False)
    return home
