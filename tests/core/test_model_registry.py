"""The model registry on SQLite and PostgreSQL: versions, aliases, rollback, audit, concurrency, safe loading."""

from __future__ import annotations

import threading

import pytest

from mlops_tasks.artifacts import ArtifactRef, ArtifactStore
from mlops_tasks.errors import ArtifactIntegrityError
from mlops_tasks.metadata import MetadataStore
from mlops_tasks.models.registry import ModelNotFoundError, ModelRegistry


def ref(i: int) -> ArtifactRef:
    return ArtifactRef(uri=f"memory://models/{i}.skops", sha256=f"{i:064x}", size=1, kind="model",
                       media_type="application/x-skops")  # fmt: skip


def test_versions_aliases_promote_rollback_and_audit(db_url):
    registry = ModelRegistry(MetadataStore(db_url))
    v1 = registry.register("bikes", ref(1), tags={"team": "ml"}, metrics={"mae": 3.0})
    v2 = registry.register("bikes", ref(2), alias="challenger")
    assert (v1.version, v2.version, v2.aliases) == (1, 2, ["challenger"])
    assert registry.get("bikes").version == 2 and registry.get("bikes/1").tags == {"team": "ml"}
    with pytest.raises(ModelNotFoundError, match="no model version 'bikes@champion'"):
        registry.get("bikes@champion")

    registry.promote("bikes", 1)
    registry.promote("bikes", 2, reason="better mae")
    assert registry.resolve("bikes@champion") == (2, ref(2).sha256)
    assert registry.rollback("bikes").version == 1
    assert registry.get("bikes@champion").aliases == ["champion"]
    with pytest.raises(ModelNotFoundError, match="cannot roll back"):
        registry.rollback("bikes")
    actions = [
        (e["action"], e["alias"], e["previous_version"], e["version"])
        for e in registry.audit("bikes")
    ]
    assert actions == [
        ("rollback", "champion", 2, 1), ("promote", "champion", 1, 2), ("promote", "champion", None, 1),
        ("set_alias", "challenger", None, 2), ("register", None, None, 2), ("register", None, None, 1),
    ]  # fmt: skip
    assert registry.models() == [
        {"name": "bikes", "latest_version": 2, "aliases": {"challenger": 2, "champion": 1},
         "updated_at": registry.models()[0]["updated_at"]}
    ]  # fmt: skip


def test_a_failed_promotion_changes_nothing(db_url):
    registry = ModelRegistry(MetadataStore(db_url))
    registry.register("bikes", ref(1))
    registry.promote("bikes", 1)
    with pytest.raises(ModelNotFoundError, match="has no version 7"):
        registry.promote("bikes", 7)
    assert registry.resolve("bikes@champion")[0] == 1
    assert [e["action"] for e in registry.audit("bikes")] == ["promote", "register"]


def test_concurrent_registrations_never_duplicate_or_skip_a_version(pg_url):
    registry = ModelRegistry(MetadataStore(pg_url))
    threads, errors, versions = 8, [], []
    barrier = threading.Barrier(threads)

    def work(t: int) -> None:
        try:
            barrier.wait()
            for i in range(5):
                versions.append(registry.register("racy", ref(t * 100 + i)).version)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    assert errors == []
    assert sorted(versions) == list(range(1, threads * 5 + 1))
    assert [v.version for v in registry.versions("racy", limit=100)] == list(
        range(threads * 5, 0, -1)
    )


def test_model_file_with_a_wrong_hash_refuses_to_load(settings, tmp_path):
    from sklearn.linear_model import Ridge

    from mlops_tasks.context import open_stores
    from mlops_tasks.models.loading import load
    from mlops_tasks.models.serialization import MEDIA_TYPES, UntrustedModelError, dump_model

    artifacts, metadata = open_stores(settings)
    path = tmp_path / "m.joblib"
    dump_model(Ridge().fit([[0], [1]], [0, 1]), path, "joblib")
    good = artifacts.put_file(path, kind="model", media_type=MEDIA_TYPES["joblib"])
    # A pickle no train run made is not loaded at all, registered or not ...
    ModelRegistry(metadata).register("pickled", good)
    with pytest.raises(UntrustedModelError, match="no succeeded train or import_model run"):
        load(artifacts, metadata, good)
    from mlops_tasks.identity import Identity

    made = metadata.start_execution(task="train", task_version="1", stage="model", config={},
                                    fingerprint="x", identity=Identity(), inputs={}, params={})  # fmt: skip
    metadata.finish_execution(made, status="succeeded", outputs={"model": good})
    assert type(load(artifacts, metadata, good).model).__name__ == "Ridge"
    # ... and a file whose bytes changed since is refused.
    file = good.uri.removeprefix("file://")
    with open(file, "ab") as fh:
        fh.write(b"tampered")
    with pytest.raises(ArtifactIntegrityError, match="is corrupt"):
        load(ArtifactStore(settings.artifact_root), metadata, good)


def test_skops_file_naming_an_unknown_type_is_refused(tmp_path):
    import collections

    from mlops_tasks.models.serialization import UntrustedModelError, dump_model, load_model

    path = tmp_path / "odd.skops"
    dump_model({"x": collections.Counter("ab"), "f": __import__("fractions").Fraction(1, 3)}, path)
    with pytest.raises(UntrustedModelError, match="fractions.Fraction"):
        load_model(path)
