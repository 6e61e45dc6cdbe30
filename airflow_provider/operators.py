"""One operator per registered mlops-tasks task, generated from its `TaskSpec`.

`MlopsTaskOperator` runs any task by name; ``<CamelCase task name>Operator`` (``ExtractOperator``,
``ProfileOperator``, and one for each task a ``mlops_tasks.plugins`` plugin registers) is the
same operator with the task fixed, built on first use by `operator_class`. Both take the task's
config fields as keyword arguments, and a ``config`` dict for the rest::

    from airflow_provider.operators import ExtractOperator, MlopsTaskOperator, ProfileOperator

    extract = ExtractOperator(task_id="extract", source="s3://raw/day.csv")
    profile = ProfileOperator(task_id="profile", dataset=extract.output["dataset"], top_k=5)
    same = MlopsTaskOperator(task_id="profile2", task_name="profile", config={"top_k": 5},
                             dataset=extract.output["dataset"])   # a ProfileOperator

Every config field (and ``config``) is a template field: Jinja strings and XComArgs work, and
an XComArg makes its task upstream. The operator returns the task's result as a small JSON dict
and, by default, pushes each of its keys as its own XCom too (``multiple_outputs``), which is
what ``extract.output["dataset"]`` reads. Only artifact references and small facts travel
through XCom; the data stays in the artifact store.

``.partial(...).expand(source=[...])`` maps a generated operator over config values; the map
index is recorded with each execution.

A config field whose name an Airflow operator already uses (``retries``, ``pool``, ``doc``,
``output`` ...) is not a keyword argument: give it in ``config``.

An error another try cannot fix (``retryable = False`` in `mlops_tasks.errors`: an invalid
config, unusable data, a corrupt artifact) fails the task at once, without using its retries.

A task whose result has an ``events`` field (a list of names, e.g. ``decide_retraining``'s
``["mlops-tasks.retrain"]`` when it decides to retrain) gets an `AssetAlias` outlet,
``mlops-tasks.<task>.events``; each name in a run's ``events`` becomes an event of the
`Asset` of that name through the alias. A DAG scheduled on ``Asset("mlops-tasks.retrain")``
therefore runs only when the decision was to retrain (Airflow 3's way to emit conditionally).
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider.links import ReportLink
from airflow_provider.openlineage import OpenLineageMixin
from mlops_tasks.errors import ConfigError, MlopsTasksError

if TYPE_CHECKING:
    from airflow.sdk import Context

    from mlops_tasks.identity import Identity
    from mlops_tasks.registry import TaskSpec

DEFAULT_CONN_ID = "mlops_tasks_default"
EVENTS_FIELD = "events"  # a result field listing the Asset names to emit an event for
OWN_ARGUMENTS = frozenset({"task_name", "config", "cache", "mlops_conn_id"})


class MlopsTaskOperator(OpenLineageMixin, BaseOperator):
    """Run an mlops-tasks task, recording its execution and lineage in the mlops-tasks stores.

    :param task_name: registered task to run; implied by the generated subclasses.
    :param config: config fields as a dict (templated; may be an XComArg resolving to a dict).
    :param cache: serve the result of an earlier identical execution whose outputs still exist.
    :param mlops_conn_id: connection of type ``mlops_tasks`` naming the stores; without such a
        connection the ``MLOPS_TASKS_*`` environment variables are used.
    :param kwargs: the task's config fields, then `BaseOperator` arguments.

    Constructing ``MlopsTaskOperator(task_name="extract", ...)`` returns an ``ExtractOperator``,
    so the UI and the serialized DAG show the task's own operator and template fields.
    """

    task_name: ClassVar[str | None] = None
    # The spec the class was built from, so an instance runs what its class describes.
    task_spec: ClassVar[TaskSpec | None] = None
    template_fields: Sequence[str] = ("config",)
    template_fields_renderers: ClassVar[dict[str, str]] = {"config": "json"}
    ui_color = "#e8f0fe"

    def __new__(cls, *args: Any, task_name: str | None = None, **kwargs: Any):
        # The generic operator hands back an instance of the task's own class (Python then runs
        # that class's __init__), so each task has one class, one set of template fields.
        generic = cls.task_name is None and task_name is not None
        return super().__new__(operator_class(task_name) if generic else cls)

    def __init__(
        self,
        *,
        task_name: str | None = None,
        config: dict[str, Any] | Any | None = None,
        cache: bool = False,
        mlops_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        own = type(self).task_name
        if own is None:
            raise TypeError("MlopsTaskOperator needs task_name=<a registered task>")
        if task_name is not None and task_name != own:
            raise TypeError(f"{type(self).__name__} runs task {own!r}, not {task_name!r}")
        spec = self.spec
        keywords = config_keywords(spec)
        given = {name: kwargs.pop(name) for name in list(kwargs) if name in keywords}
        kwargs.setdefault("multiple_outputs", True)
        if EVENTS_FIELD in spec.result_model.model_fields:
            outlets = kwargs.get("outlets") or []
            outlets = list(outlets) if isinstance(outlets, (list, tuple)) else [outlets]
            kwargs["outlets"] = [*outlets, events_alias(spec.name)]
        super().__init__(**kwargs)
        if isinstance(config, dict):
            _check_keys(spec, config, given)
        self.config = {} if config is None else config
        self.cache = cache
        self.mlops_conn_id = mlops_conn_id
        # Which keyword fields were given: a field left out takes the config model's default,
        # which is not the same as passing None.
        self.config_fields = tuple(given)
        for name in keywords:
            setattr(self, name, given.get(name))

    @property
    def spec(self) -> TaskSpec:
        spec = type(self).task_spec
        assert spec is not None  # __init__ refuses a class without a task
        return spec

    def task_config(self) -> dict[str, Any]:
        """The config to validate: ``config`` with the keyword fields on top (after templating)."""
        if not isinstance(self.config, dict):
            raise ConfigError(
                self.task_name, [f"<config>: expected a dict, got {type(self.config).__name__}"]
            )
        _check_keys(self.spec, self.config, dict.fromkeys(self.config_fields))
        return {**self.config, **{name: getattr(self, name) for name in self.config_fields}}

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider.hooks import MlopsTasksHook
        from mlops_tasks.runtime import run_task

        settings = MlopsTasksHook(mlops_conn_id=self.mlops_conn_id).get_settings()
        try:
            config = self.task_config()
            result = run_task(
                self.spec,
                config,
                settings=settings,
                identity=identity_from_context(context),
                cache=self.cache,
                logger=self.log,
            )
        except MlopsTasksError as exc:
            # A failed check still has its report: the button must lead to why it failed.
            self.set_report_url(getattr(exc, "result", None), settings)
            # What another try cannot fix (invalid config, unusable data, a corrupt artifact)
            # fails without using the task's retries; the rest is retried as usual.
            if exc.retryable:
                raise
            raise AirflowFailException(f"{type(exc).__name__}: {exc}") from exc
        self.set_report_url(result, settings)
        self.remember_for_lineage(config, result, settings)
        self.emit_events(result, context)
        return result.model_dump(mode="json")

    def set_report_url(self, result: Any, settings: Any) -> None:
        """Remember the result's HTML report for the ``Report`` extra link (`ReportLink`).

        Under ``MLOPS_TASKS_ARTIFACT_BASE_URL`` (a web server over the artifact root) the link
        points there; otherwise to the reports app in the api-server (`reports_app`), a path on
        the UI's own origin, which the UI keeps (it drops ``file://`` and ``s3://`` links).
        """
        from airflow_provider.links import report_url
        from mlops_tasks.registry import TaskResult
        from mlops_tasks.runtime import artifact_refs, report_links

        if not isinstance(result, TaskResult):
            return
        if settings.artifact_base_url:
            self.report_url = next(iter(report_links(result, settings).values()), "")
            return
        reports = [r for r in artifact_refs(result).values() if r.media_type == "text/html"]
        self.report_url = report_url(self.dag_id, reports[0].sha256) if reports else ""

    def emit_events(self, result: Any, context: Context) -> None:
        """An Asset event per name in the result's ``events``, through the task's events alias."""
        from airflow.sdk import Asset

        names = getattr(result, EVENTS_FIELD, None) or []
        if not names:
            return
        alias = events_alias(self.task_name)
        for name in names:
            context["outlet_events"][alias].add(
                Asset(name), extra={"task": self.task_name, "task_id": self.task_id}
            )
            self.log.info("%s: emitted an event of Asset %r", self.task_name, name)


def events_alias(task_name: str) -> Any:
    """The `AssetAlias` through which a task's result ``events`` become Asset events."""
    from airflow.sdk import AssetAlias

    return AssetAlias(name=f"mlops-tasks.{task_name}.events")


def identity_from_context(context: Context) -> Identity:
    """Who runs this try: dag, run, task, map index (None when not mapped) and try number."""
    from mlops_tasks.identity import Identity

    ti = context["ti"]
    map_index = getattr(ti, "map_index", None)
    return Identity(
        engine="airflow",
        dag_id=ti.dag_id,
        run_id=ti.run_id,
        task_id=ti.task_id,
        map_index=map_index if map_index is not None and map_index >= 0 else None,
        try_number=ti.try_number,
    )


def config_keywords(spec: TaskSpec) -> tuple[str, ...]:
    """The config fields that are keyword arguments and template fields of the task's operator.

    A field named like an operator argument or attribute (``retries``, ``pool``, ``doc``,
    ``output`` ...) is left out: as a keyword or attribute it would clobber the operator.
    """
    return tuple(name for name in spec.field_names if name not in reserved_names())


@functools.cache
def reserved_names() -> frozenset[str]:
    return (
        frozenset(inspect.signature(BaseOperator.__init__).parameters)
        | frozenset(dir(MlopsTaskOperator))
        | OWN_ARGUMENTS
        | {"config_fields"}
    )


def class_name(task_name: str) -> str:
    """``train_model`` -> ``TrainModelOperator``.

    >>> class_name("extract"), class_name("detect-anomalies")
    ('ExtractOperator', 'DetectAnomaliesOperator')
    """
    parts = re.split(r"[^0-9A-Za-z]+", task_name)
    return "".join(p[:1].upper() + p[1:] for p in parts) + "Operator"


_classes: dict[str, tuple[TaskSpec, type[MlopsTaskOperator]]] = {}


def operator_class(task: str | TaskSpec) -> type[MlopsTaskOperator]:
    """The operator class of a registered task (or of a `TaskSpec`), built once per spec.

    >>> operator_class("extract").__name__, operator_class("extract").template_fields[:2]
    ('ExtractOperator', ('config', 'source'))
    """
    from mlops_tasks.registry import TaskSpec, get_registry

    spec = task if isinstance(task, TaskSpec) else get_registry().get(task)
    cached = _classes.get(spec.name)
    # A reloaded registry holds new specs: rebuild rather than hand out a class for the old one.
    if cached is not None and cached[0] is spec:
        return cached[1]
    name = class_name(spec.name)
    keywords = config_keywords(spec)
    cls = type(
        name,
        (MlopsTaskOperator,),
        {
            "__module__": __name__,
            "__qualname__": name,
            "__doc__": _docstring(spec, keywords),
            "__init__": _init_with_signature(spec, keywords),
            "task_name": spec.name,
            "task_spec": spec,
            "template_fields": ("config", *keywords),
            "operator_extra_links": (ReportLink(),) if _has_report(spec) else (),
        },
    )
    _classes[spec.name] = (spec, cls)
    return cls


def _has_report(spec: TaskSpec) -> bool:
    """Whether the task's result names a report field: only those operators get the button."""
    return any("report" in name for name in spec.result_model.model_fields)


def operator_classes() -> dict[str, type[MlopsTaskOperator]]:
    """Every registered task's operator class, by class name."""
    from mlops_tasks.registry import get_registry

    return {class_name(spec.name): operator_class(spec) for spec in get_registry()}


def _init_with_signature(spec: TaskSpec, keywords: tuple[str, ...]) -> Any:
    def __init__(self: MlopsTaskOperator, **kwargs: Any) -> None:
        MlopsTaskOperator.__init__(self, **kwargs)

    # Airflow reads the parameter names from the signature: they are what .partial() and
    # .expand() accept, and what default_args may fill in. Every field has a default because
    # it may come in `config` instead.
    fields = spec.config_model.model_fields
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for name in keywords:
        field = fields[name]
        default = None if field.is_required() else field.get_default(call_default_factory=True)
        params.append(
            inspect.Parameter(
                name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=field.annotation
            )
        )
    for name, default in (("config", None), ("cache", False), ("mlops_conn_id", DEFAULT_CONN_ID)):
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default))
    params.append(inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD))
    __init__.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    __init__.__qualname__ = f"{class_name(spec.name)}.__init__"
    return __init__


def _docstring(spec: TaskSpec, keywords: tuple[str, ...]) -> str:
    fields = spec.config_model.model_fields
    lines = [
        f"{spec.description or spec.name}",
        "",
        (
            f"Runs the mlops-tasks task ``{spec.name}`` (stage ``{spec.stage}``) and returns its "
            f"result ({', '.join(spec.result_model.model_fields)}) as a dict."
        ),
        "",
    ]
    for name in keywords:
        required = " Required (here or in ``config``)." if fields[name].is_required() else ""
        lines.append(f":param {name}: {fields[name].description or ''}{required}".rstrip())
    lines.append(":param config: further config fields as a dict.")
    return "\n".join(lines)


def _check_keys(spec: TaskSpec, config: dict[str, Any], keywords: dict[str, Any]) -> None:
    problems = [
        f"{k}: not a config field of {spec.name!r}" for k in config if k not in spec.field_names
    ]
    problems += [
        f"{k}: given both as a keyword argument and in config" for k in config if k in keywords
    ]
    if problems:
        raise ConfigError(spec.name, problems)


def __getattr__(name: str) -> type[MlopsTaskOperator]:
    # ``from airflow_provider.operators import ExtractOperator`` lands here: classes are built on
    # first use, from whatever the registry holds then (plugins included).
    if name.endswith("Operator") and not name.startswith("_"):
        from mlops_tasks.registry import get_registry

        # Match on names: building only the asked-for task keeps a DAG file's import cheap.
        for task_name in get_registry().names():
            if class_name(task_name) == name:
                return operator_class(task_name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    from mlops_tasks.registry import get_registry

    return sorted({*globals(), *(class_name(name) for name in get_registry().names())})
