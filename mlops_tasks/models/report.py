"""The self-contained HTML evaluation report: metrics with intervals, slices, and inline SVG plots.

>>> metric = {"value": 0.5, "low": 0.4, "high": 0.6}
>>> page = render({"model": {"estimator": "<m>", "sha256": "ab" * 32}, "dataset": {"sha256": "cd" * 32},
...     "target": "y", "bootstrap": 10, "rows": 1200, "confidence": 0.95, "metrics": {"mae": metric},
...     "slices": []}, [], [])
>>> page.startswith("<!DOCTYPE html>") and "Evaluation of &lt;m&gt;" in page and "0.4000 &ndash; 0.6000" in page
True
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from mlops_tasks.reports import html


def render(evaluation: dict[str, Any], plots: list[str], slice_svgs: list[str]) -> str:
    """The HTML page of an evaluation dict (as `mlops_tasks.tasks.evaluate` builds it)."""
    slices = [
        {**s, "names": list(s["groups"][0]["metrics"]) if s["groups"] else [], "svg": Markup(svg)}
        for s, svg in zip(evaluation["slices"], slice_svgs)
    ]
    return html.render(
        "evaluation_report.html.j2",
        title=f"Evaluation of {evaluation['model']['estimator']}",
        model=evaluation["model"],
        dataset=evaluation["dataset"],
        query=evaluation.get("query"),
        target=evaluation["target"],
        bootstrap=evaluation["bootstrap"],
        rows=evaluation["rows"],
        level=round(evaluation["confidence"] * 100),
        metrics=evaluation["metrics"],
        confusion=evaluation.get("confusion"),
        classes=evaluation.get("classes") or [],
        plots=[Markup(p) for p in plots],
        slices=slices,
    )
