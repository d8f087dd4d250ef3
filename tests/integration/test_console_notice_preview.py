"""Seed 003 in the console, on SQLite and PostgreSQL: before a price change is published for
existing customers, the confirmation step shows the e-mail they will get (nothing is sent or
changed yet); publishing "never" shows none."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from plansmith.adapters.db import tables as t
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.catalog.plans import PlanView
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.console_catalog_support import (
    _csrf,
    _edit_form,
    bronze,
    operator_client,
)

__all__ = ["bronze", "operator_client"]  # the shared fixtures


def _asked(client: TestClient, plan: PlanView, apply: str) -> str:
    page = client.get(f"/console/plans/{plan.plan.id}")
    client.post(
        f"/console/plans/{plan.plan.id}/draft", data=_edit_form(page, base_price__USD="29.99")
    )
    data = {"csrf_token": _csrf(page), "apply_to_existing": apply}
    asked = client.post(f"/console/plans/{plan.plan.id}/publish", data=data)
    assert asked.status_code == 200
    return html.unescape(asked.text)


def test_the_confirmation_shows_the_e_mail_existing_customers_get(
    operator_client: TestClient, container: Plansmith, tenant: Tenant, bronze: PlanView
) -> None:
    org = tenant.organization_id
    data = AccountInput("Initech", "ap@initech.example", "USD", "America/New_York")
    account = open_account(container.uow(), container.clock, org, data)
    wanted = SubscribeInput(account.id, "bronze", trial=False)
    sub = subscribe(container.uow(), container.clock, org, wanted).view.subscription

    text = _asked(operator_client, bronze, "at_renewal")

    assert "The e-mail your existing customers get" in text
    assert "ap@initech.example" in text
    renewal = f"{sub.period_end:%b} {sub.period_end.day}, {sub.period_end.year}"
    assert f"Your plan Bronze changes on {renewal}" in text
    assert "Hello Initech," in text
    assert "Price now: $24.99 (Monthly)" in text
    assert "New price: $29.99 (Monthly)" in text
    with container.engine.connect() as connection:  # nothing published, recorded or sent
        assert connection.execute(select(func.count()).select_from(t.sent_notices)).scalar() == 0
        moves = connection.execute(select(func.count()).select_from(t.plan_version_moves))
        assert moves.scalar() == 0


def test_publishing_for_new_customers_only_previews_no_e_mail(
    operator_client: TestClient, container: Plansmith, tenant: Tenant, bronze: PlanView
) -> None:
    org = tenant.organization_id
    data = AccountInput("Initech", "ap@initech.example", "USD", "America/New_York")
    account = open_account(container.uow(), container.clock, org, data)
    subscribe(container.uow(), container.clock, org, SubscribeInput(account.id, "bronze"))
    assert "The e-mail your existing customers get" not in _asked(operator_client, bronze, "never")
