"""Load a model artifact: bytes verified against their sha256, format-safe deserialisation.

>>> # load(ctx, ref) -> LoadedModel(model, signature, meta); see `mlops_tasks.tasks.evaluate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlops_tasks.models.serialization import format_of, load_model
from mlops_tasks.models.signature import Signature

if TYPE_CHECKING:
    from mlops_tasks.artifacts import ArtifactRef, ArtifactStore
    from mlops_tasks.metadata import MetadataStore


@dataclass(frozen=True)
class LoadedModel:
    model: Any
    signature: Signature
    meta: dict[str, Any]
    ref: ArtifactRef

    @property
    def is_classifier(self) -> bool:
        return hasattr(self.model, "classes_")


def load(artifacts: ArtifactStore, metadata: MetadataStore | None, ref: ArtifactRef) -> LoadedModel:
    """The model behind `ref`. A file whose bytes differ from ``ref.sha256`` is refused.

    A joblib or pickle file, or a skops file holding tree structures, loads only if our stores
    know its hash.
    """
    path = artifacts.local_path(ref)  # raises ArtifactIntegrityError on a hash mismatch
    fmt = format_of(ref.media_type)
    vouched = ref.sha256 if _known(metadata, ref) else None
    model = load_model(path, fmt, expected_sha256=vouched)
    signature = (
        Signature.model_validate(ref.metadata["signature"]) if "signature" in ref.metadata else None
    )
    return LoadedModel(model=model, signature=signature, meta=ref.metadata, ref=ref)


def _known(metadata: MetadataStore | None, ref: ArtifactRef) -> bool:
    """Whether our stores vouch for these bytes: a registered version, or a recorded task output."""
    if metadata is None:
        return False
    from mlops_tasks.errors import ArtifactNotFoundError
    from mlops_tasks.models.registry import ModelRegistry

    if ModelRegistry(metadata).knows(ref.sha256):
        return True
    try:
        return metadata.artifact(ref.sha256).sha256 == ref.sha256
    except ArtifactNotFoundError:
        return False
