"""Executions, artifacts, lineage events, params and metrics.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "executions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("task", sa.String(200), nullable=False, index=True),
        sa.Column("task_version", sa.String(50), nullable=False),
        sa.Column("stage", sa.String(50), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("config", sa.JSON, nullable=False),
        sa.Column("result", sa.JSON),
        sa.Column("fingerprint", sa.String(64), nullable=False, index=True),
        sa.Column("error_type", sa.String(200)),
        sa.Column("error_message", sa.Text),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("ended_at", TS),
        sa.Column("cached_from_id", sa.Integer, sa.ForeignKey("executions.id")),
        sa.Column("engine", sa.String(20), nullable=False),
        sa.Column("dag_id", sa.String(250)),
        sa.Column("run_id", sa.String(250)),
        sa.Column("task_id", sa.String(250)),
        sa.Column("map_index", sa.Integer),
        sa.Column("try_number", sa.Integer),
        sa.Column("flow_run_id", sa.String(64)),
        sa.Column("task_run_id", sa.String(64)),
    )
    op.create_index("ix_executions_fingerprint_status", "executions", ["fingerprint", "status"])
    op.create_table(
        "artifacts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("uri", sa.String(1000), nullable=False, index=True),
        sa.Column("sha256", sa.String(64), nullable=False, index=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(50), nullable=False, index=True),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("metadata", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("uri", "sha256"),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "execution_id", sa.Integer, sa.ForeignKey("executions.id"), nullable=False, index=True
        ),
        sa.Column(
            "artifact_id", sa.Integer, sa.ForeignKey("artifacts.id"), nullable=False, index=True
        ),
        sa.Column("direction", sa.String(10), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.UniqueConstraint("execution_id", "artifact_id", "direction", "name"),
    )
    op.create_table(
        "params",
        sa.Column("execution_id", sa.Integer, sa.ForeignKey("executions.id"), primary_key=True),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "metrics",
        sa.Column("execution_id", sa.Integer, sa.ForeignKey("executions.id"), primary_key=True),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("value", sa.Float, nullable=False),
    )


def downgrade() -> None:
    for table in ("metrics", "params", "events", "artifacts", "executions"):
        op.drop_table(table)
