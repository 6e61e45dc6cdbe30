import json

import pytest
from click.testing import CliRunner

from mlops_tasks.cli import cli


@pytest.fixture
def invoke(settings):
    runner = CliRunner()
    env = {
        "MLOPS_TASKS_ARTIFACT_ROOT": settings.artifact_root,
        "MLOPS_TASKS_DB_URL": settings.database_url,
    }

    def run(*args: str, ok: bool = True):
        result = runner.invoke(cli, list(args), env=env)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return run


def test_tasks_lists_builtins_and_shows_a_schema(invoke):
    out = invoke("tasks").output
    assert "extract" in out and "profile" in out and "config: source, query?" in out
    schema = invoke("tasks", "profile").output
    assert '"dataset"' in schema and "profile (data, version 2)" in schema


def test_run_runs_and_lineage_show_the_pipeline(invoke, bike_csv, tmp_path):
    config = tmp_path / "extract.yaml"
    config.write_text(f"source: {bike_csv}\n")
    extracted = json.loads(invoke("run", "extract", "--config", str(config)).output)
    assert extracted["rows"] == 731
    (tmp_path / "profile.json").write_text(json.dumps({"dataset": extracted["dataset"]}))
    profiled = json.loads(
        invoke("run", "profile", "--config", str(tmp_path / "profile.json")).output
    )

    runs = invoke("runs").output.splitlines()
    assert "profile" in runs[1] and "succeeded" in runs[1] and "extract" in runs[2]

    tree = invoke("lineage", extracted["dataset"]["sha256"][:12]).output
    assert "<- source: source" in tree and str(bike_csv) in tree
    assert f"-> profile: profile {profiled['profile']['sha256'][:12]}" in tree
    graph = json.loads(invoke("lineage", profiled["profile"]["uri"], "--json").output)
    assert graph["upstream"][0]["execution"]["task"] == "profile"


def test_set_overrides_and_errors_are_one_line(invoke, tmp_path):
    (tmp_path / "a.csv").write_text("x\n1\n")
    out = invoke(
        "run", "extract", "--set", f"source={tmp_path / 'a.csv'}", "--set", "chunk_rows=10"
    ).output
    assert json.loads(out)["rows"] == 1
    bad = invoke("run", "extract", "--set", "colour=red", ok=False)
    assert bad.exit_code == 1
    assert (
        "Error: invalid config for task 'extract': source: Field required; colour: Extra inputs"
        in bad.output
    )
    assert "Traceback" not in bad.output
