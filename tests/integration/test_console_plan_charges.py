"""The console's plan editor shows each version's usage charges and edits the draft's, through
the API's own use case and checks (``edit_plan`` with ``terms.charges``), on both databases: a
valid list is saved in a draft (the current version is untouched); a refused one is shown
beside the field with the path it names, and nothing is saved."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from plansmith.adapters.db import tables as t
from plansmith.application.catalog.plans import PlanView, edit_plan
from plansmith.application.usage.meters import create_meter
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.console_catalog_support import (
    _csrf,
    _text,
    _versions,
    bronze,
    operator_client,
)

__all__ = ["bronze", "operator_client"]  # the shared fixtures

CALLS = {
    "meter": "api_calls",
    "currency": "USD",
    "included": 1000,
    "limit": "soft",
    "model": "graduated",
    "tiers": [
        {"up_to": "10000", "unit_price": "0.002", "flat_fee": "0"},
        {"up_to": None, "unit_price": "0.001", "flat_fee": "5"},
    ],
}


@pytest.fixture
def meters(container: Plansmith, tenant: Tenant) -> None:
    org = tenant.organization_id
    for code in ("api_calls", "storage_gb"):
        data = {"code": code, "name": code, "event_code": code, "aggregation": "count"}
        create_meter(container.uow(), container.clock, org, data)


def _versions_rows(container: Plansmith) -> list[tuple[Any, ...]]:
    with container.engine.connect() as connection:
        query = select(t.plan_versions).order_by(t.plan_versions.c.id)
        return [tuple(row) for row in connection.execute(query)]


def test_saving_charges_makes_a_draft_with_them_and_the_editor_shows_them(
    operator_client: TestClient,
    container: Plansmith,
    tenant: Tenant,
    bronze: PlanView,
    meters: None,
) -> None:
    url = f"/console/plans/{bronze.plan.id}"
    page = operator_client.get(url)
    data = {"csrf_token": _csrf(page), "charges": json.dumps([CALLS])}

    saved = operator_client.post(f"{url}/charges", data=data, follow_redirects=False)
    shown = operator_client.get(saved.headers["location"])

    assert "No usage charges." in _text(page)
    assert saved.status_code == 303
    [current, draft] = _versions(container, tenant, bronze)
    assert current.terms.charges == ()
    [charge] = draft.terms.charges
    assert (charge.meter, charge.currency.code, charge.included) == ("api_calls", "USD", 1000)
    text = _text(shown)
    assert "Draft saved." in text
    section = text.split("Usage charges", 1)[1]
    assert "api_calls USD 1,000 soft: the excess is billed graduated" in section
    assert "up to 10000: 0.002" in section and "above: 0.001 + 5" in section


@pytest.mark.parametrize(
    ("charges", "path", "says"),
    [
        ("[{", "charges", "JSON list"),
        ('{"meter": "api_calls"}', "charges", "JSON list"),
        (json.dumps([{**CALLS, "meter": "no_such_meter"}]), "charges[0].meter", "no_such_meter"),
        (json.dumps([{**CALLS, "currency": "JPY"}]), "charges[0].currency", "JPY"),
        (json.dumps([{**CALLS, "limit": "sometimes"}]), "charges[0].limit", ""),
        (json.dumps([{**CALLS, "tiers": []}]), "charges[0].tiers", ""),
    ],
)
def test_refused_charges_are_shown_beside_the_field_and_nothing_is_saved(
    operator_client: TestClient,
    container: Plansmith,
    bronze: PlanView,
    meters: None,
    charges: str,
    path: str,
    says: str,
) -> None:
    url = f"/console/plans/{bronze.plan.id}"
    data = {"csrf_token": _csrf(operator_client.get(url)), "charges": charges}
    before = _versions_rows(container)

    page = operator_client.post(f"{url}/charges", data=data)

    assert page.status_code == 422
    assert 'aria-describedby="charges-error"' in page.text
    error = page.text.split('id="charges-error">', 1)[1].split("</div>", 1)[0]
    assert f"<code>{path}</code>" in error and says in error
    assert charges.replace('"', "&#34;")[:20] in page.text  # what was typed is kept
    assert _versions_rows(container) == before


def test_a_drafts_charges_are_shown_with_the_current_versions(
    operator_client: TestClient,
    container: Plansmith,
    tenant: Tenant,
    bronze: PlanView,
    meters: None,
) -> None:
    org = tenant.organization_id
    edit_plan(container.uow(), container.clock, org, bronze.plan.id, terms={"charges": [CALLS]})

    page = operator_client.get(f"/console/plans/{bronze.plan.id}")

    form_text = page.text.split('id="charges-text"', 1)[1].split("</textarea>", 1)[0]
    assert "&#34;api_calls&#34;" in form_text  # the draft's charges, ready to edit
    assert "Usage charges of draft version 2" in _text(page)
