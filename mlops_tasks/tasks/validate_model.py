"""validate_model: load a candidate model in a fresh process and check its predictions before it serves.

Heavy libraries are imported inside functions: Airflow imports this module whenever it parses a DAG.
"""

from __future__ import annotations

from pydantic import Field

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.context import TaskContext
from mlops_tasks.registry import TaskConfig, TaskResult, task
from mlops_tasks.tasks.train import MODEL_LIBRARIES


class ValidateModelConfig(TaskConfig):
    model: ArtifactRef = Field(description="Model artifact to check.")
    dataset: ArtifactRef = Field(description="Dataset to take the sample rows from.")
    sample_rows: int = Field(200, gt=0, le=1_000_000, description="Rows predicted in the check.")
    repeats: int = Field(
        5, gt=0, le=1000, description="Timed repetitions (median batch latency; per-row latency)."
    )
    max_batch_ms: float = Field(
        2000.0, gt=0, description="Largest acceptable median latency of one sample batch."
    )
    max_single_ms: float = Field(
        200.0, gt=0, description="Largest acceptable median latency of one row."
    )
    timeout_seconds: float = Field(
        300.0, gt=0, le=86_400, description="Kill the probe process after this long."
    )


class ValidateModelResult(TaskResult):
    passed: bool
    problems: list[str]
    rows: int
    output_shape: list[int]
    output_dtype: str
    batch_ms: float
    single_ms: float
    load_seconds: float


@task(stage="model", version="1", libraries=MODEL_LIBRARIES)
def validate_model(config: ValidateModelConfig, ctx: TaskContext) -> ValidateModelResult:
    """Load the model in a fresh subprocess, predict on a sample; check output shape, dtype and latency."""
    import json
    import subprocess
    import sys

    from mlops_tasks.errors import CheckFailedError, DataError
    from mlops_tasks.models.data import model_meta
    from mlops_tasks.models.loading import refuse_pickle
    from mlops_tasks.models.provenance import produced_by_us
    from mlops_tasks.models.serialization import format_of
    from mlops_tasks.models.signature import Signature

    meta = model_meta(config.model)
    fmt = format_of(config.model.media_type)
    # The probe process trusts what this one vouches for: decide here, from provenance.
    vouched = produced_by_us(ctx.metadata, config.model.sha256, media_type=config.model.media_type)
    if fmt != "skops" and not vouched:
        raise refuse_pickle(config.model.uri, config.model.sha256, fmt)
    signature = Signature.model_validate(meta["signature"])
    path = ctx.artifacts.local_path(config.model)  # bytes checked against the sha256 here
    pf = ctx.parquet_file(config.dataset)
    sample = (
        pf.read_row_group(0).slice(0, config.sample_rows).to_pandas() if pf.num_row_groups else None
    )
    if sample is None or sample.empty:
        raise DataError(f"validate_model: no rows in {config.dataset.uri}")
    X = signature.check(sample)
    with ctx.artifacts.new_file(".parquet") as sample_path:
        X.to_parquet(sample_path, index=False)
        try:
            done = subprocess.run(
                [sys.executable, "-m", "mlops_tasks.models.probe", path, fmt,
                 config.model.sha256 if vouched else "-", str(sample_path), str(config.repeats)],
                capture_output=True, text=True, timeout=config.timeout_seconds, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            done = None
    problems: list[str] = []
    report: dict = {}
    if done is None:
        problems.append(f"the probe did not finish within {config.timeout_seconds}s")
    else:
        try:
            report = json.loads(done.stdout.strip().splitlines()[-1])
        except (json.JSONDecodeError, IndexError):
            report = {"error": f"probe exited {done.returncode}: {done.stderr.strip()[-2000:]}"}
        if "error" in report:
            problems.append(f"loading or predicting failed in a fresh process: {report['error']}")
    if report and "error" not in report:
        if report["shape"][:1] != [len(X)]:
            problems.append(f"{len(X)} rows in, output shape {report['shape']}")
        kind = "classification" if signature.classes else "regression"
        if kind == "regression" and report["dtype"][:1] not in ("f", "i", "u"):
            problems.append(f"regression output dtype is {report['dtype']}, not numeric")
        if not report["finite"]:
            problems.append("predictions include NaN or infinity")
        if report["batch_ms"] > config.max_batch_ms:
            problems.append(
                f"median batch latency {report['batch_ms']:.1f} ms > {config.max_batch_ms} ms"
            )
        if report["single_ms_p50"] > config.max_single_ms:
            problems.append(
                f"median single-row latency {report['single_ms_p50']:.1f} ms > {config.max_single_ms} ms"
            )
    result = ValidateModelResult(
        passed=not problems, problems=problems, rows=len(X), output_shape=report.get("shape", []),
        output_dtype=report.get("dtype", ""), batch_ms=report.get("batch_ms", -1.0),
        single_ms=report.get("single_ms_p50", -1.0), load_seconds=report.get("load_seconds", -1.0),
    )  # fmt: skip
    ctx.log.info("validate_model: %s; %s rows -> %s %s, batch %.1f ms, single row %.2f ms",
                 "passed" if result.passed else "FAILED", len(X), result.output_shape, result.output_dtype,
                 result.batch_ms, result.single_ms)  # fmt: skip
    if problems:
        raise CheckFailedError("validate_model: " + "; ".join(problems), result=result)
    return result
