"""Each process keeps an organization's price book while its catalog revision holds. A catalog
write made by another process bumps the revision in its own transaction, so the next read here
sees the new prices: never a stale one. Shown with two real processes on one database."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from plansmith.application.catalog.extras import AddOnInput, create_add_on
from plansmith.application.catalog.plan_families import FamilyInput, create_family
from plansmith.application.catalog.plans import PlanInput, create_plan
from plansmith.bootstrap import Plansmith
from plansmith.domain.subscriptions.price_book import PriceBook
from tests.conftest import Tenant

SRC = Path(__file__).resolve().parents[2] / "src"

# The other process: a catalog write through the use cases, as an operator's would be.
OTHER_PROCESS = """
import sys
from plansmith.application.catalog.extras import AddOnInput, update_add_on
from plansmith.application.catalog.plans import edit_plan
from plansmith.application.catalog.publishing import publish_plan
from plansmith.bootstrap import Settings, bootstrap

url, org, add_on_id, plan_id, what = sys.argv[1:]
app = bootstrap(Settings(database_url=url, secret_key="x"))
if what == "add_on":
    prices = [{"currency": "EUR", "cycle": "month", "amount": 900}]
    update_add_on(app.uow(), org, add_on_id, AddOnInput("chat", "Chat", prices))
else:
    edit_plan(app.uow(), app.clock, org, plan_id, terms={"base_prices": {"EUR": 2500}})
    publish_plan(app.uow(), app.clock, org, plan_id, "at_renewal")
"""


def _in_other_process(url: str, *args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    subprocess.run(
        [sys.executable, "-c", OTHER_PROCESS, url, *args], env=env, check=True, timeout=60
    )


def _book(container: Plansmith, org: str) -> PriceBook:
    with container.uow() as uow:
        return uow.price_books.current(org)


def test_a_catalog_write_in_another_process_is_priced_at_the_next_read(
    container: Plansmith, tenant: Tenant
) -> None:
    org = tenant.organization_id
    uow, clock = container.uow, container.clock
    create_family(uow(), clock, org, FamilyInput("service", "Service"))
    plan = create_plan(
        uow(),
        clock,
        org,
        PlanInput("basic", "Basic", "service", 1, {"base_prices": {"EUR": 2000}}, [], True),
    ).plan
    prices = [{"currency": "EUR", "cycle": "month", "amount": 500}]
    add_on = create_add_on(uow(), clock, org, AddOnInput("chat", "Chat", prices))
    cache = container.price_books
    url = container.settings.database_url

    first = _book(container, org)
    assert first.add_ons["chat"].prices[0].amount == 500
    loads = cache.loads
    assert _book(container, org) is first and cache.loads == loads  # held: nothing read again

    _in_other_process(url, org, add_on.id, plan.id, "add_on")
    after_add_on = _book(container, org)
    assert after_add_on.add_ons["chat"].prices[0].amount == 900
    assert cache.loads == loads + 1

    _in_other_process(url, org, add_on.id, plan.id, "publish")
    after_publish = _book(container, org)
    newest = max(
        (v for v in after_publish.versions.values() if v.plan_id == plan.id),
        key=lambda v: v.number,
    )
    assert newest.number == 2 and newest.terms.base_prices["EUR"] == 2500
    assert _book(container, org) is after_publish  # held again until the next write


def test_a_write_that_rolls_back_leaves_the_revision_and_the_held_book(
    container: Plansmith, tenant: Tenant
) -> None:
    org = tenant.organization_id
    create_family(container.uow(), container.clock, org, FamilyInput("service", "Service"))
    held = _book(container, org)
    with container.uow() as uow:
        revision = uow.price_books.revision(org)
        family = replace(held.families[next(iter(held.families))], id="fam_other", code="other")
        uow.families.add(family)  # and no commit: rolled back
    with container.uow() as uow:
        assert uow.price_books.revision(org) == revision
    assert _book(container, org) is held
