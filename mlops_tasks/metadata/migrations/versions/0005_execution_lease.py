"""Execution leases and register idempotency.

An execution records the process that runs it (pid, host) and a heartbeat, so the next run can
tell a crashed one (its process died, or its heartbeat stopped) and mark it failed. A model
version records the execution that produced its artifact, so a retried register finds it.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("executions", sa.Column("pid", sa.Integer))
    op.add_column("executions", sa.Column("hostname", sa.String(250)))
    op.add_column("executions", sa.Column("heartbeat_at", sa.DateTime(timezone=True)))
    op.add_column("model_versions", sa.Column("source_execution_id", sa.Integer))


def downgrade() -> None:
    with op.batch_alter_table("model_versions") as batch:
        batch.drop_column("source_execution_id")
    with op.batch_alter_table("executions") as batch:
        batch.drop_column("heartbeat_at")
        batch.drop_column("hostname")
        batch.drop_column("pid")
