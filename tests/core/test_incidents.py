"""Correlation into incidents and their lifecycle in the metadata store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from mlops_tasks.aiops.alerts import Alert
from mlops_tasks.aiops.incidents import correlate

T = datetime(2024, 5, 1, 10, tzinfo=timezone.utc)


def alert(name, service, minute, **labels):
    return Alert(
        {"alertname": name, **({"service": service} if service else {}), **labels},
        T + timedelta(minutes=minute),
    )


def test_time_topology_and_labels_decide_the_grouping():
    alerts = [
        alert("Cpu", "cart", 0),
        alert("Latency", "frontend", 1),  # a caller of cart: same incident
        alert("Disk", "billing", 1),  # same time, unrelated service: its own incident
        alert("Cpu", "cart", 20),  # much later: a new incident
    ]
    incidents = correlate(alerts, edges=[("frontend", "cart")])
    assert [sorted(i.services) for i in incidents] == [["cart", "frontend"], ["billing"], ["cart"]]
    assert len({i.key for i in incidents}) == 3


def test_a_rule_firing_a_little_late_keeps_its_incident():
    # A 1-minute rule on one service: its next alerts start 61 s and 62 s after the one before
    # (scrape jitter). Three minutes of silence later is a new problem (two would be its tail).
    starts = [0, 61, 123, 303]
    alerts = [
        Alert({"alertname": f"Latency{i}", "service": "cart"}, T + timedelta(seconds=s))
        for i, s in enumerate(starts)
    ]
    incidents = correlate(alerts)
    assert [len(i.alerts) for i in incidents] == [3, 1]
    strict = correlate(alerts, gap=timedelta(seconds=60), late=timedelta(seconds=60))
    assert [len(i.alerts) for i in strict] == [1, 1, 1, 1]


def test_alerts_in_one_connected_part_join_but_only_neighbours_keep_it_open():
    edges = [("frontend", "cart"), ("cart", "redis"), ("db", "disk")]
    at = {"frontend": 0, "redis": 40, "db": 50}  # seconds; redis is two calls away, db unconnected
    alerts = [
        Alert({"alertname": "Latency", "service": s}, T + timedelta(seconds=t))
        for s, t in at.items()
    ]
    grouped = [sorted(i.services) for i in correlate(alerts, edges=edges)]
    assert grouped == [["frontend", "redis"], ["db"]]
    # redis joined through the wider topology: it does not move the clock, so cart 160 s after
    # the incident's last neighbouring alert opens its own incident instead of chaining on.
    chained = alerts[:1] + [
        Alert({"alertname": "Latency", "service": "redis"}, T + timedelta(seconds=80)),
        Alert({"alertname": "Latency", "service": "cart"}, T + timedelta(seconds=160)),
    ]
    assert [sorted(i.services) for i in correlate(chained, edges=edges)] == [
        ["frontend", "redis"],
        ["cart"],
    ]
    # A neighbour does keep it open: cart at 80 s, then redis (next to cart) at 160 s.
    held = alerts[:1] + [
        Alert({"alertname": "Latency", "service": "cart"}, T + timedelta(seconds=80)),
        Alert({"alertname": "Latency", "service": "redis"}, T + timedelta(seconds=160)),
    ]
    assert len(correlate(held, edges=edges)) == 1


def test_alerts_without_service_use_grouping_labels():
    incidents = correlate(
        [
            alert("A", None, 0, cluster="x"),
            alert("B", None, 0, cluster="y"),
            alert("C", None, 0, cluster="x"),
        ]
    )
    assert sorted(len(i.alerts) for i in incidents) == [1, 2]


def test_lifecycle_open_then_resolved_across_runs(db_url, tmp_path):
    from mlops_tasks.aiops.incident_store import IncidentStore
    from mlops_tasks.metadata import MetadataStore

    store = IncidentStore(MetadataStore(db_url))
    first = correlate([alert("Cpu", "cart", 0)], open_incidents=store.open_incidents())
    store.save(first)
    [opened] = store.all()
    assert opened["status"] == "open"
    # The next run continues the open incident ...
    second = correlate([alert("Latency", "cart", 1)], open_incidents=store.open_incidents())
    store.save(second)
    [continued] = store.all()
    assert continued["key"] == opened["key"] and len(continued["alerts"]) == 2
    # ... and a run long after resolves it; a new alert then opens a new incident.
    third = correlate([alert("Cpu", "cart", 60)], open_incidents=store.open_incidents())
    store.save(third)
    by_key = {i["key"]: i["status"] for i in store.all()}
    assert by_key[opened["key"]] == "resolved" and sorted(by_key.values()) == ["open", "resolved"]


def test_correlate_alerts_task_records_problems_and_incidents(settings, tmp_path):
    import json

    from mlops_tasks.runtime import run_task

    path = tmp_path / "alerts.json"
    path.write_text(json.dumps([{"alertname": "Cpu", "service": "cart", "time": "2024-05-01T10:00:00Z"},
                                {"service": "cart", "time": "2024-05-01T10:00:30Z"}, {"alertname": "NoTime"}]))  # fmt: skip
    result = run_task("correlate_alerts", {"sources": [str(path)]}, settings=settings)
    assert (result.notifications_in, result.alerts, result.incidents_touched) == (2, 2, 1)
    assert any("no start time" in p for p in result.problems) and any(
        "no alert name" in p for p in result.problems
    )


def test_gaps_grow_with_the_rules_evaluation_interval():
    """Rules on 5-minute aggregates re-send every 5 minutes: their next alerts are not a new problem."""
    edges = [("site", "search"), ("search", "db")]

    def every_5_min(name, service, first, count):
        start = T + timedelta(minutes=first)
        return Alert(
            {"alertname": name, "service": service},
            start,
            last_seen=start + timedelta(minutes=5 * (count - 1)),
            count=count,
        )

    alerts = [
        every_5_min("Latency", "search", 0, 4),
        every_5_min("Latency", "site", 5, 3),  # a caller, one evaluation later
        every_5_min("Errors", "db", 10, 2),  # a callee of search, two evaluations later
        every_5_min("Latency", "search", 120, 2),  # two hours later: a new problem
    ]
    incidents = correlate(alerts, edges=edges)
    assert [sorted(i.services) for i in incidents] == [["db", "search", "site"], ["search"]]
    # Without the repeats there is no interval to learn from: the 1-minute defaults split them.
    single = [Alert(a.labels, a.starts_at) for a in alerts]
    assert len(correlate(single, edges=edges)) == 4


def test_an_incident_absorbs_five_evaluations_and_the_sixth_opens_a_new_one():
    """max_span is half-open: on a 5-minute rule, alerts 0-20 min after the first are one window."""
    alerts = [
        Alert(
            {"alertname": f"Latency{m}", "service": "search"},
            T + timedelta(minutes=m),
            last_seen=T + timedelta(minutes=m + 5),
            count=2,
        )
        for m in (0, 5, 10, 15, 20, 25)
    ]
    incidents = correlate(alerts)
    assert [len(i.alerts) for i in incidents] == [5, 1]
    assert incidents[1].started_at == T + timedelta(minutes=25)


def burst(service_names, second, name="Latency"):
    """Alerts of one rule evaluation: the same start on each service."""
    return [
        Alert({"alertname": name, "service": s}, T + timedelta(seconds=second))
        for s in service_names
    ]


def test_lone_strays_after_a_burst_do_not_chain_it_into_the_next_problem():
    edges = [("frontend", "cart"), ("cart", "redis"), ("frontend", "ads")]
    first, second = burst(["cart", "redis"], 0), burst(["frontend", "ads"], 240)
    # Strays one gap apart in between, each alone and next to the incident's services.
    at = (("frontend", 60), ("cart", 120), ("redis", 180))
    strays = [
        Alert({"alertname": "PodRestart", "service": s}, T + timedelta(seconds=t)) for s, t in at
    ]

    def home(incidents):
        return {(a.service, (a.starts_at - T).seconds): i.key for i in incidents for a in i.alerts}

    where = home(correlate(first + strays + second, edges=edges))
    # The first stray joins the burst's incident, the second as its tail, but neither holds it
    # open: the third, 180 s after the burst, is beyond the gap and the 150 s tail.
    assert where["cart", 0] == where["redis", 0] == where["frontend", 60] == where["cart", 120]
    assert where["redis", 180] != where["cart", 0]
    assert where["frontend", 240] == where["ads", 240] != where["cart", 0]
    # The same strays each with a second rule firing at once are evidence that it goes on.
    company = [
        Alert({"alertname": "Errors", "service": s}, T + timedelta(seconds=t)) for s, t in at
    ]
    assert len(set(home(correlate(first + strays + company + second, edges=edges)).values())) == 1


def test_max_span_counts_from_the_first_alerts_in_company_not_a_stray_before_them():
    stray = Alert({"alertname": "CertExpiry", "service": "cart"}, T)
    # Two rules fire every minute from 60 s to 600 s on cart, then again at 660 s.
    bursts = [a for t in range(60, 661, 60) for r in ("R0", "R1") for a in burst(["cart"], t, r)]
    incidents = correlate([stray, *bursts])
    assert [len(i.alerts) for i in incidents] == [1 + 20, 2]
    assert incidents[0].confirmed_at == T + timedelta(seconds=60)
    assert incidents[1].started_at == T + timedelta(seconds=660)


def test_whether_an_incident_fired_in_company_survives_between_runs():
    from mlops_tasks.aiops.incidents import Incident

    def again(incidents):  # what the incident store keeps and gives back
        return [Incident.from_json(i.to_json()) for i in incidents]

    run1 = correlate(burst(["cart", "redis"], 0), edges=[("cart", "redis")])
    assert run1[0].confirmed_at == T
    lone = [Alert({"alertname": "PodRestart", "service": "cart"}, T + timedelta(seconds=60))]
    run2 = correlate(lone, edges=[("cart", "redis")], open_incidents=again(run1))
    assert len(run2) == 1 and len(run2[0].alerts) == 3
    run3 = correlate(
        burst(["cart", "redis"], 180, "Errors"),
        edges=[("cart", "redis")],
        open_incidents=again(run2),
    )
    # 180 s after the last alert in company: beyond the 90 s gap and the 150 s tail, a new incident.
    assert sorted(len(i.alerts) for i in run3) == [2, 3]


def test_a_faults_tail_joins_its_incident_but_does_not_hold_it_open():
    """Two evaluations after a burst, a service two calls away breaches as the fault recovers:
    the same fault. It joins without moving the clock, so alerts two evaluations after it (four
    after the burst) are a new incident rather than a chain."""
    edges = [("frontend", "cart"), ("cart", "redis")]
    first = burst(["cart", "redis"], 0)
    tail = burst(["frontend"], 120, "ClientLatency")
    incidents = correlate(first + tail, edges=edges)
    assert [sorted(i.services) for i in incidents] == [["cart", "frontend", "redis"]]
    # Not past the tail: 180 s after the burst is a new incident.
    assert len(correlate(first + burst(["frontend"], 180), edges=edges)) == 2
    later = burst(["frontend", "cart"], 240, "Errors")
    incidents = correlate(first + tail + later, edges=edges)
    assert [len(i.alerts) for i in incidents] == [3, 2]

    # The tail scales with the rules' interval: 5-minute aggregates' tail is 10 minutes later.
    def every_5_min(service, minute):
        start = T + timedelta(minutes=minute)
        return Alert(
            {"alertname": "Latency", "service": service},
            start,
            last_seen=start + timedelta(minutes=5),
            count=2,
        )

    slow = [every_5_min("cart", 0), every_5_min("redis", 0), every_5_min("frontend", 10)]
    assert len(correlate(slow, edges=edges)) == 1
