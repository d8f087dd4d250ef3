"""What the console payment screen tests share: a customer whose first invoice was paid by
card and whose second is in dunning, paid through the sandbox gateway with its documented test
cards (docs/payments-sandbox.md), and the rows "nothing changed" compares.

The customer is invoice_pages.billed_customer's (JPY, Tokyo): INV-000001 = 6,160 and
INV-000002 = 17,003, both open at Mar 2 2026 15:00 UTC (Mar 3 00:00 in Tokyo). A Visa ending
4242 (12/2030) is added and tops the balance up by 2,000 (15:00 UTC); at 16:00 INV-000001 is
collected: the balance pays 2,000, the card 4,160. At 17:00 a Visa ending 2016 (12/2030; it
declines its first charge) becomes the default, and INV-000002's charge to it is declined
(insufficient funds): failure 1, the next retry one day later at the same local time, Mar 3
2026 17:00 UTC (Mar 4 02:00 in Tokyo).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.application.payments.collection import collect_invoice
from plansmith.application.payments.methods import add_card
from plansmith.application.payments.ports import CardDetails, PaymentGateway
from plansmith.application.payments.top_ups import top_up
from plansmith.bootstrap import Plansmith
from plansmith.domain.payments.payments import PaymentMethod
from tests.conftest import Tenant
from tests.integration.invoice_pages import Billed, billed_customer

SUCCEEDS = "4242424242424242"
# The sandbox's test cards that decline their first 1, 2 or 3 charges, then succeed.
DECLINES = {1: "4000000000002016", 2: "4000000000002024", 3: "4000000000002032"}


def card(number: str) -> CardDetails:
    return CardDetails(number, 12, 2030, "123")


@dataclass(frozen=True)
class Dunned:
    billed: Billed
    gateway: PaymentGateway
    paying: PaymentMethod  # the Visa ending 4242 that paid the top-up and INV-000001
    card: PaymentMethod  # the default card, declining: INV-000002 is in dunning


def dunned_customer(container: Plansmith, tenant: Tenant, declines: int = 1) -> Dunned:
    """INV-000001 paid by a card that succeeds, INV-000002 declined once by the default card
    (the sandbox's test card that declines ``declines`` times, then succeeds): in dunning."""
    clock = container.clock
    assert isinstance(clock, TestClock)
    billed = billed_customer(container, tenant)
    org, account = tenant.organization_id, billed.account.id
    gateway = container.gateway_for(org)
    assert gateway.name == "sandbox"
    paying = add_card(container.uow(), gateway, clock, org, account, card=card(SUCCEEDS)).method
    top_up(container.uow(), gateway, clock, org, account, 2000, "JPY")
    clock.advance(timedelta(hours=1))
    paid = collect_invoice(container.uow(), gateway, clock, org, billed.first.id)
    assert paid.invoice.status.value == "paid"
    clock.advance(timedelta(hours=1))
    declining = add_card(
        container.uow(), gateway, clock, org, account, card=card(DECLINES[declines])
    ).method
    failed = collect_invoice(container.uow(), gateway, clock, org, billed.second.id)
    assert failed.payment is not None and failed.payment.status.value == "failed"
    return Dunned(billed, gateway, paying, declining)


PAYMENT_TABLES = (
    t.payments,
    t.payment_methods,
    t.invoice_collections,
    t.account_collection,
    t.dunning_policies,
    t.invoices,
    t.credit_notes,
    t.ledger_transactions,
    t.ledger_entries,
)


def payment_rows(container: Plansmith, tables: Iterable[Any] = PAYMENT_TABLES) -> list[Any]:
    """Every payment, card, collection, policy, invoice, credit note and ledger row: what
    "nothing changed" compares."""
    with container.engine.connect() as connection:
        return [
            [tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key))]
            for table in tables
        ]
