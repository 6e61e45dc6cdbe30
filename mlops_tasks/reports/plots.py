"""Small plots as inline SVG text, drawn by matplotlib without pyplot (no display, no global figures).

Every report (data, evaluation, monitoring, incident) draws through these helpers, so they share
one look. The SVG is deterministic (fixed hash salt, no date), so a report rebuilt from the same
inputs has the same bytes and therefore the same artifact hash.

>>> svg = histogram_svg([0.0, 1.0, 3.0], [5, 2])
>>> svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
True
>>> "&lt;b&gt;" in bars_svg(["<b>"], [1.0]) and "<b>" not in bars_svg(["<b>"], [1.0])
True
>>> svg = graph_svg(["web", "<db>"], [("web", "<db>")], highlight={"<db>": 1.0})
>>> "&lt;db&gt;" in svg and "<db>" not in svg
True
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import pairwise
from typing import Any

COLOR, ACCENT, MUTED, BAD = "#4c78a8", "#f58518", "#b0b7c3", "#c0392b"
_PALETTE = (COLOR, ACCENT, MUTED)
# Scientific notation past 1e4: labels of wide-ranged data stay readable.
_STYLE = {
    "svg.hashsalt": "mlops-tasks",
    "svg.fonttype": "none",
    "font.size": 8,
    "axes.formatter.limits": (-3, 4),
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_lock = threading.Lock()  # rcParams are process-global: one styled drawing at a time


@contextmanager
def _axes(width: float, height: float) -> Iterator[Any]:
    """Axes on a fresh figure, styled while drawing; read the SVG with `_svg` inside the block."""
    import matplotlib
    from matplotlib.figure import Figure

    with _lock, matplotlib.rc_context(_STYLE):
        yield Figure(figsize=(width, height), dpi=72).add_subplot()


def _svg(ax: Any) -> str:
    buffer = io.StringIO()
    ax.figure.tight_layout(pad=0.3)
    ax.figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog and doctype: it goes inline in HTML


def _few_ticks(axis: Any) -> None:
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(5))


def _label(text: Any, limit: int = 24) -> str:
    """User text as a matplotlib label: shortened, and `$` escaped so it is not parsed as math."""
    text = str(text)
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.replace("$", r"\$")


def histogram_svg(
    edges: Sequence[float], counts: Sequence[int], *, width: float = 3.6, height: float = 1.6
) -> str:
    """Bars on (possibly uneven) bin edges, drawn as density (count / width) so the shape shows.

    Bins at quantiles hold about equal counts: plotting counts would draw a flat wall.
    """
    with _axes(width, height) as ax:
        _few_ticks(ax.xaxis)
        widths = [b - a for a, b in pairwise(edges)]
        if widths and all(w > 0 for w in widths):
            total = sum(counts) or 1
            heights = [c / (total * w) for c, w in zip(counts, widths)]
            ax.bar(
                edges[:-1],
                heights,
                width=widths,
                align="edge",
                color=COLOR,
                edgecolor="white",
                linewidth=0.5,
            )
            ax.set_ylabel("density")
        else:  # a single value
            ax.bar([0], counts[:1], color=COLOR)
            ax.set_xticks([0], [f"{edges[0]:g}" if len(edges) else ""])
            ax.set_ylabel("rows")
        return _svg(ax)


def bars_svg(
    labels: Sequence[Any],
    values: Sequence[float],
    *,
    intervals: Sequence[tuple[float, float] | None] | None = None,
    highlight: Sequence[bool] | None = None,
    title: str = "",
    xlabel: str = "",
    width: float = 3.6,
    height: float | None = None,
    limit: float | None = None,
) -> str:
    """Horizontal bars, one per label, top to bottom (top categories, null fractions, slices).

    `intervals` (low, high) per bar draw whiskers; `highlight`ed bars are red.
    """
    import numpy as np

    n = len(labels)
    with _axes(width, height or max(1.0, 0.22 * n + 0.5 + 0.25 * bool(title))) as ax:
        _few_ticks(ax.xaxis)
        heights = np.asarray(values, dtype=float)
        xerr = None
        if intervals:
            low, high = np.array([iv or (np.nan, np.nan) for iv in intervals], dtype=float).T
            # No whisker where the value or its interval is unknown (NaN).
            xerr = np.nan_to_num([heights - low, high - heights]).clip(min=0)
        colors = [BAD if h else COLOR for h in (highlight or [False] * n)]
        positions = list(range(n))[::-1]
        ax.barh(positions, np.nan_to_num(heights), xerr=xerr, color=colors, capsize=2)
        ax.set_yticks(positions, [_label(label) for label in labels])
        if limit is not None:
            ax.set_xlim(0, limit)
        ax.set(xlabel=xlabel, title=title)
        return _svg(ax)


def grouped_bars_svg(
    labels: Sequence[Any],
    groups: Mapping[str, Sequence[float]],
    *,
    ylabel: str = "",
    width: float = 8.0,
    height: float = 3.0,
) -> str:
    """Vertical bars side by side per label, one colour per group (reference vs current)."""
    import numpy as np

    slot = 0.8 / max(len(groups), 1)
    with _axes(width, height) as ax:
        x = np.arange(len(labels))
        for i, (name, values) in enumerate(groups.items()):
            offset = (i - (len(groups) - 1) / 2) * slot
            ax.bar(x + offset, values, slot, color=_PALETTE[i % len(_PALETTE)], label=_label(name))
        names = [_label(label) for label in labels]
        # Bin ranges ("0.1 .. 0.2") would overlap side by side; short category names fit.
        ax.set_xticks(x, names, rotation=90 if max(map(len, names), default=0) > 8 else 0)
        ax.set_ylabel(ylabel)
        # Above the axes: inside, it would hide the tallest bars.
        ax.legend(loc="lower right", bbox_to_anchor=(1, 1), ncols=len(groups), frameon=False)
        return _svg(ax)


def curve_svg(
    x: Sequence[float],
    y: Sequence[float],
    *,
    scatter: bool = False,
    markers: bool = False,
    label: str | None = None,
    diagonal: tuple[float, float] | None = None,
    baseline: float | None = None,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    ylim: tuple[float, float] | None = None,
    width: float = 4.2,
    height: float = 3.2,
) -> str:
    """y against x as a line (or points), with a dashed `diagonal` y = x or `baseline` y = b
    to compare with (chance, a perfect fit)."""
    with _axes(width, height) as ax:
        if diagonal is not None:
            ax.plot(diagonal, diagonal, ls="--", c=MUTED, lw=0.8)
        if baseline is not None:
            ax.axhline(baseline, ls="--", c=MUTED, lw=0.8)
        if scatter:
            ax.scatter(x, y, s=6, alpha=0.5, color=COLOR, label=label)
        else:
            ax.plot(x, y, marker="o" if markers else None, color=COLOR, label=label)
        if label:
            ax.legend(loc="lower right", frameon=False)
        ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
        if ylim is not None:
            ax.set_ylim(*ylim)
        return _svg(ax)


def series_svg(
    x: Sequence[Any],
    y: Sequence[float],
    *,
    xticklabels: Sequence[str] | None = None,
    threshold: float | None = None,
    highlight: Sequence[bool] | None = None,
    marks: Sequence[Any] = (),
    title: str = "",
    ylabel: str = "",
    ylim: tuple[float, float] | None = None,
    width: float = 8.0,
    height: float = 1.6,
) -> str:
    """A series over time or runs: a dashed red `threshold`, red `highlight`ed points, dashed red
    vertical `marks` (an anomaly's onset). `xticklabels` name the points when x are positions."""
    import numpy as np

    with _axes(width, height) as ax:
        ax.plot(x, y, lw=1, color=COLOR)
        if threshold is not None:
            ax.axhline(threshold, ls="--", c=BAD, lw=0.8)
        if highlight is not None:
            hot = np.asarray(highlight, dtype=bool)
            ax.scatter(np.asarray(x)[~hot], np.asarray(y)[~hot], s=10, color=COLOR, zorder=3)
            ax.scatter(np.asarray(x)[hot], np.asarray(y)[hot], s=14, color=BAD, zorder=3)
        for mark in marks:
            ax.axvline(mark, ls="--", c=BAD, lw=1)
        if xticklabels is not None:
            from matplotlib.ticker import FuncFormatter, MaxNLocator

            names = [_label(t, 16) for t in xticklabels]
            # Many runs: label a few of them, not every one on top of each other.
            ax.xaxis.set_major_locator(MaxNLocator(6, integer=True))
            ax.xaxis.set_major_formatter(
                FuncFormatter(lambda v, _: names[int(v)] if 0 <= v < len(names) else "")
            )
        ax.set_title(_label(title, 80), loc="left")
        ax.set_ylabel(ylabel)
        if ylim is not None:
            ax.set_ylim(*ylim)
        return _svg(ax)


def timeline_svg(spans: Sequence[tuple[Any, Any, str]], *, width: float = 8.0) -> str:
    """One labelled bar per (start, end, label), top to bottom, on a shared time axis."""
    with _axes(width, 0.5 + 0.22 * max(len(spans), 1)) as ax:
        for i, (start, end, label) in enumerate(spans):
            row = len(spans) - 1 - i
            ax.plot([start, end], [row, row], lw=4, color=ACCENT, solid_capstyle="butt")
            ax.text(start, row + 0.3, _label(label, 60))
        ax.set_yticks([])
        ax.set_ylim(-0.5, len(spans))
        return _svg(ax)


def graph_svg(
    nodes: Sequence[str],
    edges: Sequence[tuple[str, str]],
    *,
    highlight: Mapping[str, float] | None = None,
    width: float = 8.0,
) -> str:
    """A directed graph, callers above callees, one row per call depth; arrows caller -> callee.

    `highlight` shades nodes red by a score in [0, 1] (how likely a root cause).
    """
    import matplotlib

    rows = _layers(nodes, edges)
    pos = {
        n: ((i + 1) / (len(row) + 1), -depth)
        for depth, row in enumerate(rows)
        for i, n in enumerate(row)
    }
    deepest = len(rows) - 1
    reds = matplotlib.colormaps["Reds"]
    with _axes(width, 0.7 + 0.9 * deepest) as ax:
        for a, b in sorted(set(edges)):
            if a != b and a in pos and b in pos:
                arrow = {"arrowstyle": "->", "color": MUTED, "shrinkA": 10, "shrinkB": 10}
                ax.annotate("", xy=pos[b], xytext=pos[a], arrowprops=arrow)
        for depth, row in enumerate(rows):
            for i, n in enumerate(row):
                score = float((highlight or {}).get(n, 0.0))
                shade = 0.0 if math.isnan(score) else min(max(score, 0.0), 1.0)
                ax.scatter(
                    *pos[n], s=300, color=reds(0.15 + 0.8 * shade), edgecolors="#333", zorder=3
                )
                # A crowded row staggers its labels so neighbours do not overlap.
                drop = 0.22 + (0.18 if len(row) > 6 and i % 2 else 0.0)
                ax.text(pos[n][0], -depth - drop, _label(n, 20), ha="center", va="top")
        ax.set_axis_off()
        ax.set_xlim(0, 1)
        ax.set_ylim(-deepest - 0.55, 0.2)
        return _svg(ax)


def _layers(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> list[list[str]]:
    """Rows of nodes by longest call depth from a root, names sorted within a row.

    A cycle pushes depths up until the cap cuts it; the rows it leaves empty are dropped.

    >>> _layers(["db", "web", "api", "solo"], [("web", "api"), ("api", "db"), ("db", "api")])
    [['solo', 'web'], ['api'], ['db']]
    """
    depth = dict.fromkeys(nodes, 0)
    for _ in range(len(depth)):
        changed = False
        for a, b in edges:
            if a in depth and b in depth and depth[b] < depth[a] + 1 <= len(depth):
                depth[b], changed = depth[a] + 1, True
        if not changed:
            break
    rows: dict[int, list[str]] = {}
    for n in sorted(depth):
        rows.setdefault(depth[n], []).append(n)
    return [rows[d] for d in sorted(rows)]
