"""Content-addressed artifact store on fsspec.

Artifacts are immutable files named by the sha256 of their bytes. Tasks hand each other an
`ArtifactRef` (small, JSON-serialisable), never the data itself, so XCom and Prefect results
stay small and any worker that can reach the store can read the data.
"""

from __future__ import annotations

import errno
import hashlib
import os
import posixpath
import shutil
import socket
import tempfile
import time
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
    ArtifactWriteError,
    SourceUnreachableError,
)

_CHUNK = 8 * 1024 * 1024
# A `.partial` file nobody has touched for this long is an orphan whatever host wrote it; one
# written by a dead process on this host is an orphan at once (its name says whose it is).
ORPHAN_AGE_SECONDS = 3600
_SCRATCH_PREFIX = "mlops-tasks-"
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
        # path -> (sha256, stat identity) of a file already hashed in this process.
        self._verified: dict[str, tuple[str, tuple[int, ...]]] = {}

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
        tmpdir = tempfile.mkdtemp(prefix=f"{_SCRATCH_PREFIX}{_writer()}-")
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
        """Store a local file under its content hash. Storing the same bytes twice is a no-op.

        An existing file under the final name is verified first: a corrupt one is replaced, so
        re-running its producer repairs it. A failed write (a full disk) leaves no partial file.
        """
        digest = sha256_file(local_path)
        size = os.path.getsize(local_path)
        final = f"{self.root}/{kind}/{digest[:2]}/{digest}{_EXTENSIONS.get(media_type, '')}"
        folder = final.rsplit("/", 1)[0]
        if not self._intact(final, digest):
            # Write beside the final name, then rename: a reader never sees half a file.
            self.fs.makedirs(folder, exist_ok=True)
            self.remove_orphans(folder)
            partial = f"{final}.{uuid.uuid4().hex[:12]}.{_writer()}.partial"
            try:
                self.fs.put_file(str(local_path), partial)
                if self._local:
                    os.replace(partial, final)
                else:
                    self.fs.mv(partial, final)
            except OSError as exc:
                _remove_quietly(self.fs, partial)
                full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
                raise ArtifactWriteError(
                    f"cannot write artifact {self.uri(final)} ({size} bytes): "
                    + ("the store's disk is full" if full else f"{type(exc).__name__}: {exc}")
                ) from exc
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
            partial = cache / f"{ref.sha256}.{uuid.uuid4().hex[:12]}.{_writer()}.partial"
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

    def verify(self, ref: ArtifactRef) -> bool:
        """Whether the artifact exists and its bytes still hash to its sha256 (a cache hit asks)."""
        try:
            self.local_path(ref)
        except (ArtifactNotFoundError, ArtifactIntegrityError, ArtifactOutsideStoreError):
            return False
        return True

    def _intact(self, path: str, digest: str) -> bool:
        """Whether `path` exists in this store holding exactly the bytes hashing to `digest`."""
        if not self.fs.exists(path):
            return False
        if self._local:
            return self._hash_local(path, digest) == digest
        hasher = hashlib.sha256()
        with self.fs.open(path, "rb") as fh:
            while block := fh.read(_CHUNK):
                hasher.update(block)
        return hasher.hexdigest() == digest

    def _verify(self, path: str, ref: ArtifactRef) -> None:
        actual = self._hash_local(path, ref.sha256)
        if actual != ref.sha256:
            raise ArtifactIntegrityError(ref.uri, ref.sha256, actual)

    def _hash_local(self, path: str, expected: str) -> str:
        # Trust an earlier hash only while the file's identity is unchanged: inode, size, mtime
        # and ctime in ns. Rewriting in place and resetting the mtime still moves the ctime.
        stat = os.stat(path)
        stamp = (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
        if self._verified.get(path) == (expected, stamp):
            return expected
        actual = sha256_file(path)
        if actual == expected:
            self._verified[path] = (expected, stamp)
        else:
            self._verified.pop(path, None)
        return actual

    # -- crash leftovers -------------------------------------------------------------------------

    def remove_orphans(self, folder: str | None = None) -> list[str]:
        """Delete `.partial` files whose writer died (on this host) or that sat idle for an hour.

        `folder` limits the sweep to one directory of the store (what a write does); without it
        the whole store and this host's scratch directories are swept (after a crashed execution).
        Returns what was removed.
        """
        pattern = f"{folder}/*.partial" if folder else f"{self.root}/**/*.partial"
        removed = []
        try:
            found = self.fs.glob(pattern)
        except (FileNotFoundError, OSError):
            found = []
        for path in found:
            if _orphaned(path.rsplit("/", 1)[-1], lambda p=path: _mtime(self.fs, p)):
                if _remove_quietly(self.fs, path):
                    removed.append(self.uri(path))
        if folder is None:
            removed += _remove_orphan_scratch()
        return removed


def _writer() -> str:
    """Who writes a partial file: ``<pid>@<host>``, so a later run can tell a dead writer's leftovers."""
    host = socket.gethostname().replace(".", "_").replace("/", "_") or "localhost"
    return f"{os.getpid()}@{host}"


def _orphaned(name: str, mtime: Any) -> bool:
    """Whether a partial file `name` was left by a dead writer (or idle for an hour)."""
    if _dead_writer(name.removesuffix(".partial").rsplit(".", 1)[-1]):
        return True
    stamp = mtime()
    return stamp is not None and time.time() - stamp > ORPHAN_AGE_SECONDS


def _dead_writer(writer: str) -> bool:
    pid, _, host = writer.partition("@")
    return pid.isdigit() and host == _writer().partition("@")[2] and not pid_alive(int(pid))


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this host (a zombie counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True


def _mtime(fs: Any, path: str) -> float | None:
    try:
        info = fs.info(path)
    except (FileNotFoundError, OSError):
        return None
    stamp = info.get("mtime") or info.get("LastModified") or info.get("created")
    if hasattr(stamp, "timestamp"):
        return stamp.timestamp()
    return float(stamp) if stamp is not None else None


def _remove_quietly(fs: Any, path: str) -> bool:
    try:
        fs.rm_file(path)
    except (FileNotFoundError, OSError):
        return False
    return True


def _remove_orphan_scratch() -> list[str]:
    """Scratch directories of `ArtifactStore.new_file` left by dead processes of this host.

    Only by their writer: a live task's scratch directory keeps its old mtime while it writes.
    """
    removed = []
    for path in Path(tempfile.gettempdir()).glob(f"{_SCRATCH_PREFIX}*@*"):
        writer = path.name[len(_SCRATCH_PREFIX) :].rsplit("-", 1)[0]
        if path.is_dir() and _dead_writer(writer):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(str(path))
    return removed


def _protocols(fs: Any) -> tuple[str, ...]:
    proto = fs.protocol
    return (proto,) if isinstance(proto, str) else tuple(proto)
