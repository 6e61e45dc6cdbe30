import pytest

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.errors import ConfigError, SourceNotFoundError, UnknownTaskError
from mlops_tasks.identity import Identity
from mlops_tasks.metadata import MetadataStore
from mlops_tasks.registry import TaskConfig, TaskResult, task
from mlops_tasks.runtime import run_task


class BoomConfig(TaskConfig):
    message: str


class BoomResult(TaskResult):
    pass


@task(stage="test")
def boom(config: BoomConfig, ctx) -> BoomResult:
    raise RuntimeError(config.message)


def test_run_records_execution_inputs_outputs_and_metrics(settings, bike_csv):
    extracted = run_task(
        "extract",
        {"source": str(bike_csv)},
        settings=settings,
        identity=Identity(engine="prefect", flow_run_id="fr-1", task_run_id="tr-1"),
    )
    profiled = run_task("profile", {"dataset": extracted.dataset}, settings=settings)
    store = MetadataStore(settings.database_url)
    profile_run, extract_run = store.runs()
    assert (
        extract_run["task"],
        extract_run["status"],
        extract_run["engine"],
        extract_run["flow_run_id"],
    ) == ("extract", "succeeded", "prefect", "fr-1")
    assert extract_run["result"]["dataset"]["sha256"] == extracted.dataset.sha256
    events = store.events(profile_run["id"])
    assert [(e["direction"], e["name"], e["artifact"]) for e in events] == [
        ("input", "dataset", extracted.dataset),
        ("output", "profile", profiled.profile),
    ]
    source = [e for e in store.events(extract_run["id"]) if e["direction"] == "input"]
    assert [e["artifact"].uri for e in source] == [f"file://{bike_csv}"]
    assert store.metrics(extract_run["id"])["rows"] == 731


def test_cache_returns_the_recorded_result_until_the_source_changes(settings, tmp_path):
    csv = tmp_path / "in.csv"
    csv.write_text("a,b\n1,2\n")
    first = run_task("extract", {"source": str(csv)}, settings=settings, cache=True)
    second = run_task("extract", {"source": str(csv)}, settings=settings, cache=True)
    assert second == first
    runs = MetadataStore(settings.database_url).runs()
    assert [r["status"] for r in runs] == ["cached", "succeeded"]
    assert runs[0]["cached_from_id"] == runs[1]["id"]
    csv.write_text("a,b\n1,2\n3,4\n")
    third = run_task("extract", {"source": str(csv)}, settings=settings, cache=True)
    assert third.rows == 2 and third.dataset.sha256 != first.dataset.sha256


def test_cache_is_off_by_default(settings, tmp_path):
    csv = tmp_path / "in.csv"
    csv.write_text("a\n1\n")
    run_task("extract", {"source": str(csv)}, settings=settings)
    run_task("extract", {"source": str(csv)}, settings=settings)
    assert [r["status"] for r in MetadataStore(settings.database_url).runs()] == [
        "succeeded",
        "succeeded",
    ]


def test_cache_reruns_when_the_output_artifact_is_gone(settings, tmp_path):
    csv = tmp_path / "in.csv"
    csv.write_text("a\n1\n")
    first = run_task("extract", {"source": str(csv)}, settings=settings, cache=True)
    (
        tmp_path
        / "artifacts"
        / "dataset"
        / first.dataset.sha256[:2]
        / f"{first.dataset.sha256}.parquet"
    ).unlink()
    again = run_task("extract", {"source": str(csv)}, settings=settings, cache=True)
    assert again == first
    assert [r["status"] for r in MetadataStore(settings.database_url).runs()] == [
        "succeeded",
        "succeeded",
    ]


@pytest.mark.parametrize(
    "config, field",
    [
        ({}, "source: Field required"),
        ({"source": 12}, "source: Input should be a valid string"),
        ({"source": "x.csv", "colour": "red"}, "colour: Extra inputs are not permitted"),
        ({"source": "x.csv", "chunk_rows": 0}, "chunk_rows: Input should be greater than 0"),
        ({"source": "sqlite:///x.db"}, "is a database URL: give a query or a table"),
    ],
)
def test_invalid_config_names_the_field_and_records_nothing(settings, config, field):
    with pytest.raises(ConfigError) as info:
        run_task("extract", config, settings=settings)
    assert field in str(info.value) and "'extract'" in str(info.value)
    assert MetadataStore(settings.database_url).runs() == []


def test_unknown_task_lists_the_known_ones(settings):
    with pytest.raises(
        UnknownTaskError,
        match=r"unknown task 'extrakt'; registered tasks: .*\bextract, .*\bprofile\b",
    ):
        run_task("extrakt", {}, settings=settings)


def test_failure_is_recorded_and_the_original_error_reraised(settings):
    with pytest.raises(RuntimeError, match="disk on fire"):
        run_task(boom.spec, {"message": "disk on fire"}, settings=settings)
    (run,) = MetadataStore(settings.database_url).runs()
    assert (run["status"], run["error_type"], run["error_message"]) == (
        "failed",
        "RuntimeError",
        "disk on fire",
    )
    assert MetadataStore(settings.database_url).events(run["id"]) == []


def test_missing_source_fails_with_the_path_and_no_output(settings, tmp_path):
    with pytest.raises(SourceNotFoundError, match="nope.csv"):
        run_task("extract", {"source": str(tmp_path / "nope.csv")}, settings=settings)
    (run,) = MetadataStore(settings.database_url).runs()
    assert run["status"] == "failed" and run["error_type"] == "SourceNotFoundError"
    assert not (tmp_path / "artifacts" / "dataset").exists()


def test_task_functions_are_plain_functions(settings, tmp_path):
    from mlops_tasks.context import TaskContext
    from mlops_tasks.tasks.extract import ExtractConfig, extract

    csv = tmp_path / "in.csv"
    csv.write_text("a\n1\n2\n")
    result = extract(ExtractConfig(source=str(csv)), TaskContext(settings))
    assert result.rows == 2 and result.columns == ["a"]


class VerdictResult(TaskResult):
    report: ArtifactRef
    failed: int


@task(stage="test")
def strict_check(config: BoomConfig, ctx) -> VerdictResult:
    from mlops_tasks.errors import CheckFailedError

    report = ctx.write_json({"failing": [config.message]}, kind="report")
    raise CheckFailedError(
        f"1 rule failed: {config.message}", result=VerdictResult(report=report, failed=1)
    )


def test_a_failed_check_keeps_its_report(settings):
    from mlops_tasks.errors import CheckFailedError

    with pytest.raises(CheckFailedError) as info:
        run_task(strict_check.spec, {"message": "age < 0"}, settings=settings)
    assert info.value.retryable is False
    store = MetadataStore(settings.database_url)
    (run,) = store.runs()
    assert run["status"] == "failed" and run["result"]["failed"] == 1
    (event,) = store.events(run["id"])
    assert event["direction"] == "output" and event["artifact"] == info.value.result.report


def test_results_say_which_execution_recorded_them(settings, tmp_path):
    csv = tmp_path / "in.csv"
    csv.write_text("a\n1\n")
    first = run_task("extract", {"source": str(csv)}, settings=settings, cache=True)
    second = run_task("extract", {"source": str(csv)}, settings=settings, cache=True)
    assert (first.status, second.status) == ("succeeded", "cached")
    assert second.execution_id == first.execution_id + 1
    assert first == second
    assert (
        MetadataStore(settings.database_url).execution(second.execution_id)["cached_from_id"]
        == first.execution_id
    )
