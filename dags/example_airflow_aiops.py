"""
### mlops-tasks AIOps: anomaly scan -> alerts into incidents -> root causes -> report -> notify

Every 15 minutes: `detect_anomalies` scans the front-end latency, `map_topology` derives the
service graph from traces, `correlate_alerts` folds the Alertmanager webhook alerts into
incidents (their open/resolved lifecycle lives in the metadata store), `rank_root_causes` ranks
the services for the newest incident, `incident_report` writes the HTML report and `notify`
posts the verdict to a webhook.

* Data: the Online Boutique fault day `shared/data/nezha_ob/rca_data/2022-08-23` beside the
  repository (env `MLOPS_TASKS_AIOPS_DAY`), and `dags/data/aiops_alertmanager_webhook.json`.
* Webhook: env `MLOPS_TASKS_AIOPS_WEBHOOK_URL`; without it the notify step is skipped.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from airflow.sdk import DAG

from airflow_provider.operators import (
    CorrelateAlertsOperator,
    DetectAnomaliesOperator,
    IncidentReportOperator,
    MapTopologyOperator,
    NotifyOperator,
    RankRootCausesOperator,
)

HERE = Path(__file__).resolve().parent
DAY = Path(
    os.environ.get("MLOPS_TASKS_AIOPS_DAY")
    or HERE.parents[1] / "shared" / "data" / "nezha_ob" / "rca_data" / "2022-08-23"
)
ALERTS = HERE / "data" / "aiops_alertmanager_webhook.json"
WEBHOOK = os.environ.get("MLOPS_TASKS_AIOPS_WEBHOOK_URL", "")

with DAG(
    dag_id="mlops_tasks_aiops",
    description="Anomaly scan, alert correlation, root-cause ranking, incident report, notification",
    doc_md=__doc__,
    schedule="*/15 * * * *",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    tags=["mlops-tasks", "example", "aiops"],
) as dag:
    scan = DetectAnomaliesOperator(
        task_id="scan", source=str(DAY / "metric" / "front_service.csv.gz"), format="csv",
        timestamp_column="TimeStamp", value_column="LatencyP90(s)",
    )  # fmt: skip
    topology = MapTopologyOperator(
        task_id="map_topology", traces=[str(p) for p in sorted((DAY / "trace").glob("*.csv.gz"))]
    )
    incidents = CorrelateAlertsOperator(
        task_id="correlate_alerts", sources=[str(ALERTS)], topology=topology.output["graph"]
    )
    scan >> incidents
    causes = RankRootCausesOperator(
        task_id="rank_root_causes",
        metrics=str(DAY),
        incidents=incidents.output["incidents"],
        topology=topology.output["graph"],
    )
    report = IncidentReportOperator(
        task_id="incident_report", incidents=incidents.output["incidents"], causes=causes.output["causes"],
        topology=topology.output["graph"], metrics=str(DAY),
    )  # fmt: skip
    NotifyOperator(
        task_id="notify",
        channels=[{"type": "webhook", "url": WEBHOOK or "http://127.0.0.1:9/unused"}],
        title="Incident {{ ti.xcom_pull(task_ids='incident_report', key='incident') }}",
        text="Likeliest root causes: {{ ti.xcom_pull(task_ids='rank_root_causes', key='top') | join(', ') }}",
        fields={"anomalies in scan": "{{ ti.xcom_pull(task_ids='scan', key='anomalies') }}"},
        when=bool(WEBHOOK),
    ).set_upstream(report)


if __name__ == "__main__":
    dag.test()
