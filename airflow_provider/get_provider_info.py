"""What Airflow's providers manager learns about this package, without importing any of it.

Airflow calls `get_provider_info` through the ``apache_airflow_provider`` entry point in every
component, so it returns a literal dict: no hook or operator module is imported here. The
connection form (fields, labels, placeholders) is declared in ``conn-fields`` and
``ui-field-behaviour``, the Airflow 3.2+ replacement for a hook's
``get_connection_form_widgets`` / ``get_ui_field_behaviour``.

>>> info = get_provider_info()
>>> info["package-name"], info["connection-types"][0]["connection-type"]
('mlops-tasks', 'mlops_tasks')
"""

from __future__ import annotations

from typing import Any

INTEGRATION = "mlops-tasks"
CONN_TYPE = "mlops_tasks"


def get_provider_info() -> dict[str, Any]:
    from airflow_provider import __version__

    return {
        # Must equal the distribution name: Airflow refuses a provider whose names differ.
        "package-name": "mlops-tasks",
        "name": "mlops-tasks",
        "description": (
            "ML lifecycle stages and AIOps checks (extract, profile and every task an "
            "installed mlops-tasks plugin registers) as Airflow operators, with their "
            "artifacts and lineage recorded in the mlops-tasks stores.\n"
        ),
        "versions": [__version__],
        "integrations": [{"integration-name": INTEGRATION, "tags": ["software"]}],
        "operators": [
            {"integration-name": INTEGRATION, "python-modules": ["airflow_provider.operators"]}
        ],
        "hooks": [{"integration-name": INTEGRATION, "python-modules": ["airflow_provider.hooks"]}],
        "sensors": [
            {
                "integration-name": INTEGRATION,
                "python-modules": ["airflow_provider.sensors.waiting"],
            }
        ],
        "triggers": [
            {
                "integration-name": INTEGRATION,
                "python-modules": ["airflow_provider.triggers.waiting"],
            }
        ],
        "extra-links": ["airflow_provider.links.ReportLink"],
        # The reports app and the models page (see `airflow_provider.plugins`).
        "plugins": [
            {"name": "mlops_tasks", "plugin-class": "airflow_provider.plugins.MlopsTasksPlugin"}
        ],
        "connection-types": [
            {
                "connection-type": CONN_TYPE,
                "hook-class-name": "airflow_provider.hooks.MlopsTasksHook",
                "hook-name": "mlops-tasks stores",
                # Stored in the connection's extra under these names.
                "conn-fields": {
                    "artifact_root": {
                        "label": "Artifact root",
                        "description": "Local path or fsspec URL of the artifact store (s3://bucket/prefix ...).",
                        "schema": {"type": ["string", "null"]},
                    },
                    "storage_options": {
                        "label": "Storage options (JSON)",
                        "description": "JSON object of fsspec options for the artifact store (endpoint, key ...).",
                        "schema": {"type": ["string", "null"]},
                    },
                },
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port"],
                    "relabeling": {
                        "host": "Metadata DB URL",
                        "login": "Metadata DB user",
                        "password": "Metadata DB password",
                    },
                    "placeholders": {
                        "host": "postgresql+psycopg://db.internal:5432/mlops_tasks",
                        "login": "optional; else the user in the URL",
                        "password": "optional; else the password in the URL",
                        "artifact_root": "s3://ml-artifacts/mlops-tasks",
                        "storage_options": '{"client_kwargs": {"endpoint_url": "http://minio:9000"}}',
                    },
                },
            }
        ],
    }
