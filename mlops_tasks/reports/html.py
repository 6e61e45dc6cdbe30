"""Render a report page from a jinja2 template in `templates/`: CSS inline, no script, autoescaped.

>>> page = render("base.html.j2", title="Demo <1>", sections=[])
>>> page.startswith("<!DOCTYPE html>") and "Demo &lt;1&gt;" in page
True
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

TEMPLATES = Path(__file__).with_name("templates")


@cache
def environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["num"] = format_number
    env.filters["pct"] = lambda x: "" if x is None else f"{100 * x:.1f}%"
    return env


def render(template: str, **values: Any) -> str:
    """The page `template` filled with `values`. Pass SVG strings through `markupsafe.Markup`."""
    return environment().get_template(template).render(**values)


def format_number(value: Any) -> str:
    """Numbers people can read: thousands separators for ints, 4 significant digits for floats."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e15 else f"{value:.3e}"
    return str(value)
