"""The index of due subscriptions ends with the id, so the billing run's walk over them is a
seek per page: it goes in (organization, due at, id) order, and with only (organization,
due at) indexed every page had to find and sort all the subscriptions due at the same instant
(a cohort renewing at one local midnight) to take the next 500: quadratic in the cohort,
about 6 s of database time per run at 100,000 subscriptions, hours at millions.

On a large PostgreSQL database, build ``ix_subscriptions_due_walk`` beforehand with ``CREATE
INDEX CONCURRENTLY ... ON subscriptions (organization_id, due_at, id)``, so the migration does
not hold writes to subscriptions while it builds (``IF NOT EXISTS``); it then only drops the
old index.

Revision ID: 0013_due_walk_index
Revises: 0012_catalog_revision
"""

from __future__ import annotations

from alembic import op

revision = "0013_due_walk_index"
down_revision = "0012_catalog_revision"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_subscriptions_due_walk",
        "subscriptions",
        ["organization_id", "due_at", "id"],
        if_not_exists=True,
    )
    op.drop_index("ix_subscriptions_due", table_name="subscriptions")


def downgrade() -> None:
    op.create_index("ix_subscriptions_due", "subscriptions", ["organization_id", "due_at"])
    op.drop_index("ix_subscriptions_due_walk", table_name="subscriptions")
