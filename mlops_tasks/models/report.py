"""The self-contained HTML evaluation report: metrics with intervals, slices, and inline SVG plots."""

from __future__ import annotations

import html
from typing import Any

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ddd;padding:.3em .6em;text-align:right}
th{background:#f4f6f8}td:first-child,th:first-child{text-align:left}.plots{display:flex;flex-wrap:wrap;gap:1em}
.muted{color:#777;font-size:.9em}
</style></head><body>
<h1>{{ title }}</h1>
<p class="muted">{{ subtitle }}</p>
<h2>Overall ({{ rows }} rows)</h2>
<table><tr><th>metric</th><th>value</th><th>{{ level }}% interval</th></tr>
{% for name, m in metrics.items() %}<tr><td>{{ name }}</td><td>{{ "%.4f"|format(m.value) }}</td>
<td>{{ "%.4f"|format(m.low) }} – {{ "%.4f"|format(m.high) }}</td></tr>{% endfor %}
</table>
{% if confusion %}<h3>Confusion matrix (rows: actual, columns: predicted)</h3>
<table><tr><th></th>{% for c in classes %}<th>{{ c }}</th>{% endfor %}</tr>
{% for row in confusion %}<tr><th>{{ classes[loop.index0] }}</th>{% for v in row %}<td>{{ v }}</td>{% endfor %}</tr>{% endfor %}
</table>{% endif %}
<div class="plots">{% for svg in plots %}<div>{{ svg }}</div>{% endfor %}</div>
{% for s in slices %}<h2>Slices by {{ s.column }} ({{ s.metric }})</h2>
<table><tr><th>{{ s.column }}</th><th>rows</th>{% for name in s.names %}<th>{{ name }}</th>{% endfor %}</tr>
{% for g in s.groups %}<tr><td>{{ g.value }}</td><td>{{ g.rows }}</td>{% for name in s.names %}
<td>{{ "%.4f"|format(g.metrics[name].value) }} <span class="muted">[{{ "%.3f"|format(g.metrics[name].low) }}, {{ "%.3f"|format(g.metrics[name].high) }}]</span></td>{% endfor %}</tr>{% endfor %}
</table><div>{{ s.svg }}</div>{% endfor %}
</body></html>
"""


def render(evaluation: dict[str, Any], plots: list[str], slice_svgs: list[str]) -> str:
    """The HTML page of an evaluation dict (as `mlops_tasks.tasks.evaluate` builds it)."""
    from jinja2 import Environment
    from markupsafe import Markup

    env = Environment(autoescape=True)
    slices = []
    for s, svg in zip(evaluation["slices"], slice_svgs):
        names = list(s["groups"][0]["metrics"]) if s["groups"] else []
        slices.append({**s, "names": names, "svg": Markup(svg)})
    return env.from_string(_PAGE).render(
        title=f"Evaluation of {html.escape(evaluation['model']['estimator'])}",
        subtitle=f"model {evaluation['model']['sha256'][:12]} on dataset {evaluation['dataset']['sha256'][:12]}"
        f"{' where ' + evaluation['query'] if evaluation.get('query') else ''}; target {evaluation['target']}; "
        f"{evaluation['bootstrap']} bootstrap replicates",
        rows=evaluation["rows"],
        level=round(evaluation["confidence"] * 100),
        metrics=evaluation["metrics"],
        confusion=evaluation.get("confusion"),
        classes=evaluation.get("classes") or [],
        plots=[Markup(p) for p in plots],
        slices=slices,
    )
