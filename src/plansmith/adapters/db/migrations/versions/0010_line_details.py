"""What a billed line is: the cycle of the terms an item and an invoice line bill, the days a
line bills of its period and its subscription; the billing run that made an invoice.

Lines of before get their subscription (their invoice's), days and period days (their item's)
here, exactly; the cycle of items and lines of before, and the run of invoices of before, are
not known and stay null.

Revision ID: 0010_line_details
Revises: 0009_outbox
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_line_details"
down_revision = "0009_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscription_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cycle", sa.String(length=32), nullable=True))
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("billing_run_id", sa.String(length=40), nullable=True))
        batch_op.create_index(
            "ix_invoices_billing_run", ["billing_run_id", "created_at", "id"], unique=False
        )
    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subscription_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("cycle", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("period_days", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE invoice_lines SET subscription_id ="
        " (SELECT i.subscription_id FROM invoices i WHERE i.id = invoice_lines.invoice_id)"
    )
    op.execute(
        "UPDATE invoice_lines SET"
        " days = (SELECT s.days FROM subscription_items s WHERE s.id = invoice_lines.source_id),"
        " period_days = (SELECT s.period_days FROM subscription_items s"
        " WHERE s.id = invoice_lines.source_id)"
        " WHERE EXISTS (SELECT 1 FROM subscription_items s WHERE s.id = invoice_lines.source_id"
        " AND s.days IS NOT NULL)"
    )


def downgrade() -> None:
    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.drop_column("period_days")
        batch_op.drop_column("days")
        batch_op.drop_column("cycle")
        batch_op.drop_column("subscription_id")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_invoices_billing_run")
        batch_op.drop_column("billing_run_id")
    with op.batch_alter_table("subscription_items", schema=None) as batch_op:
        batch_op.drop_column("cycle")
