import hashlib
import threading

import pytest
import sqlalchemy as sa

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.errors import ArtifactNotFoundError, MetadataStoreError
from mlops_tasks.identity import Identity
from mlops_tasks.metadata import MetadataStore


def ref(n: int, kind: str = "dataset") -> ArtifactRef:
    sha = hashlib.sha256(str(n).encode()).hexdigest()
    return ArtifactRef(uri=f"file:///store/{kind}/{sha}", sha256=sha, size=n, kind=kind)


def record(store: MetadataStore, task: str, inputs: dict, outputs: dict, **identity) -> int:
    execution_id = store.start_execution(
        task=task,
        task_version="1",
        stage="data",
        config={"k": 1},
        fingerprint="f" * 64,
        identity=Identity(**identity),
        inputs=inputs,
        params={"k": "1"},
    )
    store.finish_execution(
        execution_id, status="succeeded", result={"ok": True}, outputs=outputs, metrics={"rows": 3}
    )
    return execution_id


def _head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from mlops_tasks.metadata.store import _MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    (head,) = ScriptDirectory.from_config(config).get_heads()  # one line of migrations, no branches
    return head


def test_schema_is_migrated_to_head_once(db_url):
    store = MetadataStore(db_url)
    with store.engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    assert {"executions", "artifacts", "events", "params", "metrics"} <= tables
    assert version == _head()
    MetadataStore(db_url).upgrade()  # a second worker opening the store is a no-op
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar_one() == 1


def test_execution_records_identity_events_params_and_metrics(db_url):
    store = MetadataStore(db_url)
    eid = record(
        store,
        "extract",
        {"source": ref(1, "source")},
        {"dataset": ref(2)},
        engine="airflow",
        dag_id="d",
        run_id="r",
        task_id="t",
        map_index=-1,
        try_number=2,
    )
    run = store.execution(eid)
    assert (run["status"], run["engine"], run["dag_id"], run["try_number"], run["map_index"]) == (
        "succeeded",
        "airflow",
        "d",
        2,
        -1,
    )
    assert run["ended_at"] >= run["started_at"]
    assert [(e["direction"], e["name"], e["artifact"].sha256) for e in store.events(eid)] == [
        ("input", "source", ref(1).sha256),
        ("output", "dataset", ref(2).sha256),
    ]
    assert store.metrics(eid) == {"rows": 3.0}


def test_lineage_walks_upstream_and_downstream(db_url):
    store = MetadataStore(db_url)
    record(store, "extract", {"source": ref(1, "source")}, {"dataset": ref(2)})
    record(store, "profile", {"dataset": ref(2)}, {"profile": ref(3, "profile")})
    graph = store.lineage(ref(2).sha256[:12])
    assert graph["artifact"]["sha256"] == ref(2).sha256
    (up,) = graph["upstream"]
    assert up["execution"]["task"] == "extract"
    assert [a["artifact"]["kind"] for a in up["artifacts"]] == ["source"]
    (down,) = graph["downstream"]
    assert down["execution"]["task"] == "profile"
    assert down["artifacts"][0]["artifact"]["sha256"] == ref(3).sha256
    # from the profile, the walk reaches the source two steps up
    up_of_profile = store.lineage(ref(3, "profile").uri)["upstream"][0]
    assert up_of_profile["artifacts"][0]["next"][0]["execution"]["task"] == "extract"


def test_unknown_or_ambiguous_artifact_is_a_clear_error(db_url):
    store = MetadataStore(db_url)
    with pytest.raises(ArtifactNotFoundError, match="no artifact 'deadbeefcafe'"):
        store.artifact("deadbeefcafe")
    a = ArtifactRef(uri="file:///a", sha256="ab" * 32, size=1, kind="dataset")
    b = ArtifactRef(uri="file:///b", sha256="ab" * 31 + "cd", size=1, kind="dataset")
    record(store, "t", {}, {"a": a, "b": b})
    with pytest.raises(ArtifactNotFoundError, match="ambiguous"):
        store.artifact("abababababab")
    assert store.artifact("ab" * 31 + "cd").uri == "file:///b"


def test_concurrent_writers_lose_nothing(db_url):
    store = MetadataStore(db_url)
    shared = ref(99)  # every writer reads the same artifact: its row must be created exactly once
    errors: list[BaseException] = []

    def writer(w: int) -> None:
        try:
            for i in range(15):
                record(store, f"w{w}", {"dataset": shared}, {"out": ref(1000 + w * 100 + i)})
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with store.engine.connect() as conn:
        assert (
            conn.execute(
                sa.text("SELECT count(*) FROM executions WHERE status='succeeded'")
            ).scalar_one()
            == 90
        )
        assert conn.execute(sa.text("SELECT count(*) FROM events")).scalar_one() == 180
        assert (
            conn.execute(
                sa.text("SELECT count(*) FROM artifacts WHERE sha256=:s"), {"s": shared.sha256}
            ).scalar_one()
            == 1
        )


def test_unreachable_database_is_a_typed_error_without_the_password():
    with pytest.raises(MetadataStoreError) as info:
        MetadataStore("postgresql+psycopg://user:s3cret@127.0.0.1:1/nothing")
    assert "127.0.0.1:1" in str(info.value) and "s3cret" not in str(info.value)


def test_unparsable_url_is_a_typed_error():
    with pytest.raises(MetadataStoreError, match="not a SQLAlchemy URL"):
        MetadataStore("definitely not a url")
