"""A finalized invoice keeps its seller (name, address, tax id) as it stood when it was
finalized, so a later change of the organization's settings does not rewrite issued invoices.

Invoices finalized before this migration get the seller as the settings stand when it runs:
what they were at each invoice's finalization was not recorded. Drafts keep NULL (a draft
shows the current settings and gets its seller when finalized).

Revision ID: 0016_invoice_seller
Revises: 0015_sandbox_owners
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0016_invoice_seller"
down_revision = "0015_sandbox_owners"
branch_labels = None
depends_on = None


def _seller(row: sa.Row[tuple[object, ...]]) -> str:
    """The seller as the application stores it (adapters/db/invoicing/invoice_rows.py), as
    canonical JSON text (sorted keys, as JSONText writes it)."""
    r = row._mapping
    address = None
    if r["address_lines"] is not None:
        address = {
            "lines": json.loads(r["address_lines"]),
            "city": r["city"],
            "postal_code": r["postal_code"],
            "country": r["country"],
        }
    value = {
        "name": r["display_name"] or r["name"],
        "address": address,
        "tax_id": r["tax_id"] or "",
    }
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def upgrade() -> None:
    # A plain ADD COLUMN (no table rebuild on SQLite).
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seller", sa.Text(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT o.id, o.name, b.display_name, b.address_lines, b.city, b.postal_code,"
            " b.country, b.tax_id FROM organizations o"
            " LEFT JOIN organization_branding b ON b.organization_id = o.id"
            " WHERE EXISTS (SELECT 1 FROM invoices i WHERE i.organization_id = o.id"
            " AND i.status <> 'draft')"
        )
    ).all()
    for row in rows:
        bind.execute(
            sa.text(
                "UPDATE invoices SET seller = :seller"
                " WHERE organization_id = :org AND status <> 'draft'"
            ),
            {"seller": _seller(row), "org": row._mapping["id"]},
        )


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN on both (SQLite 3.35+), without rebuilding invoices.
    op.execute("ALTER TABLE invoices DROP COLUMN seller")
