"""`wait_for` in a real flow run: it polls until the registry changes, judged from the run's start."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import pytest

pytest.importorskip("prefect")
pytestmark = pytest.mark.prefect


def test_wait_for_a_champion_that_is_promoted_while_the_flow_waits(tmp_path):
    from prefect import flow

    from mlops_tasks.artifacts import ArtifactRef
    from mlops_tasks.metadata import MetadataStore
    from mlops_tasks.models.registry import ModelRegistry
    from prefect_blocks.blocks import MlopsTasksStore
    from prefect_blocks.waiting import WaitTimeoutError, wait_for

    store = MlopsTasksStore(
        artifact_root=str(tmp_path / "a"), metadata_url=f"sqlite:///{tmp_path / 'm.db'}"
    )
    registry = ModelRegistry(MetadataStore(store.settings().database_url))
    model = ArtifactRef(uri="memory://m/1.skops", sha256="1" * 64, size=1, kind="model",
                        media_type="application/x-skops")  # fmt: skip
    registry.register("bikes", model, alias="champion")  # before the flow: not what it waits for

    @flow
    def waiting(timeout: float, since: str | None = None):
        return wait_for("model_version", name="bikes", alias="champion", store=store, since=since,
                        poll_seconds=0.5, timeout_seconds=timeout)  # fmt: skip

    # `since` defaults to the flow run's start: the earlier promotion does not count.
    with pytest.raises(WaitTimeoutError, match="nothing after 2s"):
        waiting(2.0)
    since = datetime.now(timezone.utc).isoformat()

    def promote_later():
        time.sleep(4)
        registry.register("bikes", model.model_copy(update={"sha256": "2" * 64}))
        registry.promote("bikes", 2)

    promoter = threading.Thread(target=promote_later)
    promoter.start()
    found = waiting(120.0, since)
    promoter.join()
    assert (found["action"], found["alias"], found["version"]) == ("promote", "champion", 2)
