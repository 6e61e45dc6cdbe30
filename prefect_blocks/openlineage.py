"""OpenLineage events of the Prefect tasks, with ``openlineage-python`` (the ``openlineage`` extra).

When ``OPENLINEAGE_URL`` (or ``OPENLINEAGE_CONFIG``, or an ``OPENLINEAGE__TRANSPORT__*``
variable) is set, each task run that succeeds posts a COMPLETE ``RunEvent``: job
``<flow name>.<task>`` in ``OPENLINEAGE_NAMESPACE`` (default ``mlops-tasks``), run id the task
run's, the flow run as its parent, and the same datasets and facets as the Airflow operators
(`mlops_tasks.lineage_openlineage`). ``OPENLINEAGE_DISABLED=true`` turns it off.
"""

from __future__ import annotations

import functools
import os
from datetime import datetime, timezone
from typing import Any

DEFAULT_NAMESPACE = "mlops-tasks"
PRODUCER = "https://github.com/mlops-tasks/mlops-tasks/prefect_blocks"


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
    spec: Any, config: dict[str, Any], result: Any, settings: Any, identity: Any, flow: str
) -> None:
    """Post the task run's COMPLETE event (call only from a run that succeeded)."""
    from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
    from openlineage.client.facet_v2 import parent_run

    from mlops_tasks.context import open_stores
    from mlops_tasks.lineage_openlineage import task_lineage

    artifacts, _ = open_stores(settings)
    lineage = task_lineage(spec.name, spec.validate_config(config), result, artifacts)
    namespace = os.environ.get("OPENLINEAGE_NAMESPACE") or DEFAULT_NAMESPACE
    facets = dict(lineage.run_facets)
    if identity.flow_run_id is not None:
        facets["parent"] = parent_run.ParentRunFacet(
            run=parent_run.Run(runId=str(identity.flow_run_id)),
            job=parent_run.Job(namespace=namespace, name=flow),
        )
    _client().emit(
        RunEvent(
            eventType=RunState.COMPLETE,
            eventTime=datetime.now(timezone.utc).isoformat(),
            producer=PRODUCER,
            run=Run(runId=str(identity.task_run_id), facets=facets),
            job=Job(namespace=namespace, name=f"{flow}.{spec.name}"),
            inputs=lineage.inputs,
            outputs=lineage.outputs,
        )
    )
