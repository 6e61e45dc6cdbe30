"""The "Report" button on a task whose mlops-tasks result includes an HTML report.

Airflow 3 asks the link for its URL on the worker when the task finishes (passed or failed) and
keeps it in XCom; the operator has set ``report_url`` by then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey


class ReportLink(BaseOperatorLink):
    """Opens the task's HTML report (data, validation, evaluation, monitoring, incident)."""

    name = "Report"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        return getattr(operator, "report_url", "") or ""
