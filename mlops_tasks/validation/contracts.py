"""A data contract from where users keep it: a YAML file path or fsspec URL, or a schema artifact.

A contract file in git (``contracts/bank.yaml``, ``https://.../bank.yaml``, ``s3://...``) is read
as it is at run time; the run records it as an input (its URL and sha256), so lineage shows the
exact contract each validation checked, and the run cache misses when the file changes. YAML is
read with ``safe_load``: a contract is data, never code.

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "c.yaml")
>>> _ = open(path, "w").write("columns:\\n  id: {dtype: int, role: id}\\n")
>>> schema, ref = read_contract_file(path)
>>> list(schema.columns), ref.kind, schema.columns_with_roles(("id",))
(['id'], 'schema', ['id'])
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.errors import SourceNotFoundError, SourceUnreachableError

if TYPE_CHECKING:
    from mlops_tasks.validation.schema import DatasetSchema

YAML = "text/yaml"
MAX_CONTRACT_BYTES = 16 * 1024 * 1024  # a contract is a small text file; more is a wrong path


def contract_bytes(location: str) -> tuple[bytes, str]:
    """The file's bytes and its full URL; a missing file is a `SourceNotFoundError` naming it."""
    import fsspec

    try:
        fs, path = fsspec.core.url_to_fs(location)
        with fs.open(path, "rb") as fh:
            data = fh.read(MAX_CONTRACT_BYTES + 1)
    except FileNotFoundError:
        raise SourceNotFoundError(f"contract: no file at {location}") from None
    except (ImportError, ValueError, OSError) as exc:
        raise SourceUnreachableError(f"contract: cannot read {location}: {exc}") from None
    if len(data) > MAX_CONTRACT_BYTES:
        raise SourceUnreachableError(
            f"contract: {location} is over {MAX_CONTRACT_BYTES} bytes: not a contract"
        )
    return data, fs.unstrip_protocol(path)


def read_contract_file(location: str) -> tuple[DatasetSchema, ArtifactRef]:
    """The contract at `location` and a reference to it (for `ctx.record_input`)."""
    from mlops_tasks.validation.schema import DatasetSchema

    data, uri = contract_bytes(location)
    schema = DatasetSchema.from_yaml(data, source=location)
    ref = ArtifactRef(
        uri=uri, sha256=hashlib.sha256(data).hexdigest(), size=len(data), kind="schema",
        media_type=YAML,
    )  # fmt: skip
    return schema, ref


def read_contract(contract: ArtifactRef | str, ctx: Any) -> DatasetSchema:
    """A contract given as a schema artifact or as a file path / URL (recorded as an input)."""
    from mlops_tasks.validation.schema import DatasetSchema

    if isinstance(contract, ArtifactRef):
        return DatasetSchema.from_yaml(ctx.artifacts.read_bytes(contract), source=contract.uri)
    schema, ref = read_contract_file(contract)
    ctx.record_input("contract", ref)
    return schema


# Columns drift leaves out by their role: time and ids change by design, `ignore` is never used.
NOT_MONITORED = ("time", "id", "ignore")


def columns_not_monitored(contract: ArtifactRef | str | None, ctx: Any) -> list[str]:
    """The contract's columns whose role keeps them out of drift (none without a contract)."""
    if contract is None:
        return []
    return read_contract(contract, ctx).columns_with_roles(NOT_MONITORED)


def contract_cache_key(contract: ArtifactRef | str | None) -> str:
    """What pins a contract down for the run cache: a file's content hash (refs carry theirs)."""
    if isinstance(contract, str):
        return hashlib.sha256(contract_bytes(contract)[0]).hexdigest()
    return ""


def config_contract_key(config: Any) -> str:
    """The run-cache key of a task whose config names a ``contract`` (validate, fit_reference, drift)."""
    return contract_cache_key(config.contract)
