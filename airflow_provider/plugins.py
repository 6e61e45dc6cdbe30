"""The Airflow plugin of mlops-tasks: the reports app in the api-server and a page in the UI's menu.

Registered through the ``airflow.plugins`` entry point, so installing the package is enough. The app
(`airflow_provider.reports_app`) is mounted at ``/mlops-tasks``; the *Report* extra link points
there. The external view "mlops-tasks models" lists registered models, their aliases and the
recent drift, retraining and incident verdicts.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from airflow_provider.links import PREFIX
from airflow_provider.reports_app import create_app


class MlopsTasksPlugin(AirflowPlugin):
    name = "mlops_tasks"
    fastapi_apps = [{"app": create_app(), "url_prefix": PREFIX, "name": "mlops-tasks reports"}]
    external_views = [
        {
            "name": "mlops-tasks models",
            # No leading slash: the UI resolves it against its own base URL.
            "href": PREFIX.lstrip("/") + "/models",
            "destination": "nav",
            "category": "browse",
            "url_route": "mlops-tasks-models",
        }
    ]
