"""The reports app: a small FastAPI app that the Airflow api-server mounts (``fastapi_apps``).

It serves the HTML reports of the mlops-tasks artifact store by content hash, on the same origin
as the Airflow UI and behind its auth, so the *Report* button opens them whatever the artifact
root is (a local path that no browser may open from a web page, or ``s3://`` ...)::

    GET /mlops-tasks/dags/{dag_id}/reports/{sha256}   the report (`links.report_path`), for users who may read that DAG's task instances, if that DAG wrote it
    GET /mlops-tasks/models                           registered models, aliases, recent drift and incident verdicts

The stores are those of the ``mlops_tasks_default`` connection (read by the api-server from its
secrets backends and DB), else the ``MLOPS_TASKS_*`` environment, as on the workers. Only
artifacts recorded in the metadata store with the media type ``text/html`` are served, read
through `ArtifactStore.read_bytes` (which checks the hash), with a sandboxing
Content-Security-Policy: a report runs no script and cannot act as the signed-in user.
"""

from __future__ import annotations

import html
from typing import Any

from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import HTMLResponse, Response

CONN_ID = "mlops_tasks_default"
REPORT_MEDIA_TYPE = "text/html"
# Reports are self-contained (inline CSS and SVG, data: images): nothing else may load or run,
# and `sandbox` gives the page an opaque origin, so it cannot read the UI's session.
CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def settings() -> Any:
    """The stores the api-server sees: the connection, else the environment."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    from airflow_provider.hooks import settings_from_connection
    from mlops_tasks.settings import Settings

    try:
        conn = BaseHook.get_connection(CONN_ID)
    except AirflowNotFoundException:
        return Settings.from_env()
    return settings_from_connection(conn, CONN_ID)


def _can_read_task_instances() -> Any:
    from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
    from airflow.api_fastapi.core_api.security import requires_access_dag

    return requires_access_dag("GET", DagAccessEntity.TASK_INSTANCE)


def _can_read_dags() -> Any:
    from airflow.api_fastapi.core_api.security import requires_access_dag

    return requires_access_dag("GET")


def producing_dags(store: Any, sha256: str) -> set[str]:
    """The DAGs whose executions wrote (or served from cache) the artifact."""
    upstream = store.lineage(sha256, depth=1)["upstream"]
    return {step["execution"]["dag_id"] for step in upstream if step["execution"]["dag_id"]}


def load_report(stores: Any, dag_id: str, sha256: str) -> bytes:
    """The bytes of DAG `dag_id`'s HTML report `sha256` from the stores of the settings `stores`, else 404."""
    from mlops_tasks.context import open_stores
    from mlops_tasks.errors import MlopsTasksError

    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise HTTPException(404, "a report is named by the full sha256 of its bytes")
    artifacts, store = open_stores(stores)
    try:
        ref = store.artifact(sha256)
    except MlopsTasksError:
        raise HTTPException(404, f"no artifact {sha256} in the metadata store") from None
    if ref.media_type != REPORT_MEDIA_TYPE:
        raise HTTPException(404, f"artifact {sha256[:12]} is a {ref.kind}, not an HTML report")
    # Airflow checked that the user may read `dag_id`'s task instances; the report must be
    # that DAG's too, or a hash seen elsewhere would open another DAG's report.
    if dag_id not in producing_dags(store, sha256):
        raise HTTPException(404, f"no report {sha256[:12]} in DAG {dag_id!r}")
    try:
        body = artifacts.read_bytes(ref)
    except MlopsTasksError as exc:  # missing, corrupt, outside the store
        raise HTTPException(404, f"report {sha256[:12]}: {exc}") from None
    return body


def create_app() -> FastAPI:
    app = FastAPI(title="mlops-tasks reports", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/dags/{dag_id}/reports/{sha256}", dependencies=[Depends(_can_read_task_instances())])
    def report(dag_id: str, sha256: str) -> Response:
        body = load_report(settings(), dag_id, sha256)
        return Response(
            body,
            media_type="text/html; charset=utf-8",
            headers={
                "Content-Security-Policy": CSP,
                "X-Content-Type-Options": "nosniff",
                # Immutable: the name is the hash of the bytes.
                "Cache-Control": "private, max-age=31536000, immutable",
            },
        )

    @app.get("/models", response_class=HTMLResponse, dependencies=[Depends(_can_read_dags())])
    def models() -> HTMLResponse:
        from mlops_tasks.context import open_stores

        _, store = open_stores(settings())
        return HTMLResponse(models_page(store), headers={"Content-Security-Policy": CSP})

    return app


def models_page(store: Any, recent: int = 10) -> str:
    """Registered models with their aliases, and the latest drift, retraining and incident verdicts."""
    from mlops_tasks.models.registry import ModelRegistry

    e = html.escape
    registry = ModelRegistry(store)
    rows = []
    for model in registry.models():
        for version in registry.versions(model["name"], limit=recent):
            metrics = ", ".join(
                f"{k} {v:.4g}"
                for k, v in sorted((version.metrics or {}).items())
                if isinstance(v, (int, float))
            )
            rows.append(
                f"<tr><td>{e(model['name'])}</td><td>v{version.version}</td>"
                f"<td>{e(', '.join(version.aliases))}</td><td>{e(metrics)}</td>"
                f"<td>{e(str(version.created_at)[:19])}</td></tr>"
            )

    def verdicts(task: str, describe: Any) -> list[str]:
        return [
            f"<tr><td>{e(str(run['started_at'])[:19])}</td><td>{e(run['dag_id'] or run['flow_run_id'] or '')}</td>"
            f"<td>{e(describe(run['result'] or {}))}</td></tr>"
            for run in store.runs(limit=recent, task=task)
            if run["status"] == "succeeded"
        ]

    drift = verdicts(
        "detect_drift",
        lambda r: (
            f"share {r.get('share', 0):.2f}, drifted: {', '.join(r.get('drifted_columns', [])) or 'none'}"
        ),
    )
    decisions = verdicts(
        "decide_retraining",
        lambda r: (
            f"{r.get('model')}: {'retrain' if r.get('retrain') else 'keep'} ({'; '.join(r.get('reasons', []))})"
        ),
    )
    causes = verdicts(
        "rank_root_causes",
        lambda r: f"onset {r.get('onset')}: {', '.join(r.get('top', [])[:3])}",
    )

    def table(title: str, head: str, body: list[str]) -> str:
        cells = "".join(f"<th>{h}</th>" for h in head.split("|"))
        return f"<h2>{title}</h2><table><tr>{cells}</tr>{''.join(body) or '<tr><td>none yet</td></tr>'}</table>"

    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>mlops-tasks</title><style>"
        "body{font-family:system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse;margin-bottom:1em}"
        "td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}</style></head><body>"
        + table("Models", "model|version|aliases|metrics|registered", rows)
        + table("Drift", "when|DAG / flow run|verdict", drift)
        + table("Retraining decisions", "when|DAG / flow run|decision", decisions)
        + table("Incidents: likeliest root causes", "when|DAG / flow run|top causes", causes)
        + "</body></html>"
    )
