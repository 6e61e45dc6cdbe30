"""Artifacts are read only under the artifact root: a ref elsewhere is a typed error naming its URI."""

from __future__ import annotations

import hashlib

import pytest
from model_fixtures import bike_dataset

from mlops_tasks.artifacts import ArtifactRef, ArtifactStore
from mlops_tasks.errors import ArtifactOutsideStoreError
from mlops_tasks.metadata import MetadataStore
from mlops_tasks.runtime import run_task
from tests.security.exploits import PICKLE_MEDIA, evil_pickle


def _ref(uri: str, data: bytes, **kw) -> ArtifactRef:
    return ArtifactRef(uri=uri, sha256=hashlib.sha256(data).hexdigest(), size=len(data), **kw)


def test_a_ref_outside_the_root_is_refused_before_anything_is_recorded(
    settings, bike_csv, tmp_path, marker
):
    dataset = bike_dataset(settings, bike_csv)
    (tmp_path / "anywhere").mkdir()
    outside = evil_pickle(tmp_path / "anywhere" / "evil.pkl", marker)
    ref = _ref(outside.as_uri(), outside.read_bytes(), kind="model", media_type=PICKLE_MEDIA)
    runs_before = len(MetadataStore(settings.database_url).runs(limit=100))
    with pytest.raises(
        ArtifactOutsideStoreError, match=f"evaluate: model: artifact {ref.uri} is outside"
    ):
        run_task("evaluate", {"model": ref, "dataset": dataset}, settings=settings)
    assert not marker.exists()
    assert len(MetadataStore(settings.database_url).runs(limit=100)) == runs_before


@pytest.mark.parametrize(
    "suffix",
    ["/../elsewhere/x.parquet", "/dataset/../../elsewhere/x.parquet", "-sibling/dataset/x.parquet"],
)
def test_traversal_and_sibling_prefixes_do_not_count_as_inside(tmp_path, suffix):
    root = tmp_path / "artifacts"
    store = ArtifactStore(str(root))
    inside = store.put_bytes(b"data", kind="dataset")
    assert store.read_bytes(inside) == b"data"
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.parquet").write_bytes(b"data")
    (tmp_path / "artifacts-sibling" / "dataset").mkdir(parents=True)
    (tmp_path / "artifacts-sibling" / "dataset" / "x.parquet").write_bytes(b"data")
    sneaky = inside.model_copy(update={"uri": store.uri(str(root)) + suffix})
    for read in (store.read_bytes, store.local_path):
        with pytest.raises(ArtifactOutsideStoreError, match="outside the artifact store"):
            read(sneaky)
    assert not store.exists(sneaky)


def test_another_filesystem_is_outside_too(tmp_path):
    import fsspec

    store = ArtifactStore(str(tmp_path / "artifacts"))
    fsspec.filesystem("memory").pipe("/loot/x", b"data")
    with pytest.raises(ArtifactOutsideStoreError, match="memory://loot/x"):
        store.read_bytes(_ref("memory://loot/x", b"data", kind="dataset"))
