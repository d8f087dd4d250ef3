"""`/` is a landing page (issue 13, defect 7), not a redirect to the console's sign-in: the way
to the console, the API docs, and how customers reach their portal, in the visitor's
language."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient

from plansmith.entrypoints.webui.i18n import translate

HEADING = "Plans, subscriptions and billing, with a portal for your customers"


def test_the_root_is_a_landing_page_with_the_three_ways_in(client: TestClient) -> None:
    page = client.get("/", follow_redirects=False)

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert f"<h1>{HEADING}</h1>" in page.text
    for link in ('href="/console/"', 'href="/docs"', 'href="/openapi.json"'):
        assert link in page.text
    assert "POST /v1/portal_sessions" in page.text  # how customers reach the portal
    assert "POST /v1/sandboxes" in page.text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page.text


def test_the_landing_page_follows_the_browsers_language(client: TestClient) -> None:
    page = client.get("/", headers={"Accept-Language": "ar-KW, en;q=0.5"})

    assert '<html lang="ar" dir="rtl">' in page.text
    assert f"<h1>{html.escape(translate('ar', HEADING), quote=False)}</h1>" in page.text
