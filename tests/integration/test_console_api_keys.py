"""The console's API keys page on SQLite and PostgreSQL: the list, a new key's secret shown
once, revoke and roll only after their confirmation page, another organization's keys 404."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.application.organizations.api_keys import create_api_key
from plansmith.bootstrap import Plansmith
from tests.conftest import START, Tenant
from tests.integration.invoice_pages import csrf, sign_in_console

PAGE = "/console/api-keys"


@pytest.fixture
def console(client: TestClient, container: Plansmith, tenant: Tenant) -> TestClient:
    sign_in_console(client, container, tenant)
    return client


def _rows(container: Plansmith) -> dict[str, Any]:
    with container.engine.connect() as connection:
        return {row.id: row for row in connection.execute(select(t.api_keys))}


def _status(client: TestClient, secret: str) -> int:
    response: httpx.Response = client.get(
        "/v1/organization", headers={"Authorization": f"Bearer {secret}"}
    )
    return response.status_code


def _new_key(container: Plansmith, tenant: Tenant, name: str = "backend") -> Any:
    return create_api_key(container.uow(), container.clock, tenant.organization_id, name)


def test_the_page_lists_name_prefix_kind_times_and_status_never_a_secret(
    console: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    issued = _new_key(container, tenant, "billing backend")
    console.get("/v1/organization", headers={"Authorization": f"Bearer {issued.secret}"})

    page = console.get(PAGE)

    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    row = re.search(rf'<tr id="{issued.key.id}">(.*?)</tr>', page.text, re.S)
    assert row is not None
    cells = row.group(1)
    assert "billing backend" in cells and f"{issued.secret[:10]}…" in cells
    assert "secret" in cells and "Active" in cells
    assert cells.count("Jan 31, 2026, 3:00:00\u202fPM (UTC)") == 2  # created and last used
    assert issued.secret not in page.text and tenant.api_key not in page.text
    assert 'aria-current="page">API keys' in page.text


def test_creating_a_key_shows_its_secret_once(
    console: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    token = csrf(console.get(PAGE))

    created = console.post(PAGE, data={"csrf_token": token, "name": "ci", "kind": "publishable"})

    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    secret = re.search(r'id="new-secret" value="(pk_[^"]+)"', created.text)
    assert secret is not None
    [new] = [row for row in _rows(container).values() if row.name == "ci"]
    assert (new.kind, new.prefix) == ("publishable", secret.group(1)[:10])
    assert secret.group(1) not in console.get(PAGE).text  # never again


def test_an_empty_name_is_shown_next_to_the_field_and_creates_nothing(
    console: TestClient, container: Plansmith
) -> None:
    token = csrf(console.get(PAGE))
    before = _rows(container)

    refused = console.post(PAGE, data={"csrf_token": token, "name": "  ", "kind": "secret"})

    assert refused.status_code == 422
    assert '<p class="error" id="key-name-error">name must not be empty</p>' in refused.text
    assert _rows(container) == before


def test_revoke_happens_only_on_the_confirmation_pages_form(
    console: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    issued = _new_key(container, tenant)
    listed = console.get(PAGE)
    assert f'href="/console/api-keys/{issued.key.id}/revoke"' in listed.text

    confirm = console.get(f"{PAGE}/{issued.key.id}/revoke")  # the list's "Revoke…" link

    assert confirm.status_code == 200
    assert "401 at once" in confirm.text and issued.key.prefix in confirm.text
    assert _status(console, issued.secret) == 200  # following the link revoked nothing
    forged = console.post(f"{PAGE}/{issued.key.id}/revoke", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    assert _status(console, issued.secret) == 200

    done = console.post(
        f"{PAGE}/{issued.key.id}/revoke", data={"csrf_token": csrf(confirm)}, follow_redirects=False
    )

    assert (done.status_code, done.headers["location"]) == (303, f"{PAGE}?done=revoked")
    assert _status(console, issued.secret) == 401
    page = console.get(done.headers["location"])
    assert "every request with this key now gets 401" in page.text
    assert f'href="/console/api-keys/{issued.key.id}/revoke"' not in page.text
    again = console.post(f"{PAGE}/{issued.key.id}/revoke", data={"csrf_token": csrf(confirm)})
    assert again.status_code == 409 and "was revoked at" in again.text


def test_roll_shows_the_new_secret_and_the_old_key_works_for_the_chosen_overlap(
    console: TestClient, container: Plansmith, clock: TestClock, tenant: Tenant
) -> None:
    old = _new_key(container, tenant, "backend")
    confirm = console.get(f"{PAGE}/{old.key.id}/roll")
    assert 'value="86400" checked' in confirm.text  # 24 hours unless chosen otherwise
    assert _rows(container)[old.key.id].expires_at is None

    rolled = console.post(
        f"{PAGE}/{old.key.id}/roll", data={"csrf_token": csrf(confirm), "overlap": "3600"}
    )

    assert rolled.status_code == 200
    new_secret = re.search(r'id="new-secret" value="(sk_[^"]+)"', rolled.text)
    assert new_secret is not None
    shown = rolled.text.replace("<bdi>", "").replace("</bdi>", "")  # dates keep their order in RTL
    assert "keeps working until Jan 31, 2026, 4:00:00\u202fPM (UTC)" in shown
    assert _status(console, new_secret.group(1)) == 200
    clock.set(START + timedelta(minutes=59))
    assert _status(console, old.secret) == 200
    clock.set(START + timedelta(hours=1))
    assert _status(console, old.secret) == 401


@pytest.mark.parametrize("overlap", ["", "-5", "604801", "soon"])
def test_a_bad_overlap_is_shown_next_to_the_choice_and_changes_nothing(
    console: TestClient, container: Plansmith, tenant: Tenant, overlap: str
) -> None:
    old = _new_key(container, tenant)
    confirm = console.get(f"{PAGE}/{old.key.id}/roll")
    before = _rows(container)

    refused = console.post(
        f"{PAGE}/{old.key.id}/roll", data={"csrf_token": csrf(confirm), "overlap": overlap}
    )

    assert refused.status_code == 422
    assert '<p class="error" id="overlap-error">overlap must be between 0' in refused.text
    assert _rows(container) == before


def test_another_organizations_key_is_a_404_page_and_keeps_working(
    console: TestClient, container: Plansmith, other_tenant: Tenant
) -> None:
    theirs = _new_key(container, other_tenant, "their backend")
    token = csrf(console.get(PAGE))
    before = _rows(container)

    answers = [
        console.get(f"{PAGE}/{theirs.key.id}/revoke"),
        console.get(f"{PAGE}/{theirs.key.id}/roll"),
        console.post(f"{PAGE}/{theirs.key.id}/revoke", data={"csrf_token": token}),
        console.post(f"{PAGE}/{theirs.key.id}/roll", data={"csrf_token": token, "overlap": "0"}),
    ]

    assert [a.status_code for a in answers] == [404, 404, 404, 404]
    assert "their backend" not in console.get(PAGE).text
    assert _rows(container) == before
    assert _status(console, theirs.secret) == 200


def test_without_a_console_session_the_page_sends_to_sign_in(client: TestClient) -> None:
    response = client.get(PAGE, follow_redirects=False)

    assert (response.status_code, response.headers["location"]) == (303, "/console/login")
