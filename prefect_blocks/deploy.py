"""Create the deployments a `prefect.yaml` describes, through Prefect's Python API.

``python -m prefect_blocks.deploy [prefect.yaml]`` does what ``prefect deploy --all`` does for
this project's file (entrypoints, work pool, cron schedules, event triggers, parameters), each
flow loaded from ``MLOPS_TASKS_PROJECT_DIR`` (else the file's directory), so the worker runs it
from there. Why not the CLI: Prefect 3.8.8's ``prefect deploy`` (and ``flow.deploy``), after
creating the first deployment, asks the server for the pool's workers with ``limit: null``,
which the server of our locked set rejects (HTTP 422); ``RunnerDeployment.apply`` does not ask.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any
from uuid import UUID


def _trigger(spec: dict[str, Any]) -> Any:
    from prefect.events import DeploymentEventTrigger

    kind = spec.get("type", "event")
    if kind != "event":
        raise ValueError(f"trigger type {kind!r}: only event triggers are supported here")
    return DeploymentEventTrigger(**{k: v for k, v in spec.items() if k != "type"})


def _schedule(spec: dict[str, Any]) -> Any:
    from prefect.schedules import Cron

    if "cron" not in spec:
        raise ValueError(f"schedule {spec}: only cron schedules are supported here")
    return Cron(spec["cron"], timezone=spec.get("timezone"), active=spec.get("active", True))


def deploy_file(
    path: str | Path = "prefect.yaml", project_dir: str | None = None
) -> dict[str, UUID]:
    """Create or update every deployment in ``path``; their ids by ``flow/deployment`` name."""
    import yaml
    from prefect import Flow

    path = Path(path).resolve()
    config = yaml.safe_load(path.read_text())
    project = Path(project_dir or os.environ.get("MLOPS_TASKS_PROJECT_DIR") or path.parent)
    made = {}
    for spec in config.get("deployments") or []:
        flow = Flow.from_source(source=str(project.resolve()), entrypoint=spec["entrypoint"])
        deployment = flow.to_deployment(
            name=spec["name"],
            description=spec.get("description"),
            parameters=spec.get("parameters") or None,
            triggers=[_trigger(t) for t in spec.get("triggers") or []] or None,
            schedules=[_schedule(s) for s in spec.get("schedules") or []] or None,
        )
        made[f"{flow.name}/{spec['name']}"] = deployment.apply(
            work_pool_name=(spec.get("work_pool") or {}).get("name")
        )
    return made


if __name__ == "__main__":
    for name, deployment_id in deploy_file(*sys.argv[1:2]).items():
        print(f"deployed {name}: {deployment_id}")
