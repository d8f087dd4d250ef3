"""The console's plan page shows a version's usage charges (meter, model, included, limit),
and saving the editor form unchanged keeps them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from plansmith.application.catalog.plans import PlanInput, create_plan
from plansmith.application.usage.meters import create_meter
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.console_catalog_support import (
    BRONZE_TERMS,
    _edit_form,
    _family,
    _text,
    _versions,
    operator_client,
)

__all__ = ["operator_client"]  # the fixture, used by name

CHARGES = [
    {
        "meter": "api_calls",
        "currency": "USD",
        "included": 1000,
        "limit": "soft",
        "model": "per_unit",
        "unit_price": "0.0025",
    },
    {
        "meter": "api_calls",
        "currency": "EUR",
        "included": 0,
        "limit": "hard",
        "model": "graduated",
        "tiers": [{"up_to": "100", "unit_price": "1"}, {"up_to": None, "unit_price": "0.5"}],
    },
]


def test_a_versions_charges_are_shown_and_kept_by_the_editor(
    operator_client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    org = tenant.organization_id
    _family(container, org)
    meter = {"code": "api_calls", "name": "API calls", "event_code": "call", "aggregation": "count"}
    create_meter(container.uow(), container.clock, org, meter)
    terms = {**BRONZE_TERMS, "base_prices": {"USD": 2499, "EUR": 2299}, "charges": CHARGES}
    data = PlanInput("bronze", "Bronze", "service", 1, terms, ["signup"], publish=True)
    plan = create_plan(container.uow(), container.clock, org, data)

    page = operator_client.get(f"/console/plans/{plan.plan.id}")

    assert page.status_code == 200
    text = _text(page)
    assert "Usage charges" in text
    assert "api_calls USD: per unit; 1,000 included per period; soft limit" in text
    assert "api_calls EUR: graduated tiers (2 tiers); 0 included per period; hard limit" in text
    saved = operator_client.post(f"/console/plans/{plan.plan.id}/draft", data=_edit_form(page))
    assert saved.status_code == 200
    current, draft = _versions(container, tenant, plan)
    assert draft.terms.charges == current.terms.charges and len(draft.terms.charges) == 2
