"""The bad-input matrix in CI: every registered task, a plugin's included, against every input
class that applies; no raw exception, no silent wrong result, every error naming its cause."""

from __future__ import annotations

import types

import pytest

from mlops_tasks.plugins import plugin_manager
from mlops_tasks.registry import reload_registry
from tests.reliability.data_cases import data_cases
from tests.reliability.matrix import all_tasks, generic_cases, make_fixtures, run, table

PLUGIN = '''
from pydantic import Field
from mlops_tasks import hookimpl, task
from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.registry import TaskConfig, TaskResult


class CountConfig(TaskConfig):
    dataset: ArtifactRef = Field(json_schema_extra={"artifact": {"media_types": [
        "application/vnd.apache.parquet"]}})
    top: int = Field(3, ge=1, le=10)


class CountResult(TaskResult):
    rows: int


@task(stage="plugin")
def count_rows(config: CountConfig, ctx) -> CountResult:
    """A plugin's task: rows of a dataset."""
    return CountResult(rows=len(ctx.read_dataframe(config.dataset)))


@hookimpl
def mlops_tasks_register_tasks():
    return [count_rows]
'''


@pytest.fixture
def with_plugin():
    module = types.ModuleType("matrix_plugin")
    # dont_inherit: the plugin module's own compiler flags, not this file's postponed annotations.
    exec(compile(PLUGIN, "matrix_plugin.py", "exec", dont_inherit=True), module.__dict__)
    plugin_manager().register(module, name="matrix_plugin")
    reload_registry()
    yield
    plugin_manager().unregister(name="matrix_plugin")
    reload_registry()


def test_every_bad_input_is_a_typed_error_naming_its_cause_or_a_correct_result(
    with_plugin, settings, tmp_path, bike_csv
):
    fx = make_fixtures(settings, tmp_path, bike_csv)
    specs = all_tasks()
    assert "count_rows" in {s.name for s in specs}  # the registry, not a list, drives the matrix
    cases = [c for spec in specs for c in generic_cases(spec, fx)] + data_cases(fx, bike_csv)
    run(cases, settings)
    print("\n" + table(cases))
    plugin = {c.klass for c in cases if c.task == "count_rows"}
    assert {"wrong kind of artifact", "missing artifact", "truncated artifact",
            "out-of-range number", "unknown key"} <= plugin  # fmt: skip
    bad = [f"{c.outcome} {c.task} [{c.klass}]: {c.detail}" for c in cases
           if c.outcome not in ("typed", "correct")]  # fmt: skip
    assert not bad, "\n".join(bad)
    assert len({c.task for c in cases}) == len(specs)
