"""Pipeline health against recorded responses in the real APIs' shapes (Airflow 3 REST, Prefect)."""

from __future__ import annotations

import json

import httpx
import pytest

from mlops_tasks.aiops.pipeline_health import check_runs, fetch_airflow, fetch_prefect, runs_from_prefect


def airflow_runs(durations, states=None):
    runs = []
    for i, minutes in enumerate(durations):
        start = f"2024-05-{i + 1:02d}T01:00:00Z"
        end = f"2024-05-{i + 1:02d}T01:{minutes:02d}:00Z"
        runs.append({"dag_run_id": f"scheduled__{i}", "dag_id": "etl", "state": (states or {}).get(i, "success"),
                     "queued_at": f"2024-05-{i + 1:02d}T00:59:30Z", "start_date": start, "end_date": end,
                     "logical_date": start, "run_type": "scheduled", "conf": {}, "note": None})  # fmt: skip
    return {"dag_runs": runs[::-1], "total_entries": len(runs)}


def transport(payload, seen):
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=payload)

    return httpx.Client(transport=httpx.MockTransport(handle))


def test_airflow_history_with_a_slow_last_run_is_unhealthy():
    seen = []
    runs = fetch_airflow("http://airflow:8080/", "etl", token="t", client=transport(airflow_runs([5] * 12 + [45]), seen))
    assert seen[0].url.path == "/api/v2/dags/etl/dagRuns" and seen[0].headers["authorization"] == "Bearer t"
    verdict = check_runs(runs)
    assert not verdict["healthy"] and [f["check"] for f in verdict["findings"]] == ["duration"]
    assert check_runs(runs[1:])["healthy"]  # without the slow one


def test_failure_streak_and_short_history_are_explained():
    runs = fetch_airflow("http://a", "etl", client=transport(airflow_runs([5] * 8, {5: "failed", 6: "failed", 7: "failed"}), []))
    verdict = check_runs(runs)
    assert verdict["findings"][0] == {"check": "failure_streak", "detail": "last 3 runs failed", "score": 1.0}
    short = check_runs(runs[-3:])
    assert any("too few" in n for n in short["notes"])
    assert check_runs([])["notes"] == ["no runs in the history"]


def test_prefect_shape_and_request_body():
    seen = []
    payload = [{"id": f"r{i}", "name": "x", "state_type": "COMPLETED", "expected_start_time": f"2024-05-01T0{i}:00:00Z",
                "start_time": f"2024-05-01T0{i}:00:05Z", "end_time": f"2024-05-01T0{i}:01:00Z"} for i in range(8)]  # fmt: skip
    payload.append({"id": "late", "state_type": "COMPLETED", "expected_start_time": "2024-05-01T09:00:00Z",
                    "start_time": "2024-05-01T09:30:00Z", "end_time": "2024-05-01T09:31:00Z"})  # fmt: skip
    runs = fetch_prefect("http://prefect:4200/api", flow_name="etl", client=transport(payload, seen))
    assert json.loads(seen[0].content)["flows"] == {"name": {"any_": ["etl"]}}
    assert [f["check"] for f in check_runs(runs)["findings"]] == ["queue_delay"]
    assert runs_from_prefect([{"id": "x", "state": {"type": "RUNNING"}}])[0].duration is None


def test_task_fails_on_unhealthy_and_unreachable(settings, monkeypatch):
    from mlops_tasks.errors import CheckFailedError, ConfigError, SourceUnreachableError
    from mlops_tasks.runtime import run_task

    with pytest.raises(ConfigError, match="dag_id"):
        run_task("check_pipeline_health", {"engine": "airflow", "api_url": "http://x"}, settings=settings)
    with pytest.raises(SourceUnreachableError):
        run_task("check_pipeline_health", {"engine": "prefect", "api_url": "http://127.0.0.1:9/api"}, settings=settings)
    import mlops_tasks.aiops.pipeline_health as ph

    monkeypatch.setattr(ph, "fetch_airflow", lambda *a, **k: ph.runs_from_airflow(airflow_runs([5] * 12 + [45])))
    with pytest.raises(CheckFailedError, match="duration"):
        run_task("check_pipeline_health", {"engine": "airflow", "api_url": "http://x", "dag_id": "etl"}, settings=settings)
