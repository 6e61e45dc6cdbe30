"""OpenLineage datasets and facets of one task execution, for any engine.

`task_lineage` turns a task's validated config and its result into OpenLineage input and
output datasets and run facets (``openlineage-python``'s classes, the ``openlineage`` extra):

* datasets are named as OpenLineage names them: an artifact ``s3://bucket/a/b.parquet`` is
  namespace ``s3://bucket``, name ``a/b.parquet``; a local file is namespace ``file``, name its
  path; a SQL source is ``postgresql://host:5432``, name ``db.table`` (never a password);
* a dataset's schema facet comes from the data contract when the task has one, else from the
  Arrow types our artifact store recorded for it;
* ``validate``'s rule verdicts (read from its report in the artifact store) become the checked
  input's data-quality assertions facet;
* a registered or promoted model version becomes the ``mlopsTasks_model`` run facet.

The Airflow operators wrap it in an ``OperatorLineage`` (`airflow_provider.openlineage`), the
Prefect tasks in a ``RunEvent`` (`prefect_blocks.openlineage`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs
from openlineage.client.event_v2 import InputDataset, OutputDataset
from openlineage.client.facet_v2 import RunFacet, data_quality_assertions_dataset, schema_dataset

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.project import raw_url

MODEL_FACET = "mlopsTasks_model"
# The custom facet's JSON schema ships in the package; its `_schemaURL` is that file in the
# project's repository with the facet's `$defs` entry as fragment, as OpenLineage's own facets
# (`https://openlineage.io/spec/facets/.../X.json#/$defs/X`) and its custom-facet convention do.
SCHEMA_FILE = Path(__file__).with_name("openlineage_facets") / "ModelVersionRunFacet.json"
SCHEMA_URL = (
    raw_url("mlops_tasks/openlineage_facets/ModelVersionRunFacet.json")
    + "#/$defs/ModelVersionRunFacet"
)
# Config fields naming a source that is not an artifact (a file or a database).
SOURCE_FIELDS = ("source",)


@attrs.define
class ModelVersionRunFacet(RunFacet):
    """The model version a run registered or promoted (a custom run facet)."""

    name: str
    version: int
    alias: str | None = None
    model_uri: str | None = None

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA_URL


@dataclass
class TaskLineage:
    """What one execution read and wrote, as OpenLineage datasets, and its run facets."""

    inputs: list[InputDataset] = field(default_factory=list)
    outputs: list[OutputDataset] = field(default_factory=list)
    run_facets: dict[str, RunFacet] = field(default_factory=dict)


def dataset_name(uri: str, table: str | None = None) -> tuple[str, str]:
    """(namespace, name) of a file, object or SQL table, as OpenLineage's naming spec has them."""
    if "://" not in uri:
        return "file", os.path.abspath(uri)
    parts = urlsplit(uri)
    scheme = parts.scheme.split("+")[0]  # postgresql+psycopg -> postgresql
    if scheme == "file":
        return "file", parts.path
    if table is not None or scheme in ("postgresql", "mysql", "sqlite", "duckdb", "mssql"):
        if scheme in ("sqlite", "duckdb"):
            return f"{scheme}:///{parts.path.lstrip('/')}", table or ""
        # hostname/port only: the userinfo (and its password) never reaches a lineage event.
        host = parts.hostname or "localhost"
        where = f"{host}:{parts.port}" if parts.port else host
        database = parts.path.lstrip("/")
        return f"{scheme}://{where}", ".".join(p for p in (database, table) if p)
    return f"{scheme}://{parts.netloc}", parts.path.lstrip("/")


def task_lineage(
    task_name: str,
    config: Any,
    result: Any,
    artifacts: Any | None = None,
) -> TaskLineage:
    """The lineage of one execution from its validated config and result (pydantic models).

    `artifacts` (an `ArtifactStore`) lets ``validate``'s report be read for its assertions.
    """
    from mlops_tasks.runtime import artifact_refs

    lineage = TaskLineage()
    schema = _contract_schema(getattr(config, "contract", None), artifacts)
    for label, ref in artifact_refs(config).items():
        if label.startswith("contract"):
            continue
        namespace, name = dataset_name(ref.uri)
        facets = {}
        if (fields := schema or _stored_schema(ref)) is not None:
            facets["schema"] = fields
        lineage.inputs.append(InputDataset(namespace=namespace, name=name, facets=facets))
    for fieldname in SOURCE_FIELDS:
        source = getattr(config, fieldname, None)
        if isinstance(source, str) and source:
            namespace, name = dataset_name(source, getattr(config, "table", None))
            facets = {"schema": schema} if schema is not None else {}
            lineage.inputs.append(InputDataset(namespace=namespace, name=name, facets=facets))
    if task_name == "validate" and lineage.inputs:
        assertions = _assertions(getattr(result, "report", None), artifacts)
        if assertions is not None:
            lineage.inputs[0].inputFacets = {"dataQualityAssertions": assertions}
    for ref in artifact_refs(result).values() if result is not None else ():
        namespace, name = dataset_name(ref.uri)
        facets = {}
        if (fields := _stored_schema(ref)) is not None:
            facets["schema"] = fields
        lineage.outputs.append(OutputDataset(namespace=namespace, name=name, facets=facets))
    if result is not None and isinstance(getattr(result, "version", None), int):
        lineage.run_facets[MODEL_FACET] = ModelVersionRunFacet(
            name=str(getattr(result, "name", "")),
            version=result.version,
            alias=getattr(result, "alias", None),
            model_uri=getattr(result, "model_uri", None),
        )
    return lineage


def _schema_facet(columns: dict[str, str | None]) -> schema_dataset.SchemaDatasetFacet:
    return schema_dataset.SchemaDatasetFacet(
        fields=[
            schema_dataset.SchemaDatasetFacetFields(name=name, type=kind)
            for name, kind in columns.items()
        ]
    )


def _stored_schema(ref: ArtifactRef) -> schema_dataset.SchemaDatasetFacet | None:
    """The Arrow types the artifact store recorded for a Parquet dataset."""
    types = ref.metadata.get("schema")
    return _schema_facet(dict(types)) if isinstance(types, dict) and types else None


def _contract_schema(
    contract: ArtifactRef | str | None, artifacts: Any | None
) -> schema_dataset.SchemaDatasetFacet | None:
    """The columns and types a data contract declares."""
    from mlops_tasks.validation.schema import DatasetSchema

    if contract is None:
        return None
    try:
        if isinstance(contract, ArtifactRef):
            if artifacts is None:
                return None
            schema = DatasetSchema.from_yaml(artifacts.read_bytes(contract), source=contract.uri)
        else:
            from mlops_tasks.validation.contracts import read_contract_file

            schema, _ = read_contract_file(contract)
    except Exception:  # lineage never fails a task: the run already succeeded
        return None
    return _schema_facet({name: spec.dtype for name, spec in schema.columns.items()})


def _assertions(
    report: ArtifactRef | None, artifacts: Any | None
) -> data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet | None:
    """One assertion per rule ``validate`` checked, from the rule verdicts in its report."""
    if report is None or artifacts is None:
        return None
    try:
        document = json.loads(artifacts.read_bytes(report))
    except Exception:  # a missing report costs the facet, not the run
        return None
    return data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
        assertions=[
            data_quality_assertions_dataset.Assertion(
                assertion=outcome["rule"],
                success=bool(outcome["passed"]),
                column=",".join(outcome.get("columns") or []) or None,
                severity=outcome.get("severity"),
                name=outcome.get("id"),
            )
            for outcome in document.get("rules", [])
        ]
    )
