"""Pipeline health against recorded responses in the real APIs' shapes (Airflow 3 REST, Prefect).

The live Airflow API server is in tests/airflow/test_pipeline_health_live.py; live Prefect in
tests/prefect/test_aiops_flow.py.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import httpx
import numpy as np
import pytest

from mlops_tasks.aiops.pipeline_health import (
    MIN_HISTORY,
    Run,
    check_runs,
    check_tasks,
    fetch_airflow,
    fetch_prefect,
    runs_from_prefect,
    tasks_from_airflow,
)

T0 = datetime(2024, 5, 1, 1, tzinfo=timezone.utc)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def airflow_runs(durations, states=None):
    """A ``dagRuns`` response, newest first; durations in seconds, one run a day."""
    runs = []
    for i, seconds in enumerate(durations):
        start = T0 + timedelta(days=i)
        runs.append({"dag_run_id": f"scheduled__{i}", "dag_id": "etl", "state": (states or {}).get(i, "success"),
                     "queued_at": iso(start - timedelta(seconds=30)), "start_date": iso(start),
                     "end_date": iso(start + timedelta(seconds=seconds)), "logical_date": iso(start),
                     "run_type": "scheduled", "conf": {}, "note": None})  # fmt: skip
    return {"dag_runs": runs[::-1], "total_entries": len(runs)}


def steady(n, seconds=300.0, seed=0):
    """``n`` run durations with the jitter real runs have (a few seconds)."""
    return list(seconds + np.random.default_rng(seed).normal(0, 4, n).round(1))


def transport(payload, seen):
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=payload)

    return httpx.Client(transport=httpx.MockTransport(handle))


def test_airflow_history_with_a_slow_last_run_is_unhealthy():
    seen = []
    payload = airflow_runs(steady(40) + [2700])
    runs = fetch_airflow("http://airflow:8080/", "etl", token="t", client=transport(payload, seen))
    assert (
        seen[0].url.path == "/api/v2/dags/etl/dagRuns"
        and seen[0].headers["authorization"] == "Bearer t"
    )
    assert seen[0].url.params["order_by"] == "-start_date" and len(seen) == 1  # 41 < one page
    verdict = check_runs(runs)
    assert not verdict["healthy"] and [f["check"] for f in verdict["findings"]] == ["duration"]
    [finding] = verdict["findings"]
    # The registered level detector scored it, against its own threshold, in [0, 1).
    assert finding["detector"] == "level" and finding["threshold"] == 0.5
    assert 0.5 <= finding["score"] < 1 and finding["detail"].startswith("last 2700.0s vs median")
    assert check_runs(runs[1:])["healthy"]  # without the slow one
    # A threshold given (the task's config) replaces the detector's.
    assert check_runs(runs, threshold=0.99)["healthy"]


def test_faster_runs_and_trivial_slowdowns_are_not_findings():
    fast = fetch_airflow("http://a", "etl", client=transport(airflow_runs(steady(40) + [20]), []))
    verdict = check_runs(fast)
    assert verdict["healthy"] and any(
        n.startswith("duration: last 20.0s") for n in verdict["notes"]
    )
    # On a perfectly steady history one second more is rare, but it is no problem.
    exact = fetch_airflow("http://a", "etl", client=transport(airflow_runs([300] * 40 + [301]), []))
    assert check_runs(exact)["healthy"]
    assert not check_runs(exact, min_increase=0.0, min_seconds=0.5)["healthy"]


def test_detector_by_name_or_spec_and_the_minimum_history():
    runs = fetch_airflow("http://a", "etl", client=transport(airflow_runs(steady(40) + [2700]), []))
    for detector in (
        "jump",
        {"detector": "level", "window": 35},
        {"detector": "ensemble", "members": [{"detector": "level", "block": 1}]},
    ):
        [finding] = check_runs(runs, detector=detector)["findings"]
        assert finding["detector"] == (
            detector if isinstance(detector, str) else detector["detector"]
        )
    with pytest.raises(ValueError, match="unknown detector 'nope'"):
        check_runs(runs, detector="nope")
    # MIN_HISTORY is the detectors' own limit: one earlier run fewer and even a huge value scores 0.
    from mlops_tasks.aiops.detectors import make_detector

    for earlier, scored in ((MIN_HISTORY - 1, False), (MIN_HISTORY, True)):
        score = make_detector({"detector": "level", "block": 1}).update(steady(earlier) + [1e6])[-1]
        assert bool(score > 0.5) is scored
    short = check_runs(runs[-MIN_HISTORY:])  # the slow run and MIN_HISTORY - 1 before it
    assert short["healthy"] and any("too few" in n for n in short["notes"])


def test_failure_streak_and_short_history_are_explained():
    states = {37: "failed", 38: "failed", 39: "failed"}
    runs = fetch_airflow("http://a", "etl", client=transport(airflow_runs(steady(40), states), []))
    verdict = check_runs(runs)
    assert verdict["findings"][0] == {
        "check": "failure_streak",
        "detail": "last 3 runs failed",
        "score": 1.0,
    }
    assert len(verdict["findings"]) == 1  # failed runs of the usual duration
    assert check_runs(runs, max_failures=4)["healthy"]
    short = check_runs(runs[:3])
    assert any("too few" in n for n in short["notes"])
    assert check_runs([])["notes"] == ["no runs in the history"]


def test_login_pages_and_typed_errors():
    from mlops_tasks.aiops.airflow_api import AirflowAPI, AirflowAuthError
    from mlops_tasks.errors import SourceNotFoundError

    seen = []
    every = airflow_runs(steady(250))["dag_runs"]

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/auth/token":
            body = json.loads(request.content)
            ok = body == {"username": "ops", "password": "pw-123"}
            return httpx.Response(
                201 if ok else 401,
                json={"access_token": "jwt"} if ok else {"detail": "Invalid credentials"},
            )
        if request.headers.get("authorization") != "Bearer jwt":
            return httpx.Response(401, json={"detail": "Not authenticated"})
        if request.url.path != "/api/v2/dags/etl/dagRuns":
            return httpx.Response(404, json={"detail": "The Dag with ID: `other` was not found"})
        limit, offset = int(request.url.params["limit"]), int(request.url.params["offset"])
        return httpx.Response(
            200, json={"dag_runs": every[offset : offset + min(limit, 100)], "total_entries": 250}
        )

    client = httpx.Client(transport=httpx.MockTransport(handle))
    runs = fetch_airflow(
        "http://a", "etl", limit=230, username="ops", password="pw-123", client=client
    )
    assert [r.run_id for r in runs] == [r["dag_run_id"] for r in every[:230]]
    assert [(r.url.path, r.url.params.get("limit"), r.url.params.get("offset")) for r in seen] == [
        ("/auth/token", None, None),  # one login, then the token for every page
        ("/api/v2/dags/etl/dagRuns", "100", "0"),
        ("/api/v2/dags/etl/dagRuns", "100", "100"),
        ("/api/v2/dags/etl/dagRuns", "30", "200"),
    ]
    with pytest.raises(AirflowAuthError) as refused:
        fetch_airflow("http://a", "etl", username="ops", password="wrong-pw", client=client)
    assert not refused.value.retryable and "wrong-pw" not in str(refused.value)
    with pytest.raises(AirflowAuthError, match="401"):
        fetch_airflow("http://a", "etl", client=client)
    with pytest.raises(SourceNotFoundError, match="`other` was not found"):
        fetch_airflow("http://a", "other", token="jwt", client=client)
    assert "pw-123" not in repr(AirflowAPI("http://a", username="ops", password="pw-123"))
    with pytest.raises(ValueError, match="both"):
        AirflowAPI("http://a", username="ops")


def test_task_instances_are_checked_per_task():
    instances = []
    for i, seconds in enumerate(steady(40, 60) + [900]):
        start = T0 + timedelta(days=i)
        for task_id, took, wait in (
            ("extract", seconds, 5),
            ("load", 30 + i % 3, 300 if i == 40 else 4),
        ):
            instances.append({"task_id": task_id, "dag_run_id": f"scheduled__{i}", "map_index": -1, "state": "success",
                              "scheduled_when": iso(start - timedelta(seconds=wait)), "queued_when": None,
                              "start_date": iso(start), "end_date": iso(start + timedelta(seconds=took))})  # fmt: skip
    instances.append(
        {
            "task_id": "mapped",
            "dag_run_id": "r",
            "map_index": 0,
            "state": "running",
            "start_date": iso(T0),
        }
    )
    tasks = tasks_from_airflow({"task_instances": instances[::-1]})
    assert sorted(tasks) == ["extract", "load", "mapped"] and tasks["mapped"][0].run_id == "r[0]"
    verdict = check_tasks(tasks)
    got = {(f["task"], f["check"]) for f in verdict["findings"]}
    assert got == {("extract", "task_duration"), ("load", "task_queue_delay")}
    assert "mapped: duration: no run has the times needed" in verdict["notes"]
    assert check_tasks({})["notes"] == ["no task instances in the history"]


def test_prefect_shape_and_request_body():
    seen = []
    payload = []
    for i in range(40):
        expected = T0 + timedelta(hours=i)
        payload.append({"id": f"r{i}", "name": "x", "state_type": "COMPLETED", "expected_start_time": iso(expected),
                        "start_time": iso(expected + timedelta(seconds=5 + i % 4)),
                        "end_time": iso(expected + timedelta(seconds=65 + i % 5))})  # fmt: skip
    late = T0 + timedelta(hours=40)
    payload.append({"id": "late", "state_type": "COMPLETED", "expected_start_time": iso(late),
                    "start_time": iso(late + timedelta(minutes=30)), "end_time": iso(late + timedelta(minutes=31))})  # fmt: skip
    runs = fetch_prefect(
        "http://prefect:4200/api", flow_name="etl", client=transport(payload, seen)
    )
    assert json.loads(seen[0].content)["flows"] == {"name": {"any_": ["etl"]}}
    assert [f["check"] for f in check_runs(runs)["findings"]] == ["queue_delay"]
    assert runs_from_prefect([{"id": "x", "state": {"type": "RUNNING"}}])[0].duration is None


def test_task_fails_on_unhealthy_and_unreachable(settings, monkeypatch):
    from mlops_tasks.errors import CheckFailedError, ConfigError, SourceUnreachableError
    from mlops_tasks.runtime import run_task

    with pytest.raises(ConfigError, match="dag_id"):
        run_task(
            "check_pipeline_health", {"engine": "airflow", "api_url": "http://x"}, settings=settings
        )
    with pytest.raises(SourceUnreachableError):
        run_task(
            "check_pipeline_health",
            {"engine": "prefect", "api_url": "http://127.0.0.1:9/api"},
            settings=settings,
        )
    import mlops_tasks.aiops.pipeline_health as ph

    monkeypatch.setattr(
        ph, "fetch_airflow", lambda *a, **k: ph.runs_from_airflow(airflow_runs(steady(40) + [2700]))
    )
    with pytest.raises(CheckFailedError, match="duration") as failed:
        run_task(
            "check_pipeline_health",
            {"engine": "airflow", "api_url": "http://x", "dag_id": "etl"},
            settings=settings,
        )
    # The task's threshold (0.6 by default) is the detector's alarm threshold.
    assert failed.value.result.findings[0]["threshold"] == 0.6


def test_run_without_times_sorts_first():
    t = T0
    runs = [
        Run(f"r{i}", "success", t + timedelta(hours=i), t + timedelta(hours=i, seconds=60 + i % 5))
        for i in range(35)
    ]
    runs.append(Run("never", "failed", None, None))
    assert check_runs(runs)["healthy"]  # the unstarted failure is not the newest run
