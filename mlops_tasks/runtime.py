"""Run a registered task and record it: execution, inputs, outputs, fingerprint, metrics.

Both scheduler faces call `run_task`; so does the CLI and any unit test.
"""

from __future__ import annotations

import hashlib
import json
import logging
from functools import cache
from typing import Any

from pydantic import BaseModel

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.context import TaskContext
from mlops_tasks.errors import ConfigError, MlopsTasksError
from mlops_tasks.identity import Identity
from mlops_tasks.registry import TaskConfig, TaskResult, TaskSpec, get_registry
from mlops_tasks.secrets import mask, mask_text, resolve_references
from mlops_tasks.settings import Settings


def run_task(
    task: str | TaskSpec,
    config: TaskConfig | dict[str, Any] | None = None,
    *,
    settings: Settings | None = None,
    identity: Identity | None = None,
    cache: bool = False,
    logger: logging.Logger | Any | None = None,
) -> TaskResult:
    """Validate the config, run the task, record everything in the metadata store.

    With ``cache=True`` a previous successful run with the same fingerprint (task version,
    config, input hashes, library versions) is returned instead, if its outputs still exist.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> home = pathlib.Path(tempfile.mkdtemp())
    >>> (home / "x.csv").write_text("a,b\\n1,2\\n3,4\\n")
    12
    >>> s = Settings(artifact_root=str(home / "artifacts"), metadata_url=f"sqlite:///{home}/m.db")
    >>> run_task("extract", {"source": str(home / "x.csv")}, settings=s).rows
    2
    """
    spec = task if isinstance(task, TaskSpec) else get_registry().get(task)
    cfg = spec.validate_config(config)
    ctx = TaskContext(settings or Settings.from_env(), logger)
    identity = identity or Identity()
    inputs = artifact_refs(cfg)
    _confine(spec, inputs, ctx)
    # The task runs with references (env:, airflow-conn:, prefect-secret: ...) resolved; the
    # metadata store and the fingerprint only ever see the config as given, secrets masked.
    run_cfg = _resolved(spec, cfg)
    fingerprint = _fingerprint(spec, cfg, run_cfg)
    config_json = mask(cfg.model_dump(mode="json"))
    start = dict(
        task=spec.name,
        task_version=spec.version,
        stage=spec.stage,
        config=config_json,
        identity=identity,
        inputs=inputs,
        params=_flatten(config_json),
    )

    if cache and fingerprint is not None:
        hit = ctx.metadata.find_cached(spec.name, fingerprint)
        if hit is not None:
            result = spec.result_model.model_validate(hit.result)
            if all(ctx.artifacts.exists(ref) for ref in artifact_refs(result).values()):
                execution_id = ctx.metadata.start_execution(fingerprint=fingerprint, **start)
                ctx.metadata.finish_execution(
                    execution_id,
                    status="cached",
                    result=hit.result,
                    outputs=artifact_refs(result),
                    cached_from_id=hit.id,
                )
                ctx.log.info(
                    "%s: served from cache (execution %s, fingerprint %s)",
                    spec.name,
                    hit.id,
                    fingerprint[:12],
                )
                return _recorded(result, execution_id, "cached")

    execution_id = ctx.metadata.start_execution(fingerprint=fingerprint or "uncacheable", **start)
    ctx.execution_id = execution_id
    ctx.log.info("%s: execution %s started", spec.name, execution_id)
    try:
        result = spec.fn(run_cfg, ctx)
        if not isinstance(result, spec.result_model):
            raise TypeError(
                f"task {spec.name!r} returned {type(result).__name__}, not {spec.result_model.__name__}"
            )
    except BaseException as exc:
        # Record the failure, then re-raise the original: nothing is lost or renamed. An error
        # may carry the result it reached (a validation report): its artifacts are kept too.
        partial = getattr(exc, "result", None)
        partial = partial if isinstance(partial, TaskResult) else None
        ctx.metadata.finish_execution(
            execution_id,
            status="failed",
            error=exc,
            inputs=ctx.extra_inputs,
            result=partial.model_dump(mode="json") if partial else None,
            outputs=artifact_refs(partial) if partial else None,
            metrics=ctx.metrics,
        )
        if not isinstance(exc, MlopsTasksError):
            ctx.log.error(
                "%s: execution %s failed: %s: %s", spec.name, execution_id, type(exc).__name__, exc
            )
        raise
    ctx.metadata.finish_execution(
        execution_id,
        status="succeeded",
        result=result.model_dump(mode="json"),
        inputs=ctx.extra_inputs,
        outputs=artifact_refs(result),
        metrics=ctx.metrics,
    )
    ctx.log.info("%s: execution %s succeeded", spec.name, execution_id)
    return _recorded(result, execution_id, "succeeded")


def _confine(spec: TaskSpec, inputs: dict[str, ArtifactRef], ctx: TaskContext) -> None:
    """Refuse, before anything is recorded, a config ref that points outside the artifact store."""
    from mlops_tasks.errors import ArtifactOutsideStoreError

    for name, ref in inputs.items():
        try:
            ctx.artifacts.path_of(ref)
        except ArtifactOutsideStoreError as exc:
            raise ArtifactOutsideStoreError(
                exc.uri, exc.root, field=f"{spec.name}: {name}"
            ) from None


def _recorded(result: TaskResult, execution_id: int, status: str) -> TaskResult:
    result._execution_id, result._status = execution_id, status
    return result


def artifact_refs(model: BaseModel, prefix: str = "") -> dict[str, ArtifactRef]:
    """Every ArtifactRef in a config or result, by its field path: the lineage inputs or outputs."""
    found: dict[str, ArtifactRef] = {}

    def walk(value: Any, path: str) -> None:
        if isinstance(value, ArtifactRef):
            found[path] = value
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name), f"{path}.{name}" if path else name)
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                walk(item, f"{path}[{i}]")
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{path}[{key}]")

    walk(model, prefix)
    return found


def report_links(result: BaseModel, settings: Settings) -> dict[str, str]:
    """Links to the HTML reports in a result, by field path: what the schedulers' UIs show."""
    from mlops_tasks.context import open_stores

    reports = {k: r for k, r in artifact_refs(result).items() if r.media_type == "text/html"}
    if not reports:
        return {}
    artifacts, _ = open_stores(settings)
    return {name: artifacts.link(ref, settings.artifact_base_url) for name, ref in reports.items()}


def _resolved(spec: TaskSpec, cfg: TaskConfig) -> TaskConfig:
    """The config with its secret references resolved (and validated again), or `cfg` without any."""
    resolved = resolve_references(cfg.model_dump(mode="json"), spec.name)
    if resolved is None:
        return cfg
    try:
        return spec.validate_config(resolved)
    except ConfigError as exc:  # its message must not carry the resolved values
        raise ConfigError(spec.name, [mask_text(p) for p in exc.problems]) from None


def _fingerprint(spec: TaskSpec, cfg: TaskConfig, run_cfg: TaskConfig | None = None) -> str | None:
    """sha256 over task version, config (refs carry their content hash), sources and libraries.

    The config is taken as given and masked: the fingerprint is the same whatever the password.
    """
    source = None
    if spec.cache_key is not None:
        try:
            source = spec.cache_key(run_cfg or cfg)
        except MlopsTasksError:
            return (
                None  # e.g. a missing source: the run itself fails and is recorded with the reason
            )
        if source is None:
            return None
    payload = {
        "task": spec.name,
        "version": spec.version,
        "config": mask(cfg.model_dump(mode="json")),
        "source": mask(source),
        "libraries": _library_versions(("mlops-tasks", *spec.libraries)),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


@cache
def _library_versions(names: tuple[str, ...]) -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return versions


def _flatten(config: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in config.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value and not {"uri", "sha256"} <= value.keys():
            flat.update(_flatten(value, f"{path}."))
        else:
            flat[path] = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return flat
