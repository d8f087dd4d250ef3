"""Invoices and their lines, numbering, tax rates, coupons, credit notes, the ledger, runs."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
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

OPEN_OWING = "status = 'open' AND amount_due > 0"

tax_rates = Table(
    "tax_rates",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("percent", String(16), nullable=False),  # exact decimal text (SQLite keeps no Numeric)
    Column("inclusive", Boolean, nullable=False),
    Column("country", String(2), nullable=True),
    Column("region", String(100), nullable=True),
    Column("archived_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

# An account's own rate wins over the one of its invoice address's country / region.
account_tax_rates = Table(
    "account_tax_rates",
    metadata,
    Column("account_id", Id, ForeignKey("accounts.id"), primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("tax_rate_id", Id, ForeignKey("tax_rates.id"), nullable=False),
)

coupons = Table(
    "coupons",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("code", String(63), nullable=False),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),  # percent | amount
    Column("percent", String(16), nullable=False),
    Column("amounts", JSONText(), nullable=False),  # currency -> minor units, for "amount"
    Column("duration", String(16), nullable=False),  # once | repeating | forever
    Column("cycles", Integer, nullable=True),  # for repeating
    Column("plan_codes", JSONText(), nullable=False),
    Column("archived_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("organization_id", "code"),
)

coupon_redemptions = Table(
    "coupon_redemptions",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("coupon_id", Id, ForeignKey("coupons.id"), nullable=False),
    Column("subscription_id", Id, ForeignKey("subscriptions.id"), nullable=False),
    Column("invoices_used", Integer, nullable=False),  # finalized invoices it discounted
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("coupon_id", "subscription_id"),
)

# One row per organization: the last invoice number given. Taking the next one is an UPDATE
# in the finalizing transaction, so a rolled-back finalization gives its number back: no gaps.
document_sequences = Table(
    "document_sequences",
    metadata,
    Column("organization_id", Id, ForeignKey("organizations.id"), primary_key=True),
    Column("kind", String(16), primary_key=True),  # invoice | credit_note
    Column("last_number", BigInteger, nullable=False),
)

invoices = Table(
    "invoices",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("subscription_id", Id, ForeignKey("subscriptions.id"), nullable=True),
    # what the invoice bills, unique per subscription: "period:2026-01-31", "final:2026-02-14"
    Column("billing_key", String(40), nullable=True),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False),
    Column("number", String(40), nullable=True),
    Column("period_start", Date, nullable=True),
    Column("period_end", Date, nullable=True),
    Column("subtotal", BigInteger, nullable=False),
    Column("discount", BigInteger, nullable=False),
    Column("tax", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("credit_applied", BigInteger, nullable=False),
    Column("amount_due", BigInteger, nullable=False),
    Column("tax_id", String(100), nullable=True),
    Column("buyer", JSONText(), nullable=False),  # name and address lines as invoiced
    # the seller as it stood when the invoice was finalized; NULL while it is a draft
    Column("seller", JSONText(), nullable=True),
    Column("discounts", JSONText(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("finalize_after", UTCDateTime(), nullable=False),
    Column("finalized_at", UTCDateTime(), nullable=True),
    Column("paid_at", UTCDateTime(), nullable=True),
    Column("voided_at", UTCDateTime(), nullable=True),
    # the billing run that made it (set at insert, in the transaction that makes it)
    Column("billing_run_id", Id, nullable=True),
    UniqueConstraint("subscription_id", "billing_key"),
    UniqueConstraint("organization_id", "number"),
    Index("ix_invoices_account", "organization_id", "account_id", "created_at"),
    Index("ix_invoices_to_finalize", "status", "finalize_after"),
    Index("ix_invoices_billing_run", "billing_run_id", "created_at", "id"),
    # what the collection run looks for: open invoices that still owe money
    Index(
        "ix_invoices_open_owing",
        "organization_id",
        "id",
        sqlite_where=text(OPEN_OWING),
        postgresql_where=text(OPEN_OWING),
    ),
)

invoice_lines = Table(
    "invoice_lines",
    metadata,
    Column("invoice_id", Id, ForeignKey("invoices.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("description", String(300), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_amount", BigInteger, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("discount", BigInteger, nullable=False),
    Column("tax_rate_id", Id, ForeignKey("tax_rates.id"), nullable=True),
    Column("tax", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("period_start", Date, nullable=True),
    Column("period_end", Date, nullable=True),
    Column("source_id", Id, nullable=False),
    Column("plan_id", Id, nullable=True),
    # As on the item it bills (see 0010_line_details for what lines of before carry).
    Column("subscription_id", Id, nullable=True),
    Column("cycle", String(32), nullable=True),
    Column("days", Integer, nullable=True),
    Column("period_days", Integer, nullable=True),
    Column("usage", JSONText(), nullable=True),  # usage lines (0021): what the meter measured
)

credit_notes = Table(
    "credit_notes",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("invoice_id", Id, ForeignKey("invoices.id"), nullable=False, index=True),
    Column("number", String(40), nullable=False),
    Column("reason", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),  # tax included
    Column("tax", BigInteger, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("organization_id", "number"),
)

# Append-only: rows are inserted, never updated or deleted (triggers refuse it).
ledger_transactions = Table(
    "ledger_transactions",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("reference", Id, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    # a document is posted once per kind: finalizing twice cannot post twice
    UniqueConstraint("kind", "reference"),
    Index("ix_ledger_transactions_account", "organization_id", "account_id"),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("transaction_id", Id, ForeignKey("ledger_transactions.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=False),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("ledger_account", String(32), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Index("ix_ledger_entries_balance", "organization_id", "account_id", "ledger_account"),
)

billing_runs = Table(
    "billing_runs",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, ForeignKey("organizations.id"), nullable=True),
    Column("as_of", UTCDateTime(), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=True),
    Column("renewed", Integer, nullable=False),
    Column("invoiced", Integer, nullable=False),
    Column("finalized", Integer, nullable=False),
    Column("skipped", Integer, nullable=False),
    Column("errors", JSONText(), nullable=False),
    # running -> finished, or abandoned: found by a later run after its lease ran out, or by
    # the retry that took over its request's Idempotency-Key. The counts above are added by
    # each batch in its own transaction, so they are always what the run did, however it ended.
    Column("status", String(16), nullable=False, server_default="running"),
    Column("progress_at", UTCDateTime(), nullable=False),  # wall clock, each commit
    # progress_at + the lease of the process that made that progress: past it, the run is
    # taken for dead by any process, whatever lease that one is configured with.
    Column("lease_until", UTCDateTime(), nullable=False),
    Column("abandoned_by", Id, nullable=True),  # the run that found it abandoned
    # Runs on workers: the jobs sent (NULL while sending, and for a run in one process)
    # and done; the job that completes the last one finishes the run.
    Column("jobs", Integer, nullable=True),
    Column("jobs_done", Integer, nullable=False, server_default="0"),
    Index("ix_billing_runs_status", "status"),
)

# A worker job of a run, once done: a job delivered twice is counted once.
billing_run_jobs = Table(
    "billing_run_jobs",
    metadata,
    Column("run_id", Id, ForeignKey("billing_runs.id"), primary_key=True),
    Column("job", Integer, primary_key=True, autoincrement=False),
    Column("done_at", UTCDateTime(), nullable=False),
)
