"""Invoices to collect, made through the use cases: an organization with one monthly plan
(USD 10.00), accounts with a sandbox card each, subscribed without a trial and billed, so each
has one open invoice of USD 10.00 due for its first attempt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from plansmith.adapters.db import tables as t
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.billing.run import run_billing
from plansmith.application.billing.test_clocks import organization_clock
from plansmith.application.catalog import plan_families as families
from plansmith.application.catalog import plans as cat
from plansmith.application.kernel.ports import Clock
from plansmith.application.payments.methods import add_card
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith

PRICE = 1000  # USD 10.00 a month


@dataclass(frozen=True)
class Due:
    organization_id: str
    account_id: str
    invoice_id: str
    token: str  # the ready-made sandbox token its card was saved from


def catalog(app: Plansmith, organization_id: str) -> None:
    clock = organization_clock(app.uow(), app.clock, organization_id)
    families.create_family(
        app.uow(), clock, organization_id, families.FamilyInput("service", "Service")
    )
    terms = {"base_prices": {"USD": PRICE}}
    cat.create_plan(
        app.uow(),
        clock,
        organization_id,
        cat.PlanInput("std", "Std", "service", 1, terms, [], True),
    )


def due_invoices(app: Plansmith, organization_id: str, tokens: list[str]) -> list[Due]:
    """One account per token, its card saved from it, subscribed and billed: each has one open
    invoice owing USD 10.00 (the organization's catalog made by ``catalog`` first)."""
    clock: Clock = organization_clock(app.uow(), app.clock, organization_id)
    gateway = app.gateway_for(organization_id)
    accounts = []
    for n, token in enumerate(tokens):
        data = AccountInput(f"Customer {n}", f"c{n}@example.com", "USD")
        account = open_account(app.uow(), clock, organization_id, data).id
        add_card(app.uow(), gateway, clock, organization_id, account, source=token)
        subscribe(app.uow(), clock, organization_id, SubscribeInput(account, "std"))
        accounts.append(account)
    run_billing(app.uow(), clock, organization_id, grace=timedelta(0))
    i = t.invoices.c
    with app.engine.connect() as connection:
        found = dict(
            connection.execute(
                select(i.account_id, i.id).where(
                    i.organization_id == organization_id, i.status == "open"
                )
            ).all()
        )
    assert len(found) == len(tokens)
    return [
        Due(organization_id, account, found[account], token)
        for account, token in zip(accounts, tokens, strict=True)
    ]


def payments_of(app: Plansmith, invoice_id: str) -> list[tuple[str, int]]:
    """(status, amount) of each payment of the invoice, oldest first."""
    p = t.payments.c
    with app.engine.connect() as connection:
        rows = connection.execute(
            select(p.status, p.amount).where(p.invoice_id == invoice_id).order_by(p.created_at)
        ).all()
    return [(status, amount) for status, amount in rows]


def invoice_state(app: Plansmith, invoice_id: str) -> tuple[str, int]:
    i = t.invoices.c
    with app.engine.connect() as connection:
        row = connection.execute(select(i.status, i.amount_due).where(i.id == invoice_id)).one()
    return row.status, row.amount_due


def captures(app: Plansmith) -> int:
    """Charges the sandbox gateway really captured."""
    s = t.sandbox_charges.c
    with app.engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count())
                .select_from(t.sandbox_charges)
                .where(s.kind == "charge", s.outcome == "succeeded")
            ).scalar_one()
        )
