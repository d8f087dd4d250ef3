"""Sandboxes an owner deleted (archived: kept, no longer counted or listed, their keys revoked)
and the console's one-time create-sandbox form tokens.

Revision ID: 0017_sandbox_archive
Revises: 0016_invoice_seller
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_sandbox_archive"
down_revision = "0016_invoice_seller"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no table rebuild on SQLite): no sandbox is archived yet.
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "sandbox_forms",
        sa.Column("owner_id", sa.String(length=40), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("sandbox_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["organizations.id"]),
        sa.ForeignKeyConstraint(["sandbox_id"], ["organizations.id"]),
        sa.PrimaryKeyConstraint("owner_id", "token"),
    )


def downgrade() -> None:
    op.drop_table("sandbox_forms")
    # ALTER TABLE … DROP COLUMN on both (SQLite 3.35+): a batch rebuild of organizations would
    # drop the table every other table's foreign keys point at.
    op.execute("ALTER TABLE organizations DROP COLUMN archived_at")
