"""Fixtures shared by every suite: isolated stores on SQLite, a throwaway PostgreSQL database, real data."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("MLOPS_TASKS_SHARED_DATA", REPO.parent / "shared" / "data"))
BIKE_DAY_CSV = SHARED_DATA / "bike_sharing" / "day.csv"
# The server this machine kind starts before each session and CI run (trust auth).
PG_ADMIN_URL = os.environ.get(
    "MLOPS_TASKS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def settings(tmp_path: Path):
    from mlops_tasks.settings import Settings

    return Settings(
        artifact_root=str(tmp_path / "artifacts"),
        metadata_url=f"sqlite:///{tmp_path / 'metadata.db'}",
    )


@pytest.fixture
def bike_csv() -> Path:
    if not BIKE_DAY_CSV.exists():
        pytest.fail(f"shared data missing: {BIKE_DAY_CSV} (set MLOPS_TASKS_SHARED_DATA)")
    return BIKE_DAY_CSV


@pytest.fixture(scope="session")
def pg_admin():
    """An AUTOCOMMIT engine on the PostgreSQL server, to create and drop test databases."""
    sa = pytest.importorskip("sqlalchemy")
    pytest.importorskip("psycopg")
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect():
            pass
    except sa.exc.OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is unreachable in CI: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    yield admin
    admin.dispose()


@pytest.fixture
def pg_url(pg_admin):
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"mlops_tasks_test_{uuid.uuid4().hex[:10]}"
    with pg_admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = pg_admin.url.set(database=name).render_as_string(hide_password=False)
    yield url
    from mlops_tasks.metadata.store import _engines

    if url in _engines:
        _engines.pop(url).dispose()
    with pg_admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path: Path) -> str:
    """Each metadata-store test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'metadata.db'}"
    return request.getfixturevalue("pg_url")
