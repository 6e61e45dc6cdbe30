"""The provider as Airflow sees it: provider info, the CLI's provider listings, import cost."""

from __future__ import annotations

import doctest
import importlib
import json
import subprocess
import sys
import textwrap
from importlib.metadata import distribution
from pathlib import Path

import airflow
import jsonschema
import pytest

from airflow_provider.get_provider_info import get_provider_info
from airflow_provider.hooks import MlopsTasksHook


def test_provider_info_is_valid_and_matches_the_code():
    info = get_provider_info()
    schema = json.loads((Path(airflow.__file__).parent / "provider_info.schema.json").read_text())
    jsonschema.validate(info, schema)

    # Airflow refuses a provider whose package-name is not its distribution's name.
    dist = distribution("mlops-tasks")
    assert info["package-name"] == dist.metadata["Name"] == "mlops-tasks"
    [entry_point] = [ep for ep in dist.entry_points if ep.group == "apache_airflow_provider"]
    assert entry_point.load() is get_provider_info
    assert info["versions"] == [dist.version]

    for section in ("operators", "hooks"):
        for item in info[section]:
            for module in item["python-modules"]:
                importlib.import_module(module)
    [conn] = info["connection-types"]
    module, _, name = conn["hook-class-name"].rpartition(".")
    hook = getattr(importlib.import_module(module), name)
    assert hook is MlopsTasksHook
    assert conn["connection-type"] == hook.conn_type == "mlops_tasks"
    assert hook.default_conn_name == "mlops_tasks_default"
    assert hook.conn_name_attr in __import__("inspect").signature(hook).parameters
    # The custom fields are the extra keys the hook reads.
    assert set(conn["conn-fields"]) == {"artifact_root", "storage_options"}
    assert conn["ui-field-behaviour"]["relabeling"]["host"] == "Metadata DB URL"


def test_airflow_cli_lists_the_provider_hook_and_form(airflow_db):
    commands = {
        "list": ["providers", "list", "-o", "json"],
        "hooks": ["providers", "hooks", "-o", "json"],
        "widgets": ["providers", "widgets", "-o", "json"],
    }
    # Concurrently: each is a fresh Airflow process of a few seconds.
    running = {
        key: subprocess.Popen(
            [sys.executable, "-m", "airflow", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for key, args in commands.items()
    }
    out = {}
    for key, proc in running.items():
        stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr[-2000:]
        out[key] = json.loads(stdout[stdout.index("[") :])

    [provider] = [p for p in out["list"] if p["package_name"] == "mlops-tasks"]
    assert provider["version"] == distribution("mlops-tasks").version
    [hook] = [h for h in out["hooks"] if h["connection_type"] == "mlops_tasks"]
    assert hook["class"] == "airflow_provider.hooks.MlopsTasksHook"
    assert (hook["package_name"], hook["conn_id_attribute_name"]) == (
        "mlops-tasks",
        "mlops_conn_id",
    )
    widgets = {
        w["connection_parameter_name"] for w in out["widgets"] if w["package_name"] == "mlops-tasks"
    }
    assert widgets == {"extra__mlops_tasks__artifact_root", "extra__mlops_tasks__storage_options"}


def test_connection_form_behaviour_comes_from_the_provider_info():
    from airflow.providers_manager import ProvidersManager

    behaviour = ProvidersManager().field_behaviours["mlops_tasks"]
    assert {"schema", "port"} <= set(behaviour["hidden_fields"])
    assert behaviour["relabeling"]["password"] == "Metadata DB password"
    # Placeholders of custom fields get Airflow's extra__<conn type>__ prefix.
    assert behaviour["placeholders"]["extra__mlops_tasks__artifact_root"].startswith("s3://")


@pytest.mark.parametrize(
    "module",
    ["airflow_provider.get_provider_info", "airflow_provider.hooks", "airflow_provider.operators"],
)
def test_docstring_examples_run(module):
    failed, attempted = doctest.testmod(
        importlib.import_module(module), optionflags=doctest.ELLIPSIS
    )
    assert attempted and not failed


def test_importing_the_operators_stays_light():
    """In a fresh process, after Airflow's own imports: no pandas, pyarrow, numpy, and no
    import of SQLAlchemy (which Airflow has loaded already) by our modules."""
    probe = textwrap.dedent(
        """
        import builtins, json, sys
        from airflow.sdk import dag, task

        HEAVY = {"pandas", "pyarrow", "numpy", "sklearn", "sqlalchemy", "alembic", "fsspec"}
        ours, direct = ("airflow_provider", "mlops_tasks"), []
        real_import = builtins.__import__

        def spy(name, globals=None, locals=None, fromlist=(), level=0):
            importer = (globals or {}).get("__name__") or ""
            if level == 0 and name.split(".")[0] in HEAVY and importer.split(".")[0] in ours:
                direct.append([importer, name])
            return real_import(name, globals, locals, fromlist, level)

        before = set(sys.modules)
        builtins.__import__ = spy
        from airflow_provider.operators import ExtractOperator, ProfileOperator
        builtins.__import__ = real_import
        new = sorted({m.split(".")[0] for m in set(sys.modules) - before} & HEAVY)
        print(json.dumps({"new": new, "direct": direct}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"new": [], "direct": []}
