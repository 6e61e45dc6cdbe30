"""The serving app, in-process through FastAPI's TestClient: validation, metrics, a new champion without restart."""

from __future__ import annotations

import time

import pytest
from model_fixtures import bike_dataset, train_model

from mlops_tasks.runtime import run_task

pytest.importorskip("fastapi")


@pytest.fixture
def served(settings, bike_csv):
    from fastapi.testclient import TestClient

    from mlops_tasks.models.serving import create_app

    dataset = bike_dataset(settings, bike_csv)
    first = train_model(settings, dataset, query="yr == 0")
    run_task("register", {"name": "bikes", "model": first.model}, settings=settings)
    run_task("promote", {"name": "bikes", "model": first.model, "force": True}, settings=settings)
    app = create_app("bikes@champion", settings, poll_seconds=0.05)
    with TestClient(app) as client:
        yield client, dataset


RECORD = {"season": 1, "yr": 0, "mnth": 1, "holiday": 0, "weekday": 6, "workingday": 0, "weathersit": 2,
          "temp": 0.34, "atemp": 0.36, "hum": 0.8, "windspeed": 0.16}  # fmt: skip


def test_predict_health_and_metrics(served):
    client, _ = served
    response = client.post("/predict", json={"records": [RECORD, {**RECORD, "temp": 0.8}]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["predictions"]) == 2 and body["model"] == {"name": "bikes", "version": 1}
    assert client.get("/health").json()["version"] == 1
    text = client.get("/metrics").text
    assert 'mlops_tasks_requests_total{status="200"} 1' in text
    assert "mlops_tasks_request_seconds_count 1" in text
    assert 'mlops_tasks_model_version{model="bikes",ref="bikes@champion"' in text


@pytest.mark.parametrize(
    ("record", "field", "message"),
    [
        ({k: v for k, v in RECORD.items() if k != "temp"}, "records.0.temp", "Field required"),
        ({**RECORD, "hum": "damp"}, "records.0.hum", "Input should be a valid number"),
        ({**RECORD, "season": 1.5}, "records.0.season", "Input should be a valid integer"),
    ],
)
def test_missing_or_mistyped_fields_are_422_naming_the_field(served, record, field, message):
    client, _ = served
    response = client.post("/predict", json={"records": [record]})
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["field"] == field and message in problem["msg"]
    assert 'mlops_tasks_requests_total{status="422"} 1' in client.get("/metrics").text


def test_a_new_champion_is_served_without_restart(served, settings):
    client, dataset = served
    second = train_model(settings, dataset, params={"alpha": 10.0})
    run_task("register", {"name": "bikes", "model": second.model}, settings=settings)
    run_task("promote", {"name": "bikes", "model": second.model, "force": True}, settings=settings)
    deadline = time.monotonic() + 30
    while client.get("/health").json()["version"] != 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.post("/predict", json={"records": [RECORD]}).json()["model"]["version"] == 2
    assert "mlops_tasks_model_reloads_total 1" in client.get("/metrics").text


def _rows(bike_csv, n=200):
    import pandas as pd
    from model_fixtures import DROP

    return pd.read_csv(bike_csv).drop(columns=[*DROP, "cnt"]).head(n)


@pytest.mark.parametrize("spec", [None, "steps:\n  - estimator: sklearn.preprocessing.StandardScaler\n"
                                        "  - estimator: sklearn.ensemble.GradientBoostingRegressor\n"
                                        "    params: {n_estimators: 20}\n"])  # fmt: skip
def test_batch_predictions_equal_the_models_on_a_dataframe(settings, bike_csv, tmp_path, spec):
    """A plain estimator is served from one ndarray (no per-call name checks), a Pipeline from a DataFrame: same numbers."""
    import numpy as np
    from fastapi.testclient import TestClient

    from mlops_tasks.context import open_stores
    from mlops_tasks.models.loading import load
    from mlops_tasks.models.serving import create_app

    dataset = bike_dataset(settings, bike_csv)
    overrides = {}
    if spec:
        (tmp_path / "model.yaml").write_text(spec)
        overrides = {"spec": str(tmp_path / "model.yaml"), "estimator": None, "params": {}}
    trained = train_model(settings, dataset, **overrides).model
    run_task("register", {"name": "bikes", "model": trained}, settings=settings)
    run_task("promote", {"name": "bikes", "model": trained, "force": True}, settings=settings)
    rows = _rows(bike_csv)
    expected = load(*open_stores(settings), trained).model.predict(rows)
    app = create_app("bikes@champion", settings, poll_seconds=60)
    assert (app.state.served().matrix is None) == bool(spec)
    with TestClient(app) as client:
        response = client.post("/predict", json={"records": rows.to_dict(orient="records")})
        assert response.status_code == 200, response.text
        assert np.array_equal(np.array(response.json()["predictions"]), expected)
        bad = rows.to_dict(orient="records")
        bad[3]["weekday"] = "sunday"
        [problem] = client.post("/predict", json={"records": bad}).json()["detail"]
        assert problem["field"] == "records.3.weekday"
        assert client.post("/predict", json={"records": []}).json()["predictions"] == []
        text = client.get("/metrics").text
    assert (
        "mlops_tasks_request_seconds_count 3" in text
        and "mlops_tasks_predicted_rows_total 200" in text
    )
    assert 'mlops_tasks_request_seconds_bucket{le="+Inf"} 3' in text
    buckets = [
        int(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("mlops_tasks_request_seconds_bucket")
    ]
    assert buckets == sorted(buckets)  # cumulative
