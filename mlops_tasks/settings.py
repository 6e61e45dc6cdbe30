"""Where the stores live. Read from the environment so every worker of a fleet finds the same ones."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

HOME_ENV = "MLOPS_TASKS_HOME"
ARTIFACT_ROOT_ENV = "MLOPS_TASKS_ARTIFACT_ROOT"
ARTIFACT_BASE_URL_ENV = "MLOPS_TASKS_ARTIFACT_BASE_URL"
DB_URL_ENV = "MLOPS_TASKS_DB_URL"


class Settings(BaseModel):
    """Locations of the artifact store and the metadata store.

    >>> s = Settings(artifact_root="memory://demo", metadata_url="sqlite://")
    >>> s.artifact_root
    'memory://demo'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    artifact_root: str = Field(description="fsspec URL or local path of the artifact store.")
    metadata_url: SecretStr = Field(
        description="SQLAlchemy URL of the metadata and lineage store; may hold a password."
    )
    artifact_base_url: str | None = Field(
        None,
        description="HTTP(S) URL under which the artifact root is served, for report links in the "
        "schedulers' UIs; without it links are the artifacts' own URIs.",
    )
    storage_options: dict[str, Any] = Field(
        default_factory=dict,
        repr=False,  # may hold object-store credentials
        description="Keyword arguments for the fsspec filesystem.",
    )

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        home = Path(os.environ.get(HOME_ENV) or Path.home() / ".mlops_tasks").expanduser()
        values: dict[str, Any] = {
            "artifact_root": os.environ.get(ARTIFACT_ROOT_ENV) or str(home / "artifacts"),
            "metadata_url": os.environ.get(DB_URL_ENV) or f"sqlite:///{home / 'metadata.db'}",
            "artifact_base_url": os.environ.get(ARTIFACT_BASE_URL_ENV) or None,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def database_url(self) -> str:
        return self.metadata_url.get_secret_value()
