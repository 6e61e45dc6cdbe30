"""Alerts in: Alertmanager webhook JSON, a generic JSON list, or CSV; fingerprinted and de-duplicated.

An `Alert` is a set of labels (what fires, where) plus its start, its end when resolved, and
annotations. Its fingerprint hashes the identifying labels only, so the same condition sent
again (Alertmanager repeats every notification until it resolves) is one alert with a count.

>>> payload = {"version": "4", "status": "firing", "alerts": [
...     {"status": "firing", "labels": {"alertname": "HighLatency", "service": "cart"},
...      "annotations": {}, "startsAt": "2024-05-01T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z"}]}
>>> batch = parse_alerts(payload)
>>> [(a.name, a.service, a.status) for a in batch.alerts], batch.problems
([('HighLatency', 'cart', 'firing')], [])
>>> deduplicate(batch.alerts + parse_alerts(payload).alerts)[0].count
2
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

# Labels that name the service an alert is about, in the order they are looked for.
SERVICE_LABELS = ("service", "service_name", "app", "job", "container", "pod")
# Generic shapes: which keys hold the name, the time and the status.
NAME_KEYS = ("alertname", "name", "alert", "title")
START_KEYS = ("startsAt", "starts_at", "start", "time", "timestamp", "fired_at")
END_KEYS = ("endsAt", "ends_at", "end", "resolved_at")
STATUS_KEYS = ("status", "state")
# Not identity: change on every send, so they are kept out of the fingerprint.
VOLATILE = frozenset({"value", "description", "summary", "runbook_url", "generatorURL"})
# Alertmanager's "not resolved yet" end time.
ZERO_TIME = "0001-01-01T00:00:00Z"


@dataclass(frozen=True)
class Alert:
    """One alert; `count` is how many notifications it stands for after de-duplication."""

    labels: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None = None
    status: str = "firing"
    annotations: dict[str, str] = field(default_factory=dict)
    last_seen: datetime | None = None
    count: int = 1
    source: str = "generic"

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "unnamed")

    @property
    def service(self) -> str | None:
        for key in SERVICE_LABELS:
            if self.labels.get(key):
                return self.labels[key]
        return None

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.labels)

    @property
    def seen_until(self) -> datetime:
        """The last moment the alert was known to be active."""
        return self.ends_at or self.last_seen or self.starts_at

    def to_json(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "labels": self.labels,
            "annotations": self.annotations,
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat() if self.ends_at else None,
            "last_seen": self.seen_until.isoformat(),
            "status": self.status,
            "count": self.count,
            "source": self.source,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Alert:
        return cls(
            labels=dict(data["labels"]),
            annotations=dict(data.get("annotations") or {}),
            starts_at=parse_time(data["starts_at"]),
            ends_at=parse_time(data["ends_at"]) if data.get("ends_at") else None,
            last_seen=parse_time(data["last_seen"]) if data.get("last_seen") else None,
            status=data.get("status", "firing"),
            count=int(data.get("count", 1)),
            source=data.get("source", "generic"),
        )


@dataclass
class AlertBatch:
    """What parsing produced: the alerts, and why anything was skipped or patched."""

    alerts: list[Alert] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def fingerprint(labels: dict[str, str]) -> str:
    """sha256 of the identifying labels, sorted: the same condition anywhere gets the same print.

    >>> fingerprint({"b": "2", "a": "1"}) == fingerprint({"a": "1", "b": "2", "value": "9"})
    True
    """
    identity = sorted((k, str(v)) for k, v in labels.items() if k not in VOLATILE)
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:16]


def parse_time(value: Any) -> datetime:
    """ISO-8601 strings, epoch seconds or milliseconds, or datetimes, as aware UTC datetimes.

    >>> parse_time(1714557600).isoformat(), parse_time("2024-05-01T10:00:00Z").isoformat()
    ('2024-05-01T10:00:00+00:00', '2024-05-01T10:00:00+00:00')
    """
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)) or (
        isinstance(value, str) and value.strip().lstrip("-").replace(".", "", 1).isdigit()
    ):
        number = float(value)
        if number > 1e11:  # milliseconds: seconds would be after the year 5000
            number /= 1000
        return datetime.fromtimestamp(number, tz=timezone.utc)
    if isinstance(value, str) and value.strip():
        text = value.strip().replace("Z", "+00:00")
        if " +0000 UTC" in text:  # Go's time.Time.String()
            text = text.split(" +0000 UTC")[0] + "+00:00"
        if "." in text:  # Python parses at most 6 fraction digits; Go and Prometheus send 9
            head, _, tail = text.partition(".")
            digits = "".join(c for c in tail if c.isdigit())
            zone = tail[len(digits) :]
            text = f"{head}.{digits[:6]}{zone}"
        parsed = datetime.fromisoformat(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    raise ValueError(f"not a time: {value!r}")


def parse_alerts(payload: Any, *, source: str | None = None) -> AlertBatch:
    """Alerts from an Alertmanager webhook body, a generic JSON list / ``{"alerts": [...]}``, or CSV text.

    Nothing is dropped silently: an alert without a usable start time is skipped, an alert
    without a name is kept as ``unnamed``, and each case is named in ``problems``.
    """
    batch = AlertBatch()
    if isinstance(payload, (bytes, str)):
        text = payload.decode() if isinstance(payload, bytes) else payload
        stripped = text.lstrip()
        if stripped.startswith(("{", "[")):
            try:
                payload = json.loads(text)
            except json.JSONDecodeError as exc:
                batch.problems.append(f"payload is not valid JSON: {exc}")
                return batch
        else:
            payload = list(csv.DictReader(io.StringIO(text)))
            source = source or "csv"
    if isinstance(payload, dict) and "alerts" in payload:
        items = payload["alerts"]
        source = source or (
            "alertmanager" if "version" in payload or "groupKey" in payload else "generic"
        )
        common = payload.get("commonLabels") or {}
    elif isinstance(payload, list):
        items, common = payload, {}
    elif isinstance(payload, dict):
        items, common = [payload], {}
    else:
        batch.problems.append(f"payload of type {type(payload).__name__} holds no alerts")
        return batch
    if not isinstance(items, list):
        batch.problems.append("'alerts' is not a list")
        return batch
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            batch.problems.append(f"alert {i}: not an object, skipped")
            continue
        alert, problem = _one(item, common, source or "generic")
        if problem:
            batch.problems.append(f"alert {i}: {problem}")
        if alert is not None:
            batch.alerts.append(alert)
    return batch


def _one(
    item: dict[str, Any], common: dict[str, str], source: str
) -> tuple[Alert | None, str | None]:
    labels = item.get("labels")
    if isinstance(labels, str):  # CSV cells can hold the label set as JSON
        try:
            labels = json.loads(labels)
        except json.JSONDecodeError:
            labels = None
    if not isinstance(labels, dict):
        # Generic shape: every scalar field that is not a time, status or text is a label.
        skip = (
            set(START_KEYS) | set(END_KEYS) | set(STATUS_KEYS) | {"labels", "annotations", "count"}
        )
        labels = {
            k: v
            for k, v in item.items()
            if k not in skip and isinstance(v, (str, int, float)) and v != ""
        }
    labels = {str(k): str(v) for k, v in {**common, **labels}.items() if v is not None and v != ""}
    problems = []
    if "alertname" not in labels:
        name = next((labels.pop(k) for k in NAME_KEYS[1:] if k in labels), None)
        if name is None:
            problems.append("no alert name; kept as 'unnamed'")
            name = "unnamed"
        labels["alertname"] = name
    start_raw = next((item[k] for k in START_KEYS if item.get(k) not in (None, "")), None)
    if start_raw is None:
        return None, "no start time; skipped"
    try:
        starts_at = parse_time(start_raw)
    except (ValueError, OverflowError, OSError):
        return None, f"start time {start_raw!r} is not a time; skipped"
    end_raw = next((item[k] for k in END_KEYS if item.get(k) not in (None, "", ZERO_TIME)), None)
    ends_at = None
    if end_raw is not None:
        try:
            ends_at = parse_time(end_raw)
        except (ValueError, OverflowError, OSError):
            problems.append(f"end time {end_raw!r} is not a time; treated as still firing")
    status = str(
        next((item[k] for k in STATUS_KEYS if item.get(k)), "resolved" if ends_at else "firing")
    ).lower()
    if status not in ("firing", "resolved"):
        problems.append(f"status {status!r} unknown; treated as firing")
        status = "firing"
    if status == "firing" and ends_at is not None and source == "alertmanager":
        ends_at = None  # a firing Alertmanager alert carries its expected end, not a real one
    if ends_at is not None and ends_at < starts_at:
        problems.append("ends before it starts; end ignored")
        ends_at = None
    annotations = item.get("annotations") if isinstance(item.get("annotations"), dict) else {}
    if not any(k in labels for k in SERVICE_LABELS):
        problems.append("no service label; correlated by time and other labels only")
    count = item.get("count")
    alert = Alert(
        labels=labels,
        starts_at=starts_at,
        ends_at=ends_at,
        status=status,
        annotations={str(k): str(v) for k, v in annotations.items()},
        count=int(count) if str(count or "").isdigit() and int(count) > 0 else 1,
        source=source,
    )
    return alert, "; ".join(problems) or None


def deduplicate(
    alerts: list[Alert], *, repeat_gap: timedelta = timedelta(minutes=5)
) -> list[Alert]:
    """Merge notifications of the same fingerprint into one alert while it keeps firing.

    A notification joins the previous alert of its fingerprint if it starts no later than
    `repeat_gap` after that alert was last seen (Alertmanager repeats a firing alert) and the
    alert was not resolved before it started (a resolved one that fires again is a new alert).
    Order does not matter.
    """
    merged: list[Alert] = []
    open_by_print: dict[str, int] = {}
    for alert in sorted(alerts, key=lambda a: (a.starts_at, a.fingerprint)):
        key = alert.fingerprint
        index = open_by_print.get(key)
        if index is not None:
            current = merged[index]
            # A resolved alert that fires again is a new alert (Alertmanager's semantics), however
            # soon: merging across the resolve would turn a flapping rule into one long alert.
            refired = current.status == "resolved" and alert.starts_at > current.seen_until
            if alert.starts_at <= current.seen_until + repeat_gap and not refired:
                # The newest news decides the status: a resolve sent after the last firing wins.
                newest = alert if alert.seen_until >= current.seen_until else current
                merged[index] = replace(
                    current,
                    count=current.count + alert.count,
                    last_seen=max(current.seen_until, alert.seen_until),
                    ends_at=newest.ends_at if newest.status == "resolved" else None,
                    status=newest.status,
                    annotations={**current.annotations, **alert.annotations},
                )
                continue
        open_by_print[key] = len(merged)
        merged.append(alert)
    return merged
