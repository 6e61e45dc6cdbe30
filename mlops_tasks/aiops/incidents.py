"""Alerts into incidents: by time window, shared labels and the service topology.

An alert joins an open incident it is related to: the same service or a service at most `hops`
calls away in the topology, or (for an alert naming no service) a shared grouping label, within
`gap` of the incident's clock; failing that, any service in the same connected part of the
topology within the larger of `gap` and `together` (a fault spreads along calls; the
topology's connected component, as Alertmanager's `group_by` groups by one label set), and
within `late` of it as a fault's tail. Only the first kind keeps the incident open:
the clock is the newest start of an alert next to the incident's services (an alert that merely
keeps firing does not hold the door open either), so stray alerts reached through the wider
topology or by time alone join but cannot chain one fault's incident into the next. Otherwise
an alert opens a new incident.

A problem fires several rules in one evaluation; a stray alert (a scrape failing, a certificate
expiring, a flapping check) comes alone. So once an incident holds alerts that fired *in company*
(another alert started within `company` of them: one rule evaluation, whatever its interval),
only such alerts keep it open, and `max_span` counts from the first of them: a lone alert joins
but does not extend the quiet period, so strays between two problems cannot chain the first
problem's incident into the next, and a stray that happened to open the incident does not start
its window early. Until an incident has such alerts, lone alerts keep it open as before (one rule
on one service still forms one incident).

When the stream shows how often its rules re-send (`evaluation_interval`), `gap`, `late`, `together`
and `max_span` grow with it (1.5, 2.5, 0.5 and 5 intervals): 5-minute aggregates fire 5 minutes apart.
An incident is resolved once every alert in it is resolved, or nothing in it was seen for
`resolve_after`.

>>> from datetime import datetime, timezone, timedelta
>>> from mlops_tasks.aiops.alerts import Alert
>>> t = datetime(2024, 5, 1, 10, tzinfo=timezone.utc)
>>> alerts = [Alert({"alertname": "Cpu", "service": "cart"}, t),
...           Alert({"alertname": "Latency", "service": "frontend"}, t + timedelta(minutes=1)),
...           Alert({"alertname": "Disk", "service": "db"}, t + timedelta(hours=2))]
>>> incidents = correlate(alerts, edges=[("frontend", "cart")])
>>> [sorted(i.services) for i in incidents]
[['cart', 'frontend'], ['db']]
"""

from __future__ import annotations

import bisect
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mlops_tasks.aiops.alerts import Alert

# Scaled to the rules' evaluation interval when the stream shows it (`evaluation_interval`):
# alerts within half an interval started "together" (pods scrape at different seconds of the
# minute), and one incident absorbs alerts for at most five intervals.
TOGETHER_SHARE = 0.5
SPAN_INTERVALS = 5
# A fault's tail: its effects reach further services (a caller's latency as the callee recovers, a
# metric whose next aggregate is the first to breach) two evaluations after its last news, which
# the 1.5-interval gap just misses. Alerts in the same connected application up to 2.5 intervals
# after an incident's clock join it, but do not hold it open: so a tail cannot chain into the next
# fault. Chosen on both development streams (2.0 leaves most tails out on Online Boutique, 3.0
# reaches the next fault's alerts on PetShop's 5-minute aggregates).
LATE_INTERVALS = 2.5
# Alerts of one rule evaluation start together: Prometheus stamps every alert of a rule group's
# evaluation (one rule on several series, or several rules) with that evaluation's time; 10 s
# also covers series sampled a few seconds apart (Online Boutique's pods: 1-2 s). Not scaled
# with the interval: an evaluation is an instant however rarely it runs.
COMPANY = timedelta(seconds=10)
# Labels that say two service-less alerts are about the same place.
GROUP_LABELS = ("cluster", "namespace", "instance", "node", "host")


@dataclass
class Incident:
    """A group of related alerts; `key` is stable across runs (first alert's print and start)."""

    key: str
    alerts: list[Alert] = field(default_factory=list)
    status: str = "open"
    resolved_at: datetime | None = None
    # The newest start of an alert that keeps the incident open (see `correlate`).
    held_open_at: datetime | None = None
    # The start of its first alert that fired in company; None while it holds lone alerts only.
    confirmed_at: datetime | None = None

    @property
    def started_at(self) -> datetime:
        return min(a.starts_at for a in self.alerts)

    @property
    def last_seen(self) -> datetime:
        return max(a.seen_until for a in self.alerts)

    @property
    def latest_start(self) -> datetime:
        return max(a.starts_at for a in self.alerts)

    @property
    def clock(self) -> datetime:
        """When the incident last showed that its problem goes on: the quiet period runs from here."""
        return self.held_open_at or self.latest_start

    @property
    def window_start(self) -> datetime:
        """Where `max_span` counts from: the first alert that fired in company, else the first."""
        return self.confirmed_at or self.started_at

    @property
    def services(self) -> set[str]:
        return {a.service for a in self.alerts if a.service}

    @property
    def notifications(self) -> int:
        return sum(a.count for a in self.alerts)

    def labels(self, key: str) -> set[str]:
        return {a.labels[key] for a in self.alerts if key in a.labels}

    def title(self) -> str:
        names = sorted({a.name for a in self.alerts})
        where = ", ".join(sorted(self.services)) or "no service"
        return f"{len(self.alerts)} alerts ({', '.join(names[:3])}{' ...' if len(names) > 3 else ''}) on {where}"

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "status": self.status,
            "title": self.title(),
            "started_at": self.started_at.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None,
            "held_open_at": self.held_open_at.isoformat() if self.held_open_at else None,
            "confirmed_at": self.confirmed_at.isoformat() if self.confirmed_at else None,
            "services": sorted(self.services),
            "notifications": self.notifications,
            "alerts": [a.to_json() for a in self.alerts],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Incident:
        from mlops_tasks.aiops.alerts import parse_time

        return cls(
            key=data["key"],
            alerts=[Alert.from_json(a) for a in data["alerts"]],
            status=data.get("status", "open"),
            resolved_at=parse_time(data["resolved_at"]) if data.get("resolved_at") else None,
            held_open_at=parse_time(data["held_open_at"]) if data.get("held_open_at") else None,
            confirmed_at=parse_time(data["confirmed_at"]) if data.get("confirmed_at") else None,
        )


def neighbours(edges: Iterable[tuple[str, str]], hops: int) -> dict[str, set[str]]:
    """Services within `hops` calls of each service, in either direction (itself included).

    >>> sorted(neighbours([("a", "b"), ("b", "c")], 1)["a"])
    ['a', 'b']
    """
    adjacent: dict[str, set[str]] = defaultdict(set)
    for source, target in edges:
        adjacent[source].add(target)
        adjacent[target].add(source)
    near: dict[str, set[str]] = {}
    for service in list(adjacent):
        seen, frontier = {service}, {service}
        for _ in range(hops):
            frontier = {n for s in frontier for n in adjacent[s]} - seen
            seen |= frontier
        near[service] = seen
    return near


def correlate(
    alerts: list[Alert],
    *,
    edges: Iterable[tuple[str, str]] = (),
    gap: timedelta = timedelta(seconds=90),
    late: timedelta = timedelta(seconds=150),
    hops: int = 1,
    together: timedelta = timedelta(seconds=10),
    company: timedelta = COMPANY,
    max_span: timedelta = timedelta(minutes=10),
    resolve_after: timedelta = timedelta(minutes=15),
    now: datetime | None = None,
    open_incidents: list[Incident] | None = None,
) -> list[Incident]:
    """Group de-duplicated alerts into incidents, continuing `open_incidents` from an earlier run.

    `gap` is 1.5 evaluation intervals of a usual 1-minute rule: a rule's next firing arrives a
    second or two late as often as early (scrape jitter), and at exactly one interval the
    late half would each open an incident of their own. `late` (2.5 intervals): how long after
    the incident's clock a fault's tail still joins it, anywhere in the connected application,
    without holding it open.
    `max_span` caps how long one incident keeps absorbing alerts (those starting less than
    `max_span` after its first alert in company, or its first), so a flapping alert cannot
    chain unrelated problems together for hours. `company`: alerts starting this close fired in one
    evaluation; a lone alert is looked for company among this call's alerts and the open incidents'.
    `now` (default: the newest alert) decides
    which incidents are stale enough to resolve.
    """
    edges = list(edges)
    # A fault spreads along calls: anywhere in the same connected application may be its alert.
    near, further = neighbours(edges, hops), neighbours(edges, len(edges) + 1)
    interval = evaluation_interval(alerts)
    if interval is not None:  # rules evaluated every 5 minutes need a 7.5-minute gap
        gap, together = max(gap, 1.5 * interval), max(together, TOGETHER_SHARE * interval)
        late = max(late, LATE_INTERVALS * interval)
        max_span = max(max_span, SPAN_INTERVALS * interval)
    incidents = [i for i in (open_incidents or []) if i.alerts]
    known = {(a.fingerprint, a.starts_at) for i in incidents for a in i.alerts}
    ordered = sorted(alerts, key=lambda a: (a.starts_at, a.fingerprint))
    accompanied = _in_company(ordered, known, company)
    for alert, in_company in zip(ordered, accompanied):
        if (alert.fingerprint, alert.starts_at) in known:
            continue
        home = _best_incident(alert, incidents, near, gap, max_span)
        # Only an alert on a service next to the incident's own keeps it open: one reached through
        # the wider topology, or placed by time alone, joins but does not extend the quiet period,
        # so stray alerts cannot chain one fault's incident into the next. Nor does a lone alert
        # once the incident has alerts that fired in company (see the module's docstring).
        holds_open = (
            home is not None
            and bool(alert.service and home.services)
            and (in_company or home.confirmed_at is None)
        )
        home = home or _best_incident(alert, incidents, further, max(gap, together), max_span)
        # A fault's tail (see LATE_INTERVALS): joins, never holds open.
        home = home or _best_incident(alert, incidents, further, late, max_span)
        if home is None:
            digest = hashlib.sha256(
                f"{alert.fingerprint}|{alert.starts_at.isoformat()}".encode()
            ).hexdigest()
            home = Incident(key=digest[:16])
            incidents.append(home)
            holds_open = True
        home.alerts.append(alert)
        if in_company and home.confirmed_at is None:
            home.confirmed_at = alert.starts_at
        if holds_open:
            home.held_open_at = max(home.held_open_at or alert.starts_at, alert.starts_at)
    now = now or max((i.last_seen for i in incidents), default=None)
    for incident in incidents:
        _update_status(incident, now, resolve_after)
    return sorted(incidents, key=lambda i: i.started_at)


def _in_company(
    ordered: list[Alert], known: set[tuple[str, datetime]], company: timedelta
) -> list[bool]:
    """Per alert (sorted by start): did another alert start within `company` of it?"""
    starts = sorted({(a.fingerprint, a.starts_at) for a in ordered} | known, key=lambda k: k[1])
    times = [t for _, t in starts]
    out = []
    for alert in ordered:
        low = bisect.bisect_left(times, alert.starts_at - company)
        high = bisect.bisect_right(times, alert.starts_at + company)
        out.append(high - low > 1)
    return out


def evaluation_interval(alerts: list[Alert]) -> timedelta | None:
    """How often the rules re-send: the commonest spacing of de-duplicated alerts' notifications
    (to the second, weighted by notifications). A median would be dragged up by alerts that fire
    every other evaluation and down by other rules' faster re-sends.

    >>> from datetime import datetime, timezone
    >>> t = datetime(2024, 5, 1, tzinfo=timezone.utc)
    >>> evaluation_interval([Alert({"alertname": "a"}, t, last_seen=t + timedelta(minutes=10), count=3)])
    datetime.timedelta(seconds=300)
    """
    from collections import Counter

    votes: Counter[int] = Counter()
    for a in alerts:
        if a.count > 1 and a.seen_until > a.starts_at:
            spacing = (a.seen_until - a.starts_at).total_seconds() / (a.count - 1)
            votes[round(spacing)] += a.count - 1
    return timedelta(seconds=votes.most_common(1)[0][0]) if votes else None


def _best_incident(
    alert: Alert,
    incidents: list[Incident],
    near: dict[str, set[str]],
    gap: timedelta,
    max_span: timedelta,
) -> Incident | None:
    best, best_seen = None, None
    for incident in incidents:
        if incident.status == "resolved":
            continue
        if (
            alert.starts_at > incident.clock + gap
            # Half-open: five intervals hold five evaluations, and the sixth is a new window.
            or alert.starts_at >= incident.window_start + max_span
        ):
            continue
        if not _related(alert, incident, near):
            continue
        # Of several candidates, the most recently active one: it is the likeliest same problem.
        if best_seen is None or incident.last_seen > best_seen:
            best, best_seen = incident, incident.last_seen
    return best


def _related(alert: Alert, incident: Incident, near: dict[str, set[str]]) -> bool:
    service = alert.service
    services = incident.services
    if service and services:
        return service in services or bool(near.get(service, {service}) & services)
    # Without a service on one side, a shared grouping label ties them; with none at all, time does.
    shared = [k for k in GROUP_LABELS if k in alert.labels]
    if shared:
        return any(alert.labels[k] in incident.labels(k) for k in shared)
    return True


def _update_status(incident: Incident, now: datetime | None, resolve_after: timedelta) -> None:
    if incident.status == "resolved":
        return
    if all(a.status == "resolved" for a in incident.alerts):
        incident.status, incident.resolved_at = "resolved", incident.last_seen
    elif now is not None and now - incident.last_seen >= resolve_after:
        incident.status, incident.resolved_at = "resolved", incident.last_seen + resolve_after
