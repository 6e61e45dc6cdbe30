"""``airflow-conn:<id>`` in a task config: the URL comes from an Airflow connection, the DB records the reference."""

from __future__ import annotations

import sqlalchemy as sa

from mlops_tasks.metadata import MetadataStore
from mlops_tasks.runtime import run_task

PASSWORD = "Airfl0w-conn-pw"


def test_a_source_from_an_airflow_connection(set_connection, stores, pg_url):
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE sales AS SELECT g AS id FROM generate_series(1, 7) g")
    engine.dispose()
    url = sa.engine.make_url(pg_url)
    set_connection(conn_id="sales_db", conn_type="postgres", host=url.host, port=url.port,
                   login=url.username, password=PASSWORD, schema=url.database)  # fmt: skip
    result = run_task(
        "extract", {"source": "airflow-conn:sales_db", "table": "sales"}, settings=stores
    )
    assert result.rows == 7
    recorded = MetadataStore(stores.database_url).execution(result.execution_id)
    assert recorded["config"]["source"] == "airflow-conn:sales_db"
    assert PASSWORD not in repr(MetadataStore(stores.database_url).events(result.execution_id))
