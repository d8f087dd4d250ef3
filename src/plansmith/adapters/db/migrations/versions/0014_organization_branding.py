"""An organization's branding: the name, logo and accent colour of its portal, and the seller's
address and tax id on its invoices. One row per organization that has set any of it.

Revision ID: 0014_organization_branding
Revises: 0013_due_walk_index
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_organization_branding"
down_revision = "0013_due_walk_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organization_branding",
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("accent_colour", sa.String(length=7), nullable=False),
        sa.Column("address_lines", sa.Text(), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("postal_code", sa.String(length=20), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("tax_id", sa.String(length=100), nullable=False),
        sa.Column("logo_content_type", sa.String(length=40), nullable=True),
        sa.Column("logo_sha256", sa.String(length=64), nullable=True),
        sa.Column("logo_size", sa.BigInteger(), nullable=True),
        sa.Column("logo_data", sa.LargeBinary(), nullable=True),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.PrimaryKeyConstraint("organization_id"),
    )


def downgrade() -> None:
    op.drop_table("organization_branding")
