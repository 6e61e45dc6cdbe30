"""What the Prefect UI shows: reports as link artifacts that open, tables as table artifacts,
and the store block's page (a fenced example, structured credentials)."""

from __future__ import annotations

import json
import threading

import httpx
import pytest

pytest.importorskip("prefect")
pytestmark = pytest.mark.prefect


@pytest.fixture
def reports_http(env_home, monkeypatch):
    """`mlops-tasks serve-reports` over the env's local artifact root, on a free 127.0.0.1 port."""
    from mlops_tasks.reports.server import reports_server

    root = env_home / "artifacts"
    root.mkdir(parents=True)
    server = reports_server(root)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("MLOPS_TASKS_ARTIFACT_BASE_URL", url)
    yield url
    server.shutdown()
    server.server_close()
    thread.join(10)


def test_a_report_is_a_link_that_opens_and_numbers_are_tables(
    reports_http, bike_csv, read_artifacts
):
    from prefect import flow

    from prefect_blocks.tasks import data_report, detect_drift, extract, fit_reference, profile

    @flow
    def pipeline():
        data = extract(source=str(bike_csv))
        report = data_report(profile=profile(dataset=data.dataset).profile, title="Bike days")
        reference = fit_reference(dataset=data.dataset, columns=["temp", "hum"])
        detect_drift(reference=reference.reference, dataset=data.dataset)
        return report

    state = pipeline(return_state=True)
    report, run = state.result(), state.state_details.flow_run_id
    [link] = read_artifacts("mlops-tasks-data-report-report", flow_run_id=run)
    assert link.type == "markdown" and link.data.startswith(
        "[data_report report](http://127.0.0.1:"
    )
    url = link.data.split("](", 1)[1].rstrip(")")
    opened = httpx.get(url)
    assert opened.status_code == 200 and "Bike days" in opened.text
    assert "sandbox" in opened.headers["content-security-policy"]
    assert url.endswith(report.report.sha256 + ".html")
    # Only reports are served: not the dataset beside them, not a directory listing.
    assert httpx.get(reports_http + "/dataset/").status_code == 404
    dataset_path = report.report.uri.split("/artifacts/", 1)[0]
    assert httpx.get(reports_http + "/../" + dataset_path).status_code == 404

    [table] = read_artifacts("mlops-tasks-detect-drift-statistics", flow_run_id=run)
    assert table.type == "table"
    rows = json.loads(table.data) if isinstance(table.data, str) else table.data
    assert {row["name"] for row in rows} == {"temp", "hum"}
    assert all(row["value"] is None or row["value"] >= 0 for row in rows)


def test_a_local_report_without_a_web_server_says_how_to_serve_it(
    env_home, bike_csv, read_artifacts, monkeypatch
):
    from prefect import flow

    from prefect_blocks.tasks import data_report, extract, profile

    monkeypatch.delenv("MLOPS_TASKS_ARTIFACT_BASE_URL", raising=False)

    @flow
    def pipeline():
        return data_report(profile=profile(dataset=extract(source=str(bike_csv)).dataset).profile)

    run = pipeline(return_state=True).state_details.flow_run_id
    [link] = read_artifacts("mlops-tasks-data-report-report", flow_run_id=run)
    assert "](file://" not in link.data and "mlops-tasks serve-reports" in link.data


def test_the_block_page_has_a_fenced_example_and_structured_credentials(tmp_path):
    from prefect_blocks.blocks import MlopsTasksStore, ObjectStoreCredentials

    assert MlopsTasksStore._code_example.strip().startswith("```python")
    assert MlopsTasksStore.get_block_type_slug() == "mlops-tasks-store"
    schema = MlopsTasksStore.model_json_schema()
    assert schema["properties"]["metadata_password"]["anyOf"][0]["format"] == "password"
    # The nested block is a reference to its own block type, as Prefect's UI draws it.
    assert "mlops-tasks-object-store-credentials" in json.dumps(
        schema["definitions"] if "definitions" in schema else schema
    )

    credentials = ObjectStoreCredentials(
        key="AKIA", secret="s3cr3t", endpoint_url="http://minio:9000"
    )
    credentials.save("minio-test", overwrite=True)
    MlopsTasksStore(
        artifact_root="s3://bucket/prefix",
        metadata_url="postgresql+psycopg://mlops@db/mlops",
        metadata_password="pw-in-a-secret",
        credentials=ObjectStoreCredentials.load("minio-test"),
        storage_options={"anon": False},
    ).save("structured-test", overwrite=True)
    loaded = MlopsTasksStore.load("structured-test")
    settings = loaded.settings()
    assert "pw-in-a-secret" in settings.database_url and "pw-in-a-secret" not in repr(loaded)
    assert settings.storage_options == {
        "key": "AKIA", "secret": "s3cr3t", "endpoint_url": "http://minio:9000", "anon": False,
    }  # fmt: skip
