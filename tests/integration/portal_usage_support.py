"""Shared by the portal usage tests (allowance bars, extra packs, prediction): the demo-like
chat catalog of portal_packages_support with a ``chatbot_sessions`` count meter and the
``chatbot-sessions-1000`` pack ($20.00 for 1,000 sessions), and a customer on Chat Business
x 7 (5,000 sessions included a month) who has used some sessions by mid-period (Feb 15)."""

from __future__ import annotations

from plansmith.application.catalog.extras import ExtraPackInput, create_extra_pack
from plansmith.application.payments.methods import add_card
from plansmith.application.usage.ingest import ingest
from plansmith.application.usage.meters import create_meter
from plansmith.bootstrap import Plansmith
from plansmith.domain.accounts.account import Account
from tests.conftest import Tenant
from tests.integration.portal_packages_support import chat_customer

PACK = "chatbot-sessions-1000"
PACK_PRICE = 2000  # USD cents


def sessions(app: Plansmith, org: str, account: Account, count: int, prefix: str = "s") -> None:
    """``count`` chatbot sessions now, through the ingest use case; all must count."""
    at = app.clock.now().isoformat()
    events = [
        {
            "id": f"{prefix}{i}",
            "account_id": account.id,
            "code": "chatbot_sessions",
            "timestamp": at,
        }
        for i in range(count)
    ]
    for event in events:
        event["timestamp"] = at
    for start in range(0, count, 1000):
        answers = ingest(app.uow(), app.clock, org, events[start : start + 1000])
        assert {a.status for a in answers} <= {"accepted"}, answers[:3]


def usage_catalog(app: Plansmith, org: str) -> None:
    """The chatbot_sessions meter and the chatbot-sessions-1000 pack (the chat catalog aside)."""
    create_meter(
        app.uow(),
        app.clock,
        org,
        {
            "code": "chatbot_sessions",
            "name": "Chatbot sessions",
            "event_code": "chatbot_sessions",
            "aggregation": "count",
        },
    )
    name, prices = "Chatbot Extra Sessions", {"USD": PACK_PRICE}
    data = ExtraPackInput(PACK, name, prices, "chatbot_sessions", 1000)
    create_extra_pack(app.uow(), app.clock, org, data)


def usage_customer(
    app: Plansmith, tenant: Tenant, used: int = 1200, token: str | None = "tok_sandbox_success"
) -> Account:
    """The chat customer with the meter and the pack in the catalog, a card from ``token``
    (None: no card) and ``used`` sessions on Feb 15."""
    org = tenant.organization_id
    usage_catalog(app, org)
    account = chat_customer(app, tenant, card=False)
    if token is not None:
        add_card(app.uow(), app.gateway_for(org), app.clock, org, account.id, source=token)
    sessions(app, org, account, used)
    return account
