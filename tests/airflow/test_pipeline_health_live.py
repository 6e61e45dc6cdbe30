"""Pipeline health live: real DAG runs (``dag.test()``) read back through a real Airflow 3 API server.

The server is ``airflow api-server`` in a subprocess on a free port, against the suite's
migrated metadata DB, with the default SimpleAuthManager: a viewer user whose password is in
a passwords file of this module, so the client logs in at ``POST /auth/token`` like a real one.
It starts once for the module while the DAG runs are made, and its process group is killed at
teardown.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from chromium import stop_group

from mlops_tasks.aiops.pipeline_health import (
    MIN_HISTORY,
    check_runs,
    check_tasks,
    fetch_airflow,
    fetch_airflow_tasks,
)

USER, PASSWORD = "health", "live-test-pw"
SLOW, FAILING = "mlops_tasks_test_health_slow", "mlops_tasks_test_health_failing"
QUICK_RUNS = MIN_HISTORY + 2
# The slow run sleeps at least this long, and at least SLOW_FACTOR times the slowest quick run:
# a quick dag.test() run takes 0.3 s on a quiet box but 2-3.5 s on a busy one, where a fixed 6 s
# left the slow run inside the quick runs' spread (level score 0.49 against the alarm at 0.5).
SLOW_SECONDS, SLOW_FACTOR = 6.0, 4.0

DAG_FILE = f'''"""Test DAGs of test_pipeline_health_live.py (written by it): one task that sleeps or fails as the run's conf says."""

from airflow.sdk import DAG, get_current_context, task


@task
def work():
    import time

    conf = get_current_context()["dag_run"].conf or {{}}
    time.sleep(float(conf.get("sleep", 0)))
    if conf.get("fail"):
        raise RuntimeError("failing on purpose")


with DAG(dag_id="{SLOW}", schedule=None, tags=["mlops-tasks", "test"]) as slow:
    work()

with DAG(dag_id="{FAILING}", schedule=None, tags=["mlops-tasks", "test"]) as failing:
    work()
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def api_server(airflow_db, tmp_path_factory):
    """Start the API server (it boots while the runs are made); ``wait()`` returns its URL."""
    folder = tmp_path_factory.mktemp("api-server")
    passwords = folder / "passwords.json"
    passwords.write_text(json.dumps({USER: PASSWORD}))
    port = _free_port()
    env = {
        **os.environ,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:viewer",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
    }
    log = (folder / "server.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "airflow",
            "api-server",
            "-H",
            "127.0.0.1",
            "-p",
            str(port),
            "-w",
            "1",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the workers go with it at teardown
    )
    url = f"http://127.0.0.1:{port}"

    def wait(timeout: float = 120.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert proc.poll() is None, (
                f"api-server exited {proc.returncode}:\n{(folder / 'server.log').read_text()[-3000:]}"
            )
            try:
                if httpx.get(f"{url}/api/v2/monitor/health", timeout=2).status_code == 200:
                    return url
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        pytest.fail(
            f"api-server not up after {timeout}s:\n{(folder / 'server.log').read_text()[-3000:]}"
        )

    try:
        yield wait
    finally:
        stop_group(proc)  # the whole group: uvicorn's worker too
        log.close()


@pytest.fixture(scope="module")
def history(airflow_db, api_server):
    """Real runs: the failing DAG first (it also warms ``dag.test()`` up, so no quick run of the
    slow DAG carries start-up time), then quick runs of the slow DAG and one slow run last."""
    path = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"]) / "mlops_tasks_test_health.py"
    path.write_text(DAG_FILE)
    spec = importlib.util.spec_from_file_location("mlops_tasks_test_health", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    made: dict[str, list] = {SLOW: [], FAILING: []}
    try:
        for conf in ({}, {"fail": True}, {"fail": True}, {"fail": True}):
            made[FAILING].append(module.failing.test(run_conf=conf))
        for _ in range(QUICK_RUNS):
            made[SLOW].append(module.slow.test(run_conf={}))
        slowest = max((r.end_date - r.start_date).total_seconds() for r in made[SLOW])
        sleep = max(SLOW_SECONDS, SLOW_FACTOR * slowest)
        made[SLOW].append(module.slow.test(run_conf={"sleep": sleep}))
        yield made
    finally:
        path.unlink()


@pytest.fixture(scope="module")
def url(api_server, history):
    return api_server()


def test_a_slow_run_read_through_the_rest_api_is_a_duration_finding(url, history):
    made = history[SLOW]
    assert [r.state for r in made] == ["success"] * (QUICK_RUNS + 1)
    runs = fetch_airflow(url, SLOW, username=USER, password=PASSWORD)
    # What the API returns is what dag.test() recorded.
    assert {r.run_id for r in runs} == {r.run_id for r in made}
    recorded = {r.run_id: (r.end_date - r.start_date).total_seconds() for r in made}
    assert all(abs(r.duration - recorded[r.run_id]) < 1e-3 for r in runs)
    verdict = check_runs(runs)
    assert not verdict["healthy"], verdict
    [finding] = verdict["findings"]
    assert finding["check"] == "duration" and finding["detector"] == "level"
    assert finding["threshold"] <= finding["score"] < 1
    assert (
        "queue_delay: no run has the times needed" in verdict["notes"]
    )  # dag.test() runs are never queued
    # Healthy without the slow run: a newest quick run inside the earlier quick runs' range is
    # not anomalous. (A busy CI box can make that run itself the slowest by a second: then it is
    # a real duration anomaly and the check is right to flag it, so the claim is only made when
    # the machine left it inside the range.)
    slow_id = made[-1].run_id
    quick = sorted((r for r in runs if r.run_id != slow_id), key=lambda r: r.start)
    if quick[-1].duration <= max(r.duration for r in quick[:-1]):
        assert check_runs(quick)["healthy"]

    # The same, task by task, from the task instances endpoint.
    tasks = fetch_airflow_tasks(url, SLOW, username=USER, password=PASSWORD)
    assert sorted(tasks) == ["work"] and len(tasks["work"]) == QUICK_RUNS + 1
    by_task = check_tasks(tasks)
    assert [(f["task"], f["check"]) for f in by_task["findings"]] == [("work", "task_duration")]


def test_the_registered_task_reads_the_api_with_a_token(url, history, stores, monkeypatch):
    from mlops_tasks.errors import CheckFailedError
    from mlops_tasks.runtime import run_task

    login = httpx.post(f"{url}/auth/token", json={"username": USER, "password": PASSWORD})
    assert login.status_code == 201
    monkeypatch.setenv("HEALTH_TOKEN", login.json()["access_token"])
    config = {"engine": "airflow", "api_url": url, "dag_id": SLOW, "token_env": "HEALTH_TOKEN"}
    verdict = run_task(
        "check_pipeline_health", {**config, "fail_when_unhealthy": False}, settings=stores
    )
    assert not verdict.healthy and [f["check"] for f in verdict.findings] == ["duration"], verdict
    with pytest.raises(CheckFailedError, match="duration: last") as failed:
        run_task("check_pipeline_health", config, settings=stores)
    assert failed.value.result.runs == QUICK_RUNS + 1


def test_the_registered_task_logs_in_and_checks_each_task(url, history, stores, monkeypatch):
    from mlops_tasks.runtime import run_task

    monkeypatch.setenv("HEALTH_PASSWORD", PASSWORD)
    config = {
        "engine": "airflow", "api_url": url, "dag_id": SLOW, "username": USER,
        "password_env": "HEALTH_PASSWORD", "tasks": True, "fail_when_unhealthy": False,
    }  # fmt: skip
    verdict = run_task("check_pipeline_health", config, settings=stores)
    assert [(f["check"], f.get("task")) for f in verdict.findings] == [
        ("duration", None),
        ("task_duration", "work"),
    ]
    assert PASSWORD not in repr(verdict.model_dump())


def test_failing_runs_make_a_failure_streak(url, history):
    runs = fetch_airflow(url, FAILING, username=USER, password=PASSWORD)
    assert sorted(r.state for r in runs) == ["failed", "failed", "failed", "success"]
    verdict = check_runs(runs)
    assert verdict["findings"] == [
        {"check": "failure_streak", "detail": "last 3 runs failed", "score": 1.0}
    ]
    assert any("too few" in n for n in verdict["notes"])  # four runs: no duration verdict
    tasks = fetch_airflow_tasks(url, FAILING, username=USER, password=PASSWORD)
    assert [f["check"] for f in check_tasks(tasks)["findings"]] == ["task_failure_streak"]


def test_refused_login_and_unknown_dag_are_typed_errors(url, history):
    from mlops_tasks.aiops.airflow_api import AirflowAuthError
    from mlops_tasks.errors import SourceNotFoundError

    with pytest.raises(AirflowAuthError) as refused:
        fetch_airflow(url, SLOW, username=USER, password="not-the-password")
    assert not refused.value.retryable and "not-the-password" not in str(refused.value)
    with pytest.raises(AirflowAuthError, match="401"):
        fetch_airflow(url, SLOW)  # no credentials
    with pytest.raises(SourceNotFoundError, match="no_such_dag"):
        fetch_airflow(url, "no_such_dag", username=USER, password=PASSWORD)
