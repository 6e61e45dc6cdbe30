"""The metadata and lineage store."""

from mlops_tasks.identity import Identity
from mlops_tasks.metadata.store import MetadataStore

__all__ = ["Identity", "MetadataStore"]
