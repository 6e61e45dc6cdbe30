"""Sensors of the mlops-tasks provider: wait for a model version, an artifact, late labels."""

from airflow_provider.sensors.waiting import ArtifactSensor, LabelsSensor, ModelVersionSensor

__all__ = ["ArtifactSensor", "LabelsSensor", "ModelVersionSensor"]
