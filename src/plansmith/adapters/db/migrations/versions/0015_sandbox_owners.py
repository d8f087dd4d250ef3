"""Sandboxes made from the API or the console belong to the live organization that made them.

Revision ID: 0015_sandbox_owners
Revises: 0014_organization_branding
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_sandbox_owners"
down_revision = "0014_organization_branding"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no table rebuild on SQLite): every existing organization has no owner.
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_id", sa.String(length=40), nullable=True))
    op.create_index("ix_organizations_owner", "organizations", ["owner_id", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_organizations_owner", table_name="organizations")
    # ALTER TABLE … DROP COLUMN on both (SQLite 3.35+): a batch rebuild of organizations would
    # drop the table every other table's foreign keys point at.
    op.execute("ALTER TABLE organizations DROP COLUMN owner_id")
