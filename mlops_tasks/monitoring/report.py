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

from html import escape
from typing import Any

import numpy as np

from mlops_tasks.monitoring.drift import DatasetDrift
from mlops_tasks.monitoring.reference import ColumnReference, Reference
from mlops_tasks.monitoring.summary import ColumnSummary

REF_COLOR, CUR_COLOR, BAD_COLOR = "#4c78a8", "#f58518", "#c0392b"
MAX_BARS = 30


def current_shares(reference: Reference, summaries: dict[str, ColumnSummary]) -> dict[str, dict[str, Any]]:
    """The small part of the current summaries a report needs: labels and counts per bin."""
    out = {}
    for name, s in summaries.items():
        ref = reference.columns[name]
        if ref.kind == "numeric":
            out[name] = {"labels": _bin_labels(ref), "reference": ref.hist.tolist(), "current": (s.hist.tolist() if s.hist is not None else [])}
        else:
            keys = list(ref.categories) + sorted(k for k in s.categories if k not in ref.categories)
            out[name] = {"labels": keys, "reference": [ref.categories.get(k, 0) for k in keys], "current": [s.categories.get(k, 0) for k in keys]}
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
    verdict = "drift" if doc["dataset_drift"] else "no drift"
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f"<p class='verdict {'bad' if doc['dataset_drift'] else 'ok'}'>Dataset: <b>{verdict}</b> &mdash; "
        f"{len(doc['drifted_columns'])} of {len(doc['columns'])} columns drifted "
        f"(share {doc['share']:.2f}, dataset drifts at {doc['drift_share']:.2f}); "
        f"reference {doc['reference_rows']} rows, current {doc['current_rows']} rows.</p>",
    ]
    if doc["missing_columns"]:
        parts.append(f"<p class='bad'>Missing from the current data: {escape(', '.join(doc['missing_columns']))}</p>")
    if history:
        parts += ["<h2>Drift share over time</h2>", _line([h["share"] for h in history] + [doc["share"]], [h["at"] for h in history] + ["now"], doc["drift_share"])]
    parts.append("<h2>Columns</h2><table><tr><th>column</th><th>method</th><th>statistic</th><th>p-value</th><th>threshold</th><th>drift</th><th>n ref / cur</th><th>note</th></tr>")
    for c in doc["columns"]:
        parts.append(
            f"<tr class='{'bad' if c['drifted'] else ''}'><td><a href='#col-{escape(c['column'])}'>{escape(c['column'])}</a></td>"
            f"<td>{escape(c['method'])}{' (log ' + c['log_base'] + ')' if c['log_base'] else ''}</td><td>{_num(c['statistic'])}</td>"
            f"<td>{_num(c['p_value'])}</td><td>{_num(c['threshold'])} ({c['threshold_source']})</td>"
            f"<td>{'n/a' if c['drifted'] is None else 'yes' if c['drifted'] else 'no'}</td>"
            f"<td>{c['reference_n']} / {c['current_n']}</td><td>{escape(c['note'] or '')}</td></tr>"
        )
    parts.append("</table>")
    for c in doc["columns"]:
        if c["column"] in shares:
            parts += [f"<h3 id='col-{escape(c['column'])}'>{escape(c['column'])} <small>{escape(c['kind'])}, {c['bins']} bins</small></h3>", _bars(shares[c["column"]])]
    parts.append(f"<p class='legend'><span style='color:{REF_COLOR}'>&#9632; reference</span> <span style='color:{CUR_COLOR}'>&#9632; current</span></p></body></html>")
    return "\n".join(parts)


def _bin_labels(ref: ColumnReference) -> list[str]:
    e = [f"{v:.4g}" for v in ref.edges]
    if not e:
        return ["all"]
    return [f"<= {e[0]}"] + [f"{a} .. {b}" for a, b in zip(e[:-1], e[1:])] + [f"> {e[-1]}"]


def _bars(data: dict[str, Any], width: int = 640, height: int = 160) -> str:
    labels, ref, cur = data["labels"][:MAX_BARS], np.asarray(data["reference"][:MAX_BARS], float), np.asarray(data["current"][:MAX_BARS], float)
    if not len(labels):
        return "<p>no bins</p>"
    ref = ref / ref.sum() if ref.sum() else ref
    cur = cur / cur.sum() if len(cur) and cur.sum() else np.zeros(len(labels))
    top = max(float(ref.max(initial=0)), float(cur.max(initial=0)), 1e-12)
    slot = width / len(labels)
    bar = slot * 0.4
    out = [f"<svg width='{width}' height='{height + 20}' role='img'>"]
    for i, label in enumerate(labels):
        for j, (share, color) in enumerate(((ref[i], REF_COLOR), (cur[i], CUR_COLOR))):
            h = share / top * height
            out.append(
                f"<rect x='{i * slot + j * bar + slot * 0.1:.1f}' y='{height - h:.1f}' width='{bar:.1f}' height='{h:.1f}' fill='{color}'>"
                f"<title>{escape(str(label))}: {share:.3f}</title></rect>"
            )
    out.append(f"<line x1='0' y1='{height}' x2='{width}' y2='{height}' stroke='#999'/></svg>")
    return "".join(out)


def _line(values: list[float], labels: list[str], limit: float, width: int = 640, height: int = 120) -> str:
    step = width / max(len(values) - 1, 1)
    points = " ".join(f"{i * step:.1f},{height - v * height:.1f}" for i, v in enumerate(values))
    dots = "".join(
        f"<circle cx='{i * step:.1f}' cy='{height - v * height:.1f}' r='3' fill='{BAD_COLOR if v >= limit else REF_COLOR}'><title>{escape(str(t))}: {v:.2f}</title></circle>"
        for i, (v, t) in enumerate(zip(values, labels))
    )
    y = height - limit * height
    return (
        f"<svg width='{width}' height='{height + 10}' role='img'><line x1='0' y1='{y:.1f}' x2='{width}' y2='{y:.1f}' stroke='{BAD_COLOR}' stroke-dasharray='4'/>"
        f"<polyline points='{points}' fill='none' stroke='{REF_COLOR}'/>{dots}</svg>"
    )


def _num(v: float | None) -> str:
    return "" if v is None else f"{v:.4g}"


_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
    "td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;font-size:14px}"
    ".bad{color:#c0392b}.ok{color:#2e7d32}.verdict{font-size:1.1em}small{color:#777;font-weight:normal}"
)
