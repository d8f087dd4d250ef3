"""Shared by the console catalog tests (test_console_catalog_*.py): an operator's client, a
plan, the editor form."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from plansmith.application.catalog.plan_families import FamilyInput, create_family
from plansmith.application.catalog.plans import PlanInput, PlanView, create_plan, get_plan
from plansmith.application.organizations.organizations import create_operator
from plansmith.bootstrap import Plansmith
from plansmith.domain.catalog.plans import PlanVersion
from tests.conftest import Tenant

PASSWORD = "correct horse battery"


BRONZE_TERMS: dict[str, Any] = {
    "base_prices": {"USD": 2499},
    "cycle_discounts": {"quarter": "5", "year": "20"},
    "trial_days": 14,
    "allowances": {"scans": 30},
    "features": ["mail_scanning"],
    "description": "For a small team",
}


def _family(container: Plansmith, organization_id: str) -> None:
    data = FamilyInput("service", "Service plans", {"downgrade": "now"})
    create_family(container.uow(), container.clock, organization_id, data)


def _plan(container: Plansmith, organization_id: str, code: str = "bronze") -> PlanView:
    channels = ["signup", "website", "portal"]
    data = PlanInput(code, code.capitalize(), "service", 1, BRONZE_TERMS, channels, publish=True)
    return create_plan(container.uow(), container.clock, organization_id, data)


def _csrf(page: Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "the page has no CSRF token"
    return match.group(1)


def _shown(page: Response) -> str:
    """What a confirmation step showed, as its Confirm carries it back."""
    match = re.search(r'name="expect" value="([^"]*)"', page.text)
    assert match, "the page has no confirmation form"
    return match.group(1)


def _confirmed(client: TestClient, url: str, data: dict[str, str], **kw: Any) -> Response:
    """The confirmation step, then its Confirm: what an operator's two clicks send."""
    asked = client.post(url, data=data)
    assert asked.status_code == 200, asked.text
    form = {**data, "csrf_token": _csrf(asked), "confirmed": "yes", "expect": _shown(asked)}
    answer: Response = client.post(url, data=form, **kw)
    return answer


def _edit_form(page: Response, **changes: str) -> dict[str, str | list[str]]:
    """What the browser posts from the editor's form, with ``changes`` typed in."""
    start = page.text.index('/draft" novalidate>')
    markup = page.text[start : page.text.index("</form>", start)]
    form: dict[str, str | list[str]] = {"channels": []}
    for kind, name, value, rest in re.findall(
        r'<input type="(\w+)"[^>]*? name="([^"]+)" value="([^"]*)"([^>]*)>', markup
    ):
        if kind != "checkbox":
            form[name] = html.unescape(value)
        elif "checked" in rest:
            form.setdefault(name, []).append(value)  # type: ignore[union-attr]
    for name, text in re.findall(
        r'<textarea id="\S+" name="(\S+)"[^>]*>(.*?)</textarea>', markup, re.S
    ):
        form[name] = html.unescape(text)
    form.update({key.replace("__", "."): value for key, value in changes.items()})
    return form


def _text(page: Response | str) -> str:
    """What a reader sees: the page without its tags, white space collapsed."""
    markup = re.sub(r"</?bdi>", "", page if isinstance(page, str) else page.text)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def _error_beside(page: Response, field_id: str) -> str:
    match = re.search(rf'<p class="error" id="{re.escape(field_id)}-error">([^<]*)</p>', page.text)
    assert match, f"no error shown beside {field_id}"
    return html.unescape(match.group(1))


@pytest.fixture
def operator_client(client: TestClient, container: Plansmith, tenant: Tenant) -> TestClient:
    email = "ops@acme.example"
    create_operator(container.uow(), container.clock, tenant.organization_id, email, PASSWORD)
    signed_in = client.post(
        "/console/login", data={"email": email, "password": PASSWORD}, follow_redirects=False
    )
    assert signed_in.status_code == 303
    return client


@pytest.fixture
def bronze(container: Plansmith, tenant: Tenant) -> PlanView:
    _family(container, tenant.organization_id)
    return _plan(container, tenant.organization_id)


def _versions(container: Plansmith, tenant: Tenant, plan: PlanView) -> list[PlanVersion]:
    return list(get_plan(container.uow(), tenant.organization_id, plan.plan.id).versions)


def _version_subscribers(page: str, plan_code: str, number: int) -> str:
    row = re.search(rf'id="version-{plan_code}-{number}">(.*?)</tr>', page, re.S)
    assert row, f"no row for version {number} of {plan_code}"
    cell = re.search(r'<td class="num subscribers"[^>]*><bdi>([^<]*)</bdi></td>', row.group(1))
    assert cell, "the row has no subscriber count"
    return cell.group(1)


def _plan_subscribers(page: str, plan_code: str) -> str:
    found = re.search(rf'id="subscribers-{plan_code}">([^<]*)<', page)
    assert found, f"no subscriber count for plan {plan_code}"
    return found.group(1)
