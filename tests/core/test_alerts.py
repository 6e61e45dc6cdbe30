"""Alert ingest: Alertmanager webhook, generic JSON and CSV, bad input named, de-duplication."""

from __future__ import annotations

import json
from datetime import timedelta

from mlops_tasks.aiops.alerts import deduplicate, fingerprint, parse_alerts, parse_time

WEBHOOK = {
    "version": "4",
    "groupKey": "{}:{alertname=\"HighLatency\"}",
    "status": "firing",
    "commonLabels": {"cluster": "prod"},
    "alerts": [
        {"status": "firing", "labels": {"alertname": "HighLatency", "service": "cart"}, "annotations": {"summary": "slow"},
         "startsAt": "2024-05-01T10:00:00.123456789Z", "endsAt": "0001-01-01T00:00:00Z"},
        {"status": "resolved", "labels": {"alertname": "HighLatency", "service": "cart"}, "annotations": {},
         "startsAt": "2024-05-01T10:00:00Z", "endsAt": "2024-05-01T10:04:00Z"},
    ],
}  # fmt: skip


def test_alertmanager_webhook_is_parsed_with_common_labels_and_nanoseconds():
    batch = parse_alerts(json.dumps(WEBHOOK))
    assert batch.problems == []
    first, second = batch.alerts
    assert first.source == "alertmanager" and first.labels["cluster"] == "prod"
    assert first.ends_at is None and first.status == "firing"
    assert second.status == "resolved" and second.ends_at == parse_time("2024-05-01T10:04:00Z")
    merged = deduplicate(batch.alerts)
    assert len(merged) == 1 and merged[0].count == 2 and merged[0].status == "resolved"


def test_generic_json_and_csv_shapes():
    items = [{"name": "DiskFull", "service": "db", "time": 1714557600, "severity": "page"}]
    [alert] = parse_alerts(items).alerts
    assert (alert.name, alert.service, alert.labels["severity"]) == ("DiskFull", "db", "page")
    csv_text = "alertname,service,timestamp,status\nCpu,api,2024-05-01T10:00:00Z,firing\nCpu,api,2024-05-01T10:01:00Z,firing\n"
    batch = parse_alerts(csv_text)
    assert batch.alerts[0].source == "csv" and len(deduplicate(batch.alerts)) == 1


def test_bad_alerts_are_skipped_or_patched_with_a_reason_never_a_crash():
    items = [
        {"labels": {"service": "api"}, "startsAt": "2024-05-01T10:00:00Z"},  # no name
        {"labels": {"alertname": "X"}},  # no time
        {"labels": {"alertname": "Y"}, "startsAt": "yesterday-ish"},  # bad time
        "not an object",
        {
            "labels": {"alertname": "Z", "service": "a"},
            "startsAt": "2024-05-01T10:00:00Z",
            "endsAt": "2024-05-01T09:00:00Z",
            "status": "weird",
        },
    ]
    batch = parse_alerts({"alerts": items})
    assert [a.name for a in batch.alerts] == ["unnamed", "Z"]
    text = " | ".join(batch.problems)
    for expected in (
        "no alert name",
        "no start time",
        "is not a time",
        "not an object",
        "ends before it starts",
        "unknown",
    ):
        assert expected in text
    assert parse_alerts("{broken").problems[0].startswith("payload is not valid JSON")
    assert parse_alerts(42).problems


def test_fingerprint_ignores_volatile_labels_and_dedup_splits_after_a_quiet_gap():
    assert fingerprint({"alertname": "A", "value": "1"}) == fingerprint(
        {"alertname": "A", "value": "2"}
    )
    assert fingerprint({"alertname": "A"}) != fingerprint({"alertname": "B"})
    t = parse_time("2024-05-01T10:00:00Z")
    items = [
        {
            "labels": {"alertname": "A", "service": "s"},
            "startsAt": (t + timedelta(minutes=m)).isoformat(),
        }
        for m in (3, 0, 1, 30)
    ]
    merged = deduplicate(parse_alerts(items).alerts)
    assert [a.count for a in merged] == [3, 1]  # out of order is fine; 30 min later is a new alert
