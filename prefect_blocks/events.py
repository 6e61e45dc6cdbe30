"""Events a task asks for in its result: each name in a result's ``events`` becomes a Prefect event.

``decide_retraining`` lists ``mlops-tasks.retrain`` when it decides to retrain; a training
deployment triggered on that event name runs then::

    from prefect.events import DeploymentEventTrigger
    from mlops_tasks.monitoring.policy import RETRAIN_EVENT

    training.to_deployment(name="retrain", triggers=[DeploymentEventTrigger(expect={RETRAIN_EVENT})])

Emitted synchronously in the task run (unlike the summary artifact), so a flow that finishes
has sent them. When the task ran on a saved `MlopsTasksStore` block, the event's resource
carries its name as the label ``mlops-tasks.store``, so a triggered run can use the same stores
(``"store": "{{ event.resource.get('mlops-tasks.store', '') }}"`` in the trigger's parameters).
"""

from __future__ import annotations

from typing import Any


def resource_id(task_name: str) -> str:
    """The resource the events are about: the task that decided.

    >>> resource_id("decide_retraining")
    'mlops-tasks.task.decide_retraining'
    """
    return f"mlops-tasks.task.{task_name}"


STORE_LABEL = "mlops-tasks.store"


def store_name(store: Any) -> str | None:
    """The saved block name a task's ``store`` argument stands for (None: environment or unsaved).

    >>> store_name("prod"), store_name(None), store_name("")
    ('prod', None, None)
    """
    if isinstance(store, str):
        return store or None
    # A block loaded by name (or saved) knows its document name; an unsaved one has none.
    return getattr(store, "_block_document_name", None) or None


def emit_result_events(task_name: str, result: Any, store: Any = None) -> list[str]:
    """Emit one event per name in ``result.events``, with the result as payload; the names sent."""
    names = list(getattr(result, "events", None) or [])
    if not names:
        return []
    from prefect.events import emit_event

    payload = result.model_dump(mode="json")
    resource = {
        "prefect.resource.id": resource_id(task_name),
        "prefect.resource.name": task_name,
        "mlops-tasks.task": task_name,
    }
    if (name := store_name(store)) is not None:
        resource[STORE_LABEL] = name
    for name in names:
        emit_event(event=name, resource=resource, payload=payload)
    return names
