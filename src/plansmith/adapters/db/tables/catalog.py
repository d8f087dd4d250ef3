"""The plan catalog: families, plans, immutable versions, moves, add-ons, extra packs."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from plansmith.adapters.db.tables.base import Id, JSONText, UTCDateTime, metadata

plan_families = Table(
    "plan_families",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("code", String(63), nullable=False),
    Column("name", String(200), nullable=False),
    Column("policy", JSONText(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("organization_id", "code"),
)

plans = Table(
    "plans",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("family_id", Id, ForeignKey("plan_families.id"), nullable=False, index=True),
    Column("code", String(63), nullable=False),
    Column("name", String(200), nullable=False),
    Column("rank", Integer, nullable=False),
    Column("archived_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("organization_id", "code"),
)

plan_versions = Table(
    "plan_versions",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("plan_id", Id, ForeignKey("plans.id"), nullable=False),
    Column("number", Integer, nullable=False),
    # draft -> current -> legacy; a trigger refuses any change to terms once not a draft
    Column("status", String(16), nullable=False),
    Column("name", String(200), nullable=False),
    Column("terms", JSONText(), nullable=False),
    Column("channels", JSONText(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("published_at", UTCDateTime(), nullable=True),
    UniqueConstraint("plan_id", "number"),
    # at most one current and one draft version per plan, whatever runs at the same time
    Index(
        "uq_plan_versions_one_current",
        "plan_id",
        unique=True,
        sqlite_where=text("status = 'current'"),
        postgresql_where=text("status = 'current'"),
    ),
    Index(
        "uq_plan_versions_one_draft",
        "plan_id",
        unique=True,
        sqlite_where=text("status = 'draft'"),
        postgresql_where=text("status = 'draft'"),
    ),
)

# Bumped in the transaction of every write to the tables above and below: a process holding an
# organization's price book reads this one row to know whether its copy is still current.
catalog_revisions = Table(
    "catalog_revisions",
    metadata,
    Column("organization_id", Id, ForeignKey("organizations.id"), primary_key=True),
    Column("revision", BigInteger, nullable=False),
)

plan_version_moves = Table(
    "plan_version_moves",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("plan_id", Id, ForeignKey("plans.id"), nullable=False, index=True),
    Column("from_version_ids", JSONText(), nullable=False),
    Column("to_version_id", Id, ForeignKey("plan_versions.id"), nullable=False),
    Column("apply", String(16), nullable=False),
    Column("notice", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

add_ons = Table(
    "add_ons",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("code", String(63), nullable=False),
    Column("name", String(200), nullable=False),
    Column("prices", JSONText(), nullable=False),
    Column("quantity_allowed", Boolean, nullable=False),
    Column("fits_families", JSONText(), nullable=False),
    Column("fits_plans", JSONText(), nullable=False),
    Column("features", JSONText(), nullable=False),
    Column("allowances", JSONText(), nullable=False),
    Column("description", Text, nullable=False),
    Column("archived_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("organization_id", "code"),
)

extra_packs = Table(
    "extra_packs",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("code", String(63), nullable=False),
    Column("name", String(200), nullable=False),
    Column("prices", JSONText(), nullable=False),
    Column("allowance", String(63), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("description", Text, nullable=False),
    Column("archived_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("organization_id", "code"),
)
