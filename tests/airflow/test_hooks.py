"""MlopsTasksHook: settings from a connection or the environment, and its connection test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airflow_provider.hooks import MlopsTasksHook
from mlops_tasks.metadata import MetadataStore
from mlops_tasks.settings import Settings


def test_settings_come_from_the_connection(set_connection, stores, tmp_path):
    set_connection(
        host="postgresql+psycopg://db.internal:5432/mlops",
        login="mlops",
        password="p@ss/word",
        extra={"artifact_root": "s3://bucket/prefix", "storage_options": '{"anon": false}'},
    )
    settings = MlopsTasksHook().get_settings()
    assert (
        settings.database_url == "postgresql+psycopg://mlops:p%40ss%2Fword@db.internal:5432/mlops"
    )
    assert settings.artifact_root == "s3://bucket/prefix"
    assert settings.storage_options == {"anon": False}
    assert "p@ss" not in repr(settings) and "p%40ss" not in repr(settings)


def test_a_password_in_the_url_is_kept_and_missing_fields_come_from_the_environment(
    set_connection, stores
):
    set_connection(conn_id="other", host="postgresql+psycopg://u:inurl@db/m", password="field")
    settings = MlopsTasksHook(mlops_conn_id="other").get_settings()
    assert settings.database_url == "postgresql+psycopg://u:inurl@db/m"
    assert settings.artifact_root == stores.artifact_root  # no artifact_root in the connection
    assert settings.storage_options == {}


def test_prefixed_extra_fields_are_read(set_connection, stores):
    set_connection(host="sqlite://", extra={"extra__mlops_tasks__artifact_root": "memory://x"})
    assert MlopsTasksHook().get_settings().artifact_root == "memory://x"


def test_without_a_connection_the_environment_decides(stores):
    assert MlopsTasksHook().get_settings() == Settings.from_env() == stores


def test_bad_storage_options_name_the_connection(set_connection, stores):
    set_connection(host="sqlite://", extra={"storage_options": "{not json"})
    with pytest.raises(
        ValueError, match="connection 'mlops_tasks_default': storage_options is not JSON"
    ):
        MlopsTasksHook().get_settings()
    ok, message = MlopsTasksHook().test_connection()
    assert not ok and "storage_options" in message


def test_test_connection_migrates_and_probes_both_stores(set_connection, tmp_path: Path, stores):
    db, root = tmp_path / "conn.db", tmp_path / "conn-artifacts"
    set_connection(host=f"sqlite:///{db}", extra={"artifact_root": str(root)})
    ok, message = MlopsTasksHook().test_connection()
    assert ok, message
    assert str(db) in message and str(root) in message
    assert MetadataStore(f"sqlite:///{db}", migrate=False).runs() == []  # tables exist
    assert root.is_dir() and not any(root.rglob("*")), "the probe artifact must be removed"


def test_test_connection_reports_failures_without_the_password(
    set_connection, tmp_path: Path, stores
):
    set_connection(
        host="postgresql+psycopg://mlops@127.0.0.1:9/mlops",
        password="topsecret",
        extra={"artifact_root": str(tmp_path / "a")},
    )
    ok, message = MlopsTasksHook().test_connection()
    assert not ok
    assert "127.0.0.1" in message and "topsecret" not in message

    (tmp_path / "file").write_text("not a directory")
    set_connection(
        host=f"sqlite:///{tmp_path / 'ok.db'}",
        extra={"artifact_root": str(tmp_path / "file" / "a")},
    )
    ok, message = MlopsTasksHook().test_connection()
    assert not ok and "file" in message


def test_airflow_finds_the_hook_for_the_connection_type(tmp_path: Path):
    """The Task SDK resolves conn type -> hook through the provider info, then calls test_connection."""
    from airflow.sdk import Connection

    conn = Connection(
        conn_id="probe_conn",
        conn_type="mlops_tasks",
        host=f"sqlite:///{tmp_path / 'probe.db'}",
        extra=json.dumps({"artifact_root": str(tmp_path / "probe-artifacts")}),
    )
    hook = conn.get_hook()
    assert isinstance(hook, MlopsTasksHook) and hook.mlops_conn_id == "probe_conn"
    assert conn.test_connection() == (
        True,
        (
            f"metadata store sqlite:///{tmp_path / 'probe.db'} is migrated; "
            f"artifact store {tmp_path / 'probe-artifacts'} is writable"
        ),
    )
