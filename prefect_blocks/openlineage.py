"""OpenLineage events of the Prefect tasks, with ``openlineage-python`` (the ``openlineage`` extra).

When ``OPENLINEAGE_URL`` (or ``OPENLINEAGE_CONFIG``, or an ``OPENLINEAGE__TRANSPORT__*``
variable) is set, each task run posts the events the Airflow provider posts for an operator: a
START when it begins, then a COMPLETE when it succeeds or a FAIL (with an ``errorMessage`` run
facet) when it raises. Job ``<flow name>.<task>`` in ``OPENLINEAGE_NAMESPACE`` (default
``mlops-tasks``), run id the task run's, the flow run as its parent, and the same datasets and
facets as the Airflow operators (`mlops_tasks.lineage_openlineage`): START names the inputs the
config gives, COMPLETE and FAIL the outputs too (a failed `validate` keeps its report, so its
FAIL carries the failing assertions). ``OPENLINEAGE_DISABLED=true`` turns it off.
"""

from __future__ import annotations

import functools
import os
import traceback
from datetime import datetime
from typing import Any

from mlops_tasks.project import REPOSITORY

DEFAULT_NAMESPACE = "mlops-tasks"
PRODUCER = f"{REPOSITORY}/tree/main/prefect_blocks"
STATES = ("START", "COMPLETE", "FAIL")


def enabled() -> bool:
    """Whether a transport is configured (the client's own variables) and lineage is not off."""
    if os.environ.get("OPENLINEAGE_DISABLED", "").lower() in ("1", "true", "yes"):
        return False
    return bool(
        os.environ.get("OPENLINEAGE_URL")
        or os.environ.get("OPENLINEAGE_CONFIG")
        or any(name.startswith("OPENLINEAGE__TRANSPORT") for name in os.environ)
    )


@functools.cache
def _client() -> Any:
    from openlineage.client import OpenLineageClient

    return OpenLineageClient()  # transport from the environment / openlineage.yml


def emit_lineage(
    state: str,
    *,
    spec: Any,
    config: dict[str, Any],
    result: Any,
    settings: Any,
    identity: Any,
    flow: str,
    at: datetime,
    error: BaseException | None = None,
) -> None:
    """Post one event of the task run: ``state`` is START, COMPLETE or FAIL (with ``error``).

    ``at`` is when it happened: events are posted from a background thread, later.
    """
    from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
    from openlineage.client.facet_v2 import error_message_run, parent_run

    from mlops_tasks.context import open_stores
    from mlops_tasks.lineage_openlineage import TaskLineage, task_lineage

    if state not in STATES:
        raise ValueError(f"state must be one of {STATES}, not {state!r}")
    artifacts, _ = open_stores(settings)
    try:
        validated = spec.validate_config(config)
    except Exception:  # a bad config fails the run (its FAIL says why); no datasets to name
        lineage = TaskLineage()
    else:
        lineage = task_lineage(spec.name, validated, result, artifacts)
    namespace = os.environ.get("OPENLINEAGE_NAMESPACE") or DEFAULT_NAMESPACE
    facets = dict(lineage.run_facets)
    if identity.flow_run_id is not None:
        facets["parent"] = parent_run.ParentRunFacet(
            run=parent_run.Run(runId=str(identity.flow_run_id)),
            job=parent_run.Job(namespace=namespace, name=flow),
        )
    if error is not None:
        facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=f"{type(error).__name__}: {error}",
            programmingLanguage="python",
            stackTrace="".join(traceback.format_exception(error)),
        )
    _client().emit(
        RunEvent(
            eventType=getattr(RunState, state),
            eventTime=at.isoformat(),
            producer=PRODUCER,
            run=Run(runId=str(identity.task_run_id), facets=facets),
            job=Job(namespace=namespace, name=f"{flow}.{spec.name}"),
            inputs=lineage.inputs,
            outputs=lineage.outputs,
        )
    )
