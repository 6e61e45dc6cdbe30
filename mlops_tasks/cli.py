"""The ``mlops-tasks`` command: list tasks, run one, and look at runs and lineage."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import click

from mlops_tasks.errors import MlopsTasksError


def _settings(ctx: click.Context) -> Any:
    from mlops_tasks.settings import Settings

    return Settings.from_env(**ctx.obj)


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        # Our errors already say what and where: show the message, not a traceback.
        try:
            return super().invoke(ctx)
        except MlopsTasksError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=_Group)
@click.option(
    "--artifact-root",
    envvar="MLOPS_TASKS_ARTIFACT_ROOT",
    help="Artifact store (path or fsspec URL).",
)
@click.option("--db-url", envvar="MLOPS_TASKS_DB_URL", help="Metadata store SQLAlchemy URL.")
@click.pass_context
def cli(ctx: click.Context, artifact_root: str | None, db_url: str | None) -> None:
    """ML lifecycle stages and AIOps checks as tasks for Airflow, Prefect, or the shell."""
    ctx.obj = {"artifact_root": artifact_root, "metadata_url": db_url}


@cli.command("tasks")
@click.argument("name", required=False)
@click.option(
    "--result", "show_result", is_flag=True, help="Show the result's schema, not the config's."
)
def tasks_command(name: str | None, show_result: bool) -> None:
    """List registered tasks, or show one task's config schema (--result: its result schema)."""
    from mlops_tasks.registry import get_registry

    registry = get_registry()
    if name:
        spec = registry.get(name)
        click.echo(f"{spec.name} ({spec.stage}, version {spec.version}): {spec.description}")
        schema = spec.result_schema() if show_result else spec.config_schema()
        click.echo(json.dumps(schema, indent=2))
        return
    for spec in registry:
        fields = ", ".join(
            f"{n}{'' if f.is_required() else '?'}"
            for n, f in spec.config_model.model_fields.items()
        )
        click.echo(f"{spec.name:<16} {spec.stage:<8} {spec.description}")
        click.echo(f"{'':<16} {'':<8} config: {fields}")
        click.echo(f"{'':<16} {'':<8} result: {', '.join(spec.result_model.model_fields)}")


@cli.command("run")
@click.argument("task")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="YAML or JSON config.",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Set one config field (JSON value or string).",
)
@click.option(
    "--cache/--no-cache", default=False, help="Reuse a previous run with the same fingerprint."
)
@click.pass_context
def run_command(
    ctx: click.Context, task: str, config_file: Path | None, overrides: tuple[str, ...], cache: bool
) -> None:
    """Run TASK outside any scheduler and print its result as JSON."""
    import yaml

    from mlops_tasks.runtime import run_task

    config: dict[str, Any] = {}
    if config_file:
        if not config_file.exists():
            raise click.BadParameter(f"{config_file} does not exist", param_hint="--config")
        config = yaml.safe_load(config_file.read_text()) or {}
        if not isinstance(config, dict):
            raise click.BadParameter(
                f"{config_file} must hold a mapping of config fields", param_hint="--config"
            )
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--set")
        try:
            config[key] = json.loads(value)
        except json.JSONDecodeError:
            config[key] = value
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr
    )
    result = run_task(task, config, settings=_settings(ctx), cache=cache)
    click.echo(result.model_dump_json(indent=2))


@cli.command("runs")
@click.option("--limit", default=20, show_default=True)
@click.option("--task", help="Only runs of this task.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def runs_command(ctx: click.Context, limit: int, task: str | None, as_json: bool) -> None:
    """Recent executions, newest first."""
    from mlops_tasks.metadata import MetadataStore

    runs = MetadataStore(_settings(ctx).database_url).runs(limit=limit, task=task)
    if as_json:
        click.echo(json.dumps(runs, indent=2, default=str))
        return
    click.echo(
        f"{'id':>5}  {'task':<14} {'status':<10} {'engine':<8} {'started (UTC)':<20} {'secs':>7}  where"
    )
    for run in runs:
        secs = (run["ended_at"] - run["started_at"]).total_seconds() if run["ended_at"] else None
        where = (
            run["dag_id"]
            and f"{run['dag_id']}/{run['task_id']} {run['run_id']}"
            or run["flow_run_id"]
            or ""
        )
        click.echo(
            f"{run['id']:>5}  {run['task']:<14} {run['status']:<10} {run['engine']:<8} "
            f"{run['started_at']:%Y-%m-%d %H:%M:%S}  {'' if secs is None else f'{secs:7.2f}'}  {where}"
            + (f"\n{'':7}{run['error_type']}: {run['error_message']}" if run["error_type"] else "")
        )


@cli.command("lineage")
@click.argument("artifact")
@click.option("--depth", default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a tree.")
@click.pass_context
def lineage_command(ctx: click.Context, artifact: str, depth: int, as_json: bool) -> None:
    """Upstream and downstream of ARTIFACT (a URI, sha256 or sha256 prefix)."""
    from mlops_tasks.metadata import MetadataStore

    graph = MetadataStore(_settings(ctx).database_url).lineage(artifact, depth=depth)
    if as_json:
        click.echo(json.dumps(graph, indent=2, default=str))
        return
    root = graph["artifact"]
    click.echo(f"{root['kind']} {root['sha256'][:12]}  {root['uri']}")
    for title, arrow in (("upstream", "<-"), ("downstream", "->")):
        click.echo(f"{title}:")
        _echo_steps(graph[title], arrow, "  ")
        if not graph[title]:
            click.echo("  (none)")


def _echo_steps(steps: list[dict[str, Any]], arrow: str, indent: str) -> None:
    for step in steps:
        e = step["execution"]
        where = f"{e['dag_id']}/{e['task_id']}" if e["dag_id"] else (e["flow_run_id"] or "")
        click.echo(
            f"{indent}{arrow} {e['task']} #{e['id']} [{e['status']}, {e['engine']}] {where}".rstrip()
        )
        for item in step["artifacts"]:
            a = item["artifact"]
            click.echo(
                f"{indent}   {arrow} {item['name']}: {a['kind']} {a['sha256'][:12]}  {a['uri']}"
            )
            _echo_steps(item["next"], arrow, indent + "      ")


@cli.command("serve")
@click.option(
    "--model",
    "model_ref",
    required=True,
    help="Registered model: NAME@ALIAS (e.g. bikes@champion), NAME/VERSION or NAME.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--workers", default=1, show_default=True, help="uvicorn worker processes.")
@click.option(
    "--poll-seconds",
    default=5.0,
    show_default=True,
    help="How often to check the registry for a new version.",
)
@click.option("--log-level", default="warning", show_default=True)
@click.option(
    "--token-env",
    default=None,
    help="Environment variable holding a bearer token that /predict and /metrics require.",
)
@click.option(
    "--max-body-bytes",
    default=10 * 1024 * 1024,
    show_default=True,
    type=click.IntRange(1),
    help="Larger request bodies are refused (HTTP 413) before they are read.",
)
@click.pass_context
def serve_command(
    ctx: click.Context,
    model_ref: str,
    host: str,
    port: int,
    workers: int,
    poll_seconds: float,
    log_level: str,
    token_env: str | None,
    max_body_bytes: int,
) -> None:
    """Serve a registered model over HTTP: /predict, /health, /metrics (FastAPI + uvicorn)."""
    from mlops_tasks.models.serving import serve

    # The server's own log level for everything: at warning, the metadata store's first-use
    # migration (Alembic's INFO lines) stays quiet too.
    logging.basicConfig(
        level=getattr(logging, log_level.upper(), logging.WARNING),
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    serve(
        model_ref,
        _settings(ctx),
        host=host,
        port=port,
        workers=workers,
        poll_seconds=poll_seconds,
        log_level=log_level,
        token_env=token_env,
        max_body_bytes=max_body_bytes,
    )


@cli.group("models", cls=_Group, invoke_without_command=True)
@click.pass_context
def models_group(ctx: click.Context) -> None:
    """The model registry: list models, their versions and aliases; promote, roll back, audit."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(models_list)


def _registry(ctx: click.Context) -> Any:
    from mlops_tasks.metadata import MetadataStore
    from mlops_tasks.models.registry import ModelRegistry

    return ModelRegistry(MetadataStore(_settings(ctx).database_url))


@models_group.command("list")
@click.pass_context
def models_list(ctx: click.Context) -> None:
    """Every model, its latest version and aliases."""
    models = _registry(ctx).models()
    click.echo(f"{'model':<30} {'latest':>6}  aliases")
    for m in models:
        aliases = ", ".join(f"{a}={v}" for a, v in sorted(m["aliases"].items()))
        click.echo(f"{m['name']:<30} {m['latest_version']:>6}  {aliases}")


@models_group.command("versions")
@click.argument("name")
@click.option("--limit", default=20, show_default=True)
@click.pass_context
def models_versions(ctx: click.Context, name: str, limit: int) -> None:
    """Versions of NAME, newest first, with aliases, sha256 and the run that registered them."""
    click.echo(
        f"{'version':>7}  {'created (UTC)':<19}  {'sha256':<12}  {'execution':>9}  aliases / tags"
    )
    for v in _registry(ctx).versions(name, limit=limit):
        extra = ", ".join(
            [*(f"@{a}" for a in v.aliases), *(f"{k}={t}" for k, t in sorted(v.tags.items()))]
        )
        click.echo(
            f"{v.version:>7}  {v.created_at:%Y-%m-%d %H:%M:%S}  {v.artifact.sha256[:12]}  {v.execution_id or '':>9}  {extra}"
        )


@models_group.command("show")
@click.argument("ref")
@click.pass_context
def models_show(ctx: click.Context, ref: str) -> None:
    """One version (NAME@ALIAS, NAME/VERSION or NAME) as JSON."""
    click.echo(_registry(ctx).get(ref).model_dump_json(indent=2))


@models_group.command("promote")
@click.argument("name")
@click.argument("version", type=int)
@click.option("--alias", default="champion", show_default=True)
@click.option("--reason", help="Why, for the audit log.")
@click.pass_context
def models_promote(
    ctx: click.Context, name: str, version: int, alias: str, reason: str | None
) -> None:
    """Point ALIAS of NAME at VERSION."""
    info = _registry(ctx).promote(name, version, alias, reason=reason)
    click.echo(f"{name}@{alias} -> version {info.version}")


@models_group.command("rollback")
@click.argument("name")
@click.option("--alias", default="champion", show_default=True)
@click.option(
    "--to",
    "to_version",
    type=int,
    help="Version to roll back to; default: the one before the current promotion.",
)
@click.option("--reason", help="Why, for the audit log.")
@click.pass_context
def models_rollback(
    ctx: click.Context, name: str, alias: str, to_version: int | None, reason: str | None
) -> None:
    """Point ALIAS of NAME back at the version it held before."""
    info = _registry(ctx).rollback(name, alias, to_version=to_version, reason=reason)
    click.echo(f"{name}@{alias} -> version {info.version}")


@models_group.command("audit")
@click.argument("name")
@click.option("--limit", default=50, show_default=True)
@click.pass_context
def models_audit(ctx: click.Context, name: str, limit: int) -> None:
    """What happened to NAME: registrations, promotions, rollbacks, and which run did them."""
    for e in _registry(ctx).audit(name, limit=limit):
        where = (
            f"{e['dag_id']}/{e['run_id']}"
            if e["dag_id"]
            else (e["flow_run_id"] or e["engine"] or "")
        )
        move = (
            f"{e['previous_version']} -> {e['version']}"
            if e["previous_version"]
            else f"{e['version']}"
        )
        click.echo(
            f"{e['at']:%Y-%m-%d %H:%M:%S}  {e['action']:<12} {(e['alias'] or ''):<12} {move:<10} "
            f"execution {e['execution_id'] or '-'} {where} {e['actor'] or ''} {e['reason'] or ''}".rstrip()
        )


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
