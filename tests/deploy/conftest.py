"""Deployment suite: the engines' real daemons on 127.0.0.1, as a team runs them.

Every daemon runs on a free port with this test's own home, database and queue, and is stopped
by PID (its process group) at teardown; its log is printed when the test fails. The Airflow
half runs in `.venv/airflow`, the Prefect half in `.venv/prefect` (each skips in the other).
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # daemons.py, without a package

from daemons import Daemons, start_s3  # noqa: E402

BUCKET = "mlops-deploy"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def daemons(request, tmp_path):
    """The test's daemons; their logs go to the report when the test failed."""
    running = Daemons(tmp_path / "logs")
    try:
        yield running
    finally:
        running.stop()
        failed = any(
            getattr(getattr(request.node, f"rep_{when}", None), "failed", False)
            for when in ("setup", "call")
        )
        if failed:
            sys.stderr.write(running.report())


@pytest.fixture
def s3(daemons):
    """An S3-compatible server (moto's server mode) on a free port, with one bucket (`start_s3`)."""
    pytest.importorskip("moto")
    return start_s3(daemons, BUCKET)


@pytest.fixture
def new_database(pg_admin):
    """``new_database(prefix)``: a fresh PostgreSQL database URL (psycopg), dropped afterwards."""
    made = []

    def make(prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with pg_admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        made.append(name)
        return pg_admin.url.set(database=name).render_as_string(hide_password=False)

    yield make
    from mlops_tasks.metadata.store import _engines

    for url in [u for u in _engines if any(u.endswith("/" + n) for n in made)]:
        _engines.pop(url).dispose()
    with pg_admin.connect() as conn:
        for name in made:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
