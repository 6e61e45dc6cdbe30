"""Fixtures for the security suite; the exploit builders live in exploits.py.

They are not in this file because every test folder has a conftest.py: ``from conftest import``
would find whichever folder's conftest Python imported first.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))  # model_fixtures


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    path = tmp_path / "pwned"
    assert not path.exists()
    return path
