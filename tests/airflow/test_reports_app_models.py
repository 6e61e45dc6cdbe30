"""The "mlops-tasks models" page of the Airflow UI (the plugin's external view), served by Airflow's
own api-server app (built in this process, with its auth manager and our plugin mounted) from a
real metadata store: registered models with their versions, metrics and aliases; the drift and
retraining verdicts of monitoring runs (real `detect_drift` and `decide_retraining` runs); the
likeliest root causes of an incident. Anonymous requests get 401; a Viewer reads the page.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from monitoring_loop_data import write_loop_data

from mlops_tasks.identity import Identity
from mlops_tasks.settings import Settings

MONITORING = "mlops_tasks_monitoring"
PIPELINE_CONFIG = Path(__file__).resolve().parents[2] / "dags" / "configs" / "bike_sharing.yaml"


@pytest.fixture
def recorded(stores, bike_csv, tmp_path):
    """Two versions of `bike_demand` (v2 the champion), a drifted monitoring run, an incident."""
    from mlops_tasks.context import open_stores
    from mlops_tasks.models.registry import ModelRegistry
    from mlops_tasks.models.serialization import MEDIA_TYPES
    from mlops_tasks.pipeline_config import resolve
    from mlops_tasks.runtime import run_task
    from mlops_tasks.tasks.rootcause import RankRootCausesResult

    settings = Settings.from_env()
    artifacts, store = open_stores(settings)
    registry = ModelRegistry(store)
    for version, mae in ((1, 675.0), (2, 612.5)):
        # The page lists the registry, it loads no model: any bytes of a model media type do.
        model = artifacts.put_bytes(
            f"model {version}".encode(), kind="model", media_type=MEDIA_TYPES["skops"]
        )
        registry.register("bike_demand", model, metrics={"mae": mae, "r2": 0.5}, alias="challenger")
    registry.promote("bike_demand", 2)

    paths = write_loop_data(bike_csv, tmp_path / "data")
    steps = resolve(
        None,
        {"monitoring": {"reference_source": str(paths["train"]), "current_source": str(paths["drifted"])}},
        default=str(PIPELINE_CONFIG),
    ).monitoring_steps()  # fmt: skip
    identity = Identity(engine="airflow", dag_id=MONITORING, run_id="scheduled__1")

    def run(task, config):
        return run_task(task, config, settings=settings, identity=identity)

    reference = run("fit_reference", {**steps["fit_reference"], "dataset": run("extract", steps["extract_reference"]).dataset})  # fmt: skip
    current = run("extract", steps["extract_current"]).dataset
    drift = run("detect_drift", {"reference": reference.reference, "dataset": current})
    decision = run(
        "decide_retraining",
        {**steps["decide_retraining"], "drift_share": drift.share, "new_rows": drift.current_rows},
    )
    assert drift.dataset_drift and decision.retrain  # the demo's drift, as `make demo` sees it

    # An incident's ranking, recorded as `rank_root_causes` records it (its result model checks
    # the shape the page reads); ranking needs the AIOps data, which other tests run on.
    causes = artifacts.put_bytes(
        b'{"ranked": []}', kind="root_causes", media_type="application/json"
    )
    ranked = RankRootCausesResult(
        causes=causes, onset="2022-08-23T16:35:28+00:00", top=["adservice", "cartservice", "checkoutservice"],
        top_score=9.5, notes=[],
    )  # fmt: skip
    execution = store.start_execution(
        task="rank_root_causes", task_version="1", stage="aiops", config={}, fingerprint="rc",
        identity=Identity(engine="airflow", dag_id="mlops_tasks_aiops"), inputs={}, params={},
    )  # fmt: skip
    store.finish_execution(
        execution,
        status="succeeded",
        result=ranked.model_dump(mode="json"),
        outputs={"causes": causes},
    )
    return drift, decision


@pytest.fixture
def api_server(airflow_db, monkeypatch):
    """Airflow's api-server app with the plugins (ours among them), and a Viewer's bearer token."""
    from fastapi.testclient import TestClient

    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "reader:viewer")
    from airflow.api_fastapi.app import create_app, get_auth_manager, purge_cached_app
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    purge_cached_app()
    with TestClient(create_app()) as client:
        token = get_auth_manager().generate_jwt(
            SimpleAuthManagerUser(username="reader", role="viewer")
        )
        yield client, {"Authorization": f"Bearer {token}"}
    purge_cached_app()


def _rows(page: str, heading: str) -> list[list[str]]:
    """The cells of each data row of the table under ``<h2>heading</h2>``."""
    table = page.split(f"<h2>{heading}</h2>", 1)[1].split("</table>", 1)[0]
    return [
        [html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", table)
        if "<td>" in row
    ]


def test_models_page_lists_models_aliases_and_verdicts(recorded, api_server):
    client, auth = api_server
    drift, decision = recorded
    assert client.get("/mlops-tasks/models").status_code == 401

    plugins = client.get("/api/v2/plugins", headers=auth).json()["plugins"]
    [ours] = [p for p in plugins if p["name"] == "mlops_tasks"]
    [view] = ours["external_views"]
    assert view["name"] == "mlops-tasks models" and view["href"] == "mlops-tasks/models"

    served = client.get("/" + view["href"], headers=auth)
    assert served.status_code == 200, served.text
    assert "sandbox" in served.headers["content-security-policy"]
    page = served.text

    models = {(r[0], r[1]): r for r in _rows(page, "Models")}
    assert set(models) == {("bike_demand", "v1"), ("bike_demand", "v2")}
    assert models["bike_demand", "v2"][2] == "challenger, champion"
    assert models["bike_demand", "v1"][2] == ""
    assert models["bike_demand", "v2"][3] == "mae 612.5, r2 0.5"

    [drifted] = _rows(page, "Drift")
    assert drifted[1] == MONITORING
    assert drifted[2].startswith(f"share {drift.share:.2f}, drifted: ")
    assert set(drifted[2].split("drifted: ")[1].split(", ")) == set(drift.drifted_columns)

    [decided] = _rows(page, "Retraining decisions")
    assert decided[1] == MONITORING
    assert decided[2] == f"bike_demand: retrain ({'; '.join(decision.reasons)})"

    [incident] = _rows(page, "Incidents: likeliest root causes")
    assert incident[1] == "mlops_tasks_aiops"
    assert incident[2] == "onset 2022-08-23T16:35:28+00:00: adservice, cartservice, checkoutservice"
