"""The usage of a period cut short by a change of billing cycle (ADR 0034): the stopped window
not billed yet also keeps the period it was cut from and the plan version held before the
change (None for a cancel's or a pause's window).

Revision ID: 0027_cut_usage
Revises: 0026_stopped_usage
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027_cut_usage"
down_revision = "0026_stopped_usage"
branch_labels = None
depends_on = None

_COLUMNS = ("stop_usage_period_start", "stop_usage_period_end", "stop_usage_version")


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch_op:
        batch_op.add_column(sa.Column("stop_usage_period_start", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("stop_usage_period_end", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("stop_usage_version", sa.String(40), nullable=True))


def downgrade() -> None:
    # Column by column, without batch mode: SQLite (3.35+) drops a column in place, where a
    # batch copy would drop and recreate the table the other tables' foreign keys point at.
    for name in reversed(_COLUMNS):
        op.drop_column("subscriptions", name)
