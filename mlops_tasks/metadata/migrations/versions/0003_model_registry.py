"""Model registry: registered models, versions, version tags, aliases and the audit log.

Revision ID: 0003
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "registered_models",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("description", sa.Text),
        sa.Column("latest_version", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "model_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("model_id", sa.Integer, sa.ForeignKey("registered_models.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column(
            "artifact_id", sa.Integer, sa.ForeignKey("artifacts.id"), nullable=False, index=True
        ),
        sa.Column("sha256", sa.String(64), nullable=False, index=True),
        sa.Column("format", sa.String(20), nullable=False),
        sa.Column("signature", sa.JSON),
        sa.Column("metrics", sa.JSON),
        sa.Column("description", sa.Text),
        sa.Column("execution_id", sa.Integer, sa.ForeignKey("executions.id")),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("model_id", "version", name="uq_model_versions_model_version"),
    )
    op.create_table(
        "model_version_tags",
        sa.Column("version_id", sa.Integer, sa.ForeignKey("model_versions.id"), primary_key=True),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "model_aliases",
        sa.Column("model_id", sa.Integer, sa.ForeignKey("registered_models.id"), primary_key=True),
        sa.Column("alias", sa.String(100), primary_key=True),
        sa.Column("version_id", sa.Integer, sa.ForeignKey("model_versions.id"), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "model_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("model_id", sa.Integer, sa.ForeignKey("registered_models.id"), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("alias", sa.String(100)),
        sa.Column("version", sa.Integer),
        sa.Column("previous_version", sa.Integer),
        sa.Column("reason", sa.Text),
        sa.Column("execution_id", sa.Integer, sa.ForeignKey("executions.id")),
        sa.Column("engine", sa.String(20)),
        sa.Column("dag_id", sa.String(250)),
        sa.Column("run_id", sa.String(250)),
        sa.Column("flow_run_id", sa.String(64)),
        sa.Column("actor", sa.String(100)),
        sa.Column("at", TS, nullable=False),
    )
    op.create_index("ix_model_audit_model_alias", "model_audit", ["model_id", "alias", "id"])


def downgrade() -> None:
    op.drop_index("ix_model_audit_model_alias", "model_audit")
    for table in (
        "model_audit",
        "model_aliases",
        "model_version_tags",
        "model_versions",
        "registered_models",
    ):
        op.drop_table(table)
