"""Sensors over `mlops_tasks.waiting`: a new model version or alias move, a new artifact, labels.

Each is a thin `BaseSensorOperator` over one check. With ``deferrable=True`` the sensor looks
once and, if nothing is there yet, hands the wait to `MlopsWaitTrigger` in the triggerer (no
worker slot held); otherwise it pokes as any sensor (``mode="poke"`` or ``"reschedule"``).
What it found is its return value (XCom)::

    from airflow_provider.sensors import ModelVersionSensor

    ModelVersionSensor(task_id="new_champion", name="bike_demand", alias="champion",
                       deferrable=True, poke_interval=60, timeout=6 * 3600)

``since`` (templated, ISO 8601) defaults to the DAG run's start: the sensor waits for what
happens after the run began, the same on every retry, reschedule or worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue

from airflow_provider.triggers.waiting import MlopsWaitTrigger


class _MlopsWaitSensor(BaseSensorOperator):
    what: str = ""

    def __init__(
        self,
        *,
        mlops_conn_id: str = "mlops_tasks_default",
        deferrable: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.mlops_conn_id = mlops_conn_id
        self.deferrable = deferrable

    def arguments(self, context: Any) -> dict[str, Any]:  # pragma: no cover - per sensor
        raise NotImplementedError

    @staticmethod
    def _run_start(context: Any) -> str:
        run = context["dag_run"]
        start = getattr(run, "start_date", None) or getattr(run, "run_after", None)
        return start.isoformat()

    def _look(self, context: Any) -> dict[str, Any] | None:
        from airflow_provider.hooks import MlopsTasksHook
        from mlops_tasks.waiting import check

        settings = MlopsTasksHook(mlops_conn_id=self.mlops_conn_id).get_settings()
        return check(self.what, settings, **self.arguments(context))

    def poke(self, context: Any) -> PokeReturnValue | bool:
        found = self._look(context)
        if found:
            self.log.info("mlops-tasks %s: found %s", self.what, found)
            return PokeReturnValue(is_done=True, xcom_value=found)
        return False

    def execute(self, context: Any) -> Any:
        if not self.deferrable:
            return super().execute(context)
        found = self._look(context)
        if found:
            return found
        self.defer(
            trigger=MlopsWaitTrigger(
                what=self.what,
                arguments=self.arguments(context),
                mlops_conn_id=self.mlops_conn_id,
                poke_interval=float(self.poke_interval),
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=float(self.timeout)),
        )

    def execute_complete(self, context: Any, event: dict[str, Any]) -> dict[str, Any]:
        if event.get("status") != "found":
            from airflow.sdk.exceptions import AirflowException

            raise AirflowException(f"mlops-tasks {self.what}: {event.get('message', event)}")
        self.log.info("mlops-tasks %s: found %s", self.what, event["found"])
        return event["found"]


class ModelVersionSensor(_MlopsWaitSensor):
    """Wait for a new version of model ``name`` or, with ``alias``, for that alias to move.

    :param name: the registered model.
    :param alias: e.g. ``champion``; None waits for any newly registered version.
    :param since: ISO 8601; changes after it count (default: the DAG run's start).
    """

    what = "model_version"
    template_fields: Sequence[str] = ("name", "alias", "since")

    def __init__(
        self, *, name: str, alias: str | None = None, since: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.name, self.alias, self.since = name, alias, since

    def arguments(self, context: Any) -> dict[str, Any]:
        return {
            "name": self.name,
            "alias": self.alias,
            "since": self.since or self._run_start(context),
        }


class ArtifactSensor(_MlopsWaitSensor):
    """Wait for an artifact of ``kind`` (dataset, model, drift, report ...) newer than ``since``.

    :param kind: the artifact kind the producing task records.
    :param since: ISO 8601 (default: the DAG run's start).
    :param uri_prefix: only artifacts under this URI prefix.
    """

    what = "artifact"
    template_fields: Sequence[str] = ("kind", "since", "uri_prefix")

    def __init__(
        self, *, kind: str, since: str | None = None, uri_prefix: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.kind, self.since, self.uri_prefix = kind, since, uri_prefix

    def arguments(self, context: Any) -> dict[str, Any]:
        return {"kind": self.kind, "since": self.since or self._run_start(context),
                "uri_prefix": self.uri_prefix}  # fmt: skip


class LabelsSensor(_MlopsWaitSensor):
    """Wait until late labels for the window [``start``, ``end``) have arrived at ``source``.

    :param source: file or glob of the labels (CSV or Parquet; any fsspec URL).
    :param time_column: the labels' timestamp column.
    :param start: window start, ISO 8601 (templated: ``"{{ data_interval_start }}"``).
    :param end: window end, ISO 8601 (templated: ``"{{ data_interval_end }}"``).
    :param min_rows: how many labelled rows in the window count as arrived.
    """

    what = "labels"
    template_fields: Sequence[str] = ("source", "time_column", "start", "end")

    def __init__(
        self,
        *,
        source: str,
        time_column: str,
        start: str,
        end: str,
        min_rows: int = 1,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.source, self.time_column = source, time_column
        self.start, self.end, self.min_rows = start, end, min_rows

    def arguments(self, context: Any) -> dict[str, Any]:
        return {"source": self.source, "time_column": self.time_column, "start": str(self.start),
                "end": str(self.end), "min_rows": self.min_rows}  # fmt: skip
