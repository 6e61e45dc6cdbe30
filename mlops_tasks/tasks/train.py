"""train: fit a scikit-learn estimator or Pipeline on a dataset artifact into a model artifact.

Heavy libraries are imported inside functions: Airflow imports this module whenever it parses a DAG.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.context import TaskContext
from mlops_tasks.registry import TaskConfig, TaskResult, task

MODEL_LIBRARIES = ("numpy", "pandas", "pyarrow", "scikit-learn", "scipy", "skops")


class SearchConfig(BaseModel):
    """Hyperparameter search over `space` (param name -> candidate values), scored by cross-validation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["grid", "random"] = "grid"
    space: dict[str, list[Any]] = Field(
        description="Param name (``step__param`` in a Pipeline) -> values to try."
    )
    n_iter: int = Field(10, gt=0, le=10_000, description="Candidates a random search draws.")


class TrainConfig(TaskConfig):
    """What to fit, on which rows, and how to search.

    Give `estimator` (an import path) with `params`, or `spec`: a YAML file or inline YAML with
    ``estimator`` and ``params``, or ``steps`` (a Pipeline), and optionally ``search``.
    """

    dataset: ArtifactRef = Field(description="Training dataset artifact (Parquet).")
    target: str = Field(description="Target column.")
    estimator: str | None = Field(
        None, description="Import path, e.g. sklearn.ensemble.HistGradientBoostingRegressor."
    )
    params: dict[str, Any] = Field(default_factory=dict, description="Estimator params.")
    spec: str | None = Field(
        None, description="YAML file or inline YAML: estimator+params or steps, and search."
    )
    features: list[str] | None = Field(
        None, description="Feature columns; default: every column but target and drop."
    )
    drop: list[str] = Field(
        default_factory=list, description="Columns never used as features (ids, leaks, time)."
    )
    query: str | None = Field(
        None, description="DataFrame.query expression selecting the training rows, e.g. 'yr == 0'."
    )
    preprocessor: ArtifactRef | None = Field(
        None, description="Fitted transformer artifact (from prepare), used frozen."
    )
    encode_categoricals: bool = Field(
        True, description="One-hot encode text columns when no preprocessor is given."
    )
    cv: int | None = Field(
        None,
        ge=2,
        le=100,
        description="Cross-validation folds to score the model (and the search).",
    )
    search: SearchConfig | None = Field(
        None, description="Hyperparameter search; needs cv (default 5)."
    )
    scoring: str | None = Field(None, description="scikit-learn scorer name for cv and search.")
    n_jobs: int | None = Field(None, description="Parallel jobs for cv and search.")
    random_state: int = Field(
        0, description="Seed for every unset random_state, the cv split and the search."
    )
    format: Literal["skops", "joblib", "pickle"] = Field("skops", description="Model file format.")

    @model_validator(mode="after")
    def _one_estimator(self) -> TrainConfig:
        if bool(self.estimator) == bool(self.spec):
            raise ValueError("give either estimator (with params) or spec")
        if self.spec and self.params:
            raise ValueError("params go in the spec when a spec is given")
        return self


class TrainResult(TaskResult):
    model: ArtifactRef
    estimator: str
    task_type: str
    rows: int
    features: list[str]
    cv_score: float | None = None
    best_params: dict[str, Any] | None = None


@task(stage="model", version="1", libraries=MODEL_LIBRARIES)
def train(config: TrainConfig, ctx: TaskContext) -> TrainResult:
    """Fit an estimator or Pipeline (import path or YAML spec), with optional CV and hyperparameter search.

    The model artifact (kind ``model``) records its input signature, the training data's
    sha256, the params, seeds, cv scores and library versions. Saved with skops by default.
    """
    import numpy as np

    from mlops_tasks.models import training
    from mlops_tasks.models.data import read_frame, split_xy
    from mlops_tasks.models.serialization import MEDIA_TYPES, dump_model
    from mlops_tasks.models.signature import Signature

    spec = (
        training.read_spec(config.spec)
        if config.spec
        else {"estimator": config.estimator, "params": config.params}
    )
    search = config.search or (
        SearchConfig.model_validate(spec["search"]) if spec.get("search") else None
    )
    est = training.build_from_spec({k: v for k, v in spec.items() if k != "search"})
    name = (
        spec.get("estimator")
        or "Pipeline(" + ", ".join(s["estimator"].rsplit(".", 1)[-1] for s in spec["steps"]) + ")"
    )

    df = read_frame(ctx, config.dataset, config.query, "train")
    X, y = split_xy(df, config.target, config.features, config.drop, "train")
    task_type = training.check_target(est, y)
    est = _with_preprocessing(ctx, config, est, X)
    seeds = training.seed(est, config.random_state)

    cv_score, best_params, cv_scores = None, None, None
    folds = _folds(config, task_type, search is not None)
    started = time.perf_counter()
    if search is not None:
        est, cv_score, best_params = _search(ctx, config, est, search, folds, X, y)
    else:
        if folds is not None:
            cv_scores = _cross_validate(ctx, config, est, folds, X, y)
            cv_score = float(np.mean(cv_scores))
        _fit(est, X, y)
    fit_seconds = time.perf_counter() - started
    ctx.log.info(
        "train: fitted %s on %s rows x %s features in %.2fs", name, len(X), X.shape[1], fit_seconds
    )

    classes = est.classes_.tolist() if hasattr(est, "classes_") else None
    signature = Signature.from_frame(X, y, classes=classes)
    from mlops_tasks.runtime import _library_versions

    meta = {
        "estimator": name,
        "task_type": task_type,
        "target": config.target,
        "signature": signature.model_dump(mode="json"),
        "params": training.json_params(est),
        "best_params": best_params,
        "seeds": seeds,
        "random_state": config.random_state,
        "cv": {
            "folds": config.cv,
            "scoring": config.scoring,
            "score": cv_score,
            "scores": cv_scores,
        },
        "training_data": {
            "sha256": config.dataset.sha256,
            "uri": config.dataset.uri,
            "rows": len(X),
            "query": config.query,
        },
        "preprocessor": config.preprocessor.sha256 if config.preprocessor else None,
        "libraries": _library_versions(MODEL_LIBRARIES),
        "fit_seconds": round(fit_seconds, 3),
        "format": config.format,
    }
    with ctx.artifacts.new_file(f".{config.format}") as path:
        dump_model(est, path, config.format)
        ref = ctx.artifacts.put_file(
            path, kind="model", media_type=MEDIA_TYPES[config.format], metadata=meta
        )
    ctx.log_metric("train_rows", len(X))
    if cv_score is not None:
        ctx.log_metric("cv_score", cv_score)
    return TrainResult(
        model=ref, estimator=name, task_type=task_type, rows=len(X), features=signature.columns,
        cv_score=cv_score, best_params=best_params,
    )  # fmt: skip


def _with_preprocessing(ctx: TaskContext, config: TrainConfig, est: Any, X: Any) -> Any:
    from sklearn.pipeline import Pipeline

    if config.preprocessor is not None:
        from sklearn.frozen import FrozenEstimator

        from mlops_tasks.models.loading import load

        # Fitted by prepare on the training split: frozen, so fit (and cv) never refit it.
        transformer = load(ctx.artifacts, ctx.metadata, config.preprocessor).model
        return Pipeline([("preprocess", FrozenEstimator(transformer)), ("model", est)])
    if config.encode_categoricals:
        from mlops_tasks.models.training import default_encoder

        encoder = default_encoder(X)
        if encoder is not None:
            return Pipeline([("encode", encoder), ("model", est)])
    return est


def _folds(config: TrainConfig, task_type: str, searching: bool) -> Any:
    from sklearn.model_selection import KFold, StratifiedKFold

    n = config.cv or (5 if searching else None)
    if n is None:
        return None
    cls = StratifiedKFold if task_type == "classification" else KFold
    return cls(n_splits=n, shuffle=True, random_state=config.random_state)


def _fit(est: Any, X: Any, y: Any) -> None:
    from sklearn.utils._param_validation import InvalidParameterError

    from mlops_tasks.errors import ConfigError, DataError

    try:
        est.fit(X, y)
    except InvalidParameterError as exc:
        raise ConfigError("train", [f"params: {exc}"]) from None
    except ValueError as exc:
        raise DataError(f"train: {type(est).__name__}.fit failed on this data: {exc}") from None


def _cross_validate(
    ctx: TaskContext, config: TrainConfig, est: Any, folds: Any, X: Any, y: Any
) -> list[float]:
    from sklearn.model_selection import cross_val_score

    ctx.log.info("train: %s-fold cross-validation (n_jobs=%s)", folds.get_n_splits(), config.n_jobs)
    scores = cross_val_score(
        est, X, y, cv=folds, scoring=config.scoring, n_jobs=config.n_jobs, error_score="raise"
    )
    ctx.log.info("train: cv scores %s", ", ".join(f"{s:.4f}" for s in scores))
    return [float(s) for s in scores]


def _search(
    ctx: TaskContext,
    config: TrainConfig,
    est: Any,
    search: SearchConfig,
    folds: Any,
    X: Any,
    y: Any,
) -> tuple[Any, float, dict[str, Any]]:
    from sklearn.model_selection import GridSearchCV, ParameterGrid, RandomizedSearchCV

    from mlops_tasks.errors import ConfigError

    valid = est.get_params(deep=True)
    unknown = [k for k in search.space if k not in valid]
    if unknown:
        raise ConfigError(
            "train", [f"search.space: {k!r} is not a param of the estimator" for k in unknown]
        )
    common = dict(
        cv=folds,
        scoring=config.scoring,
        n_jobs=config.n_jobs,
        refit=True,
        error_score="raise",
        verbose=1,
    )
    if search.kind == "grid":
        searcher = GridSearchCV(est, search.space, **common)
        candidates = len(ParameterGrid(search.space))
    else:
        searcher = RandomizedSearchCV(
            est, search.space, n_iter=search.n_iter, random_state=config.random_state, **common
        )
        candidates = min(search.n_iter, len(ParameterGrid(search.space)))
    ctx.log.info(
        "train: %s search, %s candidates x %s folds = %s fits (n_jobs=%s)",
        search.kind, candidates, folds.get_n_splits(), candidates * folds.get_n_splits(), config.n_jobs,
    )  # fmt: skip
    _fit(searcher, X, y)
    results = searcher.cv_results_
    order = sorted(range(len(results["params"])), key=lambda i: results["rank_test_score"][i])
    for i in order[:5]:
        ctx.log.info("train: rank %s score %.4f +- %.4f %s", results["rank_test_score"][i],
                     results["mean_test_score"][i], results["std_test_score"][i], results["params"][i])  # fmt: skip
    best = {
        k: (v if isinstance(v, (str, int, float, bool, type(None))) else repr(v))
        for k, v in searcher.best_params_.items()
    }
    return searcher.best_estimator_, float(searcher.best_score_), best
