"""Training and current CSVs for the monitoring loop tests of both engines: the demo's own
(`demo/lifecycle_data.py`), so the tests check the data a newcomer's `make demo` runs on.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "demo"))

from lifecycle_data import write as write_loop_data  # noqa: E402

__all__ = ["write_loop_data"]
