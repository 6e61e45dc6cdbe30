"""The MlopsTasksStore block: secrets stay secret, it saves and loads, and tasks use its stores."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

pytest.importorskip("prefect")
pytestmark = pytest.mark.prefect

PASSWORD = "s3cr3t-pw"
TOKEN = "t0ken-xyz"


@pytest.fixture
def block_store(tmp_path):
    """A block on stores in tmp_path (SQLite and a local directory)."""
    from prefect_blocks.blocks import MlopsTasksStore

    return MlopsTasksStore(
        artifact_root=str(tmp_path / "block-artifacts"),
        metadata_url=f"sqlite:///{tmp_path / 'block-metadata.db'}",
        storage_options={"auto_mkdir": True},
    )


@pytest.fixture
def secret_store():
    """A block holding a database password and an object-store token (never connected to)."""
    from prefect_blocks.blocks import MlopsTasksStore

    return MlopsTasksStore(
        artifact_root="s3://ml-artifacts/prod",
        metadata_url=f"postgresql+psycopg://mlops:{PASSWORD}@db.internal/mlops",
        storage_options={"key": "AKIA-test", "secret": TOKEN},
    )


def test_secrets_are_secret_types_and_never_shown(secret_store):
    from prefect.types import SecretDict
    from pydantic import SecretStr

    assert isinstance(secret_store.metadata_url, SecretStr)
    assert isinstance(secret_store.storage_options, SecretDict)
    for text in (repr(secret_store), str(secret_store), secret_store.model_dump_json()):
        assert PASSWORD not in text
        assert TOKEN not in text
    assert set(secret_store.model_json_schema()["secret_fields"]) == {
        "metadata_url",
        "storage_options.*",
        "metadata_password",
        "credentials.secret",
        "credentials.token",
    }
    settings = secret_store.settings()
    assert PASSWORD not in repr(
        settings
    )  # (the core Settings keeps storage_options as a plain dict)
    assert settings.database_url == f"postgresql+psycopg://mlops:{PASSWORD}@db.internal/mlops"
    assert settings.storage_options == {"key": "AKIA-test", "secret": TOKEN}


def test_block_type_is_namespaced_and_documented():
    from prefect_blocks.blocks import MlopsTasksStore

    assert MlopsTasksStore.get_block_type_slug() == "mlops-tasks-store"
    assert MlopsTasksStore.get_description()
    schema = MlopsTasksStore.model_json_schema()
    for name in ("artifact_root", "metadata_url", "storage_options"):
        assert schema["properties"][name].get("description"), name


def test_block_pages_have_an_example_a_logo_and_a_documentation_link(prefect_client):
    """What the Prefect UI shows on the block types' pages, as the server has them."""
    import xml.etree.ElementTree as ET
    from pathlib import Path

    from mlops_tasks.project import RAW, REPOSITORY
    from prefect_blocks.blocks import MlopsTasksStore, ObjectStoreCredentials

    repo = Path(__file__).resolve().parents[2]
    readme = (repo / "README.md").read_text()
    for block in (MlopsTasksStore, ObjectStoreCredentials):
        block.register_type_and_schema()
        shown = prefect_client.read_block_type_by_slug(block.get_block_type_slug())
        assert shown.code_example.strip().startswith("```python"), shown.code_example
        # The logo is a file the repository ships, an SVG image.
        logo = str(shown.logo_url)
        assert logo.startswith(RAW + "/")
        svg = ET.parse(repo / logo.removeprefix(RAW + "/")).getroot()
        assert svg.tag == "{http://www.w3.org/2000/svg}svg"
        # The documentation link is the README's Prefect section (GitHub's heading anchor).
        page, anchor = str(shown.documentation_url).split("#")
        assert page == REPOSITORY
        headings = {
            "-".join(line[3:].lower().split()): line
            for line in readme.splitlines()
            if line.startswith("## ")
        }
        assert "Prefect" in headings[anchor]


def test_block_saves_and_loads_with_secrets_obfuscated_on_the_server(secret_store, prefect_client):
    from prefect_blocks.blocks import MlopsTasksStore

    name = f"test-{uuid.uuid4().hex[:8]}"
    secret_store.save(name)
    loaded = MlopsTasksStore.load(name)
    assert loaded.settings() == secret_store.settings()
    assert PASSWORD in loaded.metadata_url.get_secret_value()

    document = prefect_client.read_block_document_by_name(
        name, "mlops-tasks-store", include_secrets=False
    )
    assert PASSWORD not in str(document.data)
    assert TOKEN not in str(document.data)
    assert document.data["artifact_root"] == secret_store.artifact_root


def test_block_type_resolves_by_slug_in_a_fresh_process(block_store):
    """A worker loading `mlops-tasks-store/<name>` only has the collection entry point to go on."""
    import prefect.settings

    name = f"test-{uuid.uuid4().hex[:8]}"
    block_store.save(name)
    code = (
        "import sys\n"
        "from prefect.blocks.core import Block\n"
        f"block = Block.load('mlops-tasks-store/{name}')\n"
        "print(type(block).__module__, type(block).__name__, block.settings().artifact_root)\n"
    )
    env = {**os.environ, "PREFECT_API_URL": prefect.settings.PREFECT_API_URL.value()}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == [
        "prefect_blocks.blocks",
        "MlopsTasksStore",
        block_store.artifact_root,
    ]


def test_tasks_use_the_block_given_by_name_or_instance(
    block_store, env_home, bike_csv, read_artifacts
):
    from prefect import flow

    from mlops_tasks.metadata import MetadataStore
    from prefect_blocks.tasks import extract, prefect_task

    name = f"test-{uuid.uuid4().hex[:8]}"
    block_store.save(name)
    profile_quietly = prefect_task("profile", artifact=False)

    @flow
    def run_with_block():
        data = extract(source=str(bike_csv), store=name)  # loaded by name inside the task
        again = extract(source=str(bike_csv), store=block_store, cache=True)
        profile_quietly(dataset=again.dataset, store=block_store)
        return data, again

    state = run_with_block(return_state=True)
    data, again = state.result()
    assert again == data
    dataset_path = data.dataset.uri.removeprefix("file://")
    assert dataset_path.startswith(block_store.artifact_root + "/")
    assert os.path.exists(dataset_path)
    runs = MetadataStore(block_store.settings().database_url).runs()
    assert [(r["task"], r["status"]) for r in reversed(runs)] == [
        ("extract", "succeeded"),
        ("extract", "cached"),
        ("profile", "succeeded"),
    ]
    assert not env_home.exists()  # nothing went to the environment's default stores

    flow_run_id = state.state_details.flow_run_id
    extract_artifacts = read_artifacts("mlops-tasks-extract", flow_run_id=flow_run_id)
    assert {str(a.task_run_id): "): cached" in a.data for a in extract_artifacts} == {
        r["task_run_id"]: r["status"] == "cached" for r in runs if r["task"] == "extract"
    }
    assert read_artifacts("mlops-tasks-profile", flow_run_id=flow_run_id) == []
