"""mlops-tasks AIOps on Prefect: anomaly scan -> alerts into incidents -> root causes -> report -> notify.

The same steps as `dags/example_airflow_aiops.py`, as a flow; deploy it on a 15-minute schedule
(`aiops.serve(cron="*/15 * * * *")`). Data: the `day` parameter (default the Online Boutique
fault day `shared/data/nezha_ob/rca_data/2022-08-23` beside the repository) and the committed
Alertmanager webhook file; the webhook URL: the `webhook_url` parameter, else env
`MLOPS_TASKS_AIOPS_WEBHOOK_URL`, else the notify step is skipped.
"""

from __future__ import annotations

import os
from pathlib import Path

from prefect import flow

from prefect_blocks.blocks import MlopsTasksStore
from prefect_blocks.tasks import prefect_task

HERE = Path(__file__).resolve().parent
DEFAULT_DAY = HERE.parents[1] / "shared" / "data" / "nezha_ob" / "rca_data" / "2022-08-23"
ALERTS = HERE / "data" / "aiops_alertmanager_webhook.json"


@flow(name="mlops-tasks-aiops", log_prints=True)
def aiops(
    day: str | None = None,
    webhook_url: str | None = None,
    store: MlopsTasksStore | str | None = None,
) -> dict:
    """Scan, correlate, rank, report and notify; returns the incident, its top causes and the report."""
    folder = Path(day or os.environ.get("MLOPS_TASKS_AIOPS_DAY") or DEFAULT_DAY)
    webhook_url = webhook_url or os.environ.get("MLOPS_TASKS_AIOPS_WEBHOOK_URL", "")
    scan = prefect_task("detect_anomalies")(
        source=str(folder / "metric" / "front_service.csv.gz"), format="csv",
        timestamp_column="TimeStamp", value_column="LatencyP90(s)", store=store,
    )  # fmt: skip
    topology = prefect_task("map_topology")(
        traces=[str(p) for p in sorted((folder / "trace").glob("*.csv.gz"))], store=store
    )
    incidents = prefect_task("correlate_alerts")(
        sources=[str(ALERTS)], topology=topology.graph, store=store
    )
    causes = prefect_task("rank_root_causes")(
        metrics=str(folder), incidents=incidents.incidents, topology=topology.graph, store=store
    )
    report = prefect_task("incident_report")(
        incidents=incidents.incidents,
        causes=causes.causes,
        topology=topology.graph,
        metrics=str(folder),
        store=store,
    )
    prefect_task("notify")(
        channels=[{"type": "webhook", "url": webhook_url or "http://127.0.0.1:9/unused"}],
        title=f"Incident {report.incident}",
        text=f"Likeliest root causes: {', '.join(causes.top)}",
        fields={"anomalies in scan": scan.anomalies, "report": report.report.uri},
        when=bool(webhook_url),
        store=store,
    )
    print(f"incident {report.incident}: top causes {causes.top}; report {report.report.uri}")
    return {"incident": report.incident, "top": causes.top, "report": report.report.uri}


if __name__ == "__main__":
    aiops()
