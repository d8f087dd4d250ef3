"""The catalog revision: one counter per organization, bumped by every catalog write in its
own transaction, so that each process can keep the price book and know when it is stale.

Organizations of before start at no row (revision 0); their first catalog write makes it 1.

Revision ID: 0012_catalog_revision
Revises: 0011_account_search
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_catalog_revision"
down_revision = "0011_account_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_revisions",
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.PrimaryKeyConstraint("organization_id"),
    )


def downgrade() -> None:
    op.drop_table("catalog_revisions")
