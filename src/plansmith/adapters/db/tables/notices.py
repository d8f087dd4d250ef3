"""E-mail notices: each message claimed before it is handed to the SMTP server, and each
organization's notice settings (the copy address)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, LargeBinary, String, Table, Text

from plansmith.adapters.db.tables.base import Id, UTCDateTime, metadata

# One row per (event, notice kind, account, recipient): the primary key is what makes a notice
# go out once. ``sending`` rows are claims (with the message as it will be sent, so a resend
# after a crash is the same message with the same Message-ID); ``sent`` once the SMTP server
# accepted it; ``refused`` when the server refused every recipient for good.
sent_notices = Table(
    "sent_notices",
    metadata,
    Column("event_id", Id, primary_key=True),
    Column("kind", String(40), primary_key=True),
    Column("account_id", Id, ForeignKey("accounts.id"), primary_key=True),
    Column("recipient", String(320), primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("status", String(10), nullable=False),
    Column("message_id", String(200), nullable=False),
    Column("subject", Text, nullable=False),
    Column("envelope", Text, nullable=False),  # every address the server is given, one per line
    Column("message", LargeBinary(), nullable=False),  # the whole message, as sent
    Column("claimed_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime(), nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Index("ix_sent_notices_account", "organization_id", "account_id", "claimed_at"),
)

# One row per organization that changed a notice setting; none: the defaults.
notice_settings = Table(
    "notice_settings",
    metadata,
    Column("organization_id", Id, ForeignKey("organizations.id"), primary_key=True),
    Column("copy_address", String(320), nullable=False),  # "" for none
    Column("copy_mode", String(3), nullable=False),  # cc or bcc
    # How many days before a trial ends, and before an annual plan renews, customers are told.
    Column("trial_days_before", Integer, nullable=False),
    Column("renewal_days_before", Integer, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)
