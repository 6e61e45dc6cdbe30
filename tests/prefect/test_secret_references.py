"""``prefect-secret:<name>`` in a task config: the URL comes from a Prefect Secret block, the DB records the reference."""

from __future__ import annotations

import uuid

import pytest

pytest.importorskip("prefect")
pytestmark = pytest.mark.prefect

PASSWORD = "Pr3fect-secret-pw"


@pytest.mark.filterwarnings("ignore:Query string argument")
def test_a_source_from_a_prefect_secret(settings, tmp_path):
    from prefect.blocks.system import Secret

    from mlops_tasks.metadata import MetadataStore
    from mlops_tasks.runtime import run_task

    name = f"source-{uuid.uuid4().hex[:8]}"
    # SQLite ignores a password in the URL: enough to show it never reaches the metadata DB.
    db = tmp_path / "src.db"
    import sqlite3

    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE t AS SELECT 1 AS id UNION SELECT 2")
    Secret(value=f"sqlite:///{db}?password={PASSWORD}").save(name)
    result = run_task(
        "extract", {"source": f"prefect-secret:{name}", "table": "t"}, settings=settings
    )
    assert result.rows == 2
    store = MetadataStore(settings.database_url)
    assert store.execution(result.execution_id)["config"]["source"] == f"prefect-secret:{name}"
    assert PASSWORD not in repr(store.events(result.execution_id))
