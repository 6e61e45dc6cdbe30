"""The shipped default detector: what `detect_anomalies` uses when no detector is configured.

One global configuration, chosen on NAB's dev subset without per-file tuning (bench/nab.py).
"""

from __future__ import annotations

DEFAULT_DETECTOR: dict = {
    "detector": "ensemble",
    "members": [{"detector": "level"}, {"detector": "jump"}, {"detector": "seasonal"}, {"detector": "entropy"}],
    "agree": 1,
    "threshold": 0.5,
    "suppress": 200,
}
