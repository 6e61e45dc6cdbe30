"""AIOps checks: anomaly detectors, change points, series loading and cleaning."""
