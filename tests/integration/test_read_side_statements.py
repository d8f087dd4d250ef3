"""How many SQL statements the read-side screens and the portal confirm run, counted on the
engine the app uses. Each screen is one query over one transaction, so its count is a constant:
the same with 3 plans in the catalog as with 60 (no statement per plan, per family or per
subscription), and the portal confirm stays at 20 or fewer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import event

from plansmith.adapters.clock import TestClock
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.billing.run import run_billing
from plansmith.application.catalog.plan_families import FamilyInput, create_family
from plansmith.application.catalog.plans import PlanInput, create_plan, edit_plan
from plansmith.application.catalog.publishing import publish_plan
from plansmith.application.organizations.organizations import create_operator, create_portal_link
from plansmith.application.payments.methods import add_card
from plansmith.application.payments.top_ups import top_up
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.accounts.account import Account
from plansmith.entrypoints.web import create_app
from tests.conftest import Tenant, make_tenant

CONFIRM_LIMIT = 20
# An upgrade paid with the balance: the change (as a confirm), then its own invoice made by
# the billing run's snapshot and writer and finalized, in the same transaction.
PAY_LIMIT = 45
PASSWORD = "correct horse battery"
PORTAL = ["portal"]


@dataclass
class Counter:
    """Statements sent on the app's engine (BEGIN too, where the driver sends it as one:
    SQLite here) and transactions begun."""

    statements: list[str] = field(default_factory=list)
    transactions: int = 0

    @contextmanager
    def counting(self) -> Iterator[Counter]:
        self.statements, self.transactions = [], 0
        yield self


@pytest.fixture
def counter(container: Plansmith) -> Iterator[Counter]:
    found = Counter()

    def statement(*args: Any) -> None:
        found.statements.append(str(args[2]).split("\n", 1)[0])

    def begin(*_args: Any) -> None:
        found.transactions += 1

    for engine in container.engines:  # the reader engine too, where there is one
        event.listen(engine, "before_cursor_execute", statement)
        event.listen(engine, "begin", begin)
    yield found
    for engine in container.engines:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "begin", begin)


def _per_month(jpy: int, **terms: Any) -> dict[str, Any]:
    return {"base_prices": {"JPY": jpy}, "cycle_discounts": {"year": "20"}, **terms}


def _catalog(container: Plansmith, org: str, plans: int) -> None:
    """Chat (Team, Business) and Support (Basic, with a trial) on the portal, then filler
    plans in other families up to ``plans``, each superseded once by a version move (the
    renewal moves are read for every plan)."""
    uow, clock = container.uow, container.clock
    create_family(uow(), clock, org, FamilyInput("chat", "Chat"))
    create_family(uow(), clock, org, FamilyInput("support", "Support"))
    create_plan(
        uow(),
        clock,
        org,
        PlanInput("chat-team", "Chat Team", "chat", 1, _per_month(2800), PORTAL, True),
    )
    create_plan(
        uow(),
        clock,
        org,
        PlanInput("chat-business", "Chat Business", "chat", 2, _per_month(5800), PORTAL, True),
    )
    support = {"pricing": "flat", "base_prices": {"JPY": 10000}, "trial_days": 14}
    create_plan(
        uow(),
        clock,
        org,
        PlanInput("support-basic", "Support Basic", "support", 1, support, PORTAL, True),
    )
    for n in range(plans - 3):
        family = f"extra-{n // 5}"
        if n % 5 == 0:
            create_family(uow(), clock, org, FamilyInput(family, f"Extra {n // 5}"))
        code = f"extra-{n}"
        plan = create_plan(
            uow(), clock, org, PlanInput(code, code, family, n, _per_month(1000 + n), PORTAL, True)
        ).plan
        edit_plan(uow(), clock, org, plan.id, terms=_per_month(1100 + n))
        publish_plan(uow(), clock, org, plan.id, "at_renewal")


def _customer(container: Plansmith, tenant: Tenant, plans: int) -> Account:
    """The Tokyo account holding Chat Team x 2, half a period later."""
    org = tenant.organization_id
    _catalog(container, org, plans)
    data = AccountInput(
        name="Acme Chat", email="billing@acme.example", currency="JPY", time_zone="Asia/Tokyo"
    )
    account = open_account(container.uow(), container.clock, org, data)
    subscribe(
        container.uow(), container.clock, org, SubscribeInput(account.id, "chat-team", "month", 2)
    )
    assert isinstance(container.clock, TestClock)
    container.clock.advance(timedelta(days=14))
    return account


def _enter(client: TestClient, container: Plansmith, account: Account) -> str:
    link = create_portal_link(
        container.uow(), container.clock, container.signer, account.organization_id, account.id
    )
    page = client.get(f"/portal/enter?token={link.token}")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert page.status_code == 200 and match
    return match.group(1)


def _expect(page: Response) -> str:
    match = re.search(r'name="expect" value="([^"]+)"', page.text)
    assert match, "the review has no Confirm form"
    return match.group(1)


def _counted(counter: Counter, call: Callable[[], Response]) -> tuple[Response, int]:
    with counter.counting() as seen:
        response = call()
    return response, len(seen.statements)


@dataclass(frozen=True)
class Counts:
    plans_page: int
    change_review: int
    change_confirm: int
    start_review: int
    start_confirm: int
    invoices_page: int
    customer_page: int


def _measure(
    client: TestClient, container: Plansmith, tenant: Tenant, counter: Counter, plans: int
) -> Counts:
    account = _customer(container, tenant, plans)
    csrf = _enter(client, container, account)
    business = {"plan": "chat-business", "cycle": "month", "quantity": "5", "csrf_token": csrf}
    support = {"plan": "support-basic", "cycle": "month", "quantity": "1", "csrf_token": csrf}

    plans_page, plans_page_n = _counted(counter, lambda: client.get("/portal/plans"))
    assert plans_page.status_code == 200 and "Chat Team" in plans_page.text

    review, review_n = _counted(
        counter, lambda: client.post("/portal/plans/chat/review", data=business)
    )
    assert review.status_code == 200
    # An upgrade is confirmed by paying for it: here the balance pays all, in one transaction.
    org = account.organization_id
    gateway = container.gateway_for(org)
    card = add_card(
        container.uow(), gateway, container.clock, org, account.id, source="tok_sandbox_success"
    )
    top_up(container.uow(), gateway, container.clock, org, account.id, 20000, "JPY")
    assert card.method.is_default
    confirm, confirm_n = _counted(
        counter,
        lambda: client.post(
            "/portal/plans/chat/pay",
            data={**business, "expect": _expect(review), "pay_with": "balance"},
            follow_redirects=False,
        ),
    )
    assert confirm.status_code == 303 and "done=paid" in confirm.headers["location"]
    assert counter.transactions == 2  # the session's lookup, then the change: one each

    start, start_n = _counted(
        counter, lambda: client.post("/portal/plans/support/review", data=support)
    )
    assert start.status_code == 200 and "14" in start.text
    started, started_n = _counted(
        counter,
        lambda: client.post(
            "/portal/plans/support/confirm",
            data={**support, "expect": _expect(start)},
            follow_redirects=False,
        ),
    )
    assert started.status_code == 303 and "done=trial_started" in started.headers["location"]

    # An invoice to list: the first period's, billed at the next period end.
    assert isinstance(container.clock, TestClock)
    container.clock.advance(timedelta(days=20))
    for _ in range(2):  # drafts made, then finalized once their grace has passed
        run_billing(
            container.uow(), container.clock, tenant.organization_id, grace=container.invoice_grace
        )
        container.clock.advance(container.invoice_grace + timedelta(minutes=1))
    _enter(client, container, account)  # the first session has expired meanwhile
    invoices, invoices_n = _counted(counter, lambda: client.get("/portal/invoices"))
    assert invoices.status_code == 200 and "INV-" in invoices.text

    email = f"ops-{plans}@acme.example"
    create_operator(container.uow(), container.clock, tenant.organization_id, email, PASSWORD)
    signed = client.post(
        "/console/login",
        data={"email": email, "password": PASSWORD},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    customer, customer_n = _counted(counter, lambda: client.get(f"/console/customers/{account.id}"))
    assert customer.status_code == 200 and "Chat Business" in customer.text

    return Counts(plans_page_n, review_n, confirm_n, start_n, started_n, invoices_n, customer_n)


def test_the_portal_confirm_runs_at_most_20_statements_in_one_transaction(
    client: TestClient, container: Plansmith, tenant: Tenant, counter: Counter
) -> None:
    counts = _measure(client, container, tenant, counter, 60)

    assert counts.change_confirm <= PAY_LIMIT, counts
    assert counts.start_confirm <= CONFIRM_LIMIT, counts


def test_each_screen_runs_the_same_statements_with_3_plans_as_with_60(
    container: Plansmith, tenant: Tenant, counter: Counter, db_url: str
) -> None:
    # Two organizations in one database: a small catalog and a large one, side by side.
    small_tenant = tenant
    large_tenant = make_tenant(container, "Large Catalog")
    with TestClient(create_app(container)) as small_client:
        small = _measure(small_client, container, small_tenant, counter, 3)
    with TestClient(create_app(container)) as large_client:
        large = _measure(large_client, container, large_tenant, counter, 60)

    assert small == large
