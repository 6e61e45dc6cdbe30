"""No password reaches the metadata DB or the fingerprint; URLs can come by reference instead.

The grep at the end of the big test reads every row of every table of the metadata DB (SQLite
and PostgreSQL) and looks for each password the test handed over, plain and URL-encoded.
"""

from __future__ import annotations

import urllib.parse

import pytest
import sqlalchemy as sa

from mlops_tasks.errors import ConfigError
from mlops_tasks.metadata import MetadataStore
from mlops_tasks.registry import get_registry
from mlops_tasks.runtime import _fingerprint, run_task
from mlops_tasks.settings import Settings

INLINE_PW = (
    "Inl1ne-pw/%@x"  # characters that need URL-encoding: the encoded form must not leak either
)
ENV_PW = "Env-pw-7d1e"
TOKEN = "tok-5ecr3t-99"
SLACK = "Sl4ckS3cretPath"
MAIL_PW = "M4il-pw-3c"
PASSWORDS = (INLINE_PW, ENV_PW, TOKEN, SLACK, MAIL_PW)


def rows_holding(db_url: str, secrets: tuple[str, ...]) -> list[str]:
    """Every (table, row) of the metadata DB whose text holds one of `secrets` (or its URL-encoding)."""
    needles = {s for secret in secrets for s in (secret, urllib.parse.quote(secret, safe=""),
                                                  urllib.parse.quote_plus(secret))}  # fmt: skip
    engine = sa.create_engine(db_url)
    hits = []
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        assert {"executions", "params", "artifacts", "events"} <= set(meta.tables)
        with engine.connect() as conn:
            for table in meta.sorted_tables:
                for row in conn.execute(sa.select(table)):
                    text = repr(tuple(row))
                    hits += [f"{table.name}: {text[:200]}" for n in needles if n in text]
    finally:
        engine.dispose()
    return hits


@pytest.fixture
def source_db(pg_url):
    """A PostgreSQL database holding a small table; the server trusts 127.0.0.1, so any password connects."""
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE sales (id int, amount float)")
        conn.exec_driver_sql("INSERT INTO sales SELECT g, g * 1.5 FROM generate_series(1, 50) g")
    engine.dispose()
    return sa.engine.make_url(pg_url)


@pytest.mark.parametrize("metadata_db", ["sqlite", "postgresql"])
def test_no_password_reaches_any_row_of_the_metadata_db(
    metadata_db, source_db, tmp_path, monkeypatch, pg_admin, request
):
    if metadata_db == "sqlite":
        db_url = f"sqlite:///{tmp_path / 'metadata.db'}"
    else:  # a second fresh database, apart from the source
        import uuid

        name = f"mlops_tasks_test_{uuid.uuid4().hex[:10]}"
        with pg_admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        db_url = pg_admin.url.set(database=name).render_as_string(hide_password=False)

        def drop():
            from mlops_tasks.metadata.store import _engines

            if db_url in _engines:
                _engines.pop(db_url).dispose()
            with pg_admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        request.addfinalizer(drop)
    settings = Settings(artifact_root=str(tmp_path / "artifacts"), metadata_url=db_url)
    inline = source_db.set(password=INLINE_PW).render_as_string(hide_password=False)
    monkeypatch.setenv(
        "SALES_DB_URL", source_db.set(password=ENV_PW).render_as_string(hide_password=False)
    )

    first = run_task("extract", {"source": inline, "table": "sales"}, settings=settings)
    by_env = run_task(
        "extract", {"source": "env:SALES_DB_URL", "table": "sales"}, settings=settings
    )
    assert first.rows == by_env.rows == 50
    with pytest.raises(Exception):  # noqa: B017, PT011 - any failure; its message is recorded
        run_task(
            "extract", {"source": inline, "query": "SELECT * FROM no_such_table"}, settings=settings
        )
    pushed = run_task("validate", {"source": inline, "table": "sales",
                                   "rules": [{"rule": "not_null", "column": "id"}]}, settings=settings)  # fmt: skip
    assert pushed.passed
    run_task("notify", {"title": "t", "when": False, "channels": [
        {"type": "webhook", "url": f"https://hooks.example.com/in?token={TOKEN}"},
        {"type": "slack", "url": f"https://hooks.slack.com/services/T0/B0/{SLACK}"},
        {"type": "email", "host": "smtp.example.com", "sender": "a@x", "to": ["b@x"], "username": "a",
         "password": MAIL_PW},
    ]}, settings=settings)  # fmt: skip

    store = MetadataStore(db_url)
    recorded = store.execution(first.execution_id)
    assert recorded["config"]["source"] == source_db.render_as_string().replace(
        "postgres@", "postgres:***@"
    )
    assert store.execution(by_env.execution_id)["config"]["source"] == "env:SALES_DB_URL"
    assert not [r for r in store.runs(limit=100) if any(p in repr(r) for p in PASSWORDS)]
    assert rows_holding(db_url, PASSWORDS) == []


def test_the_fingerprint_does_not_change_with_the_password():
    spec = get_registry().get("notify")

    def fingerprint(url: str) -> str:
        return _fingerprint(
            spec,
            spec.validate_config({"title": "t", "channels": [{"type": "webhook", "url": url}]}),
        )

    same = (
        fingerprint("https://u:first@hooks.example.com/x"),
        fingerprint("https://u:second@hooks.example.com/x"),
    )
    assert same[0] == same[1]
    assert fingerprint("https://u:first@other.example.com/x") != same[0]


def test_an_unresolvable_reference_is_a_config_error_naming_the_field(settings, monkeypatch):
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    with pytest.raises(ConfigError, match="source: cannot resolve env:NOT_SET_ANYWHERE"):
        run_task("extract", {"source": "env:NOT_SET_ANYWHERE", "table": "t"}, settings=settings)
    assert MetadataStore(settings.database_url).runs() == []  # refused before anything is recorded
