"""Write and read model files: skops by default, joblib/pickle only for files our stores made.

A pickle runs arbitrary code when loaded, so a joblib or pickle file is loaded only when the
caller vouches for its sha256 (`mlops_tasks.models.provenance`: the output of a succeeded
``train`` or ``import_model`` run). A skops file is loaded only if every type it names beyond
skops' own defaults (scikit-learn estimators, NumPy ufuncs, builtin containers) is on an exact
allowlist, `TRUSTED_TYPES`, plus what plugins add through the
``mlops_tasks_register_trusted_types`` hook and what a caller passes as `extra_trusted`. There are
no prefix wildcards: ``builtins.eval`` or ``numpy.savetxt`` stored as an estimator's function
would run on the caller's data, so a function is trusted only by its exact name.

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
from mlops_tasks.errors import ArtifactIntegrityError, DataError, UntrustedArtifactError

Format = Literal["skops", "joblib", "pickle"]
MEDIA_TYPES = {
    "skops": "application/x-skops",
    "joblib": "application/x-joblib",
    "pickle": "application/x-python-pickle",
}
# Types beyond skops' defaults that scikit-learn models hold, each a data structure rebuilt from
# its state, or a pure function a default parameter names (a scorer, a pooling function).
TRUSTED_TYPES = frozenset(
    {
        "numpy.dtype",
        "numpy.mean",
        "scipy.interpolate._bsplines.BSpline",
        "sklearn._loss.loss.HalfTweedieLossIdentity",
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
        "sklearn.feature_selection._univariate_selection.chi2",
        "sklearn.feature_selection._univariate_selection.f_classif",
        "sklearn.feature_selection._univariate_selection.f_regression",
        "sklearn.gaussian_process._gpc._BinaryGaussianProcessClassifierLaplace",
        "sklearn.gaussian_process.kernels.ConstantKernel",
        "sklearn.gaussian_process.kernels.DotProduct",
        "sklearn.gaussian_process.kernels.Matern",
        "sklearn.gaussian_process.kernels.Product",
        "sklearn.gaussian_process.kernels.RBF",
        "sklearn.gaussian_process.kernels.Sum",
        "sklearn.gaussian_process.kernels.WhiteKernel",
        "sklearn.metrics._dist_metrics.EuclideanDistance64",
        "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
        "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
    }
)
# Allowed types whose loaders trust the file's contents (a crafted tree's child indices can read
# memory out of bounds): only in a file whose sha256 the caller vouches for, as for a pickle.
VOUCHED_ONLY_TYPES = frozenset(
    {
        "sklearn.cluster._bisect_k_means._BisectingTree",
        "sklearn.cluster._kmeans._kmeans_single_lloyd",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.neighbors._ball_tree.BallTree",
        "sklearn.neighbors._kd_tree.KDTree",
        "sklearn.tree._tree.Tree",
    }
)


class UntrustedModelError(UntrustedArtifactError):
    """A model file names a type outside the allowlist, or is a pickle our stores did not make."""


def trusted_types() -> frozenset[str]:
    """`TRUSTED_TYPES` plus the exact type names plugins add (``mlops_tasks_register_trusted_types``).

    >>> "numpy.dtype" in trusted_types(), "builtins.eval" in trusted_types()
    (True, False)
    """
    from mlops_tasks.plugins import plugin_manager

    extra: set[str] = set()
    for part in plugin_manager().hook.mlops_tasks_register_trusted_types():
        for name in part or ():
            if not isinstance(name, str) or name.endswith((".", "*")):
                raise UntrustedModelError(
                    f"a plugin's trusted type {name!r} is not an exact type name (no wildcards)"
                )
            extra.add(name)
    return TRUSTED_TYPES | extra


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

    allowed = trusted_types() | set(extra_trusted) | (VOUCHED_ONLY_TYPES if vouched else set())
    return [t for t in sio.get_untrusted_types(file=path) if t not in allowed]


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
        The sha256 of a file our stores made (`mlops_tasks.models.provenance`): checked for
        every format when given; required for joblib and pickle, which execute code on load,
        and for the skops types in `VOUCHED_ONLY_TYPES`.
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
                "a plugin trusts more types through the mlops_tasks_register_trusted_types hook"
            )
        try:
            return sio.load(path, trusted=sio.get_untrusted_types(file=path))
        except Exception as exc:
            raise DataError(f"cannot load skops model {path}: {type(exc).__name__}: {exc}") from exc
    if format in ("joblib", "pickle"):
        if expected_sha256 is None:
            raise UntrustedModelError(
                f"refusing to load {format} file {path}: a pickle runs code when loaded, so it must "
                "be a file our stores made (train, or import_model with allow_pickle=True)"
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
