"""Operators generated from the task registry: classes, arguments, templating, execution, plugins."""

from __future__ import annotations

import importlib
import inspect
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
from airflow.sdk import DAG
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider import operators
from airflow_provider.operators import MlopsTaskOperator, class_name
from mlops_tasks.errors import ConfigError, SourceNotFoundError, UnknownTaskError
from mlops_tasks.metadata import MetadataStore
from mlops_tasks.registry import get_registry, reload_registry
from mlops_tasks.tasks.extract import ExtractResult


def fake_context(**ti: object) -> dict:
    """The part of an Airflow context the operator reads: the task instance's ids."""
    ids = {
        "dag_id": "unit",
        "run_id": "manual__1",
        "task_id": "t",
        "map_index": -1,
        "try_number": 1,
    }
    return {"ti": SimpleNamespace(**{**ids, **ti})}


def test_every_registered_task_has_an_operator_class():
    registry = get_registry()
    assert {"extract", "profile"} <= set(registry.names())
    assert set(operators.operator_classes()) == {class_name(name) for name in registry.names()}
    for spec in registry:
        cls = getattr(operators, class_name(spec.name))
        assert issubclass(cls, MlopsTaskOperator)
        assert cls.task_name == spec.name and cls.task_spec is spec
        assert cls.__module__ == "airflow_provider.operators"
        # Every config field is a template field, except those named like an operator's own
        # attribute (check_pipeline_health's dag_id), which go in `config`.
        assert tuple(cls.template_fields) == ("config", *operators.config_keywords(spec))
        assert set(spec.field_names) - set(cls.template_fields) <= operators.reserved_names()
        assert class_name(spec.name) in dir(operators)
    from airflow_provider.operators import ExtractOperator, ProfileOperator

    assert ExtractOperator.__name__ == "ExtractOperator" and ProfileOperator.task_name == "profile"
    # Built once per spec: the import in a DAG file and the provider's lookup see the same class.
    assert operators.operator_class("extract") is ExtractOperator
    with pytest.raises(AttributeError, match="NoSuchTaskOperator"):
        operators.NoSuchTaskOperator  # noqa: B018


def test_config_fields_are_keyword_arguments_with_the_models_defaults():
    from airflow_provider.operators import ExtractOperator, ProfileOperator

    params = inspect.signature(ExtractOperator).parameters
    assert list(params)[:5] == ["source", "query", "table", "format", "chunk_rows"]
    assert params["chunk_rows"].default == 100_000 and params["format"].default == "auto"
    assert {"config", "cache", "mlops_conn_id"} <= set(params)
    assert "top_k" in inspect.signature(ProfileOperator).parameters
    assert ":param source:" in ExtractOperator.__doc__ and "Required" in ExtractOperator.__doc__

    op = ExtractOperator(task_id="e", source="a.csv", chunk_rows=10, retries=4)
    assert (op.source, op.chunk_rows, op.query, op.retries) == ("a.csv", 10, None, 4)
    # Only fields actually given go into the config: the rest take the model's defaults.
    assert op.task_config() == {"source": "a.csv", "chunk_rows": 10}
    assert op.multiple_outputs is True  # so that op.output["dataset"] can be pulled


def test_generic_operator_becomes_the_tasks_own_class():
    op = MlopsTaskOperator(task_id="p", task_name="profile", config={"top_k": 3}, columns=["a"])
    assert type(op).__name__ == "ProfileOperator"
    assert op.task_config() == {"top_k": 3, "columns": ["a"]}
    with pytest.raises(TypeError, match="task_name"):
        MlopsTaskOperator(task_id="x")
    with pytest.raises(TypeError, match="runs task 'extract', not 'profile'"):
        operators.ExtractOperator(task_id="x", task_name="profile", source="a.csv")
    with pytest.raises(UnknownTaskError, match="no_such_task"):
        MlopsTaskOperator(task_id="x", task_name="no_such_task")


def test_xcomarg_inputs_set_dependencies():
    from airflow_provider.operators import ExtractOperator, ProfileOperator

    with DAG(dag_id="deps", schedule=None):
        extract = ExtractOperator(task_id="extract", source="a.csv")
        profile = ProfileOperator(task_id="profile", dataset=extract.output["dataset"])
        generic = MlopsTaskOperator(task_id="generic", task_name="profile", config=extract.output)
    assert profile.upstream_task_ids == {"extract"}
    assert generic.upstream_task_ids == {"extract"}


def test_templated_fields_render():
    from airflow_provider.operators import ExtractOperator

    with DAG(dag_id="render", schedule=None):
        op = ExtractOperator(
            task_id="e", source="{{ params.src }}", config={"table": "{{ params.t }}"}
        )
    op.render_template_fields({"params": {"src": "sqlite:///x.db", "t": "rides"}})
    assert op.task_config() == {"table": "rides", "source": "sqlite:///x.db"}


def test_bad_config_keys_fail_when_the_dag_is_parsed():
    from airflow_provider.operators import ExtractOperator

    with pytest.raises(ConfigError, match="colour: not a config field of 'extract'"):
        ExtractOperator(task_id="e", source="a.csv", config={"colour": "red"})
    with pytest.raises(ConfigError, match="source: given both"):
        ExtractOperator(task_id="e", source="a.csv", config={"source": "b.csv"})
    with pytest.raises(TypeError, match="colour"):  # Airflow's own check of unknown arguments
        ExtractOperator(task_id="e", source="a.csv", colour="red")


def test_invalid_config_fails_without_retry_and_names_the_field(stores):
    from airflow_provider.operators import ExtractOperator

    op = ExtractOperator(task_id="e", source="a.csv", chunk_rows=0, retries=3)
    with pytest.raises(
        AirflowFailException,
        match=r"invalid config for task 'extract': chunk_rows: .*greater than 0",
    ):
        op.execute(fake_context())
    # Rejected before it started: nothing recorded.
    assert MetadataStore(stores.database_url).runs() == []


def test_only_retryable_errors_are_left_to_airflows_retries(stores, tmp_path):
    from airflow_provider.operators import ExtractOperator

    (tmp_path / "data.xyz").write_text("a,b\n1,2\n")
    with pytest.raises(AirflowFailException, match="DataError: extract: cannot tell the format"):
        ExtractOperator(task_id="e", source=str(tmp_path / "data.xyz")).execute(fake_context())
    # A file that is not there yet may be there on the next try: raised as is, so Airflow retries.
    with pytest.raises(SourceNotFoundError):
        ExtractOperator(task_id="e", source=str(tmp_path / "later.csv")).execute(fake_context())


def test_execute_records_the_airflow_identity_and_returns_a_small_dict(stores, bike_csv):
    from airflow_provider.operators import ExtractOperator

    op = ExtractOperator(task_id="extract", source=str(bike_csv))
    result = op.execute(fake_context(task_id="extract", map_index=2, try_number=3))
    assert set(result) == set(ExtractResult.model_fields) and result["rows"] == 731
    assert result["dataset"]["uri"].startswith("file://" + stores.artifact_root)
    [run] = MetadataStore(stores.database_url).runs()
    assert (run["engine"], run["dag_id"], run["run_id"], run["task_id"]) == (
        "airflow",
        "unit",
        "manual__1",
        "extract",
    )
    assert (run["map_index"], run["try_number"], run["status"]) == (2, 3, "succeeded")


def test_cache_passes_through(stores, bike_csv):
    from airflow_provider.operators import ExtractOperator

    cached = ExtractOperator(task_id="extract", source=str(bike_csv), cache=True)
    first, second = cached.execute(fake_context()), cached.execute(fake_context(try_number=2))
    uncached = ExtractOperator(task_id="extract", source=str(bike_csv)).execute(
        fake_context(try_number=3)
    )
    assert first == second == uncached
    statuses = [r["status"] for r in MetadataStore(stores.database_url).runs()]
    assert statuses == ["succeeded", "cached", "succeeded"]  # newest first


PLUGIN = '''
"""A third-party plugin: one task, with a field named like an operator attribute."""
from pydantic import Field

from mlops_tasks import hookimpl, task
from mlops_tasks.registry import TaskConfig, TaskResult


class ScoreConfig(TaskConfig):
    factor: float = Field(1.0, description="Multiplier.")
    label: str = Field("plain", description="A label (named like BaseOperator.label).")


class ScoreResult(TaskResult):
    score: float
    label: str


@task(stage="demo", libraries=())
def score_rows(config: ScoreConfig, ctx) -> ScoreResult:
    """Score nothing in particular."""
    return ScoreResult(score=2 * config.factor, label=config.label)


@hookimpl
def mlops_tasks_register_tasks():
    return [score_rows]
'''


@pytest.fixture
def installed_plugin(tmp_path: Path):
    """A plugin installed the way a package installs one: a module and an entry point in
    the ``mlops_tasks.plugins`` group (a dist-info on sys.path).

    Uninstalling is unregistering the plugin, then reloading the registry.
    """
    site = tmp_path / "site"
    site.mkdir()
    (site / "mlops_tasks_score_plugin.py").write_text(textwrap.dedent(PLUGIN))
    dist = site / "mlops_tasks_score_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: mlops-tasks-score-plugin\nVersion: 0.1\n"
    )
    (dist / "entry_points.txt").write_text(
        "[mlops_tasks.plugins]\nscore = mlops_tasks_score_plugin\n"
    )
    sys.path.insert(0, str(site))
    importlib.invalidate_caches()
    try:
        yield reload_registry()
    finally:
        from mlops_tasks.plugins import plugin_manager

        plugin_manager().unregister(name="score")
        sys.path.remove(str(site))
        sys.modules.pop("mlops_tasks_score_plugin", None)
        importlib.invalidate_caches()
        assert "score_rows" not in reload_registry()


def test_a_plugins_task_gets_an_operator(installed_plugin, stores):
    assert "score_rows" in installed_plugin
    from airflow_provider.operators import ScoreRowsOperator

    assert ScoreRowsOperator.task_name == "score_rows"
    # `label` would clobber the operator's own attribute: it is a config-only field.
    assert ScoreRowsOperator.template_fields == ("config", "factor")
    assert "label" not in inspect.signature(ScoreRowsOperator).parameters
    with pytest.raises(TypeError, match="label"):
        ScoreRowsOperator(task_id="s", label="x")

    op = ScoreRowsOperator(task_id="score", factor=2.5, config={"label": "gold"})
    assert op.label == "score"  # still the operator's label
    assert op.execute(fake_context(task_id="score")) == {"score": 5.0, "label": "gold"}
    [run] = MetadataStore(stores.database_url).runs()
    assert (run["task"], run["engine"], run["task_id"], run["config"]) == (
        "score_rows",
        "airflow",
        "score",
        {"factor": 2.5, "label": "gold"},
    )
