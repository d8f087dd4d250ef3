"""The database schema as SQLAlchemy Core tables, one module per concept; Alembic migrations
are written to match it. Everything is re-exported here: ``from ... import tables as t``."""

from plansmith.adapters.db.tables.base import Id, JSONText, UTCDateTime, metadata, naming
from plansmith.adapters.db.tables.billing import (
    account_tax_rates,
    billing_run_jobs,
    billing_runs,
    coupon_redemptions,
    coupons,
    credit_notes,
    document_sequences,
    invoice_lines,
    invoices,
    ledger_entries,
    ledger_transactions,
    tax_rates,
)
from plansmith.adapters.db.tables.branding import organization_branding
from plansmith.adapters.db.tables.catalog import (
    add_ons,
    catalog_revisions,
    extra_packs,
    plan_families,
    plan_version_moves,
    plan_versions,
    plans,
)
from plansmith.adapters.db.tables.foundation import (
    accounts,
    api_keys,
    idempotency_keys,
    invoice_addresses,
    operator_users,
    organizations,
    sandbox_forms,
)
from plansmith.adapters.db.tables.notices import notice_settings, sent_notices
from plansmith.adapters.db.tables.outbox import outbox_deliveries, outbox_events, outbox_relays
from plansmith.adapters.db.tables.payments import (
    account_collection,
    dunning_policies,
    invoice_collections,
    payment_methods,
    payments,
)
from plansmith.adapters.db.tables.sandbox_gateway import sandbox_cards, sandbox_charges
from plansmith.adapters.db.tables.search import (
    ACCOUNTS_SEARCH_INDEX,
    account_search,
    account_search_rows,
    described_by_metadata,
)
from plansmith.adapters.db.tables.sessions import portal_links, sign_in_throttles, web_sessions
from plansmith.adapters.db.tables.subscriptions import (
    HOLDING_STATUSES,
    subscription_events,
    subscription_items,
    subscription_notices,
    subscription_spans,
    subscriptions,
)
from plansmith.adapters.db.tables.usage import (
    usage_daily,
    usage_events,
    usage_meters,
    usage_settings,
    usage_unique,
)
from plansmith.adapters.db.tables.usage_packs import (
    allowance_thresholds,
    usage_packs,
    usage_standings,
)
from plansmith.adapters.db.tables.webhooks import (
    webhook_attempts,
    webhook_deliveries,
    webhook_endpoints,
)

__all__ = [
    "ACCOUNTS_SEARCH_INDEX",
    "HOLDING_STATUSES",
    "Id",
    "JSONText",
    "UTCDateTime",
    "account_collection",
    "account_search",
    "account_search_rows",
    "account_tax_rates",
    "accounts",
    "add_ons",
    "allowance_thresholds",
    "api_keys",
    "billing_run_jobs",
    "billing_runs",
    "catalog_revisions",
    "coupon_redemptions",
    "coupons",
    "credit_notes",
    "described_by_metadata",
    "document_sequences",
    "dunning_policies",
    "extra_packs",
    "idempotency_keys",
    "invoice_addresses",
    "invoice_collections",
    "invoice_lines",
    "invoices",
    "ledger_entries",
    "ledger_transactions",
    "metadata",
    "naming",
    "notice_settings",
    "operator_users",
    "organization_branding",
    "organizations",
    "outbox_deliveries",
    "outbox_events",
    "outbox_relays",
    "payment_methods",
    "payments",
    "plan_families",
    "plan_version_moves",
    "plan_versions",
    "plans",
    "portal_links",
    "sandbox_cards",
    "sandbox_charges",
    "sandbox_forms",
    "sent_notices",
    "sign_in_throttles",
    "subscription_events",
    "subscription_items",
    "subscription_notices",
    "subscription_spans",
    "subscriptions",
    "tax_rates",
    "usage_daily",
    "usage_events",
    "usage_meters",
    "usage_packs",
    "usage_settings",
    "usage_standings",
    "usage_unique",
    "web_sessions",
    "webhook_attempts",
    "webhook_deliveries",
    "webhook_endpoints",
]
