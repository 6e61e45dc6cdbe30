"""The Report extra link: set on the worker when a task with an HTML report finishes."""

from __future__ import annotations

from pathlib import Path


def test_report_operators_get_the_link_and_others_do_not():
    from airflow_provider.links import ReportLink
    from airflow_provider.operators import DataReportOperator, ExtractOperator

    assert [type(link) for link in DataReportOperator.operator_extra_links] == [ReportLink]
    assert ExtractOperator.operator_extra_links == ()


def test_the_link_opens_the_report_under_the_base_url(
    airflow_db, stores, load_dag, bike_csv, monkeypatch
):
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    from airflow_provider.links import ReportLink

    monkeypatch.setenv("MLOPS_TASKS_TEST_SOURCE", str(bike_csv))
    monkeypatch.setenv("MLOPS_TASKS_ARTIFACT_BASE_URL", "https://reports.example.com/ml")
    dag_run = load_dag("mlops_tasks_test_report.py", "mlops_tasks_test_report").test()
    assert dag_run.state == "success"

    with create_session() as session:
        links = {
            row.task_id: XComModel.deserialize_value(row)
            for row in session.scalars(
                XComModel.get_many(
                    key=ReportLink().xcom_key, run_id=dag_run.run_id, dag_ids=dag_run.dag_id
                )
            )
        }
    assert set(links) == {"data_report"}
    link = links["data_report"]
    assert link.startswith("https://reports.example.com/ml/report/") and link.endswith(".html")
    served = Path(stores.artifact_root) / link.removeprefix("https://reports.example.com/ml/")
    assert "<html" in served.read_text().lower()
