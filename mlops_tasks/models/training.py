"""Build an estimator from an import path and params, seed it, search its hyperparameters.

>>> est = build_estimator("sklearn.linear_model.Ridge", {"alpha": 2.0})
>>> type(est).__name__, est.alpha
('Ridge', 2.0)
>>> build_estimator("sklearn.linear_model.Nope", {})
Traceback (most recent call last):
...
mlops_tasks.errors.ConfigError: invalid config for task 'train': estimator: module sklearn.linear_model has no attribute 'Nope'

Importing a module runs its code, so a config may only name estimators from the packages in
`ESTIMATOR_PACKAGES`, or the exact class names a plugin trusts
(``mlops_tasks_register_trusted_types``, the same list that lets their model files load):

>>> build_estimator("os.system", {})
Traceback (most recent call last):
...
mlops_tasks.errors.ConfigError: invalid config for task 'train': estimator: 'os.system' is not from an estimator package (sklearn, xgboost, lightgbm, catboost, imblearn) nor a type a plugin trusts
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from mlops_tasks.errors import ConfigError, DataError

# Packages whose modules only define estimators: importing one of them runs no code a config chose.
ESTIMATOR_PACKAGES = ("sklearn", "xgboost", "lightgbm", "catboost", "imblearn")


def import_object(path: str, field: str = "estimator") -> Any:
    """``package.module.Name`` -> the object; an error names the field and what was missing."""
    module_name, _, attr = path.rpartition(".")
    if not module_name:
        raise ConfigError(
            "train", [f"{field}: {path!r} is not an import path like sklearn.linear_model.Ridge"]
        )
    if not _allowed(path):
        raise ConfigError(
            "train",
            [
                f"{field}: {path!r} is not from an estimator package "
                f"({', '.join(ESTIMATOR_PACKAGES)}) nor a type a plugin trusts"
            ],
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            "train", [f"{field}: cannot import module {module_name!r} ({exc})"]
        ) from None
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ConfigError(
            "train", [f"{field}: module {module_name} has no attribute {attr!r}"]
        ) from None


def _allowed(path: str) -> bool:
    if path.split(".", 1)[0] in ESTIMATOR_PACKAGES:
        return True
    from mlops_tasks.models.serialization import trusted_types

    return path in trusted_types()


def build_estimator(path: str, params: dict[str, Any], field: str = "estimator") -> Any:
    """Instantiate an estimator and check its params the way scikit-learn's fit would, up front."""
    cls = import_object(path, field)
    if not (isinstance(cls, type) and hasattr(cls, "fit") and hasattr(cls, "get_params")):
        raise ConfigError("train", [f"{field}: {path} is not a scikit-learn estimator class"])
    try:
        est = cls()
        est.set_params(**params)
    except (TypeError, ValueError) as exc:
        raise ConfigError("train", [f"params: {path} rejects {sorted(params)}: {exc}"]) from None
    validate = getattr(est, "_validate_params", None)
    if validate is not None:  # scikit-learn >= 1.2: checks types and ranges without fitting
        try:
            validate()
        except (TypeError, ValueError) as exc:
            raise ConfigError("train", [f"params: {exc}"]) from None
    return est


def build_from_spec(spec: dict[str, Any]) -> Any:
    """A YAML-ish spec: ``{estimator, params}`` or ``{steps: [{estimator, params}, ...]}`` (a Pipeline)."""
    if "steps" in spec:
        from sklearn.pipeline import Pipeline

        steps = []
        for i, step in enumerate(spec["steps"]):
            if not isinstance(step, dict) or "estimator" not in step:
                raise ConfigError("train", [f"spec.steps[{i}]: needs an estimator"])
            name = step.get("name") or step["estimator"].rsplit(".", 1)[-1].lower()
            steps.append(
                (
                    name,
                    build_estimator(
                        step["estimator"], step.get("params") or {}, f"spec.steps[{i}].estimator"
                    ),
                )
            )
        return Pipeline(steps)
    if "estimator" not in spec:
        raise ConfigError("train", ["spec: needs estimator (an import path) or steps"])
    return build_estimator(spec["estimator"], spec.get("params") or {}, "spec.estimator")


def read_spec(spec: str) -> dict[str, Any]:
    """A spec given as a YAML file path or as inline YAML text."""
    import yaml

    text = (
        Path(spec).read_text() if spec.endswith((".yaml", ".yml")) and Path(spec).exists() else spec
    )
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError("train", [f"spec: not valid YAML: {exc}"]) from None
    if not isinstance(loaded, dict):
        raise ConfigError("train", [f"spec: {spec!r} is neither a YAML file nor a YAML mapping"])
    return loaded


def seed(est: Any, random_state: int) -> dict[str, int]:
    """Set every unset ``random_state`` in the estimator (and its steps); returns what was set."""
    seeds = {}
    for key, value in est.get_params(deep=True).items():
        if (key == "random_state" or key.endswith("__random_state")) and value is None:
            seeds[key] = random_state
    if seeds:
        est.set_params(**seeds)
    return {
        k: v
        for k, v in est.get_params(deep=True).items()
        if k == "random_state" or k.endswith("__random_state")
    }


def default_encoder(X: Any) -> Any | None:
    """One-hot encoding for text and categorical columns, passthrough for the rest; None if all numeric."""
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder

    text = [
        c
        for c in X.columns
        if not (pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c]))
    ]
    if not text:
        return None
    return ColumnTransformer(
        [("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), text)],
        remainder="passthrough",
        verbose_feature_names_out=False,
    )


def check_target(est: Any, y: Any) -> str:
    """'classification' or 'regression'; a classifier needs two classes, a regressor numbers."""
    import pandas as pd
    from sklearn.base import is_classifier

    final = est.steps[-1][1] if hasattr(est, "steps") else est
    if is_classifier(final):
        classes = pd.unique(y)
        if len(classes) < 2:
            raise DataError(
                f"train: target {y.name!r} has a single class ({classes[0]!r}) in the training rows: a classifier needs at least two"
            )
        return "classification"
    if not pd.api.types.is_numeric_dtype(y):
        raise DataError(
            f"train: target {y.name!r} is {y.dtype}, but {type(final).__name__} is a regressor"
        )
    return "regression"


def json_params(est: Any) -> dict[str, Any]:
    """The estimator's top-level params as JSON-safe values (nested estimators by their repr)."""
    out = {}
    for key, value in est.get_params(deep=False).items():
        out[key] = (
            value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)[:200]
        )
    return out
