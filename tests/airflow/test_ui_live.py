"""The Report button in a real Airflow 3 deployment, seen in a real browser.

Airflow's api-server, scheduler (LocalExecutor) and dag-processor run as subprocesses on a fresh
PostgreSQL database, each in its own process group, stopped by PID at the end. A DAG run is
triggered through the REST API; then headless Chromium (Debian's ``chromium``) opens the task
page of ``data_report``, signed in with the JWT cookie Airflow's UI uses, finds the *Report*
link and follows it to the report, which the api-server serves through our plugin's reports app
from a local artifact root. Screenshots land in ``out/ui/`` (gitignored).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from chromium import Chromium, stop_group

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "out" / "ui"
DAG_ID, TASK_ID = "mlops_tasks_test_report", "data_report"
USER, PASSWORD = "admin", "live-ui-pw"

pytestmark = pytest.mark.skipif(
    shutil.which("chromium") is None, reason="no chromium (scripts/install-chromium)"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def deployment(pg_url, bike_csv, tmp_path):
    """api-server + scheduler + dag-processor on PostgreSQL; yields (base URL, a signed-in client)."""
    home = tmp_path / "airflow"
    dags = home / "dags"
    dags.mkdir(parents=True)
    (dags / f"{DAG_ID}.py").symlink_to(Path(__file__).parent / "dags" / f"{DAG_ID}.py")
    (home / "passwords.json").write_text(json.dumps({USER: PASSWORD}))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "2",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": pg_url,
        # psycopg 3 is also an asyncio driver: no asyncpg needed for Airflow's async engine.
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": pg_url.replace(
            "+psycopg:", "+psycopg_async:", 1
        ),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{url}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(16),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "MLOPS_TASKS_TEST_SOURCE": str(bike_csv),
        # A local artifact root: the report is a file no web page may link to; the app serves it.
        "MLOPS_TASKS_ARTIFACT_ROOT": str(tmp_path / "artifacts"),
        "MLOPS_TASKS_DB_URL": f"sqlite:///{tmp_path / 'metadata.db'}",
    }
    for name in ("MLOPS_TASKS_ARTIFACT_BASE_URL", "AIRFLOW_CONN_MLOPS_TASKS_DEFAULT"):
        env.pop(name, None)
    airflow = [sys.executable, "-m", "airflow"]
    migrated = subprocess.run([*airflow, "db", "migrate"], env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert migrated.returncode == 0, migrated.stdout[-3000:] + migrated.stderr[-3000:]
    procs = {}
    try:
        for name, args in (
            ("api-server", ["api-server", "-H", "127.0.0.1", "-p", str(port), "-w", "1"]),
            ("scheduler", ["scheduler"]),
            ("dag-processor", ["dag-processor"]),
        ):
            log = (home / f"{name}.log").open("w")
            procs[name] = subprocess.Popen(
                [*airflow, *args],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        client = httpx.Client(base_url=url, timeout=30)
        _wait(lambda: client.get("/api/v2/monitor/health").status_code == 200, 180, procs, home)
        token = client.post("/auth/token", json={"username": USER, "password": PASSWORD})
        assert token.status_code in (200, 201), token.text
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        client.token = token.json()["access_token"]
        client.logs = home
        yield url, client
    finally:
        for proc in procs.values():
            stop_group(proc)


def _wait(ready, timeout, procs, home):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc in procs.items():
            assert proc.poll() is None, (
                f"{name} exited:\n{(home / f'{name}.log').read_text()[-3000:]}"
            )
        try:
            if ready():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    logs = "\n".join(f"== {n}\n{(home / f'{n}.log').read_text()[-2000:]}" for n in procs)
    pytest.fail(f"not ready after {timeout}s\n{logs}")


def test_task_page_shows_the_report_link_and_it_opens_the_report(deployment, tmp_path):
    url, client = deployment
    procs_home = client.logs
    _wait(lambda: client.get(f"/api/v2/dags/{DAG_ID}").status_code == 200, 120, {}, procs_home)
    triggered = client.post(f"/api/v2/dags/{DAG_ID}/dagRuns", json={"logical_date": None})
    assert triggered.status_code == 200, triggered.text
    run_id = triggered.json()["dag_run_id"]

    def finished() -> bool:
        state = client.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}").json()["state"]
        assert state != "failed", client.get(
            f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances"
        ).text
        return state == "success"

    _wait(finished, 180, {}, procs_home)
    links = client.get(
        f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/{TASK_ID}/links"
    ).json()
    report = links["extra_links"]["Report"]
    assert report.startswith(f"/mlops-tasks/dags/{DAG_ID}/reports/"), links

    # Behind Airflow's auth: no credentials, no report.
    assert httpx.get(url + report).status_code == 401
    served = client.get(report)
    assert served.status_code == 200 and "Bike sharing" in served.text
    assert "sandbox" in served.headers["content-security-policy"]

    browser = Chromium(tmp_path / "chromium")
    try:
        browser.set_cookie(url, "_token", client.token)
        # Airflow 3.3 shows extra links on the task instance's Details tab.
        browser.open(f"{url}/dags/{DAG_ID}/runs/{run_id}/tasks/{TASK_ID}/details")
        find = "[...document.querySelectorAll('a')].filter(a => a.textContent.trim() === 'Report').map(a => a.href)[0]"
        href = browser.wait_for(find, timeout=60)
        shot = browser.screenshot(SHOTS / "task_page_report_link.png")
        assert href == url + report, f"no Report link on the task page (screenshot {shot})"
        browser.evaluate(
            "[...document.querySelectorAll('a')].find(a => a.textContent.trim() === 'Report').click()"
        )
        title = browser.wait_for(
            "location.pathname.includes('/reports/') && document.body && document.body.innerText",
            30,
        )
        browser.screenshot(SHOTS / "report_opened.png")
        assert title and "Bike sharing" in title, title
    finally:
        browser.close()
