"""Usage lines: what a usage item and an invoice line measured (meter, quantity, allowance,
billable quantity), and the unique key of a period's usage of a meter, so it is billed once.

Revision ID: 0023_usage_lines
Revises: 0022_webhooks
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023_usage_lines"
down_revision = "0022_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscription_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("usage", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("usage_key", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint("uq_subscription_items_usage_key", ["usage_key"])
    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("usage", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.drop_column("usage")
    with op.batch_alter_table("subscription_items", schema=None) as batch_op:
        batch_op.drop_constraint("uq_subscription_items_usage_key", type_="unique")
        batch_op.drop_column("usage_key")
        batch_op.drop_column("usage")
