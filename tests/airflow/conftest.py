"""Airflow suite set-up: a throwaway AIRFLOW_HOME, DAGs folder and SQLite metadata DB.

Airflow reads its configuration once, when it is first imported, so the environment is set
here at module level, before any test module imports it. Without Airflow installed (the
Prefect venv), the suite is not collected at all.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
EXAMPLE_DAG = REPO / "dags" / "example_airflow_extract_profile.py"
TEST_DAGS = HERE / "dags"


def _airflow_installed() -> bool:
    # With tests/ on sys.path, this very directory passes for a namespace package "airflow"
    # (origin None) where Airflow is not installed: only a real package counts.
    spec = importlib.util.find_spec("airflow")
    return spec is not None and spec.origin is not None


if not _airflow_installed():
    collect_ignore_glob = ["*"]
else:
    if "airflow" in sys.modules:
        raise pytest.UsageError(
            "airflow was imported before tests/airflow/conftest.py could configure it"
        )
    AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="mlops-tasks-airflow-"))
    DAGS_FOLDER = AIRFLOW_HOME / "dags"
    DAGS_FOLDER.mkdir()
    # Links, not copies: the example DAG finds the shared data relative to its real location.
    for dag_file in (EXAMPLE_DAG, *sorted(TEST_DAGS.glob("*.py"))):
        (DAGS_FOLDER / dag_file.name).symlink_to(dag_file)
    AIRFLOW_ENV = {
        "AIRFLOW_HOME": str(AIRFLOW_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{AIRFLOW_HOME / 'airflow.db'}",
    }
    os.environ.update(AIRFLOW_ENV)
    # Nothing from the caller's environment may point the tests at real stores.
    for name in ("AIRFLOW_CONN_MLOPS_TASKS_DEFAULT", "MLOPS_TASKS_EXAMPLE_SOURCE"):
        os.environ.pop(name, None)
    os.environ["MLOPS_TASKS_HOME"] = str(AIRFLOW_HOME / "mlops_tasks_home")


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """A migrated Airflow metadata DB, once per session (``airflow db migrate`` on fresh SQLite)."""
    done = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        env={**os.environ, **AIRFLOW_ENV},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return AIRFLOW_HOME / "airflow.db"


@pytest.fixture
def stores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """mlops-tasks stores in the test's temp dir, through the environment (no connection)."""
    from mlops_tasks.settings import Settings

    settings = Settings(
        artifact_root=str(tmp_path / "artifacts"),
        metadata_url=f"sqlite:///{tmp_path / 'metadata.db'}",
    )
    monkeypatch.setenv("MLOPS_TASKS_ARTIFACT_ROOT", settings.artifact_root)
    monkeypatch.setenv("MLOPS_TASKS_DB_URL", settings.database_url)
    monkeypatch.delenv("AIRFLOW_CONN_MLOPS_TASKS_DEFAULT", raising=False)
    return settings


@pytest.fixture
def set_connection(monkeypatch: pytest.MonkeyPatch):
    """Define an Airflow connection of type mlops_tasks as an ``AIRFLOW_CONN_<ID>`` JSON variable."""

    def define(conn_id: str = "mlops_tasks_default", **fields) -> None:
        monkeypatch.setenv(
            f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"conn_type": "mlops_tasks", **fields})
        )

    return define


@pytest.fixture
def load_dag():
    """Execute a DAG file of the DAGs folder afresh (it reads the environment) and return its DAG."""

    def load(file_name: str, dag_id: str):
        spec = importlib.util.spec_from_file_location(
            f"dag_under_test_{Path(file_name).stem}", DAGS_FOLDER / file_name
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        dag = getattr(module, "dag", None)
        assert dag is not None and dag.dag_id == dag_id, f"{file_name} defines no DAG {dag_id!r}"
        return dag

    return load
