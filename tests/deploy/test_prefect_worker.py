"""Prefect as a team deploys it: a server on PostgreSQL, a process work pool and a worker.

`prefect server start` on a fresh PostgreSQL database (asyncpg), the repository's `prefect.yaml`
deployed (`python -m prefect_blocks.deploy`), `prefect worker start` on the pool; the mlops-tasks stores are one
saved `MlopsTasksStore` block (lineage in PostgreSQL, artifacts on an S3 server on 127.0.0.1).
The worker's own `MLOPS_TASKS_*` point elsewhere, so a run that lost the block would show.

1. monitoring (drifted data, on the block) -> "retrain" event -> the deployment trigger's
   automation -> the training deployment, run by the worker, on the same block: one registry.
2. the drift scan: per-table extract -> drift chains on a `DaskTaskRunner` (two local Dask
   workers), overlapping in time.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest
from daemons import clean_env, free_port
from monitoring_loop_data import write_loop_data

pytest.importorskip("prefect", reason="this half runs in .venv/prefect")
pytest.importorskip("prefect_dask", reason="needs the `prefect-dask` extra")
pytest.importorskip("s3fs", reason="needs the `s3` extra")
pytestmark = [pytest.mark.prefect, pytest.mark.postgres]

REPO = Path(__file__).resolve().parents[2]
POOL = "mlops-tasks"  # prefect.yaml's work pool
RUN_TIMEOUT = 420


def _prefect(*args: str) -> list[str]:
    return [sys.executable, "-m", "prefect", *args]


def _asyncpg(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql+asyncpg://", 1)


def _flow_runs(client, deployment_id):
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.client.schemas.sorting import FlowRunSort

    return client.read_flow_runs(
        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
        sort=FlowRunSort.EXPECTED_START_TIME_ASC,
        limit=10,
    )


def _final(client, flow_run_id):
    run = client.read_flow_run(flow_run_id)
    return run if run.state and run.state.is_final() else None


def test_worker_runs_deployments_from_prefect_yaml_on_one_store_and_dask(
    tmp_path, bike_csv, new_database, daemons, s3
):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from mlops_tasks.metadata import MetadataStore
    from mlops_tasks.models.registry import ModelRegistry

    prefect_db, mlops_db = new_database("deploy_prefect"), new_database("deploy_mlops")
    bucket, client_s3 = s3["bucket"], s3["client"]
    (tmp_path / "data").mkdir()
    for name, path in write_loop_data(bike_csv, tmp_path / "data").items():
        client_s3.upload_file(str(path), bucket, f"data/{name}.csv")
    data = f"s3://{bucket}/data"

    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    home = tmp_path / "prefect-home"
    env = clean_env(
        {
            **s3["env"],
            "PREFECT_HOME": str(home),
            "PREFECT_PROFILES_PATH": str(home / "profiles.toml"),
            "PREFECT_API_URL": api_url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_UI_ENABLED": "false",
            "PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS": "false",
            # Where prefect.yaml's pull step puts the flow runs: this checkout.
            "MLOPS_TASKS_PROJECT_DIR": str(REPO),
            # The worker's defaults: a store of its own that must stay unused.
            "MLOPS_TASKS_HOME": str(tmp_path / "worker-home"),
            "MLOPS_TASKS_EXAMPLE_SOURCE": f"{data}/newest.csv",
        }
    )
    server_env = {**env, "PREFECT_API_DATABASE_CONNECTION_URL": _asyncpg(prefect_db)}
    server_env.pop("PREFECT_API_URL")
    daemons.start(
        "server",
        _prefect("server", "start", "--host", "127.0.0.1", "--port", str(port)),
        server_env,
    )
    daemons.wait_http("server", f"{api_url}/health", timeout=240)

    block = f"deploy-{uuid.uuid4().hex[:8]}"
    with temporary_settings({PREFECT_API_URL: api_url}):
        from prefect.client.orchestration import get_client

        from prefect_blocks.blocks import MlopsTasksStore

        MlopsTasksStore(
            artifact_root=f"s3://{bucket}/prefect",
            metadata_url=mlops_db,
            storage_options={"endpoint_url": s3["endpoint"]},
        ).save(block)
        daemons.run("pool", _prefect("work-pool", "create", POOL, "--type", "process"), env, 120)
        # `prefect deploy --all` would do; Prefect 3.8.8's CLI fails on its worker lookup (422).
        deploy = [sys.executable, "-m", "prefect_blocks.deploy", str(REPO / "prefect.yaml")]
        daemons.run("deploy", deploy, env, 300, cwd=REPO)
        daemons.start("worker", _prefect("worker", "start", "--pool", POOL), env, cwd=tmp_path)

        with get_client(sync_client=True) as client:
            training = client.read_deployment_by_name("mlops-tasks-training/on-retrain-decision")
            [automation] = client.read_resource_related_automations(
                f"prefect.deployment.{training.id}"
            )
            assert automation.trigger.expect == {"mlops-tasks.retrain"}

            # 1. The loop, every run on the worker, every task on the block.
            monitoring = client.read_deployment_by_name("mlops-tasks-monitoring/daily")
            started = client.create_flow_run_from_deployment(
                monitoring.id,
                parameters={
                    "train_source": f"{data}/train.csv",
                    "current_source": f"{data}/drifted.csv",
                    "store": block,
                },
            )
            done = daemons.wait_for(
                "the monitoring run", lambda: _final(client, started.id), RUN_TIMEOUT, every=2
            )
            assert done.state.is_completed(), done.state
            [retrained] = daemons.wait_for(
                "the triggered training run",
                lambda: [r for r in _flow_runs(client, training.id) if r.state.is_final()],
                RUN_TIMEOUT,
                every=2,
            )
            assert retrained.created_by and retrained.created_by.type == "AUTOMATION"
            assert retrained.parameters == {"model_name": "bike_demand", "store": block}
            assert retrained.state.is_completed() and retrained.state.name == "Promoted", (
                retrained.state
            )

            # 2. The drift scan on Dask: the per-table chains overlap.
            scan = client.read_deployment_by_name("mlops-tasks-drift-scan/parallel")
            tables = [f"{data}/current.csv", f"{data}/drifted.csv", f"{data}/newest.csv"]
            scanned = client.create_flow_run_from_deployment(
                scan.id,
                parameters={"train": f"{data}/train.csv", "tables": tables, "store": block},
            )
            finished = daemons.wait_for(
                "the drift scan", lambda: _final(client, scanned.id), RUN_TIMEOUT, every=2
            )
            assert finished.state.is_completed(), finished.state

    store = MetadataStore(mlops_db)
    # One registry: the block's. The worker's own home never got a store.
    [version] = ModelRegistry(store).versions("bike_demand")
    assert "champion" in version.aliases
    assert version.artifact.uri.startswith(f"s3://{bucket}/prefect/")
    assert not (tmp_path / "worker-home").exists()
    executions = store.runs(limit=300)
    by_run: dict[str, list[dict]] = {}
    for execution in executions:
        by_run.setdefault(execution["flow_run_id"], []).append(execution)
    assert {"extract", "detect_drift", "decide_retraining"} <= {
        e["task"] for e in by_run[str(started.id)]
    }
    assert {"train", "register", "promote"} <= {e["task"] for e in by_run[str(retrained.id)]}
    assert {e["engine"] for e in executions} == {"prefect"}
    # The reference's extract and fit (cache=True) are served from the monitoring run's records.
    assert {e["status"] for e in executions} <= {"succeeded", "cached"}
    assert {e["task"] for e in executions if e["status"] == "cached"} <= {
        "extract",
        "fit_reference",
    }

    # The scan's per-table tasks ran at the same time on the two Dask workers.
    scan_tasks = [e for e in by_run[str(scanned.id)] if e["task"] in ("extract", "detect_drift")]
    scan_tasks = [e for e in scan_tasks if e["config"].get("source") != f"{data}/train.csv"]
    assert len(scan_tasks) == 2 * len(tables)
    spans = sorted((e["started_at"], e["ended_at"]) for e in scan_tasks)
    overlaps = [(a, b) for i, a in enumerate(spans) for b in spans[i + 1 :] if b[0] < a[1]]
    assert overlaps, f"no two per-table tasks overlapped: {spans}"
    drift_runs = [e for e in scan_tasks if e["task"] == "detect_drift"]
    assert sorted(e["result"]["current_rows"] for e in drift_runs) == [366, 366, 731]
