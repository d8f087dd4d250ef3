"""The console's Sandboxes page on SQLite and PostgreSQL (issue 13, defect 10): the
organization's sandboxes, one made with a chosen start shown with its key once, refusals next
to their field in the page's language, and a sandbox's console making none."""

from __future__ import annotations

import html
import re
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from plansmith.adapters.db import tables as t
from plansmith.application.organizations.organizations import create_organization
from plansmith.application.organizations.sandboxes import create_sandbox
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.console.sandbox_routes import MESSAGES
from plansmith.entrypoints.webui.i18n import COOKIE, translate
from tests.conftest import Tenant
from tests.integration.invoice_pages import csrf, sign_in_console
from tests.integration.route_calls import _dump

PAGE = "/console/sandboxes"


@pytest.fixture
def console(client: TestClient, container: Plansmith, tenant: Tenant) -> TestClient:
    sign_in_console(client, container, tenant)
    return client


def _organizations(container: Plansmith) -> list[tuple[str, str | None]]:
    with container.engine.connect() as connection:
        rows = connection.execute(select(t.organizations.c.name, t.organizations.c.owner_id))
        return sorted((name, owner) for name, owner in rows)


def test_the_page_lists_only_the_organizations_own_sandboxes(
    console: TestClient, container: Plansmith, tenant: Tenant, other_tenant: Tenant
) -> None:
    start = "2025-05-01T00:00:00+00:00"
    mine = create_sandbox(
        container.uow(), container.clock, tenant.organization_id, label="Mine",
        start=datetime.fromisoformat(start),
    )  # fmt: skip
    theirs = create_sandbox(
        container.uow(), container.clock, other_tenant.organization_id, label="Theirs"
    )

    page = console.get(PAGE)

    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert 'aria-current="page">Sandboxes' in page.text
    row = re.search(rf'<tr id="{mine.organization.id}">(.*?)</tr>', page.text, re.S)
    assert row is not None and "May 1, 2025, 12:00:00\u202fAM (UTC)" in row.group(1)
    assert theirs.organization.id not in page.text
    assert mine.key.secret not in page.text


def test_creating_a_sandbox_with_a_start_shows_its_key_once(
    console: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    page = console.get(PAGE)
    form_token = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert form_token is not None
    form = {"csrf_token": csrf(page), "form_token": form_token[1]}

    made = console.post(PAGE, data={**form, "name": "Demo run", "start": "2025-03-01T09:30"})

    assert made.status_code == 200, made.text
    assert made.headers["cache-control"] == "no-store"
    secret = re.search(r'id="sandbox-secret" class="code" dir="ltr" value="(sk_[^"]+)"', made.text)
    assert secret is not None
    answer = console.get("/v1/test_clock", headers={"Authorization": f"Bearer {secret[1]}"})
    assert answer.json()["frozen_at"] == "2025-03-01T09:30:00Z"
    assert answer.json()["sandbox"] is True
    [(_name, owner)] = [o for o in _organizations(container) if o[0].startswith("Demo run")]
    assert owner == tenant.organization_id
    assert secret[1] not in console.get(PAGE).text  # never again


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"start": "1999-12-31T23:00"}, "start", "from 2000 to 2099"),
        ({"start": "tomorrow"}, "start", "from 2000 to 2099"),
        ({"name": "x" * 101}, "name", "at most 100 characters"),
    ],
)
def test_a_refusal_is_shown_next_to_its_field_and_makes_nothing(
    console: TestClient, container: Plansmith, form: dict[str, str], field: str, message: str
) -> None:
    token = csrf(console.get(PAGE))
    before = _dump(container)

    refused = console.post(PAGE, data={"csrf_token": token, **form})

    assert refused.status_code == 422
    shown = re.search(rf'<p class="error" id="sandbox-{field}-error">([^<]+)</p>', refused.text)
    assert shown is not None and message in shown[1]
    assert _dump(container) == before


def test_the_refusal_speaks_the_pages_language(console: TestClient) -> None:
    console.cookies.set(COOKIE, "ja")
    token = csrf(console.get(PAGE))

    refused = console.post(PAGE, data={"csrf_token": token, "start": "1999-01-01T00:00"})

    shown = re.search(r'<p class="error" id="sandbox-start-error">([^<]+)</p>', refused.text)
    assert shown is not None
    assert html.unescape(shown[1]) == translate("ja", MESSAGES["start"])  # from the ja catalog
    assert '<html lang="ja"' in refused.text


def test_a_sandboxs_console_makes_no_sandbox(client: TestClient, container: Plansmith) -> None:
    sandbox = create_organization(container.uow(), container.clock, "Play", sandbox=True)
    sign_in_console(client, container, Tenant(sandbox.id, ""))
    page = client.get(PAGE)
    assert 'id="sandbox-note"' in page.text and 'id="create-sandbox"' not in page.text
    before = _dump(container)

    refused = client.post(PAGE, data={"csrf_token": csrf(page), "name": "Nested"})

    assert refused.status_code == 409
    assert "made by the live organization" in refused.text
    assert _dump(container) == before
