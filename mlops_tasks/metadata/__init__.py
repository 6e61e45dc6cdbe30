"""The metadata and lineage store."""

from mlops_tasks.metadata.store import Identity, MetadataStore

__all__ = ["Identity", "MetadataStore"]
