"""What sensors wait for (`mlops_tasks.waiting`): judged against a time, on real stores and files."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pandas as pd
import pytest

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.errors import ConfigError
from mlops_tasks.metadata import MetadataStore
from mlops_tasks.models.registry import ModelRegistry
from mlops_tasks.settings import Settings
from mlops_tasks.waiting import check


def _ref(i: int) -> ArtifactRef:
    return ArtifactRef(uri=f"memory://models/{i}.skops", sha256=f"{i:064x}", size=1, kind="model",
                       media_type="application/x-skops")  # fmt: skip


def _now() -> str:
    time.sleep(0.01)  # the registry's clock must move past the mark
    mark = datetime.now(timezone.utc).isoformat()
    time.sleep(0.01)
    return mark


@pytest.fixture
def stores(tmp_path, db_url):
    return Settings(artifact_root=str(tmp_path / "artifacts"), metadata_url=db_url)


def test_a_new_version_or_an_alias_move_after_since(stores):
    registry = ModelRegistry(MetadataStore(stores.database_url))
    registry.register("bikes", _ref(1), alias="champion")
    since = _now()
    assert check("model_version", stores, name="bikes", since=since) is None
    assert check("model_version", stores, name="bikes", alias="champion", since=since) is None
    assert check("model_version", stores, name="unknown", since=since) is None

    registry.register("bikes", _ref(2), alias="challenger")
    found = check("model_version", stores, name="bikes", since=since)
    assert (found["action"], found["version"]) == ("register", 2)
    # A new version is no champion change; the alias moving is.
    assert check("model_version", stores, name="bikes", alias="champion", since=since) is None
    registry.promote("bikes", 2)
    moved = check("model_version", stores, name="bikes", alias="champion", since=since)
    assert (moved["action"], moved["alias"], moved["version"]) == ("promote", "champion", 2)
    # Judged against the time, not a first look: a later mark sees nothing new.
    assert check("model_version", stores, name="bikes", since=_now()) is None


def test_an_artifact_of_a_kind_newer_than_since(stores):
    store = MetadataStore(stores.database_url)
    ModelRegistry(store).register("bikes", _ref(1))
    since = _now()
    assert check("artifact", stores, kind="model", since=since) is None
    ModelRegistry(store).register("bikes", _ref(2))
    found = check("artifact", stores, kind="model", since=since)
    assert found["artifact"]["sha256"] == _ref(2).sha256
    assert check("artifact", stores, kind="dataset", since=since) is None
    assert check("artifact", stores, kind="model", since=since, uri_prefix="s3://") is None


def test_labels_arrived_for_a_window(tmp_path, stores):
    folder = tmp_path / "labels"
    folder.mkdir()
    day = {"start": "2026-05-01T00:00:00Z", "end": "2026-05-02T00:00:00Z"}
    source = str(folder / "*.parquet")
    assert check("labels", stores, source=source, time_column="ts", **day) is None
    pd.DataFrame(
        {
            "id": [1, 2],
            "label": [0, 1],
            "ts": pd.to_datetime(["2026-04-30 23:00", "2026-05-01 01:00"], utc=True),
        }  # fmt: skip
    ).to_parquet(folder / "a.parquet")
    found = check("labels", stores, source=source, time_column="ts", **day)
    assert (found["rows"], found["files"]) == (1, 1)
    assert check("labels", stores, source=source, time_column="ts", min_rows=2, **day) is None
    pd.DataFrame({"id": [3], "label": [1], "ts": ["2026-05-01T12:00:00"]}).to_csv(
        folder / "b.csv", index=False
    )
    both = check("labels", stores, source=str(folder / "*"), time_column="ts", min_rows=2, **day)
    assert (both["rows"], both["files"]) == (2, 2)


def test_bad_arguments_name_the_field(tmp_path, stores):
    with pytest.raises(ConfigError, match="since: 'yesterday' is not an ISO 8601"):
        check("model_version", stores, name="bikes", since="yesterday")
    with pytest.raises(ConfigError, match="end: .* is not after start"):
        check("labels", stores, source=str(tmp_path / "x.csv"), time_column="ts",
              start="2026-05-02", end="2026-05-01")  # fmt: skip
    pd.DataFrame({"id": [1]}).to_csv(tmp_path / "x.csv", index=False)
    with pytest.raises(ConfigError, match="time_column: 'ts' not in"):
        check("labels", stores, source=str(tmp_path / "x.csv"), time_column="ts",
              start="2026-05-01", end="2026-05-02")  # fmt: skip
    with pytest.raises(ConfigError, match="what: unknown check 'champion'"):
        check("champion", stores)
