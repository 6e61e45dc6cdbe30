"""Monitoring figures in the Prometheus text format: a file for node_exporter, or a Pushgateway push.

>>> print(render([Sample("mlops_drift_share", 0.25, {"model": "bikes"}, "Share of drifted columns.")]), end="")
# HELP mlops_drift_share Share of drifted columns.
# TYPE mlops_drift_share gauge
mlops_drift_share{model="bikes"} 0.25
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from mlops_tasks.errors import SourceUnreachableError


@dataclass(frozen=True)
class Sample:
    name: str
    value: float
    labels: dict[str, str] = field(default_factory=dict)
    help: str = ""


def render(samples: list[Sample]) -> str:
    """Text exposition format 0.0.4: HELP and TYPE once per metric name, gauges."""
    lines, seen = [], set()
    for s in samples:
        if not re.fullmatch(r"[a-zA-Z_:][a-zA-Z0-9_:]*", s.name):
            raise ValueError(f"{s.name!r} is not a Prometheus metric name")
        if s.name not in seen:
            seen.add(s.name)
            lines.append(f"# HELP {s.name} {_escape(s.help or s.name, help_text=True)}")
            lines.append(f"# TYPE {s.name} gauge")
        labels = ",".join(f'{k}="{_escape(str(v))}"' for k, v in sorted(s.labels.items()))
        lines.append(
            f"{s.name}{{{labels}}} {_value(s.value)}" if labels else f"{s.name} {_value(s.value)}"
        )
    return "\n".join(lines) + "\n"


def write_textfile(samples: list[Sample], path: str) -> str:
    """Write atomically (temp file + rename), as the textfile collector requires; ``path`` ends in .prom."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, suffix=".prom.tmp")
    with os.fdopen(fd, "w") as fh:
        fh.write(render(samples))
    os.replace(tmp, path)
    return path


def push(
    samples: list[Sample],
    gateway: str,
    job: str,
    grouping: dict[str, str] | None = None,
    method: str = "PUT",
    timeout: float = 10,
) -> int:
    """Send to a Pushgateway: PUT replaces the job's group, POST replaces only these metric names."""
    from mlops_tasks.notifiers.base import require_scheme

    require_scheme(gateway, "pushgateway", "pushgateway")
    path = f"/metrics/job/{urllib.parse.quote(job, safe='')}"
    for key, value in (grouping or {}).items():
        path += f"/{urllib.parse.quote(key, safe='')}/{urllib.parse.quote(value, safe='')}"
    request = urllib.request.Request(
        gateway.rstrip("/") + path,
        data=render(samples).encode(),
        method=method,
        headers={"Content-Type": "text/plain; version=0.0.4"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except OSError as exc:
        from mlops_tasks.notifiers.base import mask_url

        raise SourceUnreachableError(
            f"Pushgateway {mask_url(gateway)} refused the push: {exc}"
        ) from exc


def _escape(text: str, help_text: bool = False) -> str:
    text = text.replace("\\", "\\\\").replace("\n", "\\n")
    return text if help_text else text.replace('"', '\\"')


def _value(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(float(v))
