"""Worlds to count statements in, and the budget of every read route.

A world is one organization with an object of every kind the routes can name (route_calls),
a catalog of a given size (each filler plan superseded once by a version move) and a first
account with a given number of past invoices. Statements are the SQL sent on the app's engine,
transaction control (BEGIN, COMMIT, SAVEPOINT...) left out: SQLite's driver sends BEGIN as a
statement where PostgreSQL's does not, and a budget must mean the same on both.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from plansmith.adapters.clock import TestClock
from plansmith.application.billing.run import run_billing
from plansmith.application.catalog.plan_families import FamilyInput, create_family
from plansmith.application.catalog.plans import PlanInput, create_plan, edit_plan
from plansmith.application.catalog.publishing import publish_plan
from plansmith.application.organizations.organizations import create_operator, create_portal_link
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant, make_tenant
from tests.integration.route_calls import _objects

PASSWORD = "correct horse battery"
API_READ, PREVIEW, PAGE = 4, 8, 10
TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.I)

# Routes that are no read of the product's data: documents of the API itself, the health
# check, sign-in forms and the portal's entry (which writes the session it opens).
NOT_BUDGETED = {
    "/",
    "/healthz",
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/console/login",
    "/portal/enter",
    "/portal/signed-out",
}

# Routes that send the signed-in visitor on to a page (counted all the same).
REDIRECTS = {"/console/"}

# POST routes that read only: they answer what a change would do and write nothing.
PREVIEWS = {
    "/v1/subscriptions/{subscription_id}/changes/preview": {"quantity": 3},
    "/v1/subscriptions/{subscription_id}/cancel/preview": {"when": "now"},
}


# Pages that read one thing more than a page, each named with what it is (none today: the
# Invoices, Packages and console customer pages each read in one unit of work from one read
# of the account's subscriptions and logs).
PAGE_EXCEPTIONS: dict[str, int] = {}


def budget(method: str, path: str) -> int:
    """API reads (the entitlements and the prediction among them) 4; previews and the
    upcoming invoice 8; pages 10."""
    if path in PAGE_EXCEPTIONS:
        return PAGE_EXCEPTIONS[path]
    if path.startswith(("/portal", "/console")):
        return PAGE
    if method == "POST" or path.endswith(("/upcoming_invoices", "/quote")):
        return PREVIEW
    return API_READ


@dataclass
class Counter:
    statements: list[str] = field(default_factory=list)
    transactions: int = 0


@contextmanager
def counted(container: Plansmith) -> Iterator[Counter]:
    found = Counter()

    def statement(*args: Any) -> None:
        sql = " ".join(str(args[2]).split())
        if not TRANSACTION_CONTROL.match(sql):
            found.statements.append(sql)

    def begin(*_args: Any) -> None:
        found.transactions += 1

    for engine in container.engines:  # the reader engine too, where there is one
        event.listen(engine, "before_cursor_execute", statement)
        event.listen(engine, "begin", begin)
    try:
        yield found
    finally:
        for engine in container.engines:
            event.remove(engine, "before_cursor_execute", statement)
            event.remove(engine, "begin", begin)


@dataclass
class World:
    tenant: Tenant
    ids: dict[str, str]
    api: TestClient
    portal: TestClient
    console: TestClient


def _filler_plans(container: Plansmith, org: str, plans: int) -> None:
    uow, clock = container.uow, container.clock
    for n in range(plans):
        family = f"extra-{n // 5}"
        if n % 5 == 0:
            create_family(uow(), clock, org, FamilyInput(family, f"Extra {n // 5}"))
        code = f"extra-{n}"
        terms = {"base_prices": {"EUR": 1000 + n}}
        plan = create_plan(
            uow(), clock, org, PlanInput(code, code, family, n, terms, ["portal"], True)
        ).plan
        edit_plan(uow(), clock, org, plan.id, terms={"base_prices": {"EUR": 1100 + n}})
        publish_plan(uow(), clock, org, plan.id, "at_renewal")


def _history(container: Plansmith, org: str, invoices: int) -> None:
    """Bill the organization month by month: its first account ends with ``invoices``, every
    one finalized (the portal shows no drafts)."""
    clock = container.clock
    assert isinstance(clock, TestClock)
    clock.advance(container.invoice_grace + timedelta(minutes=1))  # past the drafts' cut-off
    run_billing(container.uow(), clock, org, grace=timedelta(0))
    for _ in range(invoices - 1):
        clock.advance(timedelta(days=31))
        run_billing(container.uow(), clock, org, grace=timedelta(0))


def world(app: FastAPI, container: Plansmith, name: str, plans: int, invoices: int) -> World:
    """An organization whose catalog holds ``plans`` plans and whose first account has
    ``invoices`` invoices, with an API client; ``sign_in`` opens its portal and console."""
    tenant = make_tenant(container, name)
    api = TestClient(app)
    ids = _objects(api, tenant)  # one plan of its own
    _filler_plans(container, tenant.organization_id, plans - 1)
    _history(container, tenant.organization_id, invoices)
    ids = {**ids, "family_code": "service", "action": "revoke"}
    return World(tenant, ids, api, TestClient(app), TestClient(app))


def sign_in(container: Plansmith, w: World) -> None:
    """A portal session for the world's first account, a console session for its operator
    (opened once every world is built: building one moves the clock past sessions' ends)."""
    org = w.tenant.organization_id
    link = create_portal_link(
        container.uow(), container.clock, container.signer, org, w.ids["account_id"]
    )
    assert w.portal.get(f"/portal/enter?token={link.token}").status_code == 200
    email = f"ops-{org.replace('_', '-')}@example.com"
    create_operator(container.uow(), container.clock, org, email, PASSWORD)
    signed = w.console.post(
        "/console/login", data={"email": email, "password": PASSWORD}, follow_redirects=False
    )
    assert signed.status_code == 303
