"""An organization's branding: portal name, logo and accent colour; seller address and tax id."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, LargeBinary, String, Table

from plansmith.adapters.db.tables.base import Id, JSONText, UTCDateTime, metadata

# One row per organization that has set any of it; none means "not set" (its own name only).
# The logo's bytes are read only by the logo's own URL, never with the rest.
organization_branding = Table(
    "organization_branding",
    metadata,
    Column("organization_id", Id, ForeignKey("organizations.id"), primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("accent_colour", String(7), nullable=False),
    Column("address_lines", JSONText(), nullable=True),  # a list of up to 3 lines; NULL: none
    Column("city", String(100), nullable=False),
    Column("postal_code", String(20), nullable=False),
    Column("country", String(2), nullable=False),
    Column("tax_id", String(100), nullable=False),
    Column("logo_content_type", String(40), nullable=True),
    Column("logo_sha256", String(64), nullable=True),
    Column("logo_size", BigInteger(), nullable=True),
    Column("logo_data", LargeBinary(), nullable=True),
    Column("revision", BigInteger(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)
