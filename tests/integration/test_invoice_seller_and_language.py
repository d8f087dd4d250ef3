"""Issue 13, defect 6 (the invoice part) and the language acceptance for invoices: the invoice
said "From: Demo SaaS" with no seller address and wrote the buyer's country as "JP", and every
label was English. Now the seller block is the organization's settings (display name, seller
address, tax id), countries are named in the reader's locale, and every label of the invoice
page and its PDF comes from the catalog of the account's language; Arabic reads right to left.

The labels are checked against the catalogs themselves (``translate``), so these tests hold for
whatever translation a catalog gives, and fail while a label is untranslated.
"""

from __future__ import annotations

import re
from collections import Counter

from fastapi.testclient import TestClient

from plansmith.application.accounts.accounts import AccountChanges, update_account
from plansmith.application.organizations import branding as settings
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.webui.i18n import translate
from tests.conftest import Tenant
from tests.integration.invoice_pages import billed_customer, enter_portal, pdf_text, text_of

SELLER = settings.BrandingChanges(
    display_name="Demo SaaS GmbH",
    tax_id="DE123456789",
    seller_address=settings.AddressInput(["Friedrichstraße 68", "3. OG"], "Berlin", "10117", "DE"),
)
# The labels an invoice with tax shows, in the catalog's source language.
LABELS = (
    "From",
    "Bill to",
    "Invoice number",
    "Issue date",
    "Billing period",
    "Status",
    "Description",
    "Period",
    "Qty",
    "Unit price",
    "Amount",
    "Tax",
    "Total",
    "Subtotal",
    "Amount due",
    "Tax summary",
    "Rate",
    "Taxable amount",
    "Tax amount",
)
LOCALES = {"ja": "ja_JP", "vi": "vi_VN", "tr": "tr_TR", "ar": "ar_KW"}
GERMANY = {"ja": "ドイツ", "vi": "Đức", "tr": "Almanya", "ar": "ألمانيا"}


def _article(html: str) -> str:
    start = html.index('<article class="invoice-document"')
    return html[start : html.index("</article>", start) + len("</article>")]


def _english_labels(text: str, language: str) -> list[str]:
    """Labels of the catalog shown in English although the language has its own word."""
    return [
        label
        for label in LABELS
        if translate(language, label) != label and re.search(rf"\b{re.escape(label)}\b", text)
    ]


def _arabic_letters(text: str) -> Counter[str]:
    return Counter(c for c in text if "\u0621" <= c <= "\u064a")


def test_seller_block_shows_the_organizations_address_and_tax_id_and_countries_by_name(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    org = tenant.organization_id
    # Set before the invoices are finalized: a finalized invoice keeps the seller it had then.
    settings.update_branding(container.uow(), container.clock, org, SELLER)
    billed = billed_customer(container, tenant)
    enter_portal(client, container, billed.account)

    page = text_of(client.get(f"/portal/invoices/{billed.second.id}"))
    pdf = pdf_text(client.get(f"/portal/invoices/{billed.second.id}.pdf").content)

    ja = "ja"
    tax_id = translate(ja, "Tax ID: %(tax_id)s") % {"tax_id": "DE123456789"}
    seller = (
        f"{translate(ja, 'From')} Demo SaaS GmbH Friedrichstraße 68 3. OG 10117 Berlin "
        f"{GERMANY[ja]} {tax_id}"
    )
    assert seller in page
    assert seller in pdf
    # The buyer's country by its name in ja_JP, not "JP".
    assert "150-0002 Tokyo Tokyo 日本 billing@acme.example" in page
    assert " JP " not in f" {page} "
    assert "Acme Operator" not in page  # the display name, not the organization's own


def test_without_settings_the_seller_is_the_organizations_name(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    billed = billed_customer(container, tenant)
    enter_portal(client, container, billed.account)

    page = text_of(client.get(f"/portal/invoices/{billed.second.id}"))

    assert f"{translate('ja', 'From')} Acme Operator {translate('ja', 'Bill to')}" in page


def test_invoice_page_and_pdf_speak_the_accounts_language_and_arabic_reads_right_to_left(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    org = tenant.organization_id
    # Set before the invoices are finalized: a finalized invoice keeps the seller it had then.
    settings.update_branding(container.uow(), container.clock, org, SELLER)
    billed = billed_customer(container, tenant)
    enter_portal(client, container, billed.account)
    invoice = billed.second

    for language, locale in LOCALES.items():
        changes = AccountChanges(locale=locale)
        update_account(container.uow(), container.clock, org, billed.account.id, changes)
        html = client.get(f"/portal/invoices/{invoice.id}").text
        article = _article(html)
        page = text_of(client.get(f"/portal/invoices/{invoice.id}"))
        pdf_bytes = client.get(f"/portal/invoices/{invoice.id}.pdf").content
        pdf = pdf_text(pdf_bytes)

        for label in LABELS:
            assert translate(language, label) != label, f"{language}: {label!r} untranslated"
        assert not _english_labels(text_of_html(article), language), language
        assert not _english_labels(pdf, language), language
        assert f'lang="{language}"' in article
        assert GERMANY[language] in page
        if language == "ar":
            assert 'dir="rtl"' in article
            # Numbers, codes and money keep their order inside right-to-left text.
            assert "<bdi>INV-000002</bdi>" in article
            assert re.search(r'<td class="num amount"><bdi>[^<]*17,003', article)
            # Shaped Arabic: the PDF embeds an Arabic font and draws every label's letters.
            assert b"NotoSansArabic" in pdf_bytes
            drawn = _arabic_letters(pdf)
            assert not _arabic_letters(GERMANY[language]) - drawn
            for label in LABELS:
                assert not _arabic_letters(translate("ar", label)) - drawn, label
        else:
            assert 'dir="ltr"' in article
            assert GERMANY[language] in pdf
            for label in LABELS:
                word = translate(language, label)
                assert word in page, (language, label)
                assert word in pdf, (language, label)


def text_of_html(html: str) -> str:
    body = re.sub(r"<(style|script)>.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())
