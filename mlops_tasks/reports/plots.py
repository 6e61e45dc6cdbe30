"""Small plots as inline SVG text, drawn by matplotlib's Agg backend (no display needed).

The SVG is deterministic (fixed hash salt, no date), so a report rebuilt from the same inputs
has the same bytes and therefore the same artifact hash.

>>> svg = histogram_svg([0.0, 1.0, 3.0], [5, 2])
>>> svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
True
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from typing import Any

COLOR, MUTED, BAD = "#4c78a8", "#b0b7c3", "#c0392b"
_lock = threading.Lock()  # pyplot's state is global: one figure at a time


def _figure(width: float, height: float) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from matplotlib.ticker import MaxNLocator

    # Scientific notation past 1e4, few ticks: labels of wide-ranged data stay readable.
    plt.rcParams.update({"svg.hashsalt": "mlops-tasks", "svg.fonttype": "none", "font.size": 8, "axes.formatter.limits": (-3, 4)})
    fig, ax = plt.subplots(figsize=(width, height), dpi=72)
    ax.xaxis.set_major_locator(MaxNLocator(5))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


def _svg(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    fig.tight_layout(pad=0.3)
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog and doctype: it goes inline in HTML


def histogram_svg(edges: Sequence[float], counts: Sequence[int], *, width: float = 3.6, height: float = 1.6) -> str:
    """Bars on (possibly uneven) bin edges, drawn as density (count / width) so the shape shows.

    Bins at quantiles hold about equal counts: plotting counts would draw a flat wall.
    """
    with _lock:
        fig, ax = _figure(width, height)
        widths = [b - a for a, b in zip(edges[:-1], edges[1:])]
        if widths and all(w > 0 for w in widths):
            total = sum(counts) or 1
            heights = [c / (total * w) for c, w in zip(counts, widths)]
            ax.bar(edges[:-1], heights, width=widths, align="edge", color=COLOR, edgecolor="white", linewidth=0.5)
            ax.set_ylabel("density")
        else:  # a single value
            ax.bar([0], counts[:1], color=COLOR)
            ax.set_xticks([0], [f"{edges[0]:g}" if len(edges) else ""])
            ax.set_ylabel("rows")
        return _svg(fig)


def bars_svg(labels: Sequence[str], values: Sequence[float], *, highlight: Sequence[bool] | None = None,
             xlabel: str = "", width: float = 3.6, height: float | None = None, limit: float | None = None) -> str:
    """Horizontal bars, one per label, top to bottom (top categories, null fractions)."""
    with _lock:
        fig, ax = _figure(width, height or max(1.0, 0.22 * len(labels) + 0.5))
        colors = [BAD if h else COLOR for h in (highlight or [False] * len(labels))]
        positions = list(range(len(labels)))[::-1]
        ax.barh(positions, values, color=colors)
        ax.set_yticks(positions, [_shorten(str(label)) for label in labels])
        if limit is not None:
            ax.set_xlim(0, limit)
        ax.set_xlabel(xlabel)
        return _svg(fig)


def _shorten(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
