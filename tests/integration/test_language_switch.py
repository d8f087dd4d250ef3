"""The language switch: a cookie the pages follow, that can only send the browser back here."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from plansmith.entrypoints.webui import i18n


def test_choosing_a_language_sets_the_cookie_and_returns_to_the_page(client: TestClient) -> None:
    answer = client.post(
        "/language", data={"language": "ja", "next": "/console/login?x=1"}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/login?x=1"
    cookie = answer.headers["set-cookie"].lower()
    assert f"{i18n.COOKIE}=ja" in cookie and "httponly" in cookie and "path=/" in cookie

    page = client.get("/console/login")
    assert '<html lang="ja" dir="ltr">' in page.text
    assert "言語を変更" in page.text  # the switch's own button, from the Japanese catalog


def test_arabic_pages_are_right_to_left(client: TestClient) -> None:
    client.post("/language", data={"language": "ar", "next": "/console/login"})
    page = client.get("/console/login")
    assert '<html lang="ar" dir="rtl">' in page.text


def test_the_browser_language_applies_until_one_is_chosen(client: TestClient) -> None:
    page = client.get("/console/login", headers={"Accept-Language": "tr-TR,tr;q=0.9,en;q=0.5"})
    assert '<html lang="tr" dir="ltr">' in page.text


def test_an_unknown_language_forgets_the_choice(client: TestClient) -> None:
    client.post("/language", data={"language": "vi", "next": "/"})
    answer = client.post(
        "/language", data={"language": "klingon", "next": "/"}, follow_redirects=False
    )
    assert f'{i18n.COOKIE}=""' in answer.headers["set-cookie"] or "max-age=0" in (
        answer.headers["set-cookie"].lower()
    )


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil", "x"])
def test_the_switch_never_sends_the_browser_to_another_site(
    client: TestClient, target: str
) -> None:
    answer = client.post(
        "/language", data={"language": "ja", "next": target}, follow_redirects=False
    )
    assert answer.headers["location"] == "/"
