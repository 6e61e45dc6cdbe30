"""Pipeline health: anomaly checks on the schedulers' own run history, read through their APIs.

Runs are fetched from Airflow's REST API (``GET /api/v2/dags/{dag_id}/dagRuns``) or Prefect's
(``POST /api/flow_runs/filter``) and normalised to `Run` records. Three checks make a verdict:

* **duration**: the newest finished run's duration against the earlier ones (robust z, mapped
  to a score in [0, 1) that does not saturate);
* **failure streak**: the newest runs failed `max_failures` times in a row;
* **queue delay**: time from queued (or scheduled) to start, checked like the duration.

>>> from datetime import datetime, timedelta, timezone
>>> t = datetime(2024, 1, 1, tzinfo=timezone.utc)
>>> runs = [Run(f"r{i}", "success", t + timedelta(hours=i), t + timedelta(hours=i, minutes=5)) for i in range(20)]
>>> check_runs(runs)["healthy"]
True
>>> runs.append(Run("r20", "success", t + timedelta(hours=20), t + timedelta(hours=21)))
>>> [f["check"] for f in check_runs(runs)["findings"]]
['duration']
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

FAILED = {"failed", "crashed", "upstream_failed"}
SUCCESS = {"success", "completed"}


@dataclass(frozen=True)
class Run:
    run_id: str
    state: str
    start: datetime | None
    end: datetime | None
    queued: datetime | None = None

    @property
    def duration(self) -> float | None:
        return (self.end - self.start).total_seconds() if self.start and self.end else None

    @property
    def queue_delay(self) -> float | None:
        return max((self.start - self.queued).total_seconds(), 0.0) if self.start and self.queued else None


def _time(value: Any) -> datetime | None:
    from mlops_tasks.aiops.alerts import parse_time

    try:
        return parse_time(value) if value else None
    except ValueError:
        return None


def runs_from_airflow(payload: dict[str, Any]) -> list[Run]:
    """Airflow 3 ``dagRuns`` response: ``{"dag_runs": [{"dag_run_id", "state", "start_date", "end_date", "queued_at"}]}``."""
    return [
        Run(str(r.get("dag_run_id")), str(r.get("state") or "").lower(), _time(r.get("start_date")), _time(r.get("end_date")), _time(r.get("queued_at")))
        for r in payload.get("dag_runs", [])
    ]


def runs_from_prefect(payload: list[dict[str, Any]]) -> list[Run]:
    """Prefect ``/flow_runs/filter`` response: a list of flow runs with ``state_type``, times and ``expected_start_time``."""
    runs = []
    for r in payload:
        state = str(r.get("state_type") or (r.get("state") or {}).get("type") or "").lower()
        runs.append(Run(str(r.get("id")), state, _time(r.get("start_time")), _time(r.get("end_time")), _time(r.get("expected_start_time"))))
    return runs


def fetch_airflow(base_url: str, dag_id: str, *, limit: int = 100, token: str | None = None, client: Any = None) -> list[Run]:
    import httpx

    client = client or httpx.Client(timeout=30)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.get(
        f"{base_url.rstrip('/')}/api/v2/dags/{dag_id}/dagRuns", params={"limit": limit, "order_by": "-start_date"}, headers=headers
    )
    response.raise_for_status()
    return runs_from_airflow(response.json())


def fetch_prefect(api_url: str, *, flow_name: str | None = None, limit: int = 100, client: Any = None) -> list[Run]:
    import httpx

    client = client or httpx.Client(timeout=30)
    body: dict[str, Any] = {"limit": limit, "sort": "START_TIME_DESC"}
    if flow_name:
        body["flows"] = {"name": {"any_": [flow_name]}}
    response = client.post(f"{api_url.rstrip('/')}/flow_runs/filter", json=body)
    response.raise_for_status()
    return runs_from_prefect(response.json())


def _outlier(values: list[float], threshold: float) -> tuple[bool, float, str]:
    """Is the last value anomalous given the ones before it? The detector when there is enough history."""
    import numpy as np

    if len(values) < 6:
        return False, 0.0, f"only {len(values) - 1} earlier runs: too few to judge"
    history, last = np.array(values[:-1]), values[-1]
    median = float(np.median(history))
    scale = max(float(np.median(np.abs(history - median))) * 1.4826, 0.05 * abs(median), 1e-9)
    z = (last - median) / scale
    score = float(z / (abs(z) + 6.0)) if z > 0 else 0.0  # only slower / later is a problem
    return score >= threshold, round(score, 4), f"last {last:.1f}s vs median {median:.1f}s (robust z {z:.1f})"


def check_runs(runs: list[Run], *, max_failures: int = 3, threshold: float = 0.6) -> dict[str, Any]:
    """A verdict on run history (any order): healthy or not, with each finding and each note."""
    # Runs that never started (no times at all) sort first: they cannot be the newest evidence.
    runs = sorted(runs, key=lambda r: (r.start or r.queued).timestamp() if (r.start or r.queued) else 0.0)
    findings, notes = [], []
    if not runs:
        return {"healthy": True, "findings": [], "notes": ["no runs in the history"], "runs": 0}
    streak = 0
    for run in reversed(runs):
        if run.state in FAILED:
            streak += 1
        elif run.state in SUCCESS:
            break
    if streak >= max_failures:
        findings.append({"check": "failure_streak", "detail": f"last {streak} runs failed", "score": 1.0})
    for name, attr in (("duration", "duration"), ("queue_delay", "queue_delay")):
        values = [getattr(r, attr) for r in runs if getattr(r, attr) is not None and (attr != "duration" or r.state in SUCCESS | FAILED)]
        if not values:
            notes.append(f"{name}: no run has the times needed")
            continue
        bad, score, detail = _outlier(values, threshold)
        (findings.append({"check": name, "detail": detail, "score": score}) if bad else notes.append(f"{name}: {detail}"))
    return {"healthy": not findings, "findings": findings, "notes": notes, "runs": len(runs)}
