"""Write and read model files: skops by default, joblib/pickle only for files whose hash is known.

A pickle runs arbitrary code when loaded, so a joblib or pickle file is loaded only when the
caller vouches for its sha256 (the registry's record of what was registered). A skops file
is loaded only if every type it names is on the allowlist: scikit-learn, NumPy, SciPy and a
few builtins, plus whatever `extra_trusted` adds.

>>> import tempfile, pathlib
>>> from sklearn.linear_model import LinearRegression
>>> path = pathlib.Path(tempfile.mkdtemp()) / "m.skops"
>>> dump_model(LinearRegression().fit([[0], [1]], [0, 1]), path)
'skops'
>>> type(load_model(path)).__name__
'LinearRegression'
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, Literal

from mlops_tasks.artifacts import sha256_file
from mlops_tasks.errors import ArtifactIntegrityError, DataError, MlopsTasksError

Format = Literal["skops", "joblib", "pickle"]
MEDIA_TYPES = {
    "skops": "application/x-skops",
    "joblib": "application/x-joblib",
    "pickle": "application/x-python-pickle",
}
# Module prefixes whose types a skops file may name. scikit-learn estimators, NumPy and SciPy
# containers and random states, and our own nothing: a model never needs mlops_tasks code.
TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "collections.", "builtins.", "_operator.")
TRUSTED_TYPES = frozenset({"builtins.slice", "builtins.type", "numpy.dtype", "numpy.ndarray"})
# Allowed types whose loaders trust the file's contents (a crafted tree can read memory out of
# bounds): only in a file whose sha256 the caller vouches for, as for a pickle.
VOUCHED_ONLY_TYPES = frozenset({"sklearn.tree._tree.Tree"})


class UntrustedModelError(MlopsTasksError):
    """A model file names a type outside the allowlist, or is a pickle whose hash nobody vouches for."""

    retryable = False


def dump_model(model: Any, path: str | os.PathLike[str], format: Format = "skops") -> Format:
    """Serialise `model` to `path` in `format`; returns the format."""
    if format == "skops":
        import skops.io as sio

        sio.dump(model, path)
    elif format == "joblib":
        import joblib

        joblib.dump(model, path)
    elif format == "pickle":
        import pickle

        with open(path, "wb") as fh:
            pickle.dump(model, fh, protocol=pickle.HIGHEST_PROTOCOL)
    else:  # pragma: no cover - Literal keeps configs honest
        raise ValueError(f"unknown model format {format!r}")
    return format


def untrusted_types(
    path: str | os.PathLike[str], extra_trusted: Iterable[str] = (), *, vouched: bool = False
) -> list[str]:
    """Types in a skops file that neither the allowlist nor `extra_trusted` covers."""
    import skops.io as sio

    extra = set(extra_trusted)
    return [
        t
        for t in sio.get_untrusted_types(file=path)
        if t not in extra
        and (
            t in VOUCHED_ONLY_TYPES
            and not vouched
            or t not in TRUSTED_TYPES
            and not t.startswith(TRUSTED_PREFIXES)
        )
    ]


def load_model(
    path: str | os.PathLike[str],
    format: Format = "skops",
    *,
    expected_sha256: str | None = None,
    extra_trusted: Iterable[str] = (),
) -> Any:
    """Load a model file.

    Parameters
    ----------
    expected_sha256 : str, optional
        The hash the registry recorded. Checked for every format when given; required for
        joblib and pickle, which execute code on load.
    extra_trusted : iterable of str
        Fully qualified type names to trust in a skops file beyond the allowlist.
    """
    if expected_sha256 is not None:
        actual = sha256_file(path)
        if actual != expected_sha256:
            raise ArtifactIntegrityError(str(path), expected_sha256, actual)
    if format == "skops":
        import skops.io as sio

        refused = untrusted_types(path, extra_trusted, vouched=expected_sha256 is not None)
        if refused:
            raise UntrustedModelError(
                f"model file {path} names types outside the allowlist: {', '.join(refused)}; "
                "pass them as trusted types if you know where the file came from"
            )
        try:
            return sio.load(path, trusted=sio.get_untrusted_types(file=path))
        except Exception as exc:
            raise DataError(f"cannot load skops model {path}: {type(exc).__name__}: {exc}") from exc
    if format in ("joblib", "pickle"):
        if expected_sha256 is None:
            raise UntrustedModelError(
                f"refusing to load {format} file {path}: a pickle runs code when loaded, so its "
                "sha256 must be one the model registry recorded"
            )
        if format == "joblib":
            import joblib

            return joblib.load(path)
        import pickle

        with open(path, "rb") as fh:
            return pickle.load(fh)
    raise DataError(f"unknown model format {format!r} for {path}")


def format_of(media_type: str) -> Format:
    """The format of a model artifact from its media type.

    >>> format_of("application/x-skops")
    'skops'
    """
    for fmt, media in MEDIA_TYPES.items():
        if media == media_type:
            return fmt  # type: ignore[return-value]
    raise DataError(f"not a model media type: {media_type!r}")
