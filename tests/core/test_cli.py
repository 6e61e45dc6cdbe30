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


def test_tasks_shows_a_result_schema_and_results_read_well_in_a_repl(invoke, settings, bike_csv):
    # The fields a result has, so nobody guesses `.drift_share` for `.share`.
    out = invoke("tasks").output
    assert "result: drift, dataset_drift, share, drifted_columns" in out
    schema = json.loads(invoke("tasks", "detect_drift", "--result").output.split("\n", 1)[1])
    assert "share" in schema["properties"] and "drift_share" not in schema["properties"]
    assert (
        "drift_share"
        in json.loads(invoke("tasks", "detect_drift").output.split("\n", 1)[1])["properties"]
    )

    from mlops_tasks.runtime import run_task

    result = run_task("extract", {"source": str(bike_csv)}, settings=settings)
    shown = repr(result).splitlines()
    assert shown[0] == "ExtractResult(" and shown[-1] == ")"
    assert shown[1] == f"  dataset=<dataset {result.dataset.sha256[:12]} {result.dataset.uri}>"
    assert "  rows=731" in shown and any(line.endswith("... 8 more]") for line in shown)
    assert shown[-2] == f"  # execution {result.execution_id} (succeeded)"


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


def test_serve_at_log_level_warning_prints_no_migration_info(tmp_path):
    # A fresh store is migrated on first use; at the default log level (warning) Alembic's
    # "Running upgrade ..." INFO lines used to reach the terminal anyway.
    import os
    import subprocess
    import sys

    env = {**os.environ, "MLOPS_TASKS_HOME": str(tmp_path)}
    env.pop("MLOPS_TASKS_DB_URL", None)
    env.pop("MLOPS_TASKS_ARTIFACT_ROOT", None)
    done = subprocess.run(
        [sys.executable, "-m", "mlops_tasks.cli", "serve", "--model", "nothing@champion"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode != 0 and "no model version 'nothing@champion'" in done.stderr
    assert (tmp_path / "metadata.db").exists()  # the store was migrated ...
    assert "INFO" not in done.stderr and "Running upgrade" not in done.stderr  # ... quietly
