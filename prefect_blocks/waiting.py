"""`wait_for`: the Prefect counterpart of the Airflow sensors, a task that polls one wait check.

::

    from prefect_blocks.waiting import wait_for

    found = wait_for("model_version", name="bike_demand", alias="champion",
                     since="2026-05-01T00:00:00Z", store="prod", timeout_seconds=3600)

The checks are those of `mlops_tasks.waiting` (``model_version``, ``artifact``, ``labels``); a
wait that runs out of time fails with `WaitTimeoutError`. ``since`` defaults to the flow run's
start, so a retried task waits for the same thing.
"""

from __future__ import annotations

import time
from typing import Any

from prefect import task

from mlops_tasks.errors import MlopsTasksError


class WaitTimeoutError(MlopsTasksError, TimeoutError):
    """Nothing turned up before the wait's timeout."""


def _flow_run_start() -> str | None:
    from prefect.runtime import flow_run

    start = flow_run.scheduled_start_time if flow_run.id else None
    return start.isoformat() if start else None


@task(name="mlops-tasks.wait_for")
def wait_for(
    what: str,
    *,
    store: Any = None,
    poll_seconds: float = 30.0,
    timeout_seconds: float = 3600.0,
    **arguments: Any,
) -> dict[str, Any]:
    """Poll ``mlops_tasks.waiting.check(what, ...)`` until it finds something; return that."""
    from mlops_tasks.waiting import check
    from prefect_blocks.tasks import _settings

    if what in ("model_version", "artifact") and not arguments.get("since"):
        arguments["since"] = _flow_run_start()
        if arguments["since"] is None:
            raise TypeError(f"wait_for({what!r}): give since= outside a flow run")
    settings = _settings(store)
    deadline = time.monotonic() + timeout_seconds
    while True:
        found = check(what, settings, **arguments)
        if found:
            return found
        if time.monotonic() + poll_seconds > deadline:
            raise WaitTimeoutError(
                f"wait_for {what}: nothing after {timeout_seconds:g}s ({arguments})"
            )
        time.sleep(poll_seconds)
