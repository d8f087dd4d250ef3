"""Review findings 7 and 9: a refusal reaches a translated page in the page's language, and the
console writes money and dates as its page language does.

The console's error page was English with internal ids ("no invoice 'inv_…'", "Back to
customers"); form and page refusals showed the rule's English sentence (``error.message``).
Now a page says a refusal by its code and field (webui/messages.py), English pages keep the
rule's own sentence, and the API keeps its English problem+json.
"""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response

from plansmith.application.organizations.organizations import create_operator
from plansmith.bootstrap import Plansmith
from plansmith.domain.accounts.account import Account
from plansmith.domain.kernel import error_codes as ec
from plansmith.entrypoints.webui import errors, messages
from plansmith.entrypoints.webui.i18n import COOKIE, translate
from tests.conftest import Tenant
from tests.integration.language_check_support import english_sentences, english_words, text_of
from tests.integration.portal_plans_support import _customer, _enter

PASSWORD = "correct horse battery"
OPERATOR = "ops@acme.example"
# The test world's own words (the operator's e-mail, the organization, customer and plans).
WORLD = (
    "ops@acme.example",
    "Acme Operator",
    "Acme Chat",
    "billing@acme.example",
    "Chat Team",
    "Chat Business",
    "Chat platform packages",
    "test",  # the name of the tenant's API key
)


def _console(client: TestClient, container: Plansmith, tenant: Tenant, language: str) -> None:
    create_operator(container.uow(), container.clock, tenant.organization_id, OPERATOR, PASSWORD)
    client.cookies.set(COOKIE, language)
    signed = client.post(
        "/console/login",
        data={"email": OPERATOR, "password": PASSWORD},
        follow_redirects=False,
    )
    assert signed.status_code == 303


def _csrf(page: Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "the page has no CSRF token"
    return match.group(1)


def _clean(page: Response, language: str) -> None:
    """No catalog sentence in English, and (ja, ar) no stray English word."""
    assert english_sentences(page.text, language) == []
    if language in ("ja", "ar"):
        assert english_words(page.text, WORLD) == []


def test_a_console_404_in_japanese_has_no_english_label_and_no_id(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    _console(client, container, tenant, "ja")

    page = client.get("/console/invoices/inv_01NOSUCHINVOICE000000000")

    assert page.status_code == 404
    assert '<html lang="ja" dir="ltr">' in page.text
    text = text_of(page.text)
    assert translate("ja", errors.MESSAGES[404]) in text
    assert translate("ja", errors.TITLES[404]) in text
    assert translate("ja", "Back to customers") in text
    assert translate("ja", "Back to customers") != "Back to customers"
    assert "inv_" not in text and "NOSUCH" not in text
    assert "Back to customers" not in text and "Not found" not in text
    _clean(page, "ja")


def test_a_console_404_in_english_says_the_same_without_the_id(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    _console(client, container, tenant, "en")

    page = client.get("/console/invoices/inv_01NOSUCHINVOICE000000000")

    assert page.status_code == 404
    text = text_of(page.text)
    assert errors.MESSAGES[404] in text and "Back to customers" in text
    assert "inv_" not in text


def test_a_refused_value_on_a_console_error_page_is_said_by_its_code_and_field(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    _console(client, container, tenant, "ja")

    page = client.get("/console/dashboard?month=soon")

    assert page.status_code == 422
    said = translate("ja", messages.FIELD_SENTENCES[ec.INVALID_VALUE]) % {
        "field": translate("ja", "Month")
    }
    assert said != "Month: this value is not allowed."
    assert said in text_of(page.text)
    assert "YYYY-MM" not in page.text and "soon" not in text_of(page.text)
    _clean(page, "ja")


def test_a_refused_filter_in_arabic_names_the_field_in_arabic(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    _console(client, container, tenant, "ar")

    page = client.get("/console/subscriptions?status=sleeping")

    assert page.status_code == 422
    said = translate("ar", messages.FIELD_SENTENCES[ec.INVALID_VALUE]) % {
        "field": translate("ar", "Status")
    }
    assert said in text_of(page.text)
    assert "is not" not in page.text
    _clean(page, "ar")


def test_a_form_refusal_beside_its_field_is_in_the_page_language(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    _console(client, container, tenant, "ja")
    form = client.get("/console/api-keys")

    page = client.post("/console/api-keys", data={"name": "  ", "csrf_token": _csrf(form)})

    assert page.status_code == 422
    said = translate("ja", messages.FIELD_SENTENCES[ec.REQUIRED]) % {
        "field": translate("ja", "Name")
    }
    assert said != "Name: please fill this in."
    assert said in text_of(page.text)
    _clean(page, "ja")


def test_the_same_form_refusal_in_english_keeps_the_rules_own_sentence(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    _console(client, container, tenant, "en")
    form = client.get("/console/api-keys")

    page = client.post("/console/api-keys", data={"name": "  ", "csrf_token": _csrf(form)})

    assert page.status_code == 422
    assert "name must not be empty" in text_of(page.text)


def test_a_portal_refusal_of_the_quantity_is_in_the_accounts_language(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)
    csrf = _enter(client, container, account)
    client.cookies.delete(COOKIE)  # the account is ja_JP

    page = client.post(
        "/portal/plans/chat/review",
        data={"plan": "chat-business", "cycle": "month", "quantity": "51", "csrf_token": csrf},
    )

    assert page.status_code == 422
    assert '<html lang="ja"' in page.text
    said = translate("ja", messages.SENTENCES[ec.SEATS_OUT_OF_RANGE])
    assert said != messages.SENTENCES[ec.SEATS_OUT_OF_RANGE]
    assert said in text_of(page.text)
    _clean(page, "ja")


def _customer_page(client: TestClient, account: Account) -> str:
    page = client.get(f"/console/customers/{account.id}")
    assert page.status_code == 200
    return text_of(page.text)


def test_console_dates_and_money_follow_the_page_language(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _customer(container, tenant)  # holds Chat Team x2 since 2026-02-01 (Tokyo)
    client.cookies.clear()
    _console(client, container, tenant, "ja")

    japanese = _customer_page(client, account)
    client.cookies.set(COOKIE, "en")
    english = _customer_page(client, account)

    # The current period, 2026-02-01 to 2026-02-28, as ja_JP and en_US write it.
    assert "2026/02/01 \u2013 2026/02/28" in japanese
    assert "Feb 1, 2026 \u2013 Feb 28, 2026" in english
    assert "Feb" not in japanese
    # Money: the fullwidth yen sign of ja_JP, the ASCII one of en_US.
    assert "\uffe55,600" in japanese
    assert "\u00a55,600" in english
