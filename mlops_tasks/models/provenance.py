"""Which model files our stores made: the only ones whose code-executing formats may be loaded.

A file is ours when its sha256 is an output of a *succeeded* execution of a task that writes
models (``train``, ``import_model``) or transformers (``prepare``). Presence in the metadata
store is not enough: `run_task` records every artifact a config names as an *input* before the
task runs, so a config could otherwise vouch for its own pickle; a failed run's partial outputs
do not count either. A registered version is trusted through the same rule, since the registry
points at those bytes by their sha256.

>>> from mlops_tasks.metadata import MetadataStore
>>> produced_by_us(MetadataStore("sqlite://"), "0" * 64)
False
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlops_tasks.metadata import MetadataStore

# (task, output field) pairs whose artifacts are files we serialised ourselves.
WRITERS: frozenset[tuple[str, str]] = frozenset(
    {("train", "model"), ("import_model", "model"), ("prepare", "transformer")}
)


def produced_by_us(
    metadata: MetadataStore | None,
    sha256: str,
    outputs: frozenset[tuple[str, str]] = WRITERS,
    media_type: str | None = None,
) -> bool:
    """Whether a succeeded execution of a writer task output these bytes (in this format, if given).

    The format matters too: a ref claiming a trained skops file is a pickle must not turn
    our bytes into an unpickling of them.
    """
    if metadata is None:
        return False
    from sqlalchemy import and_, or_, select

    from mlops_tasks.metadata.models import Artifact, Event, Execution

    stmt = (
        select(Event.id)
        .join(Execution, Execution.id == Event.execution_id)
        .join(Artifact, Artifact.id == Event.artifact_id)
        .where(Artifact.sha256 == sha256, Event.direction == "output")
        .where(Artifact.media_type == media_type if media_type else Artifact.id.is_not(None))
        .where(Execution.status == "succeeded")
        .where(or_(*(and_(Execution.task == t, Event.name == n) for t, n in sorted(outputs))))
        .limit(1)
    )
    with metadata.engine.connect() as conn:
        return conn.execute(stmt).first() is not None
