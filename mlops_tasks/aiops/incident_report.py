"""A self-contained HTML incident report: the timeline, the ranked causes, the graph and the anomalous series.

Every figure is inline SVG, so the file opens anywhere without a network.

>>> html = render_incident_report({"key": "k1", "status": "open", "title": "t", "started_at": "2024-01-01T00:00:00+00:00",
...     "last_seen": "2024-01-01T00:05:00+00:00", "alerts": []}, causes=[], series={}, graph=None)
>>> html.startswith("<!DOCTYPE html>") and "k1" in html
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from mlops_tasks.reports import plots
from mlops_tasks.reports.html import render

if TYPE_CHECKING:
    import pandas as pd

MAX_ALERTS = 40  # rows of the timeline; more would not fit on a page


def render_incident_report(
    incident: dict[str, Any],
    *,
    causes: list[dict[str, Any]],
    series: dict[str, pd.Series],
    graph: dict[str, Any] | None,
    onset: str | None = None,
) -> str:
    import pandas as pd

    from mlops_tasks.aiops.topology import draw_svg

    alerts = sorted(incident.get("alerts", []), key=lambda a: a["starts_at"])[:MAX_ALERTS]
    timeline = Markup(plots.timeline_svg([_span(a) for a in alerts])) if alerts else None
    graph_svg = None
    if graph and graph.get("nodes"):
        top = max((c["score"] for c in causes), default=0.0) or 1.0
        graph_svg = Markup(draw_svg(graph, {c["service"]: c["score"] / top for c in causes}))
    marks = [pd.Timestamp(onset)] if onset else []
    series_svgs = [
        Markup(plots.series_svg(s.index, s.to_numpy(), marks=marks, title=name, width=6.0))
        for name, s in series.items()
    ]
    return render(
        "incident_report.html.j2",
        title=f"Incident {incident['key']}",
        incident=incident,
        onset=onset,
        causes=causes,
        timeline=timeline,
        graph=graph_svg,
        series=series_svgs,
    )


def _span(alert: dict[str, Any]) -> tuple[Any, Any, str]:
    import pandas as pd

    start, end = pd.Timestamp(alert["starts_at"]), pd.Timestamp(alert["last_seen"])
    # A one-off alert has no duration: widen it so its bar still shows.
    end = max(end, start + pd.Timedelta(seconds=20))
    labels = alert["labels"]
    return start, end, f"{labels.get('alertname', '?')} @ {labels.get('service', '-')}"
