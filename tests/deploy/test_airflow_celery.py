"""Airflow as a team deploys it: every component its own process, CeleryExecutor, shared stores.

api-server, scheduler, dag-processor and triggerer on a fresh PostgreSQL metadata database; two
Celery workers (their own log-server ports, their own names) on the local Redis, on a queue of
this test's own; the mlops-tasks stores as every worker sees them through the
`mlops_tasks_default` connection: the lineage store in PostgreSQL and the artifact root on an
S3 server (moto) on 127.0.0.1, the input data there too. The DAGs are the example monitoring
and training DAGs, run through the REST API and the scheduler only:

monitoring (drifted data) -> "retrain" Asset event -> the scheduler starts training -> the new
model registered and promoted in the one shared registry; a deferrable sensor (run by the
triggerer) waiting for that promotion succeeds.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
import uuid
from pathlib import Path

import pytest
from airflow_api import Api
from daemons import clean_env, free_port
from monitoring_loop_data import write_loop_data

_spec = importlib.util.find_spec("airflow")
if _spec is None or _spec.origin is None:
    pytest.skip(
        "Airflow is not installed (this half runs in .venv/airflow)", allow_module_level=True
    )
pytest.importorskip("airflow.providers.celery", reason="needs the `celery` extra")
pytest.importorskip("s3fs", reason="needs the `s3` extra")
pytestmark = [pytest.mark.airflow, pytest.mark.postgres]

REPO = Path(__file__).resolve().parents[2]
# Not Redis' default database 0, which other programs on the machine may use; the queue name
# is per test as well, so two runs of this test on one Redis never take each other's tasks.
REDIS_URL = "redis://127.0.0.1:6379/13"
USER, PASSWORD = "deployer", "deploy-test-pw"
MONITORING, TRAINING = "mlops_tasks_monitoring", "mlops_tasks_training"
WAIT_DAG = "mlops_tasks_deploy_wait_for_champion"
# Start-up of six Airflow processes, then 20-odd Celery tasks, each a fresh task process, on
# a shared two-core box.
RUN_TIMEOUT = 420

# Airflow's own hostname hook, pointed at the worker's name: each Celery worker stamps its
# task instances with it, so the test can tell which worker ran what (both run on one host).
WORKER_IDENTITY = """import os


def worker_name():
    return os.environ["MLOPS_DEPLOY_WORKER"]
"""

WAIT_DAG_FILE = f'''"""Waits, deferred in the triggerer, for a new champion of the example's model."""

from airflow.sdk import DAG

from airflow_provider.sensors import ModelVersionSensor

with DAG(dag_id="{WAIT_DAG}", schedule=None, catchup=False) as dag:
    ModelVersionSensor(
        task_id="wait_for_champion", name="bike_demand", alias="champion",
        deferrable=True, poke_interval=2, timeout=600,
    )
'''


def _tasks_of(steps: list[dict]):
    """Every task in a lineage walk (executions, then the artifacts' next steps)."""
    for step in steps:
        yield step["execution"]["task"]
        for artifact in step["artifacts"]:
            yield from _tasks_of(artifact["next"])


def _in_state(tasks: list[dict], state: str) -> list[dict]:
    """The tasks in ``state``; a failed one fails the test at once (no waiting out the timeout)."""
    failed = [t["task_id"] for t in tasks if t["state"] in ("failed", "upstream_failed")]
    assert not failed, f"failed: {failed}"
    return [t for t in tasks if t["state"] == state]


def test_celery_workers_close_the_loop_on_shared_s3_and_postgres(
    tmp_path, bike_csv, new_database, daemons, s3
):
    from mlops_tasks.metadata import MetadataStore
    from mlops_tasks.models.registry import ModelRegistry

    airflow_db, mlops_db = new_database("deploy_airflow"), new_database("deploy_mlops")
    home = tmp_path / "airflow"
    dags = home / "dags"
    dags.mkdir(parents=True)
    for name in ("example_airflow_monitoring.py", "example_airflow_training.py"):
        shutil.copy(REPO / "dags" / name, dags / name)
    for folder in ("contracts", "configs"):  # the pipeline config and the contract it names
        shutil.copytree(REPO / "dags" / folder, dags / folder)
    (dags / "mlops_tasks_deploy_wait.py").write_text(WAIT_DAG_FILE)
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "deploy_worker_identity.py").write_text(WORKER_IDENTITY)
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({USER: PASSWORD}))

    # The data on the object store too: no worker reads the test's directory.
    bucket = s3["bucket"]
    client = s3["client"]
    (tmp_path / "data").mkdir()
    for name, path in write_loop_data(bike_csv, tmp_path / "data").items():
        client.upload_file(str(path), bucket, f"data/{name}.csv")
    data = f"s3://{bucket}/data"

    api_port = free_port()
    api_url = f"http://127.0.0.1:{api_port}"
    env = clean_env(
        {
            **s3["env"],
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            # psycopg for the sync engine; Airflow derives postgresql+asyncpg for its async one.
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": airflow_db,
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CELERY__BROKER_URL": REDIS_URL,
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{airflow_db}",
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": f"mlops-deploy-{uuid.uuid4().hex[:8]}",
            "AIRFLOW__API__BASE_URL": api_url,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api_url}/execution/",
            "AIRFLOW__API_AUTH__JWT_SECRET": uuid.uuid4().hex,
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW_CONN_MLOPS_TASKS_DEFAULT": json.dumps(
                {
                    "conn_type": "mlops_tasks",
                    "host": mlops_db,
                    "extra": {
                        "artifact_root": f"s3://{bucket}/mlops",
                        "storage_options": {"endpoint_url": s3["endpoint"]},
                    },
                }
            ),
            # Nothing may land in a worker's own home: one store for all.
            "MLOPS_TASKS_HOME": str(tmp_path / "worker-home"),
            "MLOPS_TASKS_MONITORING_TRAIN": f"{data}/train.csv",
            "MLOPS_TASKS_MONITORING_CURRENT": f"{data}/drifted.csv",
            "MLOPS_TASKS_EXAMPLE_SOURCE": f"{data}/newest.csv",
            "MLOPS_TASKS_EXAMPLE_CONTRACT": str(dags / "contracts" / "bike_sharing.yaml"),
            # Triggered monitoring runs only: the @daily DAG, first seen within 2.4 h after
            # midnight UTC, would also run at once for that midnight (and train a second model).
            "MLOPS_TASKS_MONITORING_SCHEDULE": "none",
            "PYTHONPATH": str(hooks),
        }
    )
    airflow = [sys.executable, "-m", "airflow"]
    daemons.run("db-migrate", [*airflow, "db", "migrate"], env, timeout=300)
    daemons.start("api-server", [*airflow, "api-server", "-H", "127.0.0.1", "-p", str(api_port),
                                 "-w", "1"], env)  # fmt: skip
    for component in ("scheduler", "dag-processor", "triggerer"):
        daemons.start(component, [*airflow, component], env)
    workers = ("deploy-w1", "deploy-w2")
    for worker in workers:
        daemons.start(
            worker,
            [*airflow, "celery", "worker", "-q", env["AIRFLOW__OPERATORS__DEFAULT_QUEUE"],
             "-c", "2", "-H", f"{worker}@%h", "--pid", str(home / f"{worker}.pid"),
             "--without-gossip", "--without-mingle"],
            {
                **env,
                "MLOPS_DEPLOY_WORKER": worker,
                "AIRFLOW__CORE__HOSTNAME_CALLABLE": "deploy_worker_identity.worker_name",
                # Two workers on one host: each serves its task logs on its own port.
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            },
        )  # fmt: skip
    daemons.wait_http("api-server", f"{api_url}/api/v2/monitor/health")
    api = Api(api_url, USER, PASSWORD)
    daemons.wait_for(
        "the dag-processor to parse the DAGs",
        lambda: (
            {d["dag_id"] for d in api.get("/dags", limit=100)["dags"]}
            >= {MONITORING, TRAINING, WAIT_DAG}
        ),
        timeout=180,
    )

    # The monitoring schedule is off (MLOPS_TASKS_MONITORING_SCHEDULE): the only monitoring run is
    # the one triggered below. Nothing is paused (DAGS_ARE_PAUSED_AT_CREATION).
    assert api.get(f"/dags/{MONITORING}")["timetable_summary"] in (None, "None"), "scheduled"
    assert not any(api.get(f"/dags/{d}")["is_paused"] for d in (MONITORING, TRAINING, WAIT_DAG))

    # A deferred wait for the new champion first: the triggerer holds it while the loop runs.
    waiting = api.send("POST", f"/dags/{WAIT_DAG}/dagRuns", {"logical_date": None})
    daemons.wait_for(
        "the sensor to defer",
        lambda: _in_state(api.tasks(WAIT_DAG, waiting["dag_run_id"]), "deferred"),
        timeout=RUN_TIMEOUT,
    )

    monitoring = api.send("POST", f"/dags/{MONITORING}/dagRuns", {"logical_date": None})
    run = daemons.wait_for(
        "the monitoring run",
        lambda: api.finished(MONITORING, monitoring["dag_run_id"]),
        timeout=RUN_TIMEOUT,
        every=2,
    )
    assert run["state"] == "success", api.tasks(MONITORING, monitoring["dag_run_id"])

    # The Asset event made the scheduler start the training: nobody triggered it.
    [training] = daemons.wait_for(
        "the asset-triggered training run", lambda: api.runs(TRAINING), timeout=120, every=2
    )
    assert training["run_type"] == "asset_triggered"
    done = daemons.wait_for(
        "the training run",
        lambda: api.finished(TRAINING, training["dag_run_id"]),
        timeout=RUN_TIMEOUT,
        every=2,
    )
    training_tasks = {t["task_id"]: t for t in api.tasks(TRAINING, training["dag_run_id"])}
    assert done["state"] == "success", training_tasks
    assert training_tasks["promote"]["state"] == "success"  # the first model: the champion

    # The triggerer saw the promotion and resumed the sensor.
    waited = daemons.wait_for(
        "the deferred sensor",
        lambda: api.finished(WAIT_DAG, waiting["dag_run_id"]),
        timeout=120,
        every=2,
    )
    assert waited["state"] == "success", api.tasks(WAIT_DAG, waiting["dag_run_id"])

    # Both workers took tasks; every task ran on one of them.
    ran = api.tasks(MONITORING, monitoring["dag_run_id"]) + list(training_tasks.values())
    hosts = {t["hostname"] for t in ran if t["state"] == "success"}
    assert hosts == set(workers), hosts

    # One registry, one lineage store: PostgreSQL, written by both DAGs from both workers.
    store = MetadataStore(mlops_db)
    executions = store.runs(limit=200)
    assert {e["dag_id"] for e in executions} == {MONITORING, TRAINING}
    assert {e["engine"] for e in executions} == {"airflow"}
    assert all(e["status"] == "succeeded" for e in executions), executions
    [version] = ModelRegistry(store).versions("bike_demand")
    assert version.version == 1 and "champion" in version.aliases
    assert version.artifact.uri.startswith(f"s3://{bucket}/mlops/")
    lineage = ModelRegistry(store).lineage("bike_demand@champion")
    upstream_tasks = set(_tasks_of(lineage["upstream"]))
    assert {"train", "prepare", "extract"} <= upstream_tasks, upstream_tasks
    [extracted] = [e for e in store.runs(task="extract", limit=10) if e["dag_id"] == TRAINING]
    assert extracted["config"]["source"] == f"{data}/newest.csv"
    assert extracted["run_id"] == training["dag_run_id"]
    # The artifacts are on the object store, and no worker kept a store of its own.
    stored = client.list_objects_v2(Bucket=bucket, Prefix="mlops/")
    assert stored["KeyCount"] >= 10
    assert not (tmp_path / "worker-home").exists()
