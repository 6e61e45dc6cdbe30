"""A self-contained HTML incident report: the timeline, the ranked causes, the graph and the anomalous series.

Every figure is inline SVG (matplotlib Agg), so the file opens anywhere without a network.

>>> html = render_incident_report({"key": "k1", "status": "open", "title": "t", "started_at": "2024-01-01T00:00:00+00:00",
...     "last_seen": "2024-01-01T00:05:00+00:00", "alerts": []}, causes=[], series={}, graph=None)
>>> html.startswith("<!DOCTYPE html>") and "k1" in html
True
"""

from __future__ import annotations

import html as _html
import io
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def _svg(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.find("<svg") :]


def series_svg(name: str, series: pd.Series, onset: pd.Timestamp | None) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 1.6))
    ax.plot(series.index, series.to_numpy(), lw=1, color="#1f4e79")
    if onset is not None:
        ax.axvline(onset, color="#c00", lw=1, ls="--")
    ax.set_title(name, fontsize=8, loc="left")
    ax.tick_params(labelsize=6)
    return _svg(fig)


def timeline_svg(alerts: list[dict[str, Any]]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    fig, ax = plt.subplots(figsize=(6, 0.4 + 0.22 * max(len(alerts), 1)))
    for i, a in enumerate(alerts[:40]):
        start, end = pd.Timestamp(a["starts_at"]), pd.Timestamp(a["last_seen"])
        ax.plot([start, max(end, start + pd.Timedelta(seconds=20))], [i, i], lw=4, color="#d9822b")
        ax.text(start, i + 0.3, f"{a['labels'].get('alertname', '?')} @ {a['labels'].get('service', '-')}", fontsize=6)
    ax.set_yticks([])
    ax.tick_params(labelsize=6)
    return _svg(fig)


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

    esc = _html.escape
    t0 = pd.Timestamp(onset) if onset else None
    top = max((c["score"] for c in causes), default=0.0) or 1.0
    rows = "".join(
        f"<tr><td>{i + 1}</td><td>{esc(c['service'])}</td><td>{c['score']:.3f}</td>"
        f"<td>{esc(str(c.get('metric') or ''))}</td><td>{esc(str(c.get('reason') or ''))}</td></tr>"
        for i, c in enumerate(causes)
    )
    alerts = sorted(incident.get("alerts", []), key=lambda a: a["starts_at"])
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>Incident {esc(incident['key'])}</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px}</style></head><body>",
        f"<h1>Incident {esc(incident['key'])} <small>({esc(incident.get('status', 'open'))})</small></h1>",
        f"<p>{esc(incident.get('title', ''))}<br>started {esc(incident['started_at'])}, last seen {esc(incident['last_seen'])}"
        + (f", onset used for ranking {esc(onset)}" if onset else "")
        + "</p>",
        "<h2>Ranked causes</h2>",
        "<table><tr><th>#</th><th>service</th><th>score</th><th>most deviating metric</th><th>note</th></tr>" + rows + "</table>"
        if causes
        else "<p>No ranking.</p>",
        "<h2>Timeline</h2>",
        timeline_svg(alerts) if alerts else "<p>No alerts.</p>",
    ]
    if graph and graph.get("nodes"):
        shade = {c["service"]: c["score"] / top for c in causes}
        parts += ["<h2>Service graph</h2>", draw_svg(graph, shade)]
    if series:
        parts.append("<h2>Anomalous series</h2>")
        parts += [series_svg(name, s, t0) for name, s in series.items()]
    parts.append("</body></html>")
    return "\n".join(parts)
