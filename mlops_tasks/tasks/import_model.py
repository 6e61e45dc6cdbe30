"""import_model: bring a model file made elsewhere into the artifact store, explicitly and audited.

A model the stores did not make is the one way arbitrary code could enter a worker: a joblib
or pickle file runs code when loaded. Only the output of a succeeded ``train`` or
``import_model`` run may be loaded in those formats (`mlops_tasks.models.provenance`), so this
task is the door, and it is shut by default:

- a ``.skops`` file is checked against the type allowlist, as any skops load is;
- a joblib or pickle file is refused unless ``allow_pickle=True``; then the importing user,
  the scheduler identity (on the execution row), the source, its sha256 (pin the bytes you
  reviewed with `sha256`) and the `reason` are recorded in the model artifact's metadata.

>>> ImportModelConfig(source="models/legacy.pkl", target="cnt").allow_pickle
False

Heavy libraries are imported inside functions: Airflow imports this module whenever it parses a DAG.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.context import TaskContext
from mlops_tasks.registry import TaskConfig, TaskResult, task
from mlops_tasks.tasks.train import MODEL_LIBRARIES

_EXTENSIONS = {".skops": "skops", ".joblib": "joblib", ".jbl": "joblib", ".pkl": "pickle",
               ".pickle": "pickle"}  # fmt: skip


class ImportModelConfig(TaskConfig):
    source: str = Field(
        description="Path or fsspec URL of the model file (a source, not an artifact)."
    )
    format: Literal["auto", "skops", "joblib", "pickle"] = Field(
        "auto", description="File format; auto uses the extension (.skops, .joblib, .pkl)."
    )
    allow_pickle: bool = Field(
        False,
        description="Accept a joblib/pickle file, which runs code when loaded: only for a file "
        "you trust; who imported it is recorded.",
    )
    sha256: str | None = Field(
        None,
        pattern=r"^[0-9a-f]{64}$",
        description="Expected sha256 of the file (the one you reviewed).",
    )
    reason: str | None = Field(None, max_length=2000, description="Why, for the audit record.")
    target: str = Field(description="Target column the model predicts.")
    dataset: ArtifactRef | None = Field(
        None,
        description="A dataset with the model's feature columns: its dtypes give the model's input "
        "signature (default: the model's feature_names_in_ as float columns).",
    )


class ImportModelResult(TaskResult):
    model: ArtifactRef
    estimator: str
    task_type: str
    format: str
    features: list[str]


@task(stage="model", version="1", cache_key=lambda config: None, libraries=MODEL_LIBRARIES)
def import_model(config: ImportModelConfig, ctx: TaskContext) -> ImportModelResult:
    """Copy an outside model file into the store as a model artifact; pickles only with allow_pickle (audited)."""
    import getpass
    import os
    import shutil
    from datetime import datetime, timezone

    import fsspec

    from mlops_tasks.artifacts import sha256_file
    from mlops_tasks.errors import ArtifactIntegrityError, ConfigError, SourceNotFoundError
    from mlops_tasks.models.serialization import (
        MEDIA_TYPES,
        UntrustedModelError,
        load_model,
    )

    fmt = config.format
    if fmt == "auto":
        ext = os.path.splitext(config.source.split("?", 1)[0])[1].lower()
        if ext not in _EXTENSIONS:
            raise ConfigError(
                "import_model",
                [f"format: cannot tell the format of {config.source} from {ext!r}; give format"],
            )
        fmt = _EXTENSIONS[ext]
    if fmt != "skops" and not config.allow_pickle:
        raise UntrustedModelError(
            f"import_model: refusing the {fmt} file {config.source}: it runs code when loaded; "
            "convert it to skops, or set allow_pickle=True if you trust it (the import is audited)"
        )
    with ctx.artifacts.new_file(f".{fmt}") as path:
        try:
            with fsspec.open(config.source, "rb") as src, open(path, "wb") as dst:
                shutil.copyfileobj(src, dst, 8 * 1024 * 1024)
        except FileNotFoundError:
            raise SourceNotFoundError(f"import_model: no model file at {config.source}") from None
        digest = sha256_file(path)
        if config.sha256 is not None and digest != config.sha256:
            raise ArtifactIntegrityError(config.source, config.sha256, digest)
        ctx.record_input(
            "source",
            ArtifactRef(uri=config.source, sha256=digest, size=os.path.getsize(path),
                        kind="source", media_type=MEDIA_TYPES[fmt]),
        )  # fmt: skip
        if fmt != "skops":
            ctx.log.warning(
                "import_model: loading %s file %s (sha256 %s) with allow_pickle=True, as %s",
                fmt, config.source, digest[:12], _user(getpass),
            )  # fmt: skip
        # A skops file loads under the allowlist; a pickle runs here, as its importer allowed.
        model = load_model(path, fmt, expected_sha256=digest if fmt != "skops" else None)
        signature, task_type = _signature(ctx, config, model)
        meta = {
            "estimator": type(model).__name__,
            "task_type": task_type,
            "target": config.target,
            "signature": signature.model_dump(mode="json"),
            "format": fmt,
            "imported": {
                "source": config.source,
                "sha256": digest,
                "by": _user(getpass),
                "at": datetime.now(timezone.utc).isoformat(),
                "allow_pickle": config.allow_pickle,
                "reason": config.reason,
                "execution_id": ctx.execution_id,
            },
        }
        ref = ctx.artifacts.put_file(path, kind="model", media_type=MEDIA_TYPES[fmt], metadata=meta)
    ctx.log.info("import_model: %s (%s) -> %s", config.source, fmt, ref.uri)
    return ImportModelResult(
        model=ref, estimator=meta["estimator"], task_type=task_type, format=fmt,
        features=signature.columns,
    )  # fmt: skip


def _signature(ctx: TaskContext, config: ImportModelConfig, model: object):
    import pandas as pd

    from mlops_tasks.errors import DataError
    from mlops_tasks.models.signature import Signature

    if not hasattr(model, "predict"):
        raise DataError(
            f"import_model: {config.source} holds a {type(model).__name__}, not a model"
        )
    classes = getattr(model, "classes_", None)
    task_type = "classification" if classes is not None else "regression"
    classes = (
        [c.item() if hasattr(c, "item") else c for c in classes] if classes is not None else None
    )
    names = getattr(model, "feature_names_in_", None)
    if config.dataset is not None:
        frame = ctx.read_dataframe(config.dataset)
        columns = (
            [str(c) for c in names]
            if names is not None
            else [c for c in frame.columns if c != config.target]
        )
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise DataError(
                f"import_model: the model's feature(s) {', '.join(missing)} are not in {config.dataset.uri}"
            )
        return Signature.from_frame(frame[columns].head(1000), classes=classes), task_type
    if names is None:
        raise DataError(
            f"import_model: {config.source} does not record its feature names; give a dataset"
        )
    frame = pd.DataFrame({str(n): pd.Series(dtype="float64") for n in names})
    return Signature.from_frame(frame, classes=classes), task_type


def _user(getpass) -> str | None:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return None
