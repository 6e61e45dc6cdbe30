"""Anomaly detectors by name: the built-in ones plus any a plugin registers.

A plugin adds one with the ``mlops_tasks_register_detectors`` hook::

    @hookimpl
    def mlops_tasks_register_detectors():
        return {"my_detector": MyDetector}     # a subclass of Detector

>>> sorted(BUILTIN)
['ensemble', 'entropy', 'jump', 'level', 'local', 'moving', 'pattern', 'seasonal', 'stl']
>>> make_detector({"detector": "level", "window": 500}).window
500
"""

from __future__ import annotations

from typing import Any

from mlops_tasks.aiops.detectors.base import DEFAULT_THRESHOLD, Detector
from mlops_tasks.aiops.detectors.ensemble import EnsembleDetector
from mlops_tasks.aiops.detectors.entropy import RelativeEntropyDetector
from mlops_tasks.aiops.detectors.jump import JumpDetector
from mlops_tasks.aiops.detectors.level import LevelDetector
from mlops_tasks.aiops.detectors.local import LocalDetector
from mlops_tasks.aiops.detectors.moving import MovingDetector
from mlops_tasks.aiops.detectors.pattern import PatternDetector
from mlops_tasks.aiops.detectors.seasonal import SeasonalDetector
from mlops_tasks.aiops.detectors.stl import StlDetector

BUILTIN: dict[str, type[Detector]] = {
    cls.name: cls
    for cls in (
        LevelDetector,
        LocalDetector,
        JumpDetector,
        MovingDetector,
        PatternDetector,
        SeasonalDetector,
        StlDetector,
        RelativeEntropyDetector,
        EnsembleDetector,
    )
}


def available_detectors() -> dict[str, type[Detector]]:
    """Built-in detectors and those of installed plugins (a plugin may not replace a built-in)."""
    from mlops_tasks.plugins import registered

    found = dict(BUILTIN)
    for name, cls in registered("mlops_tasks_register_detectors").items():
        if name in BUILTIN and cls is not BUILTIN[name]:
            raise ValueError(f"a plugin registers a detector named {name!r}, which is built in")
        found[name] = cls
    return found


def detector_class(name: str) -> type[Detector]:
    classes = BUILTIN if name in BUILTIN else available_detectors()
    try:
        return classes[name]
    except KeyError:
        raise ValueError(
            f"unknown detector {name!r}; available: {', '.join(sorted(classes))}"
        ) from None


def make_detector(spec: dict[str, Any]) -> Detector:
    """Build a detector from ``{"detector": name, **params}``."""
    params = dict(spec)
    return detector_class(params.pop("detector"))(**params)


__all__ = [
    "BUILTIN",
    "DEFAULT_THRESHOLD",
    "Detector",
    "available_detectors",
    "detector_class",
    "make_detector",
]
