"""Content-addressed artifact store on fsspec.

Artifacts are immutable files named by the sha256 of their bytes. Tasks hand each other an
`ArtifactRef` (small, JSON-serialisable), never the data itself, so XCom and Prefect results
stay small and any worker that can reach the store can read the data.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mlops_tasks.errors import (
    ArtifactIntegrityError,
    ArtifactNotFoundError,
    ArtifactOutsideStoreError,
    SourceUnreachableError,
)

_CHUNK = 8 * 1024 * 1024
_EXTENSIONS = {
    "application/vnd.apache.parquet": ".parquet",
    "application/json": ".json",
    "text/html": ".html",
    "text/yaml": ".yaml",
}


class ArtifactRef(BaseModel):
    """A pointer to one immutable artifact: where it is and what its bytes hash to.

    >>> ref = ArtifactRef(uri="memory://a/x.json", sha256="0" * 64, size=2, kind="profile")
    >>> ArtifactRef.model_validate_json(ref.model_dump_json()) == ref
    True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    uri: str = Field(description="fsspec URL of the artifact's bytes.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the artifact's bytes.")
    size: int = Field(ge=0, description="Size in bytes.")
    kind: str = Field(description="What it is: dataset, profile, model, report, source ...")
    media_type: str = "application/octet-stream"
    metadata: dict[str, Any] = Field(
        default_factory=dict, description="Small facts: rows, columns."
    )


def sha256_file(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


class ArtifactStore:
    """Put files in, get verified files out.

    Parameters
    ----------
    root : str
        Local path or any fsspec URL (``memory://``, ``file://``, ``s3://bucket/prefix``).
    storage_options : dict, optional
        Passed to the fsspec filesystem (credentials, endpoint).
    cache_dir : str, optional
        Where remote artifacts are downloaded to be read; defaults to a temp dir.

    Examples
    --------
    >>> store = ArtifactStore("memory://doc-example")
    >>> ref = store.put_bytes(b'{"a": 1}', kind="profile", media_type="application/json")
    >>> store.read_bytes(ref)
    b'{"a": 1}'
    """

    def __init__(
        self,
        root: str,
        storage_options: dict[str, Any] | None = None,
        cache_dir: str | None = None,
    ):
        import fsspec

        try:
            self.fs, path = fsspec.core.url_to_fs(root, **(storage_options or {}))
        except (ImportError, ValueError) as exc:
            raise SourceUnreachableError(f"cannot open artifact store {root!r}: {exc}") from exc
        self.root = path.rstrip("/")
        self._local = "file" in _protocols(self.fs)
        self._cache_dir = cache_dir
        self._verified: dict[str, tuple[str, int]] = {}

    def uri(self, path: str) -> str:
        return self.fs.unstrip_protocol(path)

    def link(self, ref: ArtifactRef, base_url: str | None = None) -> str:
        """A URL a person can open: under ``base_url`` when the store is served over HTTP, else the URI.

        >>> store = ArtifactStore("memory://served")
        >>> ref = store.put_bytes(b"<html/>", kind="report", media_type="text/html")
        >>> store.link(ref, "https://reports.example.com/ml").startswith("https://reports.example.com/ml/report/")
        True
        """
        root = self.uri(self.root)
        if base_url and ref.uri.startswith(root + "/"):
            return base_url.rstrip("/") + ref.uri[len(root) :]
        return ref.uri

    # -- writing -------------------------------------------------------------------------------

    @contextmanager
    def new_file(self, suffix: str = "") -> Iterator[Path]:
        """A local scratch path to write an artifact to before `put_file` moves it in."""
        tmpdir = tempfile.mkdtemp(prefix="mlops-tasks-")
        try:
            yield Path(tmpdir) / f"artifact{suffix}"
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)

    def put_file(
        self,
        local_path: str | os.PathLike[str],
        *,
        kind: str,
        media_type: str = "application/octet-stream",
        metadata: dict[str, Any] | None = None,
    ) -> ArtifactRef:
        """Store a local file under its content hash. Storing the same bytes twice is a no-op."""
        digest = sha256_file(local_path)
        size = os.path.getsize(local_path)
        final = f"{self.root}/{kind}/{digest[:2]}/{digest}{_EXTENSIONS.get(media_type, '')}"
        if not self.fs.exists(final):
            # Write beside the final name, then rename: a reader never sees half a file.
            self.fs.makedirs(final.rsplit("/", 1)[0], exist_ok=True)
            partial = f"{final}.{uuid.uuid4().hex}.partial"
            self.fs.put_file(str(local_path), partial)
            if self._local:
                os.replace(partial, final)
            else:
                self.fs.mv(partial, final)
        return ArtifactRef(
            uri=self.uri(final),
            sha256=digest,
            size=size,
            kind=kind,
            media_type=media_type,
            metadata=metadata or {},
        )

    def put_bytes(self, data: bytes, **kwargs: Any) -> ArtifactRef:
        with self.new_file() as path:
            path.write_bytes(data)
            return self.put_file(path, **kwargs)

    # -- reading -------------------------------------------------------------------------------

    def local_path(self, ref: ArtifactRef) -> str:
        """A local file holding the artifact's bytes, checked against its sha256."""
        fs, path = self._resolve(ref)
        if "file" in _protocols(fs):
            self._verify(path, ref)
            return path
        cache = Path(self._cache_dir or tempfile.gettempdir()) / "mlops-tasks-cache"
        cache.mkdir(parents=True, exist_ok=True)
        local = cache / ref.sha256
        if not local.exists():
            partial = cache / f"{ref.sha256}.{uuid.uuid4().hex}.partial"
            fs.get_file(path, str(partial))
            os.replace(partial, local)
        self._verify(str(local), ref)
        return str(local)

    def read_bytes(self, ref: ArtifactRef) -> bytes:
        fs, path = self._resolve(ref)
        data = fs.cat_file(path)
        actual = hashlib.sha256(data).hexdigest()
        if actual != ref.sha256:
            raise ArtifactIntegrityError(ref.uri, ref.sha256, actual)
        return data

    def exists(self, ref: ArtifactRef) -> bool:
        """Whether the artifact is in this store (a ref outside the root never is)."""
        try:
            path = self.path_of(ref)
        except ArtifactOutsideStoreError:
            return False
        return self.fs.exists(path)

    def path_of(self, ref: ArtifactRef | str) -> str:
        """The store path of a ref, which must lie under the root: artifacts are read only from it.

        Any other URL, however its hash checks out, is an `ArtifactOutsideStoreError`: a file
        from elsewhere comes in as a source (extract, import_model), not as a ref.

        >>> store = ArtifactStore("memory://confined")
        >>> store.path_of("memory://confined/model/ab/abc")
        '/confined/model/ab/abc'
        >>> store.path_of("memory://confined/../elsewhere/x")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        mlops_tasks.errors.ArtifactOutsideStoreError: artifact memory://confined/../elsewhere/x is outside the artifact store ...
        """
        uri = ref if isinstance(ref, str) else ref.uri
        protocol = uri.split("://", 1)[0] if "://" in uri else "file"
        path = self.fs._strip_protocol(uri) if protocol in _protocols(self.fs) else ""
        if not path or posixpath.normpath(path) != path or not path.startswith(self.root + "/"):
            raise ArtifactOutsideStoreError(uri, self.uri(self.root))
        return path

    def _resolve(self, ref: ArtifactRef) -> tuple[Any, str]:
        path = self.path_of(ref)
        if not self.fs.exists(path):
            raise ArtifactNotFoundError(
                f"artifact {ref.uri} ({ref.kind}) is missing from the store"
            )
        return self.fs, path

    def _verify(self, path: str, ref: ArtifactRef) -> None:
        stat = os.stat(path)
        stamp = (ref.sha256, stat.st_mtime_ns)
        if self._verified.get(path) == stamp:
            return
        actual = sha256_file(path)
        if actual != ref.sha256:
            raise ArtifactIntegrityError(ref.uri, ref.sha256, actual)
        self._verified[path] = stamp


def _protocols(fs: Any) -> tuple[str, ...]:
    proto = fs.protocol
    return (proto,) if isinstance(proto, str) else tuple(proto)
