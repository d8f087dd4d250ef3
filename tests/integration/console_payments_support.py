"""What the console payment screen tests share: a scripted payment gateway (a real class
implementing the port, answering each charge from a script) installed as the container's
gateway, and a customer whose first invoice was paid by card and whose second is in dunning.

The customer is invoice_pages.billed_customer's (JPY, Tokyo): INV-000001 = 6,160 and
INV-000002 = 17,003, both open at Mar 2 2026 15:00 UTC (Mar 3 00:00 in Tokyo). A Visa ending
4242 (12/2030) is added and tops the balance up by 2,000 (15:00 UTC); at 16:00 INV-000001 is
collected: the balance pays 2,000, the card 4,160; at 17:00 INV-000002's charge is declined
(insufficient funds): failure 1, the next retry one day later at the same local time, Mar 3
2026 17:00 UTC (Mar 4 02:00 in Tokyo).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.application.payments.collection import collect_invoice
from plansmith.application.payments.methods import add_card
from plansmith.application.payments.ports import (
    CardDetails,
    CardToSave,
    ChargeRequest,
    PaymentGateway,
    RefundRequest,
    SavedCard,
)
from plansmith.application.payments.top_ups import top_up
from plansmith.bootstrap import Plansmith
from plansmith.domain.payments.payments import GatewayAnswer, Outcome, PaymentMethod
from tests.conftest import Tenant
from tests.integration.invoice_pages import Billed, billed_customer

DECLINED = GatewayAnswer(
    Outcome.FAILED, None, "insufficient_funds", "Your card has insufficient funds."
)


@dataclass
class ScriptedGateway:
    """A payment gateway whose charges answer from ``script`` in turn (succeeding once the
    script is used up); cards and refunds always succeed. Keeps every request it was sent."""

    script: list[GatewayAnswer] = field(default_factory=list)
    charges: list[ChargeRequest] = field(default_factory=list)
    refunds: list[RefundRequest] = field(default_factory=list)
    forgotten: list[str] = field(default_factory=list)
    saved: int = 0

    @property
    def name(self) -> str:
        return "sandbox"

    def tokenize(self, card: CardDetails, today: date) -> str:
        return f"tok_{card.number[-4:]}"

    def save_card(self, card: CardToSave) -> SavedCard:
        self.saved += 1
        last4 = card.source[-4:]
        return SavedCard(f"card_{self.saved}", "cus_1", "visa", last4, 12, 2030)

    def forget_card(self, token: str, customer_ref: str | None) -> None:
        self.forgotten.append(token)

    def charge(self, request: ChargeRequest) -> GatewayAnswer:
        self.charges.append(request)
        if self.script:
            return self.script.pop(0)
        return GatewayAnswer(Outcome.SUCCEEDED, f"ch_{len(self.charges)}")

    def refund(self, request: RefundRequest) -> GatewayAnswer:
        self.refunds.append(request)
        return GatewayAnswer(Outcome.SUCCEEDED, f"re_{len(self.refunds)}")


_: type[PaymentGateway] = ScriptedGateway


def install(container: Plansmith, gateway: ScriptedGateway) -> ScriptedGateway:
    """Every organization's payments go through ``gateway`` (the container's gateway cache
    holds it under the sandbox's name, which every test organization uses)."""
    container._gateways["sandbox"] = gateway
    return gateway


@dataclass(frozen=True)
class Dunned:
    billed: Billed
    gateway: ScriptedGateway
    card: PaymentMethod


def dunned_customer(container: Plansmith, tenant: Tenant) -> Dunned:
    """INV-000001 paid by the card, INV-000002 declined once and in dunning."""
    gateway = install(container, ScriptedGateway())
    clock = container.clock
    assert isinstance(clock, TestClock)
    billed = billed_customer(container, tenant)
    org = tenant.organization_id
    card = add_card(
        container.uow(), gateway, container.clock, org, billed.account.id, source="tok_4242"
    ).method
    top_up(container.uow(), gateway, container.clock, org, billed.account.id, 2000, "JPY")
    clock.advance(timedelta(hours=1))
    paid = collect_invoice(container.uow(), gateway, container.clock, org, billed.first.id)
    assert paid.invoice.status.value == "paid"
    clock.advance(timedelta(hours=1))
    gateway.script.append(DECLINED)
    failed = collect_invoice(container.uow(), gateway, container.clock, org, billed.second.id)
    assert failed.payment is not None and failed.payment.status.value == "failed"
    return Dunned(billed, gateway, card)


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
