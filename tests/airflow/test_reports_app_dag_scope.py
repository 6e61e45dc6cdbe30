"""A report opens only under the DAG that wrote it: Airflow checks the user may read DAG X's task
instances, `producing_dags` checks the report is X's (a hash seen in DAG Y opens nothing under X)."""

from __future__ import annotations

from mlops_tasks.artifacts import ArtifactStore
from mlops_tasks.identity import Identity
from mlops_tasks.metadata import MetadataStore


def test_a_report_belongs_to_the_dags_that_wrote_it(tmp_path):
    from airflow_provider.reports_app import producing_dags

    artifacts = ArtifactStore(str(tmp_path / "artifacts"))
    store = MetadataStore(f"sqlite:///{tmp_path / 'md.db'}")
    report = artifacts.put_bytes(b"<html>x</html>", kind="report", media_type="text/html")
    other = artifacts.put_bytes(b"<html>y</html>", kind="report", media_type="text/html")
    for dag_id, ref in (("dag_x", report), ("dag_y", other)):
        execution = store.start_execution(
            task="report", task_version="1", stage="data", config={}, fingerprint="f",
            identity=Identity(engine="airflow", dag_id=dag_id), inputs={}, params={},
        )  # fmt: skip
        store.finish_execution(execution, status="succeeded", result={}, outputs={"report": ref})
    assert producing_dags(store, report.sha256) == {"dag_x"}
    assert producing_dags(store, other.sha256) == {"dag_y"}
