"""The usage of a period stopped in its middle (ADR 0034): on the subscription, the instant
of its last stop that closed usage, where its usage window starts after a resume, and the
stopped window not billed yet (its dates and the instant its grace window runs from).

Revision ID: 0026_stopped_usage
Revises: 0025_allowance_thresholds
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026_stopped_usage"
down_revision = "0025_allowance_thresholds"
branch_labels = None
depends_on = None

_COLUMNS = ("stopped_at", "usage_from", "stop_usage_start", "stop_usage_on", "stop_usage_closes")


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch_op:
        batch_op.add_column(sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("usage_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("stop_usage_start", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("stop_usage_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("stop_usage_closes", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    # Column by column, without batch mode: SQLite (3.35+) drops a column in place, where a
    # batch copy would drop and recreate the table the other tables' foreign keys point at.
    for name in reversed(_COLUMNS):
        op.drop_column("subscriptions", name)
