"""Load a model artifact: bytes verified against their sha256, format-safe deserialisation.

>>> # load(ctx.artifacts, ctx.metadata, ref) -> LoadedModel(model, signature, meta, ref)
>>> # see `mlops_tasks.tasks.evaluate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlops_tasks.models.provenance import produced_by_us
from mlops_tasks.models.serialization import UntrustedModelError, format_of, load_model
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

    A joblib or pickle file, or a skops file holding tree structures, loads only if a succeeded
    run of ours produced its bytes (`mlops_tasks.models.provenance`); the ref itself, which
    anyone can write into a config, vouches for nothing.
    """
    fmt = format_of(ref.media_type)
    vouched = produced_by_us(metadata, ref.sha256, media_type=ref.media_type)
    if fmt != "skops" and not vouched:
        raise refuse_pickle(ref.uri, ref.sha256, fmt)
    path = artifacts.local_path(ref)  # raises ArtifactIntegrityError on a hash mismatch
    model = load_model(path, fmt, expected_sha256=ref.sha256 if vouched else None)
    signature = (
        Signature.model_validate(ref.metadata["signature"]) if "signature" in ref.metadata else None
    )
    return LoadedModel(model=model, signature=signature, meta=ref.metadata, ref=ref)


def refuse_pickle(uri: str, sha256: str, fmt: str) -> UntrustedModelError:
    return UntrustedModelError(
        f"refusing to load {fmt} model {uri}: a {fmt} file runs code when loaded, and no "
        f"succeeded train or import_model run of this store produced sha256 {sha256[:12]}...; "
        "bring an outside model in with the import_model task (allow_pickle=True)"
    )
