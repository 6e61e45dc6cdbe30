"""Deferrable triggers of the mlops-tasks provider (run in Airflow's triggerer)."""

from airflow_provider.triggers.waiting import MlopsWaitTrigger

__all__ = ["MlopsWaitTrigger"]
