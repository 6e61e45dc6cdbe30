"""register and promote: add a model artifact to the registry as a new version; move an alias to it.

Both write one transaction each, so a failure leaves nothing registered or promoted half-way.

`promote` moves an alias only on a gate's passing ``decision``. A rejection is refused (the
result says so, the alias stays); no decision at all is a `ConfigError`. ``force=True``
promotes anyway, and the audit log records the move as ``force_promote`` with the decision
it overrode.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.context import TaskContext
from mlops_tasks.registry import TaskConfig, TaskResult, task


class RegisterConfig(TaskConfig):
    name: str = Field(description="Registered model name (created on first use).")
    model: ArtifactRef = Field(description="Model artifact (from train).")
    alias: str | None = Field(
        None, description="Alias to point at the new version, e.g. challenger."
    )
    tags: dict[str, str] = Field(default_factory=dict, description="Version tags.")
    metrics: dict[str, float] = Field(
        default_factory=dict, description="Metrics to keep with the version (from evaluate)."
    )
    description: str | None = Field(None, description="Free text.")


class RegisterResult(TaskResult):
    name: str
    version: int
    model_uri: str
    alias: str | None = None


@task(stage="model", version="1", libraries=("sqlalchemy",))
def register(config: RegisterConfig, ctx: TaskContext) -> RegisterResult:
    """Register a model artifact as the next version of a named model (its bytes checked first)."""
    from mlops_tasks.models.registry import ModelRegistry

    if config.model.kind != "model":
        from mlops_tasks.errors import ConfigError

        raise ConfigError(
            "register",
            [f"model: artifact {config.model.uri} is a {config.model.kind!r}, not a model"],
        )
    from mlops_tasks.models.loading import refuse_pickle
    from mlops_tasks.models.provenance import produced_by_us
    from mlops_tasks.models.serialization import format_of

    fmt = format_of(config.model.media_type)
    if fmt != "skops" and not produced_by_us(
        ctx.metadata, config.model.sha256, media_type=config.model.media_type
    ):
        # A registered version is served and batch-scored: only bytes a train or import_model
        # run made may enter the registry in a code-executing format.
        raise refuse_pickle(config.model.uri, config.model.sha256, fmt)
    ctx.artifacts.local_path(config.model)  # refuses bytes that no longer match the sha256
    info = ModelRegistry(ctx.metadata).register(
        config.name,
        config.model,
        signature=config.model.metadata.get("signature"),
        metrics=config.metrics or None,
        tags=config.tags,
        description=config.description,
        alias=config.alias,
        execution_id=ctx.execution_id,
    )
    ctx.log.info(
        "register: %s version %s%s",
        info.name,
        info.version,
        f" @{config.alias}" if config.alias else "",
    )
    return RegisterResult(
        name=info.name, version=info.version, model_uri=info.ref, alias=config.alias
    )


class PromoteConfig(TaskConfig):
    name: str = Field(description="Registered model name.")
    model: ArtifactRef | None = Field(
        None, description="Promote the version holding this artifact (newest if several)."
    )
    version: int | None = Field(None, ge=1, description="Or promote this version number.")
    alias: str = Field("champion", description="Alias to move.")
    decision: Literal["promote", "reject"] | None = Field(
        None,
        description="The gate's decision: only promote moves the alias (unless force).",
    )
    force: bool = Field(
        False,
        description="Promote without a passing decision (none, or reject); audited as force_promote.",
    )
    reason: str | None = Field(None, description="Why, for the audit log.")

    @model_validator(mode="after")
    def _one_target(self) -> PromoteConfig:
        if (self.model is None) == (self.version is None):
            raise ValueError("give either model or version")
        return self


class PromoteResult(TaskResult):
    name: str
    alias: str
    promoted: bool
    version: int | None = Field(description="The version the alias points at after this run.")
    previous_version: int | None = None
    forced: bool = False
    refused: str | None = Field(None, description="Why the alias did not move.")


@task(stage="model", version="1", libraries=("sqlalchemy",))
def promote(config: PromoteConfig, ctx: TaskContext) -> PromoteResult:
    """Point an alias (champion by default) at a registered version; the audit log records who and what it replaced."""
    from mlops_tasks.models.registry import ModelNotFoundError, ModelRegistry

    registry = ModelRegistry(ctx.metadata)
    try:
        previous = registry.resolve(f"{config.name}@{config.alias}")[0]
    except ModelNotFoundError:
        previous = None
    forced = config.decision != "promote"
    if config.decision is None and not config.force:
        from mlops_tasks.errors import ConfigError

        raise ConfigError(
            "promote",
            [
                "decision: no gate decision given; pass the gate's decision, or force=True to promote without one"
            ],
        )
    if forced and not config.force:
        refused = "the gate rejected the candidate (force=True promotes anyway)"
        ctx.log.warning(
            "promote: refused: %s; %s@%s stays at %s", refused, config.name, config.alias, previous
        )
        ctx.log_metric("promoted", 0.0)
        return PromoteResult(
            name=config.name, alias=config.alias, promoted=False, version=previous,
            previous_version=previous, refused=refused,
        )  # fmt: skip
    version = config.version
    if config.model is not None:
        found = registry.find(config.name, config.model.sha256)
        if found is None:
            from mlops_tasks.errors import DataError

            raise DataError(
                f"promote: model {config.model.sha256[:12]} is not a registered version of {config.name!r}; register it first"
            )
        version = found.version
    reason = config.reason
    if forced:
        overrode = f"gate decision {config.decision}" if config.decision else "no gate decision"
        reason = f"forced over {overrode}" + (f": {reason}" if reason else "")
    info = registry.promote(
        config.name, version, config.alias, reason=reason, execution_id=ctx.execution_id,
        action="force_promote" if forced else "promote",
    )  # fmt: skip
    ctx.log_metric("promoted", 1.0)
    (ctx.log.warning if forced else ctx.log.info)(
        "promote: %s@%s -> version %s (was %s)%s", config.name, config.alias, info.version,
        previous, f" ({reason})" if forced else "",
    )  # fmt: skip
    return PromoteResult(
        name=config.name, alias=config.alias, promoted=True, version=info.version,
        previous_version=previous, forced=forced,
    )  # fmt: skip
