"""The incident lifecycle in the metadata store: open incidents are read back, extended and resolved.

One row per incident (table ``incidents``, migration 0004): status, title, services, times and
the full incident as JSON. A run of ``correlate_alerts`` loads the open incidents, lets new
alerts join them, and writes every incident it touched back.

>>> from mlops_tasks.metadata import MetadataStore
>>> store = IncidentStore(MetadataStore("sqlite://"))
>>> store.open_incidents()
[]
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from mlops_tasks.aiops.incidents import Incident
from mlops_tasks.metadata.models import Base


class IncidentRow(Base):
    __tablename__ = "incidents"
    __table_args__ = {"extend_existing": True}

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str] = mapped_column(Text)
    services: Mapped[Any] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notifications: Mapped[int] = mapped_column(Integer)
    document: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IncidentStore:
    """Read and write incidents in a `MetadataStore`'s database."""

    def __init__(self, metadata: Any):
        self.engine = metadata.engine

    def open_incidents(self) -> list[Incident]:
        with Session(self.engine) as session:
            rows = session.scalars(
                select(IncidentRow)
                .where(IncidentRow.status == "open")
                .order_by(IncidentRow.started_at)
            )
            return [Incident.from_json(r.document) for r in rows]

    def get(self, key: str) -> dict[str, Any] | None:
        with Session(self.engine) as session:
            row = session.get(IncidentRow, key)
            return None if row is None else {**row.document, "status": row.status}

    def all(self, status: str | None = None) -> list[dict[str, Any]]:
        stmt = select(IncidentRow).order_by(IncidentRow.started_at)
        if status:
            stmt = stmt.where(IncidentRow.status == status)
        with Session(self.engine) as session:
            return [{**r.document, "status": r.status} for r in session.scalars(stmt)]

    def save(self, incidents: list[Incident]) -> None:
        """Insert new incidents and update known ones (a resolved incident stays resolved)."""
        now = datetime.now(timezone.utc)
        with Session(self.engine) as session, session.begin():
            for incident in incidents:
                doc = incident.to_json()
                row = session.get(IncidentRow, incident.key)
                if row is None:
                    row = IncidentRow(key=incident.key)
                    session.add(row)
                elif row.status == "resolved" and incident.status != "resolved":
                    continue
                row.status = incident.status
                row.title = doc["title"]
                row.services = doc["services"]
                row.started_at = incident.started_at
                row.last_seen = incident.last_seen
                row.resolved_at = incident.resolved_at
                row.notifications = incident.notifications
                row.document = doc
                row.updated_at = now
