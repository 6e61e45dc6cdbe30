"""`MlopsTasksStore`: where the artifact store and the metadata store live, as a Prefect block.

Save one per environment and hand it to any mlops-tasks Prefect task::

    from prefect_blocks import MlopsTasksStore

    MlopsTasksStore(
        artifact_root="s3://ml-artifacts/prod",
        metadata_url="postgresql+psycopg://mlops:secret@db/mlops",
        storage_options={"key": "...", "secret": "..."},
    ).save("prod")

    extract(source="s3://raw/day.csv", store=MlopsTasksStore.load("prod"))
    extract(source="s3://raw/day.csv", store="prod")   # same, loaded by name

Without a block, tasks read the same environment variables as the CLI
(`MLOPS_TASKS_HOME`, `MLOPS_TASKS_ARTIFACT_ROOT`, `MLOPS_TASKS_DB_URL`).
"""

from __future__ import annotations

from typing import Any

from prefect.blocks.core import Block
from prefect.types import SecretDict
from pydantic import Field, SecretStr

from mlops_tasks.project import REPOSITORY, raw_url
from mlops_tasks.settings import Settings

# The blocks' pages in the Prefect UI: the logo shipped beside this module, the README's section.
LOGO_URL = raw_url("prefect_blocks/logo.svg")
DOCUMENTATION_URL = f"{REPOSITORY}#adding-mlops-tasks-to-an-existing-prefect-deployment"


class ObjectStoreCredentials(Block):
    """Credentials of an object store (S3 and S3-compatible: MinIO, Ceph ...), as their own block.

    Saved once and nested in any number of `MlopsTasksStore` blocks; the secret and the token
    are encrypted at rest and masked in the UI. They become the fsspec options ``key``,
    ``secret``, ``token`` and ``endpoint_url``.

    >>> ObjectStoreCredentials(key="AKIA", secret="s3cr3t").storage_options()["secret"]
    's3cr3t'
    """

    _block_type_slug = "mlops-tasks-object-store-credentials"
    _block_type_name = "mlops-tasks Object Store Credentials"
    _logo_url = LOGO_URL
    _documentation_url = DOCUMENTATION_URL
    _description = (
        "Access key, secret, session token and endpoint of the artifact store's object store."
    )
    _code_example = """
```python
from prefect_blocks.blocks import MlopsTasksStore, ObjectStoreCredentials

credentials = ObjectStoreCredentials(key="AKIA...", secret="...", endpoint_url="http://minio:9000")
MlopsTasksStore(artifact_root="s3://ml-artifacts/prod", metadata_url="postgresql+psycopg://db/mlops",
                credentials=credentials).save("prod")
```
"""

    key: str | None = Field(default=None, title="Access key id")
    secret: SecretStr | None = Field(default=None, title="Secret access key")
    token: SecretStr | None = Field(default=None, title="Session token")
    endpoint_url: str | None = Field(
        default=None,
        title="Endpoint URL",
        description="For S3-compatible stores, e.g. http://minio:9000.",
    )

    def storage_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"key": self.key, "endpoint_url": self.endpoint_url}
        for name in ("secret", "token"):
            value = getattr(self, name)
            options[name] = value.get_secret_value() if value is not None else None
        return {k: v for k, v in options.items() if v is not None}


class MlopsTasksStore(Block):
    """Locations of the mlops-tasks artifact store and metadata (lineage) store.

    The metadata URL may carry a database password and the storage options may carry
    object-store credentials, so both are secret fields: Prefect encrypts them at rest and
    they never appear in a repr, a log line or the UI.

    Example:
        >>> store = MlopsTasksStore(artifact_root="/tmp/a", metadata_url="sqlite:////tmp/m.db")
        >>> store.settings().artifact_root
        '/tmp/a'
        >>> "sqlite" in repr(store)
        False
    """

    # The slug is the block type's primary key on the server: namespaced so it cannot clash
    # with another collection's "store", and never to be renamed once documents exist.
    _block_type_slug = "mlops-tasks-store"
    _block_type_name = "mlops-tasks Store"
    _logo_url = LOGO_URL
    _documentation_url = DOCUMENTATION_URL
    _description = (
        "Where mlops-tasks keeps artifacts (any fsspec URL) and its metadata and lineage "
        "store (a SQLAlchemy URL). Pass it as `store=` to any mlops-tasks Prefect task."
    )
    # Markdown: the UI's Example box renders only what is inside a fence.
    _code_example = """
```python
from prefect_blocks import MlopsTasksStore
from prefect_blocks.tasks import extract

store = MlopsTasksStore.load("BLOCK_NAME")
extract(source="data/day.csv", store=store)
```
"""

    artifact_root: str = Field(
        description="Local path or fsspec URL of the artifact store, e.g. s3://bucket/prefix.",
        title="Artifact root",
    )
    metadata_url: SecretStr = Field(
        description="SQLAlchemy URL of the metadata and lineage store; may hold a password.",
        title="Metadata store URL",
    )
    storage_options: SecretDict = Field(
        default_factory=lambda: SecretDict({}),
        description="Keyword arguments for the fsspec filesystem (credentials, endpoint_url).",
        title="Storage options",
    )

    metadata_password: SecretStr | None = Field(
        default=None,
        title="Metadata DB password",
        description="Put into the metadata URL when it has none, so the URL can stay password-free.",
    )
    credentials: ObjectStoreCredentials | None = Field(
        default=None,
        title="Object store credentials",
        description="A nested block; its options go under the storage options given here.",
    )

    @classmethod
    def from_env(cls, **overrides: Any) -> MlopsTasksStore:
        """A block holding what the environment says (the same defaults as the CLI)."""
        s = Settings.from_env(**overrides)
        return cls(
            artifact_root=s.artifact_root,
            metadata_url=s.metadata_url,
            storage_options=s.storage_options,
        )

    def settings(self) -> Settings:
        """The core `Settings` these locations stand for."""
        url = self.metadata_url.get_secret_value()
        if self.metadata_password is not None:
            from sqlalchemy.engine import make_url

            parsed = make_url(url)
            if not parsed.password:
                url = parsed.set(
                    password=self.metadata_password.get_secret_value()
                ).render_as_string(hide_password=False)
        options = self.credentials.storage_options() if self.credentials is not None else {}
        return Settings(
            artifact_root=self.artifact_root,
            metadata_url=url,
            storage_options={**options, **self.storage_options.get_secret_value()},
        )


__all__ = ["MlopsTasksStore", "ObjectStoreCredentials"]
