"""OpenLineage dataset naming and facets from a task's config and result (no engine)."""

from __future__ import annotations

import pytest

pytest.importorskip("openlineage.client")

from mlops_tasks.artifacts import ArtifactRef  # noqa: E402
from mlops_tasks.lineage_openlineage import dataset_name, task_lineage  # noqa: E402


@pytest.mark.parametrize(
    ("uri", "table", "expected"),
    [
        ("s3://bucket/a/b.parquet", None, ("s3://bucket", "a/b.parquet")),
        ("/data/day.csv", None, ("file", "/data/day.csv")),
        ("file:///data/day.csv", None, ("file", "/data/day.csv")),
        (
            "postgresql+psycopg://u:hunter2@db.example:5432/shop",
            "public.orders",
            ("postgresql://db.example:5432", "shop.public.orders"),
        ),
        ("sqlite:////tmp/x.db", "events", ("sqlite:///tmp/x.db", "events")),
    ],
)
def test_dataset_names_follow_the_openlineage_spec_without_credentials(uri, table, expected):
    assert dataset_name(uri, table) == expected
    assert "hunter2" not in "".join(dataset_name(uri, table))


def test_model_version_facet_and_output_schema_from_the_result():
    from mlops_tasks.tasks.extract import ExtractConfig, ExtractResult
    from mlops_tasks.tasks.register import RegisterResult

    ref = ArtifactRef(
        uri="s3://art/ab/cd.parquet", sha256="0" * 64, size=1, kind="dataset",
        metadata={"schema": {"cnt": "int64", "dteday": "string"}},
    )  # fmt: skip
    result = ExtractResult(dataset=ref, rows=1, columns=["cnt", "dteday"])
    lineage = task_lineage("extract", ExtractConfig(source="s3://raw/day.csv"), result)
    assert [(d.namespace, d.name) for d in lineage.inputs] == [("s3://raw", "day.csv")]
    [out] = lineage.outputs
    assert (out.namespace, out.name) == ("s3://art", "ab/cd.parquet")
    assert [(f.name, f.type) for f in out.facets["schema"].fields] == [
        ("cnt", "int64"),
        ("dteday", "string"),
    ]
    registered = RegisterResult(name="bikes", version=3, model_uri="models:/bikes/3")
    facet = task_lineage("register", None, registered).run_facets["mlopsTasks_model"]
    assert (facet.name, facet.version) == ("bikes", 3)


def test_the_model_facet_names_its_shipped_schema_and_validates_against_it():
    import json

    import jsonschema
    from openlineage.client.serde import Serde
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    from mlops_tasks.lineage_openlineage import MODEL_FACET, SCHEMA_FILE, SCHEMA_URL
    from mlops_tasks.tasks.register import RegisterResult

    # The URL is the shipped file's place in the repository, its fragment the facet's definition.
    schema = json.loads(SCHEMA_FILE.read_text())
    document, fragment = SCHEMA_URL.split("#")
    assert schema["$id"] == document
    assert document.endswith("/main/" + SCHEMA_FILE.relative_to(SCHEMA_FILE.parents[2]).as_posix())
    assert fragment == "/$defs/ModelVersionRunFacet" and "ModelVersionRunFacet" in schema["$defs"]
    jsonschema.Draft202012Validator.check_schema(schema)

    result = RegisterResult(name="bike_demand", version=2, model_uri="s3://art/m.skops", alias="challenger")  # fmt: skip
    facet = json.loads(
        Serde.to_json(task_lineage("register", None, result).run_facets[MODEL_FACET])
    )
    assert facet["_schemaURL"] == SCHEMA_URL
    # OpenLineage's RunFacet, as its spec (2-0-2) defines it, stands in for the remote document:
    # tests run offline.
    spec = {
        "$id": "https://openlineage.io/spec/2-0-2/OpenLineage.json",
        "$defs": {
            "RunFacet": {
                "type": "object",
                "properties": {
                    "_producer": {"type": "string", "format": "uri"},
                    "_schemaURL": {"type": "string", "format": "uri"},
                },
                "required": ["_producer", "_schemaURL"],
            }
        },
    }
    registry = Registry().with_resources(
        (r["$id"], DRAFT202012.create_resource(r))
        for r in (spec, schema)
    )  # fmt: skip
    facet_schema = {"$ref": SCHEMA_URL}
    validator = jsonschema.Draft202012Validator(facet_schema, registry=registry)
    validator.validate(facet)
    assert {"name": "bike_demand", "version": 2, "alias": "challenger"}.items() <= facet.items()
    for broken in ({**facet, "version": 0}, {k: v for k, v in facet.items() if k != "name"}):
        assert not validator.is_valid(broken), broken
