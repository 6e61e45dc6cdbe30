"""docker/ built and run as shipped, where a Docker daemon runs but no image registry is reachable.

The base image comes from Debian's packages (`docker/debian-base`: debootstrap + `docker import`,
tagged by its recipe's hash, so a machine builds it once). PostgreSQL and Redis are built on it
(`docker/postgres.Dockerfile`, `docker/redis.Dockerfile`) and take the registry images' place
through the compose files' `POSTGRES_IMAGE` / `REDIS_IMAGE`; our Airflow and Prefect images are
built on it through their `BASE_IMAGE` arg. Each compose file then goes up as a user runs it,
runs the training pipeline on the mounted example data, and comes down with its volumes:

* Airflow: init job, api-server, scheduler, dag-processor, triggerer, two Celery workers, Redis
  and PostgreSQL, all healthy -> the training DAG triggered through the REST API -> success on
  the Celery workers, the model registered and promoted in the compose's PostgreSQL store.
* Prefect: server and PostgreSQL, the deploy job (`prefect.yaml`), a worker -> the training
  deployment run by the worker -> "Promoted", the model in the registry.

Uses the machine's Docker daemon if one answers, else starts `dockerd` and stops it by PID;
skips, saying why, where no daemon can run (scripts/install-docker installs one).
"""

from __future__ import annotations

import json
import uuid

import pytest
from airflow_api import Api
from daemons import free_port
from docker_stack import (
    Compose,
    base_image,
    build,
    compose_command,
    compose_up,
    start_daemon,
    wait_until,
)

TRAINING = "mlops_tasks_training"
MODEL = "bike_demand"
# Start-up of the stack's containers (compose's `up` waits for each dependency's healthcheck),
# then one pipeline of ten tasks, on a shared two-core box: each Airflow process takes minutes
# to start there when the load is high (an `airflow db migrate` took 7 minutes at load 20).
READY_TIMEOUT = 1200
RUN_TIMEOUT = 900

# Run inside a container of the stack (its image has mlops-tasks; its environment, the stores):
# the model's versions as JSON, and whether each artifact is on the shared volume.
REGISTRY_PROBE = """
import json, os, sys
from mlops_tasks.metadata import MetadataStore
from mlops_tasks.models.registry import ModelRegistry
store = MetadataStore(sys.argv[1])
versions = ModelRegistry(store).versions(sys.argv[2])
print(json.dumps({
    "versions": [{"version": v.version, "aliases": sorted(v.aliases), "uri": v.artifact.uri,
                  "on_volume": os.path.exists(v.artifact.uri.removeprefix("file://"))} for v in versions],
    "runs": [{k: e[k] for k in ("task", "status", "engine", "dag_id", "run_id", "flow_run_id")}
             for e in store.runs(limit=100)],
}))
"""

# Run inside the Prefect worker's container: the training deployment, to its final state.
PREFECT_RUN = """
import json, sys, time
from prefect.client.orchestration import get_client
with get_client(sync_client=True) as client:
    deployment = client.read_deployment_by_name(sys.argv[1])
    run = client.create_flow_run_from_deployment(deployment.id)
    deadline = time.monotonic() + float(sys.argv[2])
    while not (run.state and run.state.is_final()) and time.monotonic() < deadline:
        time.sleep(2)
        run = client.read_flow_run(run.id)
    print(json.dumps({"id": str(run.id), "type": run.state.type.value, "name": run.state.name,
                      "message": run.state.message}))
"""


@pytest.fixture(scope="module")
def docker(tmp_path_factory):
    """The compose command, with a Docker daemon answering (started here when none did)."""
    started, why_not = start_daemon(tmp_path_factory.mktemp("dockerd"))
    if why_not:
        pytest.skip(f"no Docker daemon can run here: {why_not}")
    command = compose_command()
    try:
        if command is None:
            pytest.skip("no docker compose or docker-compose (scripts/install-docker)")
        yield command
    finally:
        if started:
            started.stop()


@pytest.fixture(scope="module")
def images(docker):
    """The base from Debian packages, PostgreSQL and Redis on it: the images no registry gives."""
    base = base_image()
    return {
        "base": base,
        "POSTGRES_IMAGE": build("postgres.Dockerfile", "mlops-tasks-postgres:local", base),
        "REDIS_IMAGE": build("redis.Dockerfile", "mlops-tasks-redis:local", base),
    }


def _probe(stack: Compose, service: str, db_url: str) -> dict:
    out = stack("exec", "-T", service, "python", "-", db_url, MODEL, stdin=REGISTRY_PROBE)
    return json.loads(out.strip().splitlines()[-1])


def _assert_one_champion(found: dict) -> dict:
    [version] = found["versions"]
    assert version["version"] == 1 and "champion" in version["aliases"], version
    # On the artifacts volume every service of the stack mounts, and there.
    assert version["uri"].startswith("file:///opt/mlops-artifacts/") and version["on_volume"], (
        version
    )
    return version


def test_airflow_compose_trains_on_celery_workers(docker, images, bike_csv):
    image = build("airflow.Dockerfile", "mlops-tasks-airflow:local", images["base"])
    port = free_port()
    stack = Compose(
        docker,
        "compose.airflow.yaml",
        f"mlops-i13-airflow-{uuid.uuid4().hex[:6]}",
        {
            "POSTGRES_IMAGE": images["POSTGRES_IMAGE"],
            "REDIS_IMAGE": images["REDIS_IMAGE"],
            "MLOPS_TASKS_AIRFLOW_IMAGE": image,
            "MLOPS_TASKS_SHARED_DATA": str(bike_csv.parents[1]),
            "AIRFLOW_API_PORT": str(port),
            "AIRFLOW_JWT_SECRET": uuid.uuid4().hex,
            # Only the DAG the test runs: the examples' cron schedules stay off.
            "AIRFLOW_DAGS_PAUSED": "true",
        },
    )
    with compose_up(stack, "--scale", "airflow-worker=2", timeout=READY_TIMEOUT):
        containers = stack.wait_ready(READY_TIMEOUT)
        services = {c["Config"]["Labels"]["com.docker.compose.service"] for c in containers}
        assert services >= {
            "postgres", "redis", "airflow-init", "airflow-apiserver", "airflow-scheduler",
            "airflow-dag-processor", "airflow-triggerer", "airflow-worker",
        }, services  # fmt: skip
        workers = {
            c["Config"]["Hostname"]
            for c in containers
            if c["Config"]["Labels"]["com.docker.compose.service"] == "airflow-worker"
        }
        assert len(workers) == 2, workers

        # SimpleAuthManager's generated password for the compose file's `admin` user.
        passwords = stack(
            "exec", "-T", "airflow-apiserver",
            "cat", "/opt/airflow/simple_auth_manager_passwords.json.generated",
        )  # fmt: skip
        api = Api(f"http://127.0.0.1:{port}", "admin", json.loads(passwords)["admin"])
        wait_until(
            "the dag-processor to parse the training DAG",
            lambda: TRAINING in {d["dag_id"] for d in api.get("/dags", limit=100)["dags"]},
            READY_TIMEOUT,
        )
        api.send("PATCH", f"/dags/{TRAINING}", {"is_paused": False})
        started = api.send("POST", f"/dags/{TRAINING}/dagRuns", {"logical_date": None})
        done = wait_until(
            "the training run", lambda: api.finished(TRAINING, started["dag_run_id"]), RUN_TIMEOUT
        )
        tasks = {t["task_id"]: t for t in api.tasks(TRAINING, started["dag_run_id"])}
        assert done["state"] == "success", {k: t["state"] for k, t in tasks.items()}
        assert tasks["promote"]["state"] == "success"
        # Every task ran on one of the Celery workers' containers.
        ran_on = {t["hostname"] for t in tasks.values() if t["state"] == "success"}
        assert ran_on and ran_on <= workers, (ran_on, workers)

        found = _probe(
            stack, "airflow-worker", "postgresql+psycopg://airflow:airflow@postgres/mlops_tasks"
        )
        _assert_one_champion(found)
        runs = [r for r in found["runs"] if r["run_id"] == started["dag_run_id"]]
        assert {"extract", "train", "register", "promote"} <= {r["task"] for r in runs}
        assert {(r["engine"], r["dag_id"], r["status"]) for r in runs} == {
            ("airflow", TRAINING, "succeeded")
        }


def test_prefect_compose_worker_runs_the_training_deployment(docker, images, bike_csv):
    image = build("prefect.Dockerfile", "mlops-tasks-prefect:local", images["base"])
    stack = Compose(
        docker,
        "compose.prefect.yaml",
        f"mlops-i13-prefect-{uuid.uuid4().hex[:6]}",
        {
            "POSTGRES_IMAGE": images["POSTGRES_IMAGE"],
            "MLOPS_TASKS_PREFECT_IMAGE": image,
            "MLOPS_TASKS_SHARED_DATA": str(bike_csv.parents[1]),
            "PREFECT_PORT": str(free_port()),
        },
    )
    with compose_up(stack, timeout=READY_TIMEOUT):
        containers = stack.wait_ready(READY_TIMEOUT)
        states = {
            c["Config"]["Labels"]["com.docker.compose.service"]: c["State"]["Status"]
            for c in containers
        }
        # The deploy job ran to its end (exit 0: wait_ready), the rest keep running.
        assert states == {
            "postgres": "running", "server": "running", "deploy": "exited", "worker": "running"
        }, states  # fmt: skip

        out = stack(
            "exec", "-T", "worker", "python", "-",
            "mlops-tasks-training/on-retrain-decision", str(RUN_TIMEOUT),
            stdin=PREFECT_RUN, timeout=RUN_TIMEOUT + 60,
        )  # fmt: skip
        run = json.loads(out.strip().splitlines()[-1])
        assert (run["type"], run["name"]) == ("COMPLETED", "Promoted"), run

        found = _probe(stack, "worker", "postgresql+psycopg://prefect:prefect@postgres/mlops_tasks")
        _assert_one_champion(found)
        runs = [r for r in found["runs"] if r["flow_run_id"] == run["id"]]
        assert {"extract", "train", "register", "promote"} <= {r["task"] for r in runs}
        assert {r["engine"] for r in runs} == {"prefect"}
