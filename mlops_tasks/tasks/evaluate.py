"""evaluate: score a model on a dataset, overall and per slice, with bootstrap intervals and an HTML report.

Heavy libraries are imported inside functions: Airflow imports this module whenever it parses a DAG.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.context import TaskContext
from mlops_tasks.registry import TaskConfig, TaskResult, task
from mlops_tasks.tasks.train import MODEL_LIBRARIES


class EvaluateConfig(TaskConfig):
    model: ArtifactRef = Field(description="Model artifact (from train).")
    dataset: ArtifactRef = Field(description="Evaluation dataset artifact.")
    target: str | None = Field(
        None, description="Target column; default: the one the model was trained on."
    )
    query: str | None = Field(
        None, description="DataFrame.query expression selecting the evaluation rows."
    )
    slices: list[str] = Field(
        default_factory=list, description="Columns whose values define slices."
    )
    max_slice_values: int = Field(
        20, gt=0, le=1000, description="Largest slices shown per column (numeric: quartiles)."
    )
    bootstrap: int = Field(
        1000, ge=0, le=100_000, description="Bootstrap replicates for the intervals (0: none)."
    )
    confidence: float = Field(0.95, gt=0, lt=1, description="Interval level.")
    random_state: int = Field(0, description="Seed of the bootstrap.")
    report: bool = Field(True, description="Write the HTML report artifact.")


class EvaluateResult(TaskResult):
    task_type: str
    rows: int
    metrics: dict[str, float]
    intervals: dict[str, list[float]]
    evaluation: ArtifactRef
    report: ArtifactRef | None = None


@task(stage="model", version="1", libraries=(*MODEL_LIBRARIES, "matplotlib", "jinja2"))
def evaluate(config: EvaluateConfig, ctx: TaskContext) -> EvaluateResult:
    """Classification or regression metrics with bootstrap intervals, on slices too, and an HTML report.

    Classification: accuracy, precision, recall, F1, ROC AUC, log loss, Brier score, calibration
    and confusion matrix. Regression: MAE, RMSE, R2, MAPE.
    """
    from mlops_tasks.models import metrics as M
    from mlops_tasks.models.data import model_meta, read_frame, split_xy
    from mlops_tasks.models.loading import load

    meta = model_meta(config.model)
    target = config.target or meta["target"]
    loaded = load(ctx.artifacts, ctx.metadata, config.model)
    df = read_frame(ctx, config.dataset, config.query, "evaluate")
    X, y = split_xy(df, target, loaded.signature.columns, task="evaluate")
    out = M.outputs_of(loaded.model, loaded.signature.check(X), y)
    summary = M.summary(out, config.bootstrap, config.random_state, config.confidence)

    slices = []
    for column in config.slices:
        if column not in df.columns:
            from mlops_tasks.errors import DataError

            raise DataError(f"evaluate: slice column {column!r} is not in the dataset")
        groups = []
        for value, rows in M.slice_groups(df, column, config.max_slice_values):
            part = out.subset(rows)
            groups.append({"value": value, "rows": len(rows),
                           "metrics": M.summary(part, config.bootstrap, config.random_state, config.confidence)})  # fmt: skip
        slices.append({"column": column, "metric": out.metrics[0], "groups": groups})

    evaluation: dict[str, Any] = {
        "task_type": out.task,
        "target": target,
        "rows": len(out),
        "query": config.query,
        "bootstrap": config.bootstrap,
        "confidence": config.confidence,
        "model": {
            "sha256": config.model.sha256,
            "uri": config.model.uri,
            "estimator": meta.get("estimator", "model"),
        },
        "dataset": {"sha256": config.dataset.sha256, "uri": config.dataset.uri},
        "metrics": summary,
        "slices": slices,
    }
    if out.classes is not None:
        evaluation["classes"] = list(out.classes)
        evaluation["confusion"] = M.confusion(out)
        if out.proba is not None and len(out.classes) == 2:
            evaluation["calibration"] = M.calibration(out)

    ref = ctx.write_json(
        _finite(evaluation), kind="evaluation", metadata={"task_type": out.task, "rows": len(out)}
    )
    report = _report(ctx, evaluation, out) if config.report else None
    values = {k: v["value"] for k, v in summary.items()}
    for k, v in values.items():
        ctx.log_metric(k, v)
    ctx.log.info(
        "evaluate: %s on %s rows: %s",
        out.task,
        len(out),
        ", ".join(f"{k}={v:.4f}" for k, v in values.items()),
    )
    return EvaluateResult(
        task_type=out.task, rows=len(out), metrics=values,
        intervals={k: [v["low"], v["high"]] for k, v in summary.items()}, evaluation=ref, report=report,
    )  # fmt: skip


def _report(ctx: TaskContext, evaluation: dict[str, Any], out: Any) -> ArtifactRef:
    from mlops_tasks.models import plots
    from mlops_tasks.models.report import render

    figures: list[str] = []
    if out.classes is not None and out.proba is not None and len(out.classes) == 2:
        figures += plots.roc_pr((out.y == 1).astype(int), out.proba[:, 1])
        cal = evaluation["calibration"]
        figures.append(plots.reliability(cal["predicted"], cal["observed"]))
    elif out.classes is None:
        figures += plots.residuals(out.y, out.pred)
    slice_svgs = [
        plots.bars({g["value"]: g["metrics"][s["metric"]]["value"] for g in s["groups"]}, f"{s['metric']} by {s['column']}",
                   {g["value"]: (g["metrics"][s["metric"]]["low"], g["metrics"][s["metric"]]["high"]) for g in s["groups"]})
        for s in evaluation["slices"]
    ]  # fmt: skip
    page = render(evaluation, figures, slice_svgs)
    return ctx.artifacts.put_bytes(page.encode(), kind="report", media_type="text/html",
                                   metadata={"title": "evaluation", "task_type": out.task})  # fmt: skip


def _finite(obj: Any) -> Any:
    """NaN and infinities as None: JSON has no such numbers."""
    import math

    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj
