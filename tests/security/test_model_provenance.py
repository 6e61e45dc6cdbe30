"""No code runs from a model file we did not make: provenance, not presence, vouches for a pickle.

Every exploit here worked before: the config named the pickle's own hash, `run_task` recorded
it as an input, and the loader took "the metadata store knows this hash" for "we made it".
"""

from __future__ import annotations

import pickle

import pytest
from model_fixtures import bike_dataset, train_model

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.context import TaskContext
from mlops_tasks.errors import UntrustedArtifactError
from mlops_tasks.identity import Identity
from mlops_tasks.models.registry import ModelRegistry
from mlops_tasks.models.serialization import UntrustedModelError, load_model
from mlops_tasks.runtime import run_task
from tests.security.exploits import PICKLE_MEDIA, SKOPS_MEDIA, evil_pickle, skops_gadget


@pytest.fixture
def trained(settings, bike_csv):
    dataset = bike_dataset(settings, bike_csv)
    return dataset, train_model(settings, dataset).model


def _planted(settings, trained, path, media_type=PICKLE_MEDIA):
    """The file put in the artifact store (so URI confinement is not what stops it), posing as a model."""
    ctx = TaskContext(settings)
    meta = trained[
        1
    ].metadata  # a real model's signature and target, so only trust stands in the way
    return ctx.artifacts.put_file(path, kind="model", media_type=media_type, metadata=meta)


@pytest.mark.parametrize("task", ["evaluate", "gate", "validate_model"])
def test_a_config_cannot_vouch_for_its_own_pickle(settings, trained, tmp_path, marker, task):
    dataset, _ = trained
    evil = _planted(settings, trained, evil_pickle(tmp_path / "evil.pkl", marker))
    config = {"model": evil.model_dump(mode="json"), "dataset": dataset}
    if task == "gate":
        config["name"] = "bikes"
    for _attempt in range(2):  # the first failed run's input rows must not vouch for the second
        with pytest.raises(UntrustedModelError, match="no succeeded train or import_model run"):
            run_task(task, config, settings=settings)
    assert not marker.exists()


def test_a_failed_train_runs_outputs_do_not_vouch(settings, trained, tmp_path, marker):
    dataset, _ = trained
    evil = _planted(settings, trained, evil_pickle(tmp_path / "evil.pkl", marker))
    ctx = TaskContext(settings)
    execution = ctx.metadata.start_execution(
        task="train", task_version="1", stage="model", config={}, fingerprint="x",
        identity=Identity(), inputs={}, params={},
    )  # fmt: skip
    ctx.metadata.finish_execution(execution, status="failed", outputs={"model": evil})
    with pytest.raises(UntrustedModelError):
        run_task("evaluate", {"model": evil, "dataset": dataset}, settings=settings)
    assert not marker.exists()


def test_register_refuses_an_outside_pickle_and_serving_refuses_one_put_in_the_registry(
    settings, trained, tmp_path, marker
):
    dataset, _ = trained
    evil = _planted(settings, trained, evil_pickle(tmp_path / "evil.pkl", marker))
    with pytest.raises(UntrustedModelError):
        run_task("register", {"name": "bikes", "model": evil}, settings=settings)
    # A library caller can still write the registry directly: loading checks provenance again.
    ctx = TaskContext(settings)
    ModelRegistry(ctx.metadata).register("bikes", evil, alias="champion")
    with pytest.raises(UntrustedModelError):
        run_task(
            "batch_predict", {"model": "bikes@champion", "dataset": dataset}, settings=settings
        )
    pytest.importorskip("fastapi")
    from mlops_tasks.models.serving import create_app

    with pytest.raises(UntrustedModelError):
        create_app("bikes@champion", settings)
    assert not marker.exists()


def test_a_trained_pickle_and_an_audited_import_load(settings, trained, tmp_path, marker):
    dataset, model = trained
    pickled = train_model(settings, dataset, format="pickle").model
    assert run_task("evaluate", {"model": pickled, "dataset": dataset}, settings=settings).rows > 0

    # An outside pickle: refused by default, before a byte of it is unpickled.
    outside = evil_pickle(tmp_path / "outside.pkl", marker)
    with pytest.raises(UntrustedModelError, match="allow_pickle"):
        run_task("import_model", {"source": str(outside), "target": "cnt"}, settings=settings)
    assert not marker.exists()

    # A reviewed one, pinned by hash and allowed explicitly: stored, audited, then usable.
    import hashlib

    from mlops_tasks.models.loading import load

    legacy = tmp_path / "legacy.pkl"
    legacy.write_bytes(
        pickle.dumps(
            load(TaskContext(settings).artifacts, TaskContext(settings).metadata, model).model
        )
    )
    digest = hashlib.sha256(legacy.read_bytes()).hexdigest()
    imported = run_task(
        "import_model",
        {"source": str(legacy), "target": "cnt", "allow_pickle": True, "sha256": digest,
         "reason": "model from the old platform", "dataset": dataset},
        settings=settings,
    )  # fmt: skip
    audit = imported.model.metadata["imported"]
    assert audit["sha256"] == digest and audit["allow_pickle"] and audit["by"]
    assert audit["reason"] == "model from the old platform"
    assert run_task("evaluate", {"model": imported.model, "dataset": dataset}, settings=settings)
    run_task(
        "register",
        {"name": "legacy", "model": imported.model, "alias": "champion"},
        settings=settings,
    )
    scored = run_task(
        "batch_predict", {"model": "legacy@champion", "dataset": dataset}, settings=settings
    )
    assert scored.rows == 731


def test_the_skops_gadget_fires_under_full_trust_and_is_refused(
    settings, trained, tmp_path, marker
):
    import pandas as pd
    import skops.io as sio

    path = skops_gadget(tmp_path / "gadget.skops", marker)
    # The payload is real: trusting every type the file names runs it at transform.
    with pytest.warns(UserWarning):
        sio.load(path, trusted=sio.get_untrusted_types(file=path)).transform(
            pd.DataFrame({"x": [1.0]})
        )
    assert marker.exists()
    marker.unlink()

    with pytest.raises(UntrustedModelError, match="builtins.eval"):
        load_model(path)
    dataset, _ = trained
    gadget = _planted(settings, trained, path, media_type=SKOPS_MEDIA)
    with pytest.raises(UntrustedModelError, match="builtins.eval"):
        run_task("evaluate", {"model": gadget, "dataset": dataset}, settings=settings)
    assert not marker.exists()


def test_the_transformer_loader_refuses_the_gadget_even_from_a_prepare_run(
    settings, tmp_path, marker
):
    from mlops_tasks.preparation.transformer import load_transformer

    ctx = TaskContext(settings)
    gadget = ctx.artifacts.put_file(
        skops_gadget(tmp_path / "gadget.skops", marker), kind="transformer", media_type=SKOPS_MEDIA
    )
    with pytest.raises(UntrustedArtifactError, match="no succeeded prepare run"):
        load_transformer(ctx, gadget)
    execution = ctx.metadata.start_execution(
        task="prepare", task_version="1", stage="data", config={}, fingerprint="x",
        identity=Identity(), inputs={}, params={},
    )  # fmt: skip
    ctx.metadata.finish_execution(execution, status="succeeded", outputs={"transformer": gadget})
    with pytest.raises(UntrustedArtifactError, match="builtins.eval"):
        load_transformer(ctx, gadget)
    assert not marker.exists()


def test_the_allowlist_is_exact_and_a_plugin_extends_it_by_exact_names(tmp_path):
    import types
    from collections import Counter

    import skops.io as sio

    from mlops_tasks import hookimpl
    from mlops_tasks.models.serialization import TRUSTED_TYPES, trusted_types
    from mlops_tasks.plugins import plugin_manager

    assert not [t for t in TRUSTED_TYPES if t.startswith(("builtins.", "_operator.", "operator."))]
    path = tmp_path / "counter.skops"
    sio.dump(Counter(a=1), path)
    with pytest.raises(UntrustedModelError, match="collections.Counter"):
        load_model(path)

    plugin = types.ModuleType("trusting_plugin")
    plugin.mlops_tasks_register_trusted_types = hookimpl(lambda: ["collections.Counter"])
    plugin_manager().register(plugin)
    try:
        assert "collections.Counter" in trusted_types()
        assert load_model(path) == Counter(a=1)
    finally:
        plugin_manager().unregister(plugin)
    wildcard = types.ModuleType("wildcard_plugin")
    wildcard.mlops_tasks_register_trusted_types = hookimpl(lambda: ["builtins."])
    plugin_manager().register(wildcard)
    try:
        with pytest.raises(UntrustedModelError, match="not an exact type name"):
            load_model(path)
    finally:
        plugin_manager().unregister(wildcard)


def test_a_ref_to_someone_elses_hash_is_not_trusted_by_its_kind(settings, trained):
    """A ref copying a trained model's hash but lying about its format gains nothing."""
    _, model = trained
    liar = ArtifactRef(**{**model.model_dump(), "media_type": PICKLE_MEDIA})
    with pytest.raises(UntrustedModelError):
        run_task("evaluate", {"model": liar, "dataset": trained[0]}, settings=settings)
