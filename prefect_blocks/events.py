"""Events a task asks for in its result: each name in a result's ``events`` becomes a Prefect event.

``decide_retraining`` lists ``mlops-tasks.retrain`` when it decides to retrain; a training
deployment triggered on that event name runs then::

    from prefect.events import DeploymentEventTrigger
    from mlops_tasks.monitoring.policy import RETRAIN_EVENT

    training.to_deployment(name="retrain", triggers=[DeploymentEventTrigger(expect={RETRAIN_EVENT})])

Emitted synchronously in the task run (unlike the summary artifact), so a flow that finishes
has sent them.
"""

from __future__ import annotations

from typing import Any


def resource_id(task_name: str) -> str:
    """The resource the events are about: the task that decided.

    >>> resource_id("decide_retraining")
    'mlops-tasks.task.decide_retraining'
    """
    return f"mlops-tasks.task.{task_name}"


def emit_result_events(task_name: str, result: Any) -> list[str]:
    """Emit one event per name in ``result.events``, with the result as payload; the names sent."""
    names = list(getattr(result, "events", None) or [])
    if not names:
        return []
    from prefect.events import emit_event

    payload = result.model_dump(mode="json")
    for name in names:
        emit_event(
            event=name,
            resource={
                "prefect.resource.id": resource_id(task_name),
                "prefect.resource.name": task_name,
                "mlops-tasks.task": task_name,
            },
            payload=payload,
        )
    return names
