import numpy as np
import pandas as pd
import pytest

from mlops_tasks.context import TaskContext
from mlops_tasks.errors import ConfigError, DataError
from mlops_tasks.metadata import MetadataStore
from mlops_tasks.preparation import splits
from mlops_tasks.runtime import run_task


def frame(rows: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    age = rng.normal(40, 10, rows)
    age[rng.random(rows) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "user_id": [f"u{i % 200}" for i in range(rows)],
            "age": age,
            "plan": rng.choice(["free", "pro", None], rows, p=[0.6, 0.3, 0.1]),
            "at": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(rows), unit="h"),
            "churn": rng.choice([0, 1], rows, p=[0.8, 0.2]),
        }
    )


def prepared(settings, data: pd.DataFrame, **config):
    ctx = TaskContext(settings)
    dataset = ctx.write_dataframe(data)
    result = run_task(
        "prepare",
        {"dataset": dataset, "target": "churn", "exclude_columns": ["user_id"], **config},
        settings=settings,
    )
    parts = {
        n: ctx.read_dataframe(getattr(result, n))
        for n in ("train", "valid", "test")
        if getattr(result, n)
    }
    return dataset, result, parts


def test_random_split_is_deterministic_disjoint_and_complete(settings):
    data = frame()
    _, first, parts = prepared(settings, data, seed=3)
    _, again, _ = prepared(settings, data, seed=3)
    assert (first.train, first.valid, first.test) == (again.train, again.valid, again.test)
    assert first.rows == {"train": 420, "valid": 90, "test": 90} and first.seed == 3
    together = pd.concat(parts.values())
    assert sorted(together["at"]) == sorted(data["at"])  # every row once
    _, other_seed, _ = prepared(settings, data, seed=4)
    assert other_seed.train != first.train


def test_stratified_split_keeps_class_shares(settings):
    _, result, parts = prepared(settings, frame(), split="stratified")
    share = {n: p["churn"].mean() for n, p in parts.items()}
    assert max(share.values()) - min(share.values()) < 0.02


def test_time_split_by_cutoffs_and_by_fractions(settings):
    data = frame()
    _, result, parts = prepared(
        settings, data, split="time", time_column="at", cutoffs=["2024-01-15", "2024-01-20"]
    )
    assert parts["train"]["at"].max() < pd.Timestamp("2024-01-15") <= parts["valid"]["at"].min()
    assert parts["valid"]["at"].max() < pd.Timestamp("2024-01-20") <= parts["test"]["at"].min()
    _, result, parts = prepared(
        settings, data, split="time", time_column="at", fractions=(0.5, 0.0, 0.5)
    )
    assert result.valid is None and parts["train"]["at"].max() < parts["test"]["at"].min()


def test_time_split_by_date_cutoffs_on_a_date_column_from_csv(settings, tmp_path):
    # A CSV date column is read as Arrow date32 (pandas: datetime.date objects); the cutoffs
    # are the strings the schema describes. This raised a TypeError from splits._as_time.
    days = pd.date_range("2009-01-01", "2009-12-31", freq="D")
    path = tmp_path / "calls.csv"
    pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "x": range(len(days)), "churn": 0}).to_csv(
        path, index=False
    )
    extracted = run_task("extract", {"source": str(path)}, settings=settings)
    assert extracted.dataset.metadata["schema"]["day"] == "date32[day]"
    result = run_task(
        "prepare",
        {"dataset": extracted.dataset, "target": "churn", "split": "time", "time_column": "day",
         "cutoffs": ["2009-06-01", "2009-09-01"]},
        settings=settings,
    )  # fmt: skip
    assert result.rows == {"train": 151, "valid": 92, "test": 122}
    test = TaskContext(settings).read_dataframe(result.test)
    assert str(min(test["day"])) == "2009-09-01"
    with pytest.raises(DataError, match=r"cutoff 'June' is not comparable with time column 'day'"):
        run_task(
            "prepare",
            {"dataset": extracted.dataset, "target": "churn", "split": "time",
             "time_column": "day", "cutoffs": ["June", "2009-09-01"]},
            settings=settings,
        )  # fmt: skip


def test_hash_split_keeps_an_id_in_its_split_as_data_grows(settings):
    data = frame()
    _, result, parts = prepared(settings, data, split="hash", key_column="user_id")
    where = {uid: name for name, p in parts.items() for uid in p["user_id"]}
    assert all(
        len({n for n, p in parts.items() if uid in set(p["user_id"])}) == 1 for uid in where
    )  # an id in one split
    grown = pd.concat([data, frame(900).iloc[600:]])
    _, _, grown_parts = prepared(settings, grown, split="hash", key_column="user_id")
    assert all(
        where[uid] == name
        for name, p in grown_parts.items()
        for uid in p["user_id"]
        if uid in where
    )
    shares = (
        np.bincount(
            splits.hash_split(
                np.array([f"id{i}" for i in range(20_000)], dtype=object), (0.7, 0.15, 0.15), seed=0
            )
        )
        / 20_000
    )
    assert shares == pytest.approx([0.7, 0.15, 0.15], abs=0.015)


def test_transformer_is_fitted_on_train_only_and_loads_safely(settings):
    from mlops_tasks.preparation.transformer import load_transformer

    _, result, parts = prepared(settings, frame())
    ctx = TaskContext(settings)
    assert result.transformer.kind == "transformer" and result.transformer.metadata["numeric"] == [
        "age"
    ]
    transformer = load_transformer(ctx, result.transformer)
    scaler = transformer.named_transformers_["num"].named_steps["scale"]
    train_age = parts["train"]["age"].fillna(parts["train"]["age"].median())
    assert scaler.mean_[0] == pytest.approx(train_age.mean())  # train statistics, not all rows
    out = transformer.transform(parts["test"])
    assert out.shape == (len(parts["test"]), len(result.features)) and not np.isnan(out).any()
    assert result.features == [
        "num__age",
        "cat__plan___missing__",
        "cat__plan_free",
        "cat__plan_pro",
    ]
    unseen = transformer.transform(pd.DataFrame({"age": [None], "plan": ["enterprise"]}))
    assert unseen[0, 1:].tolist() == [
        0.0,
        0.0,
        0.0,
    ]  # an unseen category is all zeros, not an error


def test_loading_refuses_unknown_hashes_and_untrusted_types(settings, tmp_path):
    import skops.io as sio

    from mlops_tasks.preparation.transformer import UntrustedArtifactError, load_transformer

    ctx = TaskContext(settings)
    # Bytes in the artifact store but never recorded by a run: unknown to the metadata store.
    rogue = ctx.artifacts.put_bytes(
        sio.dumps({"a": 1}), kind="transformer", media_type="application/x-skops"
    )
    with pytest.raises(UntrustedArtifactError, match="no succeeded prepare run"):
        load_transformer(ctx, rogue)
    # Known to the stores but asking for a type outside the allowlist.
    from collections import Counter

    ctx.metadata.finish_execution(
        ctx.metadata.start_execution(task="prepare", task_version="1", stage="s", config={}, fingerprint="x",
                                     identity=__import__("mlops_tasks.identity").identity.Identity(), inputs={}, params={}),
        status="succeeded", outputs={"transformer": (odd := ctx.artifacts.put_bytes(sio.dumps(Counter(a=1)), kind="transformer"))},
    )  # fmt: skip
    with pytest.raises(UntrustedArtifactError, match="outside the allowlist: collections.Counter"):
        load_transformer(ctx, odd)


def test_lineage_shows_which_dataset_version_fed_each_split(settings):
    dataset, result, _ = prepared(settings, frame())
    store = MetadataStore(settings.database_url)
    (step,) = store.lineage(dataset.sha256)["downstream"]
    assert step["execution"]["task"] == "prepare"
    produced = {a["name"]: a["artifact"]["sha256"] for a in step["artifacts"]}
    assert produced == {
        n: getattr(result, n).sha256 for n in ("train", "valid", "test", "transformer")
    }
    upstream = store.lineage(result.test.sha256)["upstream"]
    assert [a["artifact"]["sha256"] for a in upstream[0]["artifacts"]] == [dataset.sha256]
    assert (
        result.train.metadata["source_dataset"] == dataset.sha256
        and result.train.metadata["split"] == "train"
    )


def test_bad_configs_and_data_are_named(settings):
    ctx = TaskContext(settings)
    dataset = ctx.write_dataframe(frame(50))
    with pytest.raises(ConfigError, match="split=hash needs key_column"):
        run_task("prepare", {"dataset": dataset, "split": "hash"}, settings=settings)
    with pytest.raises(ConfigError, match="fractions must"):
        run_task("prepare", {"dataset": dataset, "fractions": [0.5, 0.5, 0.5]}, settings=settings)
    with pytest.raises(DataError, match=r"columns \['nope'\] are not in dataset"):
        run_task(
            "prepare",
            {"dataset": dataset, "split": "hash", "key_column": "nope"},
            settings=settings,
        )
    nulls = ctx.write_dataframe(frame(50).assign(empty=np.nan))
    with pytest.raises(
        DataError, match=r"columns \['empty'\] are entirely null in the train split"
    ):
        run_task("prepare", {"dataset": nulls, "exclude_columns": ["user_id"]}, settings=settings)
