"""The task contract: a plain typed function, its config and result models, under a name and a stage.

>>> from mlops_tasks.registry import TaskConfig, TaskResult, task
>>> class AddConfig(TaskConfig):
...     a: int
...     b: int = 1
>>> class AddResult(TaskResult):
...     total: int
>>> @task(stage="demo")
... def add(config: AddConfig, ctx) -> AddResult:
...     '''Add two numbers.'''
...     return AddResult(total=config.a + config.b)
>>> add.spec.name, add.spec.stage, add.spec.description
('add', 'demo', 'Add two numbers.')
>>> add(AddConfig(a=2), ctx=None).total
3
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError

from mlops_tasks.errors import ConfigError, UnknownTaskError


class TaskConfig(BaseModel):
    """Base of every task config: unknown keys are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TaskResult(BaseModel):
    """Base of every task result. Keep it small: it travels through XCom and Prefect results."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Set by `run_task`: which execution in the metadata store produced (or served) this result.
    _execution_id: int | None = PrivateAttr(default=None)
    _status: str | None = PrivateAttr(default=None)

    def __eq__(self, other: object) -> bool:
        # Equal results are equal whichever execution recorded them (pydantic would compare the
        # private attributes too).
        if not isinstance(other, BaseModel):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__

    __hash__ = BaseModel.__hash__

    def __repr__(self) -> str:
        """One field a line, artifact references as ``kind sha256-prefix uri``: readable in a REPL.

        >>> from mlops_tasks.tasks.register import PromoteResult
        >>> PromoteResult(name="bikes", alias="champion", promoted=True, version=2)
        PromoteResult(
          name='bikes'
          alias='champion'
          promoted=True
          version=2
          previous_version=None
          forced=False
          refused=None
        )
        """
        lines = [f"  {name}={_short(getattr(self, name))}" for name in type(self).model_fields]
        if self._execution_id is not None:
            lines.append(f"  # execution {self._execution_id} ({self._status})")
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"

    __str__ = __repr__

    @property
    def execution_id(self) -> int | None:
        return self._execution_id

    @property
    def status(self) -> str | None:
        """``succeeded`` or ``cached``, once recorded by `run_task`."""
        return self._status


def _short(value: Any, limit: int = 8) -> str:
    """A field's value for `TaskResult.__repr__`: references and long lists shortened."""
    from mlops_tasks.artifacts import ArtifactRef

    if isinstance(value, ArtifactRef):
        return f"<{value.kind} {value.sha256[:12]} {value.uri}>"
    if isinstance(value, (list, tuple)) and len(value) > limit:
        shown = ", ".join(_short(v) for v in value[:limit])
        return f"[{shown}, ... {len(value) - limit} more]"
    if isinstance(value, dict) and len(value) > limit:
        shown = ", ".join(f"{k!r}: {_short(v)}" for k, v in list(value.items())[:limit])
        return f"{{{shown}, ... {len(value) - limit} more}}"
    return repr(value)


@dataclass(frozen=True)
class TaskSpec:
    name: str
    stage: str
    fn: Callable[..., TaskResult]
    config_model: type[TaskConfig]
    result_model: type[TaskResult]
    version: str = "1"
    description: str = ""
    # Extra fingerprint input for what the config alone does not pin down (a source file's
    # identity); returning None means the run can never be served from cache.
    cache_key: Callable[[Any], str | None] | None = None
    libraries: tuple[str, ...] = field(default=("numpy", "pandas", "pyarrow"))

    def validate_config(self, raw: TaskConfig | dict[str, Any] | None) -> TaskConfig:
        """Build the config model, turning pydantic's errors into a `ConfigError` naming each field."""
        if isinstance(raw, self.config_model):
            return raw
        try:
            return self.config_model.model_validate(raw or {})
        except ValidationError as exc:
            problems = [
                f"{'.'.join(map(str, e['loc'])) or '<config>'}: {e['msg']}" for e in exc.errors()
            ]
            raise ConfigError(self.name, problems) from None

    def config_schema(self) -> dict[str, Any]:
        return self.config_model.model_json_schema()

    def result_schema(self) -> dict[str, Any]:
        """The JSON schema of the task's result: the fields a run returns (``.share``, ``.dataset`` ...)."""
        return self.result_model.model_json_schema()

    @property
    def field_names(self) -> list[str]:
        return list(self.config_model.model_fields)


def task(
    name: str | None = None,
    *,
    stage: str,
    version: str = "1",
    cache_key: Callable[[Any], str | None] | None = None,
    libraries: tuple[str, ...] = ("numpy", "pandas", "pyarrow"),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a function ``fn(config, ctx) -> Result`` as a task; its type hints give the models."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        hints = typing.get_type_hints(fn)
        params = list(inspect.signature(fn).parameters)
        config_model = hints.get(params[0]) if params else None
        result_model = hints.get("return")
        if not (isinstance(config_model, type) and issubclass(config_model, TaskConfig)):
            raise TypeError(
                f"task {fn.__name__}: first parameter must be annotated with a TaskConfig"
            )
        if not (isinstance(result_model, type) and issubclass(result_model, TaskResult)):
            raise TypeError(f"task {fn.__name__}: return type must be a TaskResult")
        fn.spec = TaskSpec(  # type: ignore[attr-defined]
            name=name or fn.__name__,
            stage=stage,
            fn=fn,
            config_model=config_model,
            result_model=result_model,
            version=version,
            description=(inspect.getdoc(fn) or "").split("\n\n")[0].replace("\n", " "),
            cache_key=cache_key,
            libraries=libraries,
        )
        return fn

    return decorate


@dataclass(frozen=True)
class LazyTask:
    """A task known by name and import path (``"package.module:function"``), imported on first use."""

    name: str
    path: str

    def load(self) -> TaskSpec:
        import importlib

        module, _, attr = self.path.partition(":")
        spec = as_spec(getattr(importlib.import_module(module), attr))
        if spec.name != self.name:
            raise ValueError(f"{self.path} defines task {spec.name!r}, registered as {self.name!r}")
        return spec


class TaskRegistry:
    """Every task that the built-in modules and installed plugins provide, by name."""

    def __init__(self, specs: list[TaskSpec | LazyTask]):
        self._specs: dict[str, TaskSpec | LazyTask] = {}
        for spec in specs:
            known = self._specs.get(spec.name)
            if (
                known is not None
                and known != spec
                and getattr(known, "fn", 0) is not getattr(spec, "fn", 1)
            ):
                raise ValueError(f"two plugins register a task named {spec.name!r}")
            self._specs[spec.name] = spec

    def get(self, name: str) -> TaskSpec:
        try:
            spec = self._specs[name]
        except KeyError:
            raise UnknownTaskError(name, list(self._specs)) from None
        if isinstance(spec, LazyTask):
            spec = self._specs[name] = spec.load()
        return spec

    def names(self) -> list[str]:
        return sorted(self._specs)

    def __iter__(self) -> Iterator[TaskSpec]:
        specs = [self.get(name) for name in self._specs]
        return iter(sorted(specs, key=lambda s: (s.stage, s.name)))

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __len__(self) -> int:
        return len(self._specs)


def as_spec(item: TaskSpec | LazyTask | Callable[..., Any]) -> TaskSpec | LazyTask:
    spec = item if isinstance(item, (TaskSpec, LazyTask)) else getattr(item, "spec", None)
    if not isinstance(spec, (TaskSpec, LazyTask)):
        raise TypeError(f"{item!r} is neither a TaskSpec nor a function decorated with @task")
    return spec


_registry: TaskRegistry | None = None


def get_registry() -> TaskRegistry:
    """The registry of built-in and plugin tasks, loaded once per process."""
    global _registry
    if _registry is None:
        from mlops_tasks.plugins import plugin_manager

        specs = [
            as_spec(t) for part in plugin_manager().hook.mlops_tasks_register_tasks() for t in part
        ]
        _registry = TaskRegistry(specs)
    return _registry


def reload_registry() -> TaskRegistry:
    """Build the registry again, after installing a plugin or registering one by hand.

    Entry points are read again; plugins registered with ``plugin_manager().register(module)``
    stay registered.
    """
    global _registry
    from mlops_tasks.plugins import ENTRY_POINT_GROUP, plugin_manager

    plugin_manager().load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    _registry = None
    return get_registry()
