"""Review finding 11, beyond the portal's plan pages: an invoice (page and PDF) and the
console's pages in Japanese and Arabic show no catalog sentence in English (placeholders
filled in) and no stray English word; the operator's pages follow the console's language.

The checks (language_check_support) read the shipped catalogs; the allowlist is the test
world's own data: names, e-mails, the address, plans and the seller.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from plansmith.application.accounts.accounts import AccountChanges, update_account
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.webui.formats import item_text
from plansmith.entrypoints.webui.i18n import COOKIE, translate
from tests.conftest import Tenant
from tests.integration.invoice_pages import billed_customer, enter_portal, pdf_text, sign_in_console
from tests.integration.language_check_support import english_sentences, english_words, pattern_of

WORLD = (
    "Acme Chat",
    "Acme Operator",
    "billing@acme.example",
    "ops@acme.example",
    "1-2-3 Shibuya",
    "Tokyo",
    "Asia/Tokyo",
    "Chat Team",
    "Chat Business",
    "Support Basic",
    "Chat platform packages",
    "Support plans",
    "Consumption tax",  # the organization's tax rate, as it named it
    "INV",
    "test",  # the name of the tenant's API key
    "CI run",  # an example of a sandbox's name, kept as an operator would type it
)
LOCALES = {"ja": "ja_JP", "ar": "ar_KW"}


def test_a_message_with_placeholders_is_found_with_its_values_filled_in() -> None:
    pattern = pattern_of("The old key (%(prefix)s…) stopped working at once.")

    assert pattern.search("Done. The old key (sk_live_ab12…) stopped working at once. Next")
    assert not pattern.search("旧キー sk_live_ab12… はすぐに停止しました。")
    assert pattern_of("Due on %(date)s").search("Due on 2026/02/15")
    assert not pattern_of("Due on %(date)s").search("Overdue once")


def test_an_items_description_says_its_facts_in_the_page_language() -> None:
    charge = "Remaining time on Chat Business × 5 (14 of 28 days)"
    days = translate("ja", "%(days)s of %(period_days)s") % {"days": 14, "period_days": 28}
    monthly = translate("ja", "Monthly")
    per_day = translate("ja", "pay per day")

    assert item_text(charge, "ja") == f"Chat Business × 5 ({days})"
    assert item_text("Unused time on Chat Team × 2 (14 of 28 days)", "ja") == (
        f"Chat Team × 2 ({days})"
    )
    assert item_text("Chat Team × 2, month", "ja") == f"Chat Team × 2, {monthly}"
    accrual = "Chat Team × 2, 14 of 28 days (month, pay per day)"
    assert item_text(accrual, "ja") == f"Chat Team × 2, {days} ({monthly}, {per_day})"
    assert item_text(charge, "en") == charge  # English keeps the rules' own words
    assert item_text("Setup fee", "ja") == "Setup fee"  # another shape: as it is
    assert monthly != "Monthly" and per_day != "pay per day"


@pytest.mark.parametrize("language", ["ja", "ar"])
def test_an_invoice_page_and_pdf_have_no_english_sentence_or_word(
    client: TestClient, container: Plansmith, tenant: Tenant, language: str
) -> None:
    org = tenant.organization_id
    billed = billed_customer(container, tenant)  # holds a proration credit and charge
    changes = AccountChanges(locale=LOCALES[language])
    update_account(container.uow(), container.clock, org, billed.account.id, changes)
    enter_portal(client, container, billed.account)

    page = client.get(f"/portal/invoices/{billed.second.id}")
    pdf = pdf_text(client.get(f"/portal/invoices/{billed.second.id}.pdf").content)

    assert page.status_code == 200
    assert english_sentences(page.text, language) == []
    assert english_words(page.text, WORLD) == []
    assert english_words(pdf, WORLD) == []
    assert "Remaining time" not in page.text and "Unused time" not in page.text


@pytest.mark.parametrize("language", ["ja", "ar"])
def test_the_consoles_pages_have_no_english_sentence_or_word(
    client: TestClient, container: Plansmith, tenant: Tenant, language: str
) -> None:
    billed = billed_customer(container, tenant)
    sign_in_console(client, container, tenant)
    client.cookies.set(COOKIE, language)
    account, invoice = billed.account.id, billed.second.id

    for path in (
        "/console/customers",
        f"/console/customers/{account}",
        "/console/subscriptions",
        "/console/invoices",
        f"/console/invoices/{invoice}",
        "/console/api-keys",
        "/console/dashboard",
        "/console/catalog",
        "/console/billing-runs",
        "/console/settings",
        "/console/sandboxes",
        f"/console/customers/{account}/plans/chat/change",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        assert f'<html lang="{language}"' in page.text, path
        assert english_sentences(page.text, language) == [], path
        assert english_words(page.text, WORLD) == [], path


@pytest.mark.parametrize("language", ["ja", "ar"])
def test_the_portals_account_and_invoice_pages_have_no_english_sentence_or_word(
    client: TestClient, container: Plansmith, tenant: Tenant, language: str
) -> None:
    org = tenant.organization_id
    billed = billed_customer(container, tenant)
    changes = AccountChanges(locale=LOCALES[language])
    update_account(container.uow(), container.clock, org, billed.account.id, changes)
    enter_portal(client, container, billed.account)

    for path in ("/portal/", "/portal/invoices", "/portal/plans"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert f'<html lang="{language}"' in page.text, path
        assert english_sentences(page.text, language) == [], path
        assert english_words(page.text, WORLD) == [], path
