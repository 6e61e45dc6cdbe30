"""`MlopsWaitTrigger`: polls one `mlops_tasks.waiting` check in the triggerer, off any worker slot.

The check is blocking (SQLAlchemy, fsspec), so each look runs in a thread (``sync_to_async``,
as Airflow's own triggers fetch connections); between looks the trigger only sleeps. A
transient failure (the database restarting, a network blip) is logged and the next look
tries again; a bad argument (a non-retryable `MlopsTasksError`) ends the wait with an error
event, which fails the sensor with the message.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent


class MlopsWaitTrigger(BaseTrigger):
    """Fire once ``mlops_tasks.waiting.check(what, ...)`` finds something.

    :param what: ``model_version``, ``artifact`` or ``labels``.
    :param arguments: the check's keyword arguments (JSON-able: they are serialised).
    :param mlops_conn_id: the connection naming the stores.
    :param poke_interval: seconds between looks.
    """

    def __init__(
        self,
        what: str,
        arguments: dict[str, Any],
        mlops_conn_id: str = "mlops_tasks_default",
        poke_interval: float = 30.0,
    ) -> None:
        super().__init__()
        self.what = what
        self.arguments = arguments
        self.mlops_conn_id = mlops_conn_id
        self.poke_interval = poke_interval

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "what": self.what,
                "arguments": self.arguments,
                "mlops_conn_id": self.mlops_conn_id,
                "poke_interval": self.poke_interval,
            },
        )

    def _look(self) -> dict[str, Any] | None:
        from airflow_provider.hooks import MlopsTasksHook
        from mlops_tasks.waiting import check

        settings = MlopsTasksHook(mlops_conn_id=self.mlops_conn_id).get_settings()
        return check(self.what, settings, **self.arguments)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from asgiref.sync import sync_to_async

        look = sync_to_async(self._look)
        while True:
            try:
                found = await look()
            except Exception as exc:
                if getattr(exc, "retryable", True) is False:
                    yield TriggerEvent({"status": "error", "message": str(exc)})
                    return
                self.log.warning("mlops-tasks wait (%s): look failed, retrying: %s", self.what, exc)
                found = None
            if found:
                yield TriggerEvent({"status": "found", "found": found})
                return
            await asyncio.sleep(self.poke_interval)
