"""Settings saved on top of someone else's (review item SHOULD 19): the console's form carries
the revision it showed, and a save after another one (or a form without a revision) is refused
with 409, nothing of it written, the page showing the settings as they are now. The API reports
a logo that is not base64 together with the other wrong fields."""

from __future__ import annotations

import base64
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from plansmith.adapters.db import tables as t
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.invoice_pages import csrf, sign_in_console

PATH = "/v1/organization/settings"
MEANWHILE = "Someone saved these settings after you opened this page."


def _rows(container: Plansmith) -> list[tuple[Any, ...]]:
    with container.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(select(t.organization_branding))]


def _form(token: str, **values: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "display_name": "Typed In Console",
        "accent_colour": "#0b5394",
        "tax_id": "T1",
        "line1": "1-2-3 Marunouchi",
        "city": "Chiyoda-ku",
        "postal_code": "100-0005",
        "country": "JP",
        **values,
    }


def test_a_console_save_behind_another_save_is_refused_and_shows_the_new_values(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    sign_in_console(client, container, tenant)
    page = client.get("/console/settings")
    assert 'name="revision" value="0"' in page.text
    form = _form(csrf(page), revision="0")
    # Someone else saves in between.
    other = client.post(PATH, json={"display_name": "Saved Elsewhere"}, headers=tenant.headers)
    assert other.status_code == 200
    rows = _rows(container)

    refused = client.post("/console/settings", data=form)

    assert refused.status_code == 409
    assert MEANWHILE in refused.text
    assert 'value="Saved Elsewhere"' in refused.text  # the settings as they are now
    assert "Typed In Console" not in refused.text
    assert 'name="revision" value="1"' in refused.text
    assert _rows(container) == rows
    # Made again on the page as it is now, it is saved.
    again = client.post("/console/settings", data={**form, "revision": "1"}, follow_redirects=False)
    assert again.status_code == 303
    api = client.get(PATH, headers=tenant.headers).json()
    assert (api["display_name"], api["revision"]) == ("Typed In Console", 2)


def test_a_console_form_without_its_revision_saves_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    sign_in_console(client, container, tenant)
    page = client.get("/console/settings")
    for revision in ("", "latest"):
        refused = client.post("/console/settings", data=_form(csrf(page), revision=revision))
        assert refused.status_code == 409
        assert MEANWHILE in refused.text
    assert _rows(container) == []


def test_the_api_reports_a_bad_base64_logo_with_the_other_wrong_fields(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    body = {
        "accent_colour": "#eeeeee",  # too light
        "seller_address": {"lines": ["x"], "city": "Tokyo", "country": "XX"},
        "logo": {"content_type": "image/png", "data": "not base64!"},
    }

    answer = client.post(PATH, json=body, headers=tenant.headers)

    assert answer.status_code == 422
    named = {e["field"] for e in answer.json()["errors"]}
    assert {"accent_colour", "seller_address.country", "logo.data"} <= named
    assert _rows(container) == []
    # Alone, it is still named.
    alone = client.post(PATH, json={"logo": body["logo"]}, headers=tenant.headers)
    assert alone.status_code == 422
    problem = alone.json()
    assert "logo.data" in {e.get("field") for e in problem.get("errors", [])} | {
        problem.get("field")
    }
    good = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 8).decode()
    saved = client.post(
        PATH, json={"logo": {"content_type": "image/png", "data": good}}, headers=tenant.headers
    )
    assert saved.status_code == 200
