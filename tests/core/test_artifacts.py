import json
import os

import pytest
from pydantic import ValidationError

from mlops_tasks.artifacts import ArtifactRef, ArtifactStore, sha256_file
from mlops_tasks.errors import ArtifactIntegrityError, ArtifactNotFoundError


@pytest.fixture(params=["local", "memory"])
def store(request, tmp_path):
    if request.param == "local":
        return ArtifactStore(str(tmp_path / "store"))
    return ArtifactStore(f"memory://test-{os.urandom(4).hex()}")


def test_put_is_content_addressed_and_round_trips(store):
    ref = store.put_bytes(b"hello", kind="report", media_type="text/html", metadata={"n": 1})
    assert ref.sha256 == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    assert ref.uri.endswith(f"/report/2c/{ref.sha256}.html")
    assert ref.size == 5 and ref.metadata == {"n": 1}
    assert store.read_bytes(ref) == b"hello"
    assert open(store.local_path(ref), "rb").read() == b"hello"


def test_same_bytes_twice_is_one_artifact_and_leaves_no_partial_files(tmp_path):
    store = ArtifactStore(str(tmp_path))
    first = store.put_bytes(b"x" * 100, kind="dataset")
    second = store.put_bytes(b"x" * 100, kind="dataset")
    assert first == second
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert [p.name for p in files] == [first.sha256]


def test_ref_is_json_serialisable_and_validated():
    ref = ArtifactRef(
        uri="file:///a", sha256="a" * 64, size=1, kind="dataset", metadata={"rows": 3}
    )
    assert ArtifactRef.model_validate(json.loads(json.dumps(ref.model_dump(mode="json")))) == ref
    with pytest.raises(ValidationError, match="sha256"):
        ArtifactRef(uri="file:///a", sha256="not-a-hash", size=1, kind="dataset")


def test_corrupt_local_artifact_is_detected_on_read(tmp_path):
    store = ArtifactStore(str(tmp_path))
    ref = store.put_bytes(b"original", kind="dataset")
    path = store.fs._strip_protocol(ref.uri)
    with open(path, "wb") as fh:
        fh.write(b"tampered")
    with pytest.raises(ArtifactIntegrityError, match=ref.sha256[:12]):
        store.local_path(ref)
    with pytest.raises(ArtifactIntegrityError):
        store.read_bytes(ref)


def test_verified_path_is_rechecked_after_the_file_changes(tmp_path):
    store = ArtifactStore(str(tmp_path))
    ref = store.put_bytes(b"original", kind="dataset")
    path = store.local_path(ref)
    os.utime(path, ns=(1, 1))  # a different mtime: the cached verification must not be trusted
    with open(path, "wb") as fh:
        fh.write(b"tampered")
    with pytest.raises(ArtifactIntegrityError):
        store.local_path(ref)


def test_missing_artifact_names_its_uri(tmp_path):
    store = ArtifactStore(str(tmp_path))
    ref = ArtifactRef(
        uri=store.uri(f"{tmp_path}/dataset/xx/gone"), sha256="b" * 64, size=1, kind="dataset"
    )
    with pytest.raises(ArtifactNotFoundError, match="gone"):
        store.local_path(ref)
    assert not store.exists(ref)


def test_remote_artifact_is_downloaded_and_verified(tmp_path):
    store = ArtifactStore(
        f"memory://remote-{os.urandom(4).hex()}", cache_dir=str(tmp_path / "cache")
    )
    ref = store.put_bytes(b"payload", kind="dataset")
    local = store.local_path(ref)
    assert local.startswith(str(tmp_path / "cache"))
    assert sha256_file(local) == ref.sha256
    store.fs.pipe_file(store.fs._strip_protocol(ref.uri), b"evil")
    os.remove(local)
    with pytest.raises(ArtifactIntegrityError):
        store.local_path(ref)
