"""The "Report" button on a task whose mlops-tasks result includes an HTML report.

Airflow 3 asks the link for its URL on the worker when the task finishes (passed or failed) and
keeps it in XCom; the operator has set ``report_url`` by then: the reports app's path on the
api-server (`airflow_provider.reports_app`), or a URL under ``MLOPS_TASKS_ARTIFACT_BASE_URL``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey


PREFIX = "/mlops-tasks"  # where the api-server mounts the reports app


def report_path(dag_id: str, sha256: str) -> str:
    """Where the reports app serves a report, below the api-server's root.

    >>> report_path("train", "ab" * 32)[:36]
    '/mlops-tasks/dags/train/reports/abab'
    """
    from urllib.parse import quote

    return f"{PREFIX}/dags/{quote(dag_id, safe='')}/reports/{sha256}"


class ReportLink(BaseOperatorLink):
    """Opens the task's HTML report (data, validation, evaluation, monitoring, incident)."""

    name = "Report"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        return getattr(operator, "report_url", "") or ""


def report_url(dag_id: str, sha256: str) -> str:
    """The report's path in the reports app, below the path of ``[api] base_url`` if it has one.

    A path, not a URL: the UI resolves it against its own origin, so it works behind any host
    name, and keeps it as a same-origin link.
    """
    from urllib.parse import urlsplit

    from airflow.sdk.configuration import conf

    base = urlsplit(conf.get("api", "base_url", fallback="") or "").path.rstrip("/")
    return base + report_path(dag_id, sha256)
