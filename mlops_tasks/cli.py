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
@click.option("--artifact-root", envvar="MLOPS_TASKS_ARTIFACT_ROOT", help="Artifact store (path or fsspec URL).")
@click.option("--db-url", envvar="MLOPS_TASKS_DB_URL", help="Metadata store SQLAlchemy URL.")
@click.pass_context
def cli(ctx: click.Context, artifact_root: str | None, db_url: str | None) -> None:
    """ML lifecycle stages and AIOps checks as tasks for Airflow, Prefect, or the shell."""
    ctx.obj = {"artifact_root": artifact_root, "metadata_url": db_url}


@cli.command("tasks")
@click.argument("name", required=False)
def tasks_command(name: str | None) -> None:
    """List registered tasks, or show one task's config schema."""
    from mlops_tasks.registry import get_registry

    registry = get_registry()
    if name:
        spec = registry.get(name)
        click.echo(f"{spec.name} ({spec.stage}, version {spec.version}): {spec.description}")
        click.echo(json.dumps(spec.config_schema(), indent=2))
        return
    for spec in registry:
        fields = ", ".join(
            f"{n}{'' if f.is_required() else '?'}" for n, f in spec.config_model.model_fields.items()
        )
        click.echo(f"{spec.name:<16} {spec.stage:<8} {spec.description}")
        click.echo(f"{'':<16} {'':<8} config: {fields}")


@cli.command("run")
@click.argument("task")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), help="YAML or JSON config.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Set one config field (JSON value or string).")
@click.option("--cache/--no-cache", default=False, help="Reuse a previous run with the same fingerprint.")
@click.pass_context
def run_command(ctx: click.Context, task: str, config_file: Path | None, overrides: tuple[str, ...], cache: bool) -> None:
    """Run TASK outside any scheduler and print its result as JSON."""
    import yaml

    from mlops_tasks.runtime import run_task

    config: dict[str, Any] = {}
    if config_file:
        if not config_file.exists():
            raise click.BadParameter(f"{config_file} does not exist", param_hint="--config")
        config = yaml.safe_load(config_file.read_text()) or {}
        if not isinstance(config, dict):
            raise click.BadParameter(f"{config_file} must hold a mapping of config fields", param_hint="--config")
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--set")
        try:
            config[key] = json.loads(value)
        except json.JSONDecodeError:
            config[key] = value
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
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
    click.echo(f"{'id':>5}  {'task':<14} {'status':<10} {'engine':<8} {'started (UTC)':<20} {'secs':>7}  where")
    for run in runs:
        secs = (run["ended_at"] - run["started_at"]).total_seconds() if run["ended_at"] else None
        where = run["dag_id"] and f"{run['dag_id']}/{run['task_id']} {run['run_id']}" or run["flow_run_id"] or ""
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
        click.echo(f"{indent}{arrow} {e['task']} #{e['id']} [{e['status']}, {e['engine']}] {where}".rstrip())
        for item in step["artifacts"]:
            a = item["artifact"]
            click.echo(f"{indent}   {arrow} {item['name']}: {a['kind']} {a['sha256'][:12]}  {a['uri']}")
            _echo_steps(item["next"], arrow, indent + "      ")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
