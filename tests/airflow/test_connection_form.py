"""The connection form's metadata as the api-server hands it to the UI (``/ui/connections/hook_meta``)."""

from __future__ import annotations


def test_the_form_gets_the_placeholders_and_examples():
    from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService

    [meta] = [m for m in HookMetaService.hook_meta_data() if m.connection_type == "mlops_tasks"]
    fields = meta.standard_fields
    assert fields.host.title == "Metadata DB URL"
    assert fields.host.placeholder.startswith("postgresql+psycopg://")
    assert fields.port.hidden and fields.url_schema.hidden
    # Extra fields show their schema's examples (the UI's flexible form has no placeholder key).
    root = meta.extra_fields["artifact_root"]
    assert root["schema"]["title"] == "Artifact root"
    assert "s3://ml-artifacts/mlops-tasks" in root["schema"]["examples"]
    assert "endpoint_url" in meta.extra_fields["storage_options"]["schema"]["examples"][0]
