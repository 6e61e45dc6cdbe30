"""mlops-tasks for Prefect 3: a block for the stores and every registered task as a Prefect task.

>>> from prefect_blocks import MlopsTasksStore                  # doctest: +SKIP
>>> from prefect_blocks.tasks import extract, profile           # doctest: +SKIP

Names load on first use, so ``import prefect_blocks`` does not import Prefect. Registered as a
``prefect.collections`` entry point, so Prefect imports this package before it looks a block
type up by slug (``Block.load("mlops-tasks-store/prod")``, workers, ``prefect block register``).
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "MlopsTasksStore": "prefect_blocks.blocks",
    "all_tasks": "prefect_blocks.tasks",
    "artifact_key": "prefect_blocks.tasks",
    "prefect_task": "prefect_blocks.tasks",
}

if TYPE_CHECKING:
    from prefect_blocks.blocks import MlopsTasksStore
    from prefect_blocks.tasks import all_tasks, artifact_key, prefect_task

# Prefect resolves a block type slug through the classes defined so far, right after loading
# collections: the block class must exist once Prefect imports us. When Prefect is already
# imported, defining it costs a few milliseconds; otherwise stay lazy.
if "prefect.blocks.core" in sys.modules:
    from prefect_blocks import blocks as _blocks  # noqa: F401


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'prefect_blocks' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


__all__ = ["MlopsTasksStore", "all_tasks", "artifact_key", "prefect_task"]
