"""A world to count statements in: one organization with every kind of object the routes can
name (from route_calls), a catalog of a given size and an account with a given number of past
invoices; then every read route of the API, the portal and the console, called once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event

from plansmith.adapters.clock import TestClock
from plansmith.application.billing.run import run_billing
from plansmith.application.catalog.plan_families import FamilyInput, create_family
from plansmith.application.catalog.plans import PlanInput, create_plan, edit_plan
from plansmith.application.catalog.publishing import publish_plan
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.route_calls import _objects

PASSWORD = "correct horse battery"


@dataclass
class Counter:
    """Statements sent on the app's engine (BEGIN too, where the driver sends it as one)."""

    statements: list[str] = field(default_factory=list)

    @contextmanager
    def counting(self) -> Iterator[Counter]:
        self.statements = []
        yield self


@contextmanager
def counted(container: Plansmith) -> Iterator[Counter]:
    found = Counter()

    def statement(*args: Any) -> None:
        found.statements.append(" ".join(str(args[2]).split())[:160])

    event.listen(container.engine, "before_cursor_execute", statement)
    try:
        yield found
    finally:
        event.remove(container.engine, "before_cursor_execute", statement)


def filler_plans(container: Plansmith, org: str, plans: int) -> None:
    """Plans in families of five, each superseded once by a version move."""
    uow, clock = container.uow, container.clock
    for n in range(plans):
        family = f"extra-{n // 5}"
        if n % 5 == 0:
            create_family(uow(), clock, org, FamilyInput(family, f"Extra {n // 5}"))
        terms = {"base_prices": {"EUR": 1000 + n}}
        code = f"extra-{n}"
        plan = create_plan(
            uow(), clock, org, PlanInput(code, code, family, n, terms, ["portal"], True)
        ).plan
        edit_plan(uow(), clock, org, plan.id, terms={"base_prices": {"EUR": 1100 + n}})
        publish_plan(uow(), clock, org, plan.id, "at_renewal")


def history(container: Plansmith, org: str, invoices: int) -> None:
    """Bill the organization month by month until its first account has ``invoices``."""
    clock = container.clock
    assert isinstance(clock, TestClock)
    for _ in range(invoices - 1):
        clock.advance(timedelta(days=31))
        run_billing(container.uow(), clock, org, grace=timedelta(0))


def world(
    client: TestClient, container: Plansmith, tenant: Tenant, plans: int, invoices: int
) -> dict[str, str]:
    ids = _objects(client, tenant)
    filler_plans(container, tenant.organization_id, plans)
    history(container, tenant.organization_id, invoices)
    return ids
