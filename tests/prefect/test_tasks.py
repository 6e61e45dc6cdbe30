"""The generated Prefect tasks: one per registered task (plugins too), failures and retries, imports."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import types
from pathlib import Path

import pytest
from pydantic import Field

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.context import TaskContext
from mlops_tasks.registry import TaskConfig, TaskResult, task

pytest.importorskip("prefect")
pytestmark = pytest.mark.prefect

PLUGIN_MODULE = "mlops_tasks_prefect_test_plugin"


# -- a plugin task, as a third-party package would ship it ----------------------------------------


class TallyConfig(TaskConfig):
    values: list[float] = Field(description="Numbers to add up.")
    scale: float = Field(1.0, gt=0, description="Multiplies the total.")


class TallyResult(TaskResult):
    summary: ArtifactRef
    total: float


@task(stage="test")
def tally(config: TallyConfig, ctx: TaskContext) -> TallyResult:
    """Add numbers up and store the sum as a JSON artifact."""
    total = sum(config.values) * config.scale
    return TallyResult(summary=ctx.write_json({"total": total}, kind="summary"), total=total)


def _plugin_module() -> types.ModuleType:
    from mlops_tasks.plugins import hookimpl

    module = types.ModuleType(PLUGIN_MODULE)

    @hookimpl
    def mlops_tasks_register_tasks():
        return [tally]

    module.mlops_tasks_register_tasks = mlops_tasks_register_tasks
    return module


def test_every_registered_task_is_a_prefect_task_including_a_plugin_task(env_home, read_artifacts):
    from prefect import Task, flow

    import prefect_blocks.tasks as prefect_tasks
    from mlops_tasks.metadata import MetadataStore
    from mlops_tasks.plugins import plugin_manager
    from mlops_tasks.registry import get_registry, reload_registry

    before = set(get_registry().names())
    assert {"extract", "profile"} <= before and "tally" not in before
    with pytest.raises(AttributeError, match="registered tasks: .*extract"):
        prefect_tasks.tally  # noqa: B018

    module = _plugin_module()
    plugin_manager().register(module, name=PLUGIN_MODULE)
    try:
        registry = reload_registry()
        built = prefect_tasks.all_tasks()
        assert set(built) == set(registry.names()) == before | {"tally"}
        for name, prefect_task in built.items():
            spec = registry.get(name)
            assert isinstance(prefect_task, Task)
            assert prefect_task.name == f"mlops-tasks.{name}"
            params = inspect.signature(prefect_task.fn).parameters
            assert [p for p in params if p in spec.field_names] == spec.field_names
            assert {"store", "cache"} <= set(params)
            assert prefect_task.description == spec.description

        from prefect_blocks.tasks import tally as tally_task

        assert tally_task is built["tally"]

        @flow
        def add_up():
            return tally_task(values=[1, 2, 3.5], scale=2)

        result = add_up()
        assert isinstance(result, TallyResult)
        assert result.total == 13.0
        run = MetadataStore(f"sqlite:///{env_home / 'metadata.db'}").runs(task="tally")[0]
        assert (run["status"], run["engine"], run["stage"]) == ("succeeded", "prefect", "test")
        assert run["task_run_id"] and run["flow_run_id"]
        assert json.loads(Path(result.summary.uri.removeprefix("file://")).read_text()) == {
            "total": 13.0
        }
        assert read_artifacts("mlops-tasks-tally", task_run_id=run["task_run_id"])
    finally:
        plugin_manager().unregister(module)
        reload_registry()

    assert set(prefect_tasks.all_tasks()) == before
    with pytest.raises(AttributeError):
        prefect_tasks.tally  # noqa: B018


def test_bad_config_fails_without_retries_while_a_missing_source_is_retried(
    env_home, bike_csv, prefect_client
):
    from prefect import flow

    from mlops_tasks.metadata import MetadataStore
    from prefect_blocks.tasks import extract

    retrying = extract.with_options(retries=2, retry_delay_seconds=0)
    calls = {
        "out_of_range": {"source": str(bike_csv), "chunk_rows": 0},
        "misspelt": {"sourc": str(bike_csv)},
        "missing_file": {"source": str(env_home / "no-such.csv")},
    }

    @flow
    def attempts():
        seen = {}
        for label, kwargs in calls.items():
            state = retrying(**kwargs, return_state=True)
            error = state.result(raise_on_failure=False)
            seen[label] = (
                state.is_failed(),
                type(error).__name__,
                str(error),
                state.state_details.task_run_id,
            )
        return seen

    seen = attempts()

    def run_count(label):
        return prefect_client.read_task_run(seen[label][3]).run_count

    failed, error_type, message, _ = seen["out_of_range"]
    assert (failed, error_type) == (True, "ConfigError")
    assert "chunk_rows" in message and "greater than 0" in message
    assert run_count("out_of_range") == 1

    failed, error_type, message, _ = seen["misspelt"]
    assert (failed, error_type) == (True, "ConfigError")
    assert "sourc: Extra inputs are not permitted" in message
    assert "source: Field required" in message
    assert run_count("misspelt") == 1

    failed, error_type, _, _ = seen["missing_file"]
    assert (failed, error_type) == (True, "SourceNotFoundError")
    assert run_count("missing_file") == 3

    # A config error stops the run before anything is recorded.
    runs = MetadataStore(f"sqlite:///{env_home / 'metadata.db'}").runs()
    assert not [r for r in runs if r["error_type"] == "ConfigError"]


def test_calling_fn_runs_the_task_without_prefect(env_home, bike_csv):
    from mlops_tasks.metadata import MetadataStore
    from prefect_blocks.tasks import extract

    result = extract.fn(source=str(bike_csv))
    assert result.rows == 731
    (run,) = MetadataStore(f"sqlite:///{env_home / 'metadata.db'}").runs()
    assert (run["engine"], run["flow_run_id"], run["task_run_id"]) == ("direct", None, None)


def test_task_runs_skip_the_tag_concurrency_check_unless_given_tags(env_home, monkeypatch):
    """No default tags: a tagged task run asks the server for its tag concurrency limits first.

    That request on a SQLite-backed server fails now and then with "database is locked" when
    another write lands meanwhile (the previous task's artifact, logs), and the client retries
    it after 2 s: the pauses once seen between tasks. Tags given to `prefect_task` still count.
    """
    import uuid

    from prefect import flow
    from prefect.client.orchestration import PrefectClient

    import prefect_blocks.tasks as prefect_tasks

    asked: list[list[str]] = []
    original = PrefectClient.increment_concurrency_slots_with_lease

    async def spy(self, *args, **kwargs):
        asked.append(list(kwargs.get("names") or args[0]))
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(PrefectClient, "increment_concurrency_slots_with_lease", spy)
    plain = prefect_tasks.prefect_task(tally.spec)
    tag = f"gpu-{uuid.uuid4().hex[:8]}"  # a tag set never checked before: nothing cached
    tagged = prefect_tasks.prefect_task(tally.spec, tags=[tag])
    assert not plain.tags and tagged.tags == {tag}
    assert not prefect_tasks.all_tasks()["extract"].tags

    @flow
    def chain():
        first = plain(values=[1.0])
        return plain(values=[first.total, 2.0]).total

    assert chain() == 3.0
    assert asked == []

    @flow
    def with_tags():
        return tagged(values=[1.0]).total

    assert with_tags() == 1.0
    assert asked == [[f"tag:{tag}"]]


def test_importing_the_package_does_not_import_prefect_or_data_libraries():
    code = (
        "import sys\n"
        "import prefect_blocks\n"
        "assert 'prefect' not in sys.modules, 'import prefect_blocks loaded prefect'\n"
        "from prefect_blocks.tasks import extract, profile\n"
        "heavy = [m for m in ('pandas', 'pyarrow', 'sqlalchemy', 'alembic') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "print(extract.name, profile.name)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["mlops-tasks.extract", "mlops-tasks.profile"]


def test_artifact_keys_are_valid_prefect_keys():
    import re

    from prefect_blocks.tasks import artifact_key

    for name in ("extract", "Drift_Check.v2", "__", "ünïcode task"):
        assert re.fullmatch(r"[a-z0-9-]+", artifact_key(name)), name
    assert artifact_key("Drift_Check.v2") == "mlops-tasks-drift-check-v2"
