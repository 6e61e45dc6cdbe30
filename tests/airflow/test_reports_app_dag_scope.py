"""The reports app serves a report from an object-store root (``s3://`` on a moto server on
127.0.0.1), and only under the DAG that wrote it: Airflow checks the user may read DAG X's task
instances, `load_report` that the report is X's (a hash seen in DAG Y opens nothing under X)."""

from __future__ import annotations

import sys

import pytest
from deploy.daemons import Daemons, clean_env, free_port

from mlops_tasks.identity import Identity
from mlops_tasks.settings import Settings

KEY = "testing"  # moto accepts any credentials; these are no secret


@pytest.fixture
def s3_root(tmp_path, monkeypatch):
    pytest.importorskip("moto")
    import boto3

    daemons = Daemons(tmp_path / "logs")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        daemons.start(
            "moto", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            clean_env({}),
        )  # fmt: skip
        daemons.wait_http("moto", f"{endpoint}/moto-api/", timeout=60)
        env = {
            "AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": KEY,
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint,
        }  # fmt: skip
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="reports")
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
