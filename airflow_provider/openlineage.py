"""``get_openlineage_facets_on_complete`` for the generated operators.

The OpenLineage provider (``apache-airflow-providers-openlineage``, the ``openlineage-airflow``
extra) calls it after a task succeeds; the datasets and facets come from the core
(`mlops_tasks.lineage_openlineage`), built from the config and result `execute` kept.
Everything is imported inside the method: this module loads with every DAG file.
"""

from __future__ import annotations

from typing import Any


class OpenLineageMixin:
    """Adds OpenLineage extraction to `MlopsTaskOperator` (see `remember_for_lineage`)."""

    _lineage_run: tuple[Any, Any, Any] | None = None

    def remember_for_lineage(self, config: Any, result: Any, settings: Any) -> None:
        """Keep what the lineage is built from: the rendered config, the result, the stores.

        The config is validated again only if the OpenLineage provider asks for the lineage.
        """
        self._lineage_run = (config, result, settings)

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        from airflow.providers.openlineage.extractors import OperatorLineage

        from mlops_tasks.context import open_stores
        from mlops_tasks.lineage_openlineage import task_lineage

        if self._lineage_run is None:
            return OperatorLineage()
        config, result, settings = self._lineage_run
        artifacts, _ = open_stores(settings)
        lineage = task_lineage(self.task_name, self.spec.validate_config(config), result, artifacts)
        return OperatorLineage(
            inputs=lineage.inputs, outputs=lineage.outputs, run_facets=lineage.run_facets
        )
