"""The self-contained HTML monitoring report: inline SVG, no script, no external file.

One section per column: reference vs current shares on the reference's bins (or categories),
the method, statistic, threshold and sample sizes; and, on top, the drift share over time.

>>> import numpy as np, pandas as pd
>>> from mlops_tasks.monitoring import fit_reference, detect_drift
>>> from mlops_tasks.monitoring.summary import summarize
>>> ref = fit_reference(pd.DataFrame({"x": np.arange(100.0)}))
>>> cur = pd.DataFrame({"x": np.arange(50.0, 150)})
>>> html = render_report(ref, detect_drift(ref, cur), current_shares(ref, summarize(ref, cur)), [])
>>> html.startswith("<!DOCTYPE html>") and "<svg" in html and "<td>ks</td>" in html
True
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from markupsafe import Markup

from mlops_tasks.monitoring.drift import DatasetDrift
from mlops_tasks.monitoring.reference import ColumnReference, Reference
from mlops_tasks.monitoring.summary import ColumnSummary
from mlops_tasks.reports import plots
from mlops_tasks.reports.html import render

MAX_BARS = 30  # more bins (or categories) than this would not be readable as bars


def current_shares(
    reference: Reference, summaries: dict[str, ColumnSummary]
) -> dict[str, dict[str, Any]]:
    """The small part of the current summaries a report needs: labels and counts per bin."""
    out = {}
    for name, s in summaries.items():
        ref = reference.columns[name]
        if ref.kind == "numeric":
            current = s.hist.tolist() if s.hist is not None else []
            out[name] = {
                "labels": _bin_labels(ref),
                "reference": ref.hist.tolist(),
                "current": current,
            }
        else:
            keys = list(ref.categories) + sorted(k for k in s.categories if k not in ref.categories)
            out[name] = {
                "labels": keys,
                "reference": [ref.categories.get(k, 0) for k in keys],
                "current": [s.categories.get(k, 0) for k in keys],
            }
    return out


def render_report(
    reference: Reference,
    drift: DatasetDrift | dict[str, Any],
    shares: dict[str, dict[str, Any]],
    history: list[dict[str, Any]],
    title: str = "Monitoring report",
) -> str:
    """HTML text. ``history``: earlier runs as ``{"at": str, "share": float}``, oldest first."""
    doc = drift.to_dict() if isinstance(drift, DatasetDrift) else drift
    history_plot = None
    if history:
        values = [h["share"] for h in history] + [doc["share"]]
        history_plot = Markup(
            plots.series_svg(
                range(len(values)),
                values,
                xticklabels=[h["at"] for h in history] + ["now"],
                threshold=doc["drift_share"],
                highlight=[v >= doc["drift_share"] for v in values],
                ylabel="drift share",
                ylim=(-0.02, 1.02),
            )
        )
    columns = [
        {
            **c,
            "index": i,
            "plot": _shares_plot(shares[c["column"]]) if c["column"] in shares else None,
        }
        for i, c in enumerate(doc["columns"], 1)
    ]
    return render(
        "monitoring_report.html.j2",
        title=title,
        drift=doc,
        columns=columns,
        history_plot=history_plot,
    )


def _bin_labels(ref: ColumnReference) -> list[str]:
    e = [f"{v:.4g}" for v in ref.edges]
    if not e:
        return ["all"]
    return [f"<= {e[0]}"] + [f"{a} .. {b}" for a, b in pairwise(e)] + [f"> {e[-1]}"]


def _shares_plot(data: dict[str, Any]) -> Markup:
    labels = data["labels"][:MAX_BARS]
    if not labels:
        return Markup("<p>no bins</p>")
    return Markup(
        plots.grouped_bars_svg(
            labels,
            {
                "reference": _shares(data["reference"][:MAX_BARS], len(labels)),
                "current": _shares(data["current"][:MAX_BARS], len(labels)),
            },
            ylabel="share",
        )
    )


def _shares(counts: list[float], n: int) -> list[float]:
    """Counts as fractions of their total; all zeros when there are none (no current rows)."""
    total = sum(counts)
    return [c / total for c in counts] if total else [0.0] * n
