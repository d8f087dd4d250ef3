"""The organization's settings (issue 13): display name, logo, accent colour, seller address and
tax id, read and changed over the API and on the console's Settings page. Every refused change
names its field(s) and leaves everything as it was; the logo is served from this origin with a
type that was checked and a policy that runs nothing; the portal header shows the brand.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from plansmith.adapters.db import tables as t
from plansmith.bootstrap import Plansmith
from plansmith.domain.organizations.branding import MAX_LOGO_BYTES, contrast_with_white
from tests.conftest import Tenant
from tests.integration.invoice_pages import csrf, enter_portal, open_customer, sign_in_console

PROBLEM = "application/problem+json"
PATH = "/v1/organization/settings"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<rect width="10" height="10"/></svg>'
)
ADDRESS = {
    "lines": ["1-2-3 Marunouchi", "Floor 9"],
    "city": "Chiyoda-ku",
    "postal_code": "100-0005",
    "country": "JP",
}
GOOD = {
    "display_name": "Demo SaaS K.K.",
    "accent_colour": "#1F6FEB",
    "tax_id": "T1234567890123",
    "seller_address": ADDRESS,
}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _rows(container: Plansmith) -> list[tuple[Any, ...]]:
    with container.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(select(t.organization_branding))]


def _post(client: TestClient, tenant: Tenant, body: dict[str, Any], key: str | None = None) -> Any:
    headers = dict(tenant.headers)
    if key:
        headers["Idempotency-Key"] = key
    return client.post(PATH, json=body, headers=headers)


def test_wcag_contrast_of_white_on_the_accent_colour() -> None:
    assert round(contrast_with_white("#000000"), 2) == 21.0
    assert round(contrast_with_white("#ffffff"), 2) == 1.0
    assert round(contrast_with_white("#767676"), 2) == 4.54  # the lightest grey that passes AA
    assert contrast_with_white("#777777") < 4.5


def test_settings_start_empty_and_an_update_sets_what_it_names(
    client: TestClient, tenant: Tenant
) -> None:
    fresh = client.get(PATH, headers=tenant.headers)
    assert fresh.status_code == 200
    assert fresh.json()["display_name"] is None and fresh.json()["revision"] == 0

    saved = _post(
        client, tenant, {**GOOD, "logo": {"content_type": "image/png", "data": _b64(PNG)}}
    )

    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["display_name"] == "Demo SaaS K.K."
    assert body["accent_colour"] == "#1f6feb"
    assert body["tax_id"] == "T1234567890123"
    assert body["seller_address"] == ADDRESS
    assert body["logo"]["content_type"] == "image/png" and body["logo"]["size"] == len(PNG)
    assert body["revision"] == 1
    # Only what is named changes: the rest stays.
    again = _post(client, tenant, {"tax_id": ""})
    assert again.json()["tax_id"] is None
    assert again.json()["seller_address"] == ADDRESS and again.json()["revision"] == 2
    assert client.get(PATH, headers=tenant.headers).json() == again.json()


def test_refused_settings_name_each_field_and_change_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    assert _post(client, tenant, GOOD).status_code == 200
    before, rows = client.get(PATH, headers=tenant.headers).json(), _rows(container)
    refused: list[tuple[dict[str, Any], str]] = [
        ({"accent_colour": "#FFD700"}, "accent_colour"),  # gold: white text unreadable on it
        ({"accent_colour": "blue"}, "accent_colour"),
        ({"accent_colour": "#12345"}, "accent_colour"),
        ({"seller_address": {**ADDRESS, "country": "Japan"}}, "seller_address.country"),
        ({"seller_address": {**ADDRESS, "city": " "}}, "seller_address.city"),
        ({"seller_address": {**ADDRESS, "lines": []}}, "seller_address.lines"),
        ({"seller_address": {**ADDRESS, "lines": ["a", "b", "c", "d"]}}, "seller_address.lines"),
        ({"tax_id": "x" * 101}, "tax_id"),
        ({"display_name": "x" * 201}, "display_name"),
        ({"logo": {"content_type": "image/gif", "data": _b64(b"GIF89a")}}, "logo"),
        ({"logo": {"content_type": "image/png", "data": _b64(b"<svg></svg>")}}, "logo"),
        ({"logo": {"content_type": "image/png", "data": "not base64!"}}, "logo.data"),
        (
            {"logo": {"content_type": "image/png", "data": _b64(PNG + b"\x00" * MAX_LOGO_BYTES)}},
            "logo.data",
        ),
        (
            {
                "logo": {
                    "content_type": "image/svg+xml",
                    "data": _b64(SVG.replace(b"<rect", b"<script>alert(1)</script><rect")),
                }
            },
            "logo",
        ),
        (
            {
                "logo": {
                    "content_type": "image/svg+xml",
                    "data": _b64(SVG.replace(b"<rect", b'<rect onload="x()"')),
                }
            },
            "logo",
        ),
        (
            {
                "logo": {
                    "content_type": "image/svg+xml",
                    "data": _b64(b'<!DOCTYPE svg [<!ENTITY a "b">]>' + SVG),
                }
            },
            "logo",
        ),
        ({"revision": 0, "tax_id": "DE1"}, "revision"),  # stale: it is 1 now
    ]
    for body, field in refused:
        answer = _post(client, tenant, body)
        assert answer.status_code in (409, 422), (body, answer.text)
        assert answer.headers["content-type"].startswith(PROBLEM), body
        problem = answer.json()
        named = {e.get("field") for e in problem.get("errors", [])} | {problem.get("field")}
        assert field in named, (body, problem)
    # Several wrong fields at once: each is named, and a right one beside them is not saved.
    many = _post(
        client,
        tenant,
        {
            "display_name": "Renamed",
            "accent_colour": "#eeeeee",
            "seller_address": {**ADDRESS, "country": "XX"},
        },
    )
    assert many.status_code == 422
    named = {e["field"] for e in many.json()["errors"]}
    assert {"accent_colour", "seller_address.country"} <= named

    assert client.get(PATH, headers=tenant.headers).json() == before
    assert _rows(container) == rows


def test_an_update_with_an_idempotency_key_is_done_once(client: TestClient, tenant: Tenant) -> None:
    first = _post(client, tenant, {"display_name": "Once"}, key="settings-1")
    second = _post(client, tenant, {"display_name": "Once"}, key="settings-1")

    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert client.get(PATH, headers=tenant.headers).json()["revision"] == 1


def test_the_logo_is_served_from_its_own_url_with_a_policy_that_runs_nothing(
    client: TestClient, tenant: Tenant
) -> None:
    saved = _post(client, tenant, {"logo": {"content_type": "image/svg+xml", "data": _b64(SVG)}})
    url = saved.json()["logo"]["url"]

    logo = client.get(url)

    assert logo.status_code == 200 and logo.content == SVG
    assert logo.headers["content-type"].startswith("image/svg+xml")
    assert logo.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in logo.headers["content-security-policy"]
    assert "default-src 'none'" in logo.headers["content-security-policy"]
    # A replaced logo's URL is gone; a removed logo leaves none.
    _post(client, tenant, {"logo": {"content_type": "image/png", "data": _b64(PNG)}})
    assert client.get(url).status_code == 404
    assert _post(client, tenant, {"logo": None}).json()["logo"] is None


def test_console_settings_page_saves_and_refuses_field_by_field(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    sign_in_console(client, container, tenant)
    page = client.get("/console/settings")
    assert page.status_code == 200
    form = {
        "csrf_token": csrf(page),
        "revision": "0",
        "display_name": "Demo SaaS K.K.",
        "accent_colour": "#fafafa",  # too light
        "line1": "1-2-3 Marunouchi",
        "city": "",
        "postal_code": "100-0005",
        "country": "JP",
        "tax_id": "T1234567890123",
    }

    refused = client.post("/console/settings", data=form)

    assert refused.status_code == 422
    assert 'id="settings-accent_colour-error"' in refused.text
    assert 'id="settings-city-error"' in refused.text
    assert 'value="Demo SaaS K.K."' in refused.text  # what was typed stays in the form
    assert _rows(container) == []

    fixed = {**form, "accent_colour": "#0b5394", "city": "Chiyoda-ku"}
    files = {"logo": ("logo.png", PNG, "image/png")}
    saved = client.post("/console/settings", data=fixed, files=files, follow_redirects=False)
    assert saved.status_code == 303
    shown = client.get("/console/settings")
    assert 'value="#0b5394"' in shown.text and 'value="Chiyoda-ku"' in shown.text
    assert re.search(r'<img src="/brand/[^"]+/logo/[0-9a-f]{64}"', shown.text)


def test_portal_header_shows_the_operators_name_logo_and_accent_colour(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = open_customer(container, tenant.organization_id)
    enter_portal(client, container, account)
    plain = client.get("/portal/invoices")
    assert "Demo SaaS K.K." not in plain.text

    body = {**GOOD, "logo": {"content_type": "image/png", "data": _b64(PNG)}}
    logo_url = _post(client, tenant, body).json()["logo"]["url"]
    page = client.get("/portal/invoices")

    brand = re.search(r'<a class="brand"[^>]*>(.*?)</a>', page.text, re.S)
    assert brand is not None
    assert "Demo SaaS K.K." in brand.group(1)
    assert f'<img src="{logo_url}"' in brand.group(1)
    assert "--brand: #1f6feb" in page.text
