"""Pipeline health: the anomaly detectors on the schedulers' own run history, read through their APIs.

Runs are fetched from Airflow's REST API (``GET /api/v2/dags/{dag_id}/dagRuns``, and each
task's instances from ``dagRuns/~/taskInstances``; see `airflow_api`) or Prefect's (``POST
/api/flow_runs/filter``) and normalised to `Run` records. Three checks make a verdict:

* **duration**: the newest finished run's duration, scored against the earlier ones by a
  registered detector (`mlops_tasks.aiops.detectors`, the same ones `detect_anomalies` runs on
  metrics; scores in [0, 1), an alarm at the detector's threshold);
* **failure streak**: the newest runs failed `max_failures` times in a row (a count rule);
* **queue delay**: time from queued (or scheduled) to start, scored like the duration.

The detectors judge a point against at least 30 earlier ones (`MIN_HISTORY`); with fewer runs,
a note says so instead of guessing.

>>> from datetime import datetime, timedelta, timezone
>>> t = datetime(2024, 1, 1, tzinfo=timezone.utc)
>>> runs = [Run(f"r{i}", "success", t + timedelta(hours=i), t + timedelta(hours=i, minutes=5, seconds=i % 7)) for i in range(40)]
>>> check_runs(runs)["healthy"]
True
>>> runs.append(Run("r40", "success", t + timedelta(hours=40), t + timedelta(hours=41)))
>>> [(f["check"], f["detector"], f["score"] > 0.5) for f in check_runs(runs)["findings"]]
[('duration', 'level', True)]
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
        return (
            max((self.start - self.queued).total_seconds(), 0.0)
            if self.start and self.queued
            else None
        )


def _time(value: Any) -> datetime | None:
    from mlops_tasks.aiops.alerts import parse_time

    try:
        return parse_time(value) if value else None
    except ValueError:
        return None


def runs_from_airflow(payload: dict[str, Any]) -> list[Run]:
    """Airflow 3 ``dagRuns`` response: ``{"dag_runs": [{"dag_run_id", "state", "start_date", "end_date", "queued_at"}]}``."""
    return [
        Run(
            str(r.get("dag_run_id")),
            str(r.get("state") or "").lower(),
            _time(r.get("start_date")),
            _time(r.get("end_date")),
            _time(r.get("queued_at")),
        )
        for r in payload.get("dag_runs", [])
    ]


def tasks_from_airflow(payload: dict[str, Any]) -> dict[str, list[Run]]:
    """Airflow 3 ``taskInstances`` response, grouped by task (mapped instances together).

    A task's queue delay runs from ``queued_when`` (or ``scheduled_when``, which ``dag.test()``
    and some executors leave as the only mark) to its start.
    """
    tasks: dict[str, list[Run]] = {}
    for t in payload.get("task_instances", []):
        index = t.get("map_index")
        run_id = str(t.get("dag_run_id")) + (
            f"[{index}]" if index is not None and index >= 0 else ""
        )
        queued = _time(t.get("queued_when")) or _time(t.get("scheduled_when"))
        run = Run(
            run_id,
            str(t.get("state") or "").lower(),
            _time(t.get("start_date")),
            _time(t.get("end_date")),
            queued,
        )
        tasks.setdefault(str(t.get("task_id")), []).append(run)
    return tasks


def runs_from_prefect(payload: list[dict[str, Any]]) -> list[Run]:
    """Prefect ``/flow_runs/filter`` response: a list of flow runs with ``state_type``, times and ``expected_start_time``."""
    runs = []
    for r in payload:
        state = str(r.get("state_type") or (r.get("state") or {}).get("type") or "").lower()
        runs.append(
            Run(
                str(r.get("id")),
                state,
                _time(r.get("start_time")),
                _time(r.get("end_time")),
                _time(r.get("expected_start_time")),
            )
        )
    return runs


def fetch_airflow(
    base_url: str,
    dag_id: str,
    *,
    limit: int = 100,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    client: Any = None,
    api: Any = None,
) -> list[Run]:
    """The newest ``limit`` runs of a DAG through Airflow's REST API (a token, or a login for one;
    or ``api``, an `AirflowAPI` already logged in)."""
    api = api or _api(base_url, token, username, password, client)
    return runs_from_airflow({"dag_runs": api.dag_runs(dag_id, limit=limit)})


def fetch_airflow_tasks(
    base_url: str,
    dag_id: str,
    *,
    limit: int = 1000,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    client: Any = None,
    api: Any = None,
) -> dict[str, list[Run]]:
    """The newest ``limit`` task instances of a DAG, as each task's own run history."""
    api = api or _api(base_url, token, username, password, client)
    return tasks_from_airflow({"task_instances": api.task_instances(dag_id, limit=limit)})


def _api(
    base_url: str, token: str | None, username: str | None, password: str | None, client: Any
) -> Any:
    from mlops_tasks.aiops.airflow_api import AirflowAPI

    return AirflowAPI(base_url, token=token, username=username, password=password, client=client)


def fetch_prefect(
    api_url: str, *, flow_name: str | None = None, limit: int = 100, client: Any = None
) -> list[Run]:
    import httpx

    client = client or httpx.Client(timeout=30)
    body: dict[str, Any] = {"limit": limit, "sort": "START_TIME_DESC"}
    if flow_name:
        body["flows"] = {"name": {"any_": [flow_name]}}
    response = client.post(f"{api_url.rstrip('/')}/flow_runs/filter", json=body)
    response.raise_for_status()
    return runs_from_prefect(response.json())


# With a one-point block, each run is judged against every earlier run (up to ``window``): the
# detectors' defaults (blocks of 50) are for metric streams, where 50 points are minutes, not weeks.
DEFAULT_DETECTOR: dict[str, Any] = {"detector": "level", "block": 1}
# The rarity engine scores nothing against fewer than 30 reference values (its ``min_ref``).
MIN_HISTORY = 30


def _spec(detector: str | dict[str, Any] | None) -> dict[str, Any]:
    """A detector spec from a name or a spec; one-point blocks unless the spec sets its own."""
    from mlops_tasks.aiops.detectors import detector_class

    spec = dict(
        DEFAULT_DETECTOR
        if detector is None
        else {"detector": detector}
        if isinstance(detector, str)
        else detector
    )
    if "block" in detector_class(spec["detector"]).params:
        spec.setdefault("block", 1)
    return spec


def _outlier(
    values: list[float],
    spec: dict[str, Any],
    threshold: float | None,
    min_increase: float,
    min_seconds: float,
) -> dict[str, Any]:
    """Score the last value against the ones before it with a fresh detector (it is causal).

    The detector says how rare the value is; only a slower or later run counts, and only by a
    margin that matters (``min_increase`` of the median and ``min_seconds``): on a very steady
    history even a second more is rare, but not a problem.
    """
    import numpy as np

    from mlops_tasks.aiops.detectors import make_detector

    if len(values) - 1 < MIN_HISTORY:
        return {
            "bad": False,
            "score": 0.0,
            "detail": f"only {len(values) - 1} earlier runs: too few to judge (the detector needs {MIN_HISTORY})",
        }
    detector = make_detector(
        {**spec, **({"threshold": threshold} if threshold is not None else {})}
    )
    score = float(detector.update(np.asarray(values, dtype=float))[-1])
    last, median = values[-1], float(np.median(values[:-1]))
    matters = last - median >= max(min_increase * abs(median), min_seconds)
    score = score if last > median else 0.0  # faster or earlier is never a problem
    return {
        "bad": score >= detector.threshold and matters,
        "score": round(score, 4),
        "threshold": detector.threshold,
        "detector": spec["detector"],
        "detail": f"last {last:.1f}s vs median {median:.1f}s of {len(values) - 1} earlier runs ({spec['detector']} score {score:.2f}, alarm at {detector.threshold:g})",
    }


def _streak(runs: list[Run]) -> int:
    streak = 0
    for run in reversed(runs):
        if run.state in FAILED:
            streak += 1
        elif run.state in SUCCESS:
            break
    return streak


def _timed(run: Run) -> float:
    # Runs that never started (no times at all) sort first: they cannot be the newest evidence.
    when = run.start or run.queued
    return when.timestamp() if when else 0.0


def _series_checks(
    runs: list[Run], prefix: str, opts: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[str]]:
    findings, notes = [], []
    for name, attr in ((f"{prefix}duration", "duration"), (f"{prefix}queue_delay", "queue_delay")):
        values = [
            getattr(r, attr)
            for r in runs
            if getattr(r, attr) is not None and (attr != "duration" or r.state in SUCCESS | FAILED)
        ]
        if not values:
            notes.append(f"{name}: no run has the times needed")
            continue
        out = _outlier(values, **opts)
        bad, detail = out.pop("bad"), out.pop("detail")
        if bad:
            findings.append({"check": name, "detail": detail, **out})
        else:
            notes.append(f"{name}: {detail}")
    return findings, notes


def check_runs(
    runs: list[Run],
    *,
    max_failures: int = 3,
    threshold: float | None = None,
    detector: str | dict[str, Any] | None = None,
    min_increase: float = 0.2,
    min_seconds: float = 1.0,
) -> dict[str, Any]:
    """A verdict on run history (any order): healthy or not, with each finding and each note.

    ``detector`` is a registered detector's name or a spec (``{"detector": name, **params}``,
    as in `detect_anomalies`); by default the level detector. ``threshold`` overrides the
    detector's own alarm threshold. A failure streak is a count, not a rarity: ``max_failures``
    failed runs in a row, the newest last.
    """
    runs = sorted(runs, key=_timed)
    if not runs:
        return {"healthy": True, "findings": [], "notes": ["no runs in the history"], "runs": 0}
    findings: list[dict[str, Any]] = []
    streak = _streak(runs)
    if streak >= max_failures:
        findings.append(
            {"check": "failure_streak", "detail": f"last {streak} runs failed", "score": 1.0}
        )
    opts = {
        "spec": _spec(detector),
        "threshold": threshold,
        "min_increase": min_increase,
        "min_seconds": min_seconds,
    }
    found, notes = _series_checks(runs, "", opts)
    findings += found
    return {"healthy": not findings, "findings": findings, "notes": notes, "runs": len(runs)}


def check_tasks(
    tasks: dict[str, list[Run]], *, max_failures: int = 3, **options: Any
) -> dict[str, Any]:
    """`check_runs` on each task's own history (from `fetch_airflow_tasks`): a slow task hides in a
    DAG run's duration when other tasks run in parallel with it. Findings name their task."""
    findings: list[dict[str, Any]] = []
    notes: list[str] = []
    for task_id, runs in sorted(tasks.items()):
        verdict = check_runs(runs, max_failures=max_failures, **options)
        findings += [
            {**f, "check": f"task_{f['check']}", "task": task_id} for f in verdict["findings"]
        ]
        notes += [f"{task_id}: {n}" for n in verdict["notes"]]
    return {
        "healthy": not findings,
        "findings": findings,
        "notes": notes or ["no task instances in the history"],
        "runs": sum(map(len, tasks.values())),
    }
