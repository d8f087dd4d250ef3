"""Issue 13's acceptance for languages, the portal's part: in Japanese, Vietnamese, Turkish and
Arabic the Plans page, a change review and a cancel-now review show no English label, and
Arabic reads right to left.

A label is any text node of the page that is a message of the catalog template (what
``scripts/messages.py`` extracts); a sentence is any message found in the page's text with its
placeholders filled in (language_check_support), and on Japanese and Arabic pages any run of
ASCII letters outside the test world's own data counts as English too. In another language
a label or sentence may stand only if the language's catalog translates it to the same words.
The check reads the shipped catalogs, so it holds once they carry every message of these
pages (``make messages`` and the translations filled in); in English the same pages must show
those labels as they are.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.webui import i18n
from tests.conftest import Tenant
from tests.integration.language_check_support import (
    english_sentences,
    english_words,
    template_ids,
    translations,
)
from tests.integration.portal_plans_support import BUSINESS_X5, _customer, _enter

LANGUAGES = ["ja", "vi", "tr", "ar"]
# The test world's own words, which stay as the customer and the operator wrote them.
WORLD = (
    "Acme Chat",
    "Acme Operator",
    "billing@acme.example",
    "Chat Team",
    "Chat Business",
    "Chat Internal",
    "Support Basic",
    "Partner Silver",
    "Chat platform packages",
    "Support plans",
    "Asia/Tokyo",
)


class _Texts(HTMLParser):
    """Every text node of a page (scripts and styles left out), stripped."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self._skip:
            self.nodes.append(text)


def _labels(page: Response) -> list[str]:
    """The page's text nodes that are catalog messages."""
    parser = _Texts()
    parser.feed(page.text)
    ids = template_ids()
    return [node for node in parser.nodes if node in ids]


def _pages(client: TestClient, container: Plansmith, tenant: Tenant) -> dict[str, Response]:
    account = _customer(container, tenant)
    csrf = _enter(client, container, account)
    client.cookies.delete("plansmith_lang")
    return {
        "plans": client.get("/portal/plans?family=chat"),
        "change": client.get("/portal/plans/chat/change"),
        "review": client.post(
            "/portal/plans/chat/review", data={**BUSINESS_X5, "csrf_token": csrf}
        ),
        "cancel now": client.post(
            "/portal/plans/chat/cancel", data={"when": "now", "csrf_token": csrf}
        ),
    }


def _in(client: TestClient, language: str, pages: dict[str, Response]) -> dict[str, Response]:
    """The same pages again in ``language`` (chosen with the switch's cookie)."""
    client.cookies.set(i18n.COOKIE, language)
    again = {}
    for name, page in pages.items():
        request = page.request
        again[name] = client.request(
            request.method,
            request.url,
            content=request.content,
            headers={"content-type": request.headers.get("content-type", "")},
        )
    return again


def test_in_english_the_pages_show_their_labels_as_the_catalog_template_holds_them(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    pages = _in(client, "en", _pages(client, container, tenant))

    for name, page in pages.items():
        assert page.status_code == 200, name
        assert '<html lang="en" dir="ltr">' in page.text
        labels = _labels(page)
        assert len(labels) >= 10, (name, labels)  # the page's words come from the catalog
    for label in ("Current plan", "Registered from", "Next payment", "History", "Cancel now"):
        assert label in _labels(pages["plans"])
    for label in ("Your choice", "Takes effect", "Next invoice", "Continue to payment"):
        assert label in _labels(pages["review"])
    assert "What happens" in _labels(pages["cancel now"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_language_shows_no_english_label(
    client: TestClient, container: Plansmith, tenant: Tenant, language: str
) -> None:
    pages = _in(client, language, _pages(client, container, tenant))
    translated = translations(language)

    direction = "rtl" if language == "ar" else "ltr"
    for name, page in pages.items():
        assert page.status_code == 200, name
        assert f'<html lang="{language}" dir="{direction}">' in page.text
        english = [label for label in _labels(page) if translated.get(label, label + "\0") != label]
        assert english == [], f"{language} {name}: shown in English: {english}"
        sentences = english_sentences(page.text, language)
        assert sentences == [], f"{language} {name}: sentences in English: {sentences}"
        if language in ("ja", "ar"):
            words = english_words(page.text, WORLD)
            assert words == [], f"{language} {name}: English words: {words}"


def test_the_account_locale_picks_the_language_without_a_choice(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    # The account is ja_JP: with no language chosen, every page speaks Japanese.
    pages = _pages(client, container, tenant)

    for page in pages.values():
        assert '<html lang="ja" dir="ltr">' in page.text
