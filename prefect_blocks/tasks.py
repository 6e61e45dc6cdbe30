"""Every task in the mlops-tasks registry, as a Prefect task.

One function, `prefect_task`, turns a `TaskSpec` into a Prefect task; the module's
``__getattr__`` calls it for any registered name, so built-in tasks and tasks that plugins
add through the ``mlops_tasks.plugins`` entry-point group are importable alike::

    from prefect import flow
    from prefect_blocks.tasks import extract, profile

    @flow
    def pipeline(path: str):
        data = extract(source=path)              # -> ExtractResult
        return profile(dataset=data.dataset)     # ArtifactRefs pass straight on

Each task takes its config fields as keyword arguments, plus ``store`` (a `MlopsTasksStore`
block or the name of a saved one; the environment's defaults when omitted) and ``cache``
(serve a previous identical run from the metadata store). It records the run in the
metadata store with the Prefect flow-run and task-run ids, publishes a Markdown artifact
summarising the result (key ``mlops-tasks-<task>``), emits an ``mlops-tasks.task.completed``
event, and returns the task's pydantic result model.

With ``.map``, pass a block as ``unmapped(store)`` (a pydantic model is iterable) or pass its
saved name. ``prefect_task(name, artifact=False)`` builds a task without the Markdown artifact,
for many small mapped runs. ``extract.fn(...)`` runs the same body as a plain call, without
Prefect: recorded with engine ``direct``, nothing published.

Names defined here shadow registry names of the same spelling; `all_tasks()` and
`prefect_task(name)` always reach every task.
"""

from __future__ import annotations

import contextvars as _contextvars
import functools as _functools
import inspect as _inspect
import json as _json
import re as _re
import threading as _threading
from concurrent.futures import ThreadPoolExecutor as _ThreadPoolExecutor
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from prefect import get_run_logger as _get_run_logger
from prefect import task as _task
from prefect.cache_policies import NO_CACHE as _NO_CACHE

from mlops_tasks.identity import Identity as _Identity
from mlops_tasks.registry import TaskSpec as _TaskSpec
from mlops_tasks.registry import get_registry as _get_registry
from prefect_blocks import openlineage as _openlineage
from prefect_blocks.events import emit_result_events as _emit_result_events

if _TYPE_CHECKING:
    from prefect import Task

    from mlops_tasks.registry import TaskResult
    from mlops_tasks.settings import Settings
    from prefect_blocks.blocks import MlopsTasksStore

# Parameters every generated task adds to the config fields.
_STORE, _CACHE, _MORE = "store", "cache", "more_config"
_RESERVED = {_STORE, _CACHE, _MORE, "return_state", "wait_for"}

_built: dict[str, tuple[_TaskSpec, Task]] = {}
_lock = _threading.Lock()


class _Default:
    """Marks a keyword the caller did not give, so the config model applies its own default.

    Passing the defaults through explicitly would be the same for plain defaults, but not for
    default factories or validators that look at which fields were set. The repr shows the
    real default, so ``help(extract)`` reads naturally.
    """

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


def prefect_task(spec: _TaskSpec | str, *, artifact: bool = True, **options: _Any) -> Task:
    """The Prefect task for one registered task (built once per spec, then reused).

    ``artifact=False`` skips the Markdown result artifact (published in the background, see
    `flush`), for thousands of small mapped runs; the event is sent regardless.
    ``options`` go to `prefect.task` (``retries``, ``tags``, ``timeout_seconds`` ...). Either
    builds a fresh task; ``prefect_task(spec).with_options(...)`` does the same. The tasks carry
    no tags unless given: a tagged task run asks the server for its tag concurrency limits
    before it starts (on a SQLite-backed server, sometimes a 2 s retry; see `_build`), so tags
    are for when a tag-based concurrency limit is wanted, e.g. ``tags=["gpu"]``.

    >>> t = prefect_task("extract")
    >>> t.name, "source" in __import__("inspect").signature(t.fn).parameters
    ('mlops-tasks.extract', True)
    """
    if isinstance(spec, str):
        spec = _get_registry().get(spec)
    if options or not artifact:
        return _build(spec, options, artifact)
    with _lock:
        cached = _built.get(spec.name)
        # A reloaded registry brings new spec objects: rebuild rather than serve a stale task.
        if cached is None or cached[0] is not spec:
            cached = _built[spec.name] = (spec, _build(spec, {}, True))
        return cached[1]


def all_tasks() -> dict[str, Task]:
    """Every registered task as a Prefect task, by registry name."""
    return {spec.name: prefect_task(spec) for spec in _get_registry()}


def artifact_key(task_name: str) -> str:
    """The Prefect artifact key of a task's result summary (lowercase letters, digits, dashes).

    >>> artifact_key("extract"), artifact_key("My_Plugin.Task")
    ('mlops-tasks-extract', 'mlops-tasks-my-plugin-task')
    """
    return "mlops-tasks-" + (_re.sub(r"[^a-z0-9]+", "-", task_name.lower()).strip("-") or "task")


def _build(spec: _TaskSpec, options: dict[str, _Any], artifact: bool) -> Task:
    clash = _RESERVED & set(spec.field_names)
    if clash:
        raise TypeError(
            f"task {spec.name!r}: config fields {sorted(clash)} clash with parameters the Prefect "
            f"face adds ({', '.join(sorted(_RESERVED))}); rename them in the config model"
        )

    def run(**kwargs: _Any) -> TaskResult:
        return _run(spec, kwargs, artifact)

    # Prefect names the task key after __qualname__ plus the code hash, and every generated
    # function shares one code object: the qualname is what tells them apart.
    run.__name__ = run.__qualname__ = spec.name
    run.__module__ = __name__
    run.__doc__ = _docstring(spec)
    run.__signature__ = _signature(spec)  # type: ignore[attr-defined]
    run.__annotations__ = {"return": spec.result_model}

    defaults: dict[str, _Any] = {
        "name": f"mlops-tasks.{spec.name}",
        "description": spec.description or None,
        # No tags by default. Prefect checks the tag-based concurrency limits of a tagged task run
        # before it runs: an API call, unless the same tags were found limit-free under 5 s ago.
        # On a SQLite-backed server that call reads and then writes in one deferred transaction,
        # and any write committed in between (our artifact from the previous task, Prefect's own
        # logs and events) fails it with "database is locked": HTTP 503, which the client retries
        # after 2 s. Those were the ~2 s pauses between tasks. `prefect_task(name, tags=[...])`
        # adds tags, to opt in to tag-based concurrency limits (`bench/overhead_prefect.py` times it).
        # Caching belongs to the core (`cache=True`), which records every hit as an execution;
        # a Prefect cache hit would skip the lineage record, and hashing inputs costs time.
        "cache_policy": _NO_CACHE,
        "retry_condition_fn": _retry_unless_permanent,
    }
    return _task(run, **{**defaults, **options})


def _signature(spec: _TaskSpec) -> _inspect.Signature:
    """Keyword-only config fields with their types and defaults, then store, cache, more_config.

    >>> print(_signature(_get_registry().get("profile")))  # doctest: +ELLIPSIS
    (*, dataset: ...ArtifactRef = <required>, columns: list[str] | None = None, ..., cache: bool = False, **more_config: Any) -> ...ProfileResult
    """
    from prefect_blocks.blocks import MlopsTasksStore

    P = _inspect.Parameter
    params = []
    for name, field in spec.config_model.model_fields.items():
        # Required fields get a marker too: a missing one then fails the task run with the field
        # named, like a wrong one, instead of failing the flow at the call.
        if field.is_required():
            default: _Any = _Default("<required>")
        elif field.default_factory is not None:
            default = _Default("<factory>")
        else:
            default = _Default(repr(field.default))
        params.append(P(name, P.KEYWORD_ONLY, default=default, annotation=field.annotation))
    params += [
        P(_STORE, P.KEYWORD_ONLY, default=None, annotation=MlopsTasksStore | str | None),
        P(_CACHE, P.KEYWORD_ONLY, default=False, annotation=bool),
        # Unknown keywords reach the config model, so a misspelt field fails the task run with
        # the field named instead of a TypeError in the flow before any task run exists.
        P(_MORE, P.VAR_KEYWORD, annotation=_Any),
    ]
    return _inspect.Signature(params, return_annotation=spec.result_model)


def _docstring(spec: _TaskSpec) -> str:
    lines = [spec.description or spec.name, "", f"Stage: {spec.stage}. Config fields:", ""]
    for name, field in spec.config_model.model_fields.items():
        lines.append(f"    {name}: {field.description or ''}".rstrip())
    lines += [
        f"    {_STORE}: MlopsTasksStore block or saved block name; environment defaults if omitted.",
        f"    {_CACHE}: serve a previous identical successful run from the metadata store.",
        "",
        f"Returns {spec.result_model.__name__}.",
    ]
    return "\n".join(lines)


def _run(spec: _TaskSpec, kwargs: dict[str, _Any], artifact: bool) -> TaskResult:
    """The body of every generated task: settings, identity, run_task, then tell Prefect."""
    from prefect.runtime import flow_run, task_run

    from mlops_tasks.runtime import run_task

    store = kwargs.pop(_STORE, None)
    cache = bool(kwargs.pop(_CACHE, False))
    config = {k: v for k, v in kwargs.items() if not isinstance(v, _Default)}
    settings = _settings(store)
    in_run = task_run.id is not None  # False when called as `extract.fn(...)`
    identity = _Identity(
        engine="prefect" if in_run else "direct",
        flow_run_id=flow_run.id,
        task_run_id=task_run.id,
        try_number=task_run.run_count or None,
    )
    # The run logger (a LoggerAdapter) sends the core's log lines to the task run in the UI.
    logger = _get_run_logger() if in_run else None
    lineage = in_run and _openlineage.enabled()
    if lineage:
        args = (spec, config, settings, identity, flow_run.flow_name or "flow", logger)
        _queue_lineage("START", None, *args)
    try:
        result = run_task(
            spec, config, settings=settings, identity=identity, cache=cache, logger=logger
        )
    except Exception as exc:
        # A failed check keeps its report: show it on the failed task run too.
        partial = getattr(exc, "result", None)
        if in_run and partial is not None:
            _publish_or_warn(spec, config, partial, settings, identity, artifact, logger)
        if lineage:
            _queue_lineage("FAIL", partial, *args, error=exc)
        raise
    if not in_run:
        return result
    # Events the result asks for (a "retrain" decision) go out now, not on the background thread.
    _emit_result_events(spec.name, result, store)
    # An artifact costs a blocking API round trip: publish off the task's path, in order, on one
    # background thread (Python joins it at exit; `flush()` waits for it), like Prefect's own
    # log and event workers.
    _publisher().submit(
        _contextvars.copy_context().run,
        _publish_or_warn,
        spec,
        config,
        result,
        settings,
        identity,
        artifact,
        logger,
    )
    if lineage:
        _queue_lineage("COMPLETE", result, *args)
    return result


def _queue_lineage(
    state: str,
    result: TaskResult | None,
    spec: _TaskSpec,
    config: dict[str, _Any],
    settings: _Any,
    identity: _Identity,
    flow: str,
    logger: _Any,
    error: BaseException | None = None,
) -> None:
    """Queue the task run's OpenLineage ``state`` event on the publisher thread, timed now."""
    from datetime import datetime, timezone

    def emit() -> None:
        try:
            _openlineage.emit_lineage(
                state, spec=spec, config=config, result=result, settings=settings,
                identity=identity, flow=flow, at=at, error=error,
            )  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - lineage is a side channel: it never fails a run
            logger.warning(
                "%s: could not emit the OpenLineage %s event: %s: %s",
                spec.name, state, type(exc).__name__, exc,
            )  # fmt: skip

    at = datetime.now(timezone.utc)
    _publisher().submit(_contextvars.copy_context().run, emit)


def flush(timeout: float | None = 60) -> None:
    """Wait until every result artifact and event queued so far has been published."""
    _publisher().submit(lambda: None).result(timeout)


@_functools.cache
def _publisher() -> _ThreadPoolExecutor:
    return _ThreadPoolExecutor(max_workers=1, thread_name_prefix="mlops-tasks-publish")


def _publish_or_warn(*args: _Any) -> None:
    spec, logger = args[0], args[-1]
    try:
        _publish(*args[:-1])
    except Exception as exc:  # noqa: BLE001 - the run is recorded; a UI summary must not fail it
        logger.warning(
            "%s: could not publish the result artifact or event: %s: %s",
            spec.name,
            type(exc).__name__,
            exc,
        )


def _settings(store: MlopsTasksStore | str | None) -> Settings:
    from mlops_tasks.settings import Settings
    from prefect_blocks.blocks import MlopsTasksStore

    # "" is what a trigger's template renders for an event that named no block.
    if store is None or store == "":
        return Settings.from_env()
    if isinstance(store, str):
        store = MlopsTasksStore.load(store)
    if not isinstance(store, MlopsTasksStore):
        raise TypeError(
            f"store must be a MlopsTasksStore block or a saved block's name, not {type(store).__name__}"
        )
    return store.settings()


def _retry_unless_permanent(task: _Any, task_run: _Any, state: _Any) -> bool:
    """Prefect's retry condition: use the retries unless the error says another try cannot pass.

    Our errors carry ``retryable`` (False for a bad config, bad data, a corrupt artifact); a
    missing or unreachable source stays retryable, since a file may still be landing.
    """
    # The engine hands over Failed(data=<the exception>).
    return getattr(getattr(state, "data", None), "retryable", True) is not False


# -- what Prefect shows: an artifact and an event -------------------------------------------------


def _publish(
    spec: _TaskSpec,
    config: dict[str, _Any],
    result: TaskResult,
    settings: Settings,
    identity: _Identity,
    artifact: bool,
) -> None:
    """A Markdown artifact in the task run and an event, both pointing back to our records."""
    from prefect.events import emit_event

    from mlops_tasks.runtime import artifact_refs, report_links

    # run_task sets the status of what it returns; a result carried by an error has none.
    execution_id, status = result.execution_id, result.status or "failed"
    links = report_links(result, settings)
    inputs, outputs = artifact_refs(spec.validate_config(config)), artifact_refs(result)
    primary = next(iter(outputs.values()), None)
    rows = _summary(result)

    if artifact:
        lines = [f"### mlops-tasks `{spec.name}` ({spec.stage}): {status}", ""]
        if execution_id:
            lines.append(f"Recorded as execution {execution_id} in the metadata store.")
        if primary:
            lines.append(f"Lineage: `mlops-tasks lineage {primary.sha256[:12]}`")
        lines += ["", "| field | value |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in _summary(result, markdown=True).items()]
        key = artifact_key(spec.name)
        documents = [("markdown", key, "\n".join(lines), f"{spec.name}: {spec.description}"[:500])]
        documents += [
            (
                "markdown",  # a Prefect link artifact is a Markdown link
                f"{key}-{_re.sub(r'[^a-z0-9]+', '-', name.lower())}",
                _report_link(spec.name, name, url),
                f"HTML {name} of {spec.name}",
            )
            for name, url in links.items()
        ]
        documents += [
            (
                "table",
                f"{key}-{_re.sub(r'[^a-z0-9]+', '-', name.lower())}",
                _json.dumps(table),
                f"{name} of {spec.name}",
            )
            for name, table in _tables(result).items()
        ]
        _create_artifacts(documents, identity)

    # The event is about the artifact the task delivered: its content hash names it the same in
    # every store and scheduler (execution ids are only unique within one metadata store).
    resource = {
        "prefect.resource.id": (
            f"mlops-tasks.artifact.{primary.sha256}"
            if primary
            else f"mlops-tasks.task-run.{identity.task_run_id}"
        ),
        "prefect.resource.name": primary.uri if primary else spec.name,
        "mlops-tasks.task": spec.name,
        "mlops-tasks.stage": spec.stage,
        "mlops-tasks.status": status,
        "mlops-tasks.execution": str(execution_id),
    }
    related = [
        {
            "prefect.resource.id": f"mlops-tasks.artifact.{ref.sha256}",
            "prefect.resource.role": role,
            "prefect.resource.name": name,
            "mlops-tasks.uri": ref.uri,
            "mlops-tasks.kind": ref.kind,
        }
        for role, refs in (("input", inputs), ("output", outputs))
        for name, ref in refs.items()
        if ref is not primary
    ]
    emit_event(
        event="mlops-tasks.task.completed",
        resource=resource,
        related=related,
        payload={"task": spec.name, "execution_id": execution_id, "status": status, "result": rows},
    )


def _report_link(task: str, name: str, url: str) -> str:
    """A link the Prefect UI opens; a local path (no browser follows ``file://`` from a web page)
    says how to serve it instead."""
    if url.startswith(("http://", "https://")):
        return f"[{task} {name}]({url})"
    return (
        f"{task} {name}: `{url}`\n\nNot reachable from the browser. Serve local reports with "
        "`mlops-tasks serve-reports` and set `MLOPS_TASKS_ARTIFACT_BASE_URL` to its address "
        "(e.g. `http://127.0.0.1:8765`) where the flow runs: this becomes a link."
    )


def _tables(result: TaskResult) -> dict[str, list[dict[str, _Any]]]:
    """Result fields that are tables of numbers (metrics, statistics), as Prefect table rows."""
    tables = {}
    for name in type(result).model_fields:
        value = getattr(result, name)
        if (
            isinstance(value, dict)
            and value
            and all(isinstance(v, (int, float)) or v is None for v in value.values())
        ):
            tables[name] = [{"name": k, "value": v} for k, v in value.items()]
    return tables


def _create_artifacts(documents: list[tuple[str, str, str, str]], identity: _Identity) -> None:
    """Markdown, link and table artifacts on the task run, through a client of the calling thread.

    The publisher runs after the task has finished, when the task's own client is closed; so
    the run ids are given explicitly instead of being read from the run context.
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import ArtifactCreate

    with get_client(sync_client=True) as client:
        for kind, key, data, description in documents:
            client.create_artifact(
                ArtifactCreate(
                    key=key,
                    type=kind,
                    data=data,
                    description=description,
                    flow_run_id=identity.flow_run_id,
                    task_run_id=identity.task_run_id,
                )
            )


def _summary(result: TaskResult, markdown: bool = False) -> dict[str, str]:
    """Each result field as short text: refs as ``<sha256[:12]> <uri>``, long values cut."""
    from mlops_tasks.artifacts import ArtifactRef

    def text(value: _Any) -> str:
        if isinstance(value, ArtifactRef):
            return (
                f"`{value.sha256[:12]}` {value.uri}"
                if markdown
                else f"{value.sha256[:12]} {value.uri}"
            )
        if isinstance(value, (list, tuple)):
            if value and all(isinstance(v, ArtifactRef) for v in value):
                return "; ".join(text(v) for v in value)
            shown = ", ".join(map(str, value))
            return f"{shown} ({len(value)})" if len(value) > 3 else shown
        return str(value)

    out = {}
    for name in type(result).model_fields:
        value = text(getattr(result, name))
        value = value if len(value) <= 300 else value[:297] + "..."
        out[name] = value.replace("|", "\\|").replace("\n", " ") if markdown else value
    return out


# -- the registry as module attributes ------------------------------------------------------------


def __getattr__(name: str) -> _Any:
    if name == "__all__":
        return ["all_tasks", "artifact_key", "flush", "prefect_task", *_get_registry().names()]
    if name.startswith("__"):
        raise AttributeError(name)  # probes from pickle, inspect and doctest: no registry load
    registry = _get_registry()
    if name in registry:
        return prefect_task(registry.get(name))
    raise AttributeError(
        f"module {__name__!r} has no attribute {name!r}; registered tasks: {', '.join(registry.names()) or 'none'}"
    )


def __dir__() -> list[str]:
    return sorted({*globals(), *_get_registry().names()})
