"""mlops-tasks: ML lifecycle stages and AIOps checks as tasks for the scheduler you already run.

The core imports no scheduler. Run a task directly::

    from mlops_tasks import run_task
    result = run_task("extract", {"source": "data/day.csv"})
    run_task("profile", {"dataset": result.dataset})

Names below load on first use, so importing this package (as Airflow does whenever it parses a
DAG file) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "ArtifactRef": "mlops_tasks.artifacts",
    "ArtifactStore": "mlops_tasks.artifacts",
    "Identity": "mlops_tasks.identity",
    "MetadataStore": "mlops_tasks.metadata",
    "Settings": "mlops_tasks.settings",
    "TaskConfig": "mlops_tasks.registry",
    "TaskContext": "mlops_tasks.context",
    "TaskResult": "mlops_tasks.registry",
    "TaskSpec": "mlops_tasks.registry",
    "get_registry": "mlops_tasks.registry",
    "hookimpl": "mlops_tasks.plugins",
    "run_task": "mlops_tasks.runtime",
    "task": "mlops_tasks.registry",
}

if TYPE_CHECKING:
    from mlops_tasks.artifacts import ArtifactRef, ArtifactStore
    from mlops_tasks.context import TaskContext
    from mlops_tasks.identity import Identity
    from mlops_tasks.metadata import MetadataStore
    from mlops_tasks.plugins import hookimpl
    from mlops_tasks.registry import TaskConfig, TaskResult, TaskSpec, get_registry, task
    from mlops_tasks.runtime import run_task
    from mlops_tasks.settings import Settings


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'mlops_tasks' has no attribute {name!r}")


__all__ = sorted(_EXPORTS)
