"""`MlopsTasksHook`: the mlops-tasks stores, configured by an Airflow connection of type ``mlops_tasks``.

The connection holds

* host: the SQLAlchemy URL of the metadata and lineage store;
* login / password: the database user and password, if they are not in the URL (keep the
  password here so Airflow masks it; it is never logged);
* extra ``artifact_root``: local path or fsspec URL of the artifact store;
* extra ``storage_options``: fsspec options for it, a JSON object (or a string holding one).

For example, as an environment variable::

    AIRFLOW_CONN_MLOPS_TASKS_DEFAULT='{"conn_type": "mlops_tasks",
        "host": "postgresql+psycopg://db:5432/mlops", "login": "mlops", "password": "...",
        "extra": {"artifact_root": "s3://ml-artifacts/mlops-tasks"}}'

Without a connection of that id the hook uses ``Settings.from_env()`` (``MLOPS_TASKS_HOME``,
``MLOPS_TASKS_ARTIFACT_ROOT``, ``MLOPS_TASKS_DB_URL``), so a single-machine set-up needs no
connection at all. Fields a connection leaves empty fall back to the environment the same way.

>>> from airflow_provider.hooks import MlopsTasksHook
>>> MlopsTasksHook().mlops_conn_id
'mlops_tasks_default'
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowNotFoundException

if TYPE_CHECKING:
    from airflow.sdk import Connection

    from mlops_tasks.settings import Settings


class MlopsTasksHook(BaseHook):
    """Settings for, and a health check of, the mlops-tasks artifact and metadata stores.

    :param mlops_conn_id: id of a connection of type ``mlops_tasks``; when no such connection
        exists, the stores come from the ``MLOPS_TASKS_*`` environment variables.
    """

    conn_name_attr = "mlops_conn_id"
    default_conn_name = "mlops_tasks_default"
    conn_type = "mlops_tasks"
    hook_name = "mlops-tasks stores"

    def __init__(self, mlops_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mlops_conn_id = mlops_conn_id

    def get_conn(self) -> Settings:
        return self.get_settings()

    def get_settings(self) -> Settings:
        """`mlops_tasks.settings.Settings` from the connection, or from the environment without one."""
        from mlops_tasks.settings import Settings

        try:
            conn = self.get_connection(self.mlops_conn_id)
        except AirflowNotFoundException:
            self.log.info(
                "No connection %r: mlops-tasks stores come from the MLOPS_TASKS_* environment",
                self.mlops_conn_id,
            )
            return _masked(Settings.from_env())
        return _masked(settings_from_connection(conn, self.mlops_conn_id))

    def test_connection(self) -> tuple[bool, str]:
        """Open both stores: migrate the metadata DB, write, read back and delete a tiny probe artifact.

        Returns ``(ok, message)``, as Airflow's "Test" button expects; the message never holds
        the database password.
        """
        try:
            settings = self.get_settings()
        except Exception as exc:  # noqa: BLE001 - reported, not raised: this is a health check
            return False, f"invalid mlops-tasks connection {self.mlops_conn_id!r}: {exc}"
        safe_url = _hide_password(settings.database_url)
        try:
            from mlops_tasks.artifacts import ArtifactStore
            from mlops_tasks.metadata import MetadataStore

            MetadataStore(settings.database_url)  # creates or upgrades the schema
            artifacts = ArtifactStore(settings.artifact_root, settings.storage_options)
            # Unique bytes: the store is content-addressed, so a constant probe already present
            # would not prove that writing works.
            probe = f"mlops-tasks connection probe {uuid.uuid4().hex}".encode()
            ref = artifacts.put_bytes(probe, kind="probe", media_type="text/plain")
            if artifacts.read_bytes(ref) != probe:
                return (
                    False,
                    f"artifact store {settings.artifact_root} returned other bytes than written",
                )
            _remove_probe(artifacts.fs, artifacts.fs._strip_protocol(ref.uri))
        except Exception as exc:  # noqa: BLE001
            message = str(exc).replace(settings.database_url, safe_url)
            return False, f"{type(exc).__name__}: {message}"
        return (
            True,
            f"metadata store {safe_url} is migrated; artifact store {settings.artifact_root} is writable",
        )


def settings_from_connection(conn: Any, conn_id: str) -> Settings:
    """The stores a connection of type ``mlops_tasks`` names; its empty fields from the environment.

    Shared by the hook (on workers) and the reports app (in the api-server, which reads
    connections from the secrets backends and the DB itself).
    """
    from mlops_tasks.settings import Settings

    extra = conn.extra_dejson
    return Settings.from_env(
        artifact_root=_extra(extra, "artifact_root"),
        metadata_url=_database_url(conn),
        storage_options=_storage_options(_extra(extra, "storage_options"), conn_id),
    )


def _remove_probe(fs: Any, path: str) -> None:
    fs.rm(path)
    protocols = (fs.protocol,) if isinstance(fs.protocol, str) else fs.protocol
    if "file" in protocols:
        # probe/<2 hex>/ directories stay behind on a local disk; object stores have none.
        for directory in (path.rsplit("/", 1)[0], path.rsplit("/", 2)[0]):
            try:
                fs.rmdir(directory)
            except OSError:
                break


def _masked(settings: Settings) -> Settings:
    """Register a password inside the DB URL with Airflow's log masker: only the password field is masked by default."""
    from urllib.parse import unquote, urlsplit

    from airflow.sdk.log import mask_secret

    try:
        password = urlsplit(settings.database_url).password
    except ValueError:
        password = None
    if password:
        mask_secret(password)
        mask_secret(unquote(password))
    return settings


def _extra(extra: dict[str, Any], name: str) -> Any:
    # Older forms stored custom fields as extra__<conn type>__<name>.
    value = extra.get(name)
    if value in (None, ""):
        value = extra.get(f"extra__{MlopsTasksHook.conn_type}__{name}")
    return None if value == "" else value


def _storage_options(value: Any, conn_id: str) -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"connection {conn_id!r}: storage_options is not JSON: {exc}") from None
    if not isinstance(parsed, dict):
        raise TypeError(f"connection {conn_id!r}: storage_options must be a JSON object")
    return parsed


def _database_url(conn: Connection) -> str | None:
    """The host URL with the connection's login and password put in, when the URL lacks them."""
    if not conn.host:
        return None
    if not (conn.login or conn.password):
        return conn.host
    from sqlalchemy.engine import make_url  # only when a password must be inserted

    url = make_url(conn.host)
    if conn.login and not url.username:
        url = url.set(username=conn.login)
    if conn.password and not url.password:
        url = url.set(password=conn.password)
    return url.render_as_string(hide_password=False)


# Airflow connection types whose URI scheme SQLAlchemy spells otherwise.
_SQLALCHEMY_SCHEMES = {"postgres": "postgresql+psycopg", "postgresql": "postgresql+psycopg"}


def connection_url(conn_id: str) -> str:
    """The URL an Airflow connection stands for: what ``airflow-conn:<conn_id>`` in a task config means.

    A host that is a whole URL is taken as is (with the connection's login and password put in
    when the URL lacks them); otherwise the connection's URI, with a ``postgres`` type spelled
    ``postgresql+psycopg`` for SQLAlchemy. The password is registered with Airflow's log masker.
    """
    from airflow.sdk.log import mask_secret

    conn = BaseHook.get_connection(conn_id)
    if conn.password:
        mask_secret(conn.password)
    if conn.host and "://" in conn.host:
        return _database_url(conn) or conn.host
    uri = conn.get_uri()
    scheme, sep, rest = uri.partition("://")
    return _SQLALCHEMY_SCHEMES.get(scheme, scheme) + sep + rest


def _hide_password(url: str) -> str:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - unparsable: say nothing about it
        return "<metadata DB URL>"
