"""The reports app serves a report from an object-store root (``s3://`` on a moto server on
127.0.0.1), and only under the DAG that wrote it: Airflow checks the user may read DAG X's task
instances, `load_report` that the report is X's (a hash seen in DAG Y opens nothing under X)."""

from __future__ import annotations

import pytest
from deploy.daemons import Daemons, start_s3

from mlops_tasks.identity import Identity
from mlops_tasks.settings import Settings


@pytest.fixture
def s3_root(tmp_path, monkeypatch):
    pytest.importorskip("moto")

    daemons = Daemons(tmp_path / "logs")
    try:
        for name, value in start_s3(daemons, "reports")["env"].items():
            monkeypatch.setenv(name, value)
        yield "s3://reports/mlops"
    finally:
        daemons.stop()


def test_reports_from_an_s3_root_open_only_under_their_dag(tmp_path, s3_root):
    from fastapi import HTTPException

    from airflow_provider.reports_app import load_report
    from mlops_tasks.context import open_stores

    settings = Settings(artifact_root=s3_root, metadata_url=f"sqlite:///{tmp_path / 'md.db'}")
    artifacts, store = open_stores(settings)
    mine = artifacts.put_bytes(b"<html>x</html>", kind="report", media_type="text/html")
    other = artifacts.put_bytes(b"<html>y</html>", kind="report", media_type="text/html")
    assert mine.uri.startswith("s3://reports/mlops/")
    for dag_id, ref in (("dag_x", mine), ("dag_y", other)):
        execution = store.start_execution(
            task="report", task_version="1", stage="data", config={}, fingerprint="f",
            identity=Identity(engine="airflow", dag_id=dag_id), inputs={}, params={},
        )  # fmt: skip
        store.finish_execution(execution, status="succeeded", result={}, outputs={"report": ref})

    assert load_report(settings, "dag_x", mine.sha256) == b"<html>x</html>"
    assert load_report(settings, "dag_y", other.sha256) == b"<html>y</html>"
    with pytest.raises(HTTPException) as denied:
        load_report(settings, "dag_x", other.sha256)  # dag_y's report under dag_x
    assert denied.value.status_code == 404 and "dag_x" in denied.value.detail
