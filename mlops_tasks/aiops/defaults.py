"""The shipped default detector: what `detect_anomalies` uses when no detector is configured.

One global configuration, chosen on NAB's dev subset without per-file tuning (bench/nab.py):
value, step and seasonal rarity, each on single points and on runs of 12 and 48 points, any of
them may alarm, then 100 points of alarm suppression.
"""

from __future__ import annotations

DEFAULT_DETECTOR: dict = {
    "detector": "ensemble",
    "members": [{"detector": "level"}, {"detector": "jump"}, {"detector": "seasonal"}],
    "runs": [12, 48],
    "agree": 1,
    "threshold": 0.5,
    "suppress": 100,
}
