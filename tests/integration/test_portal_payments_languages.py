"""The payment screens in Japanese, Vietnamese, Turkish and Arabic: no English label, sentence
or (ja, ar) word, a refusal and a decline said in the page's language, Arabic right to left.

Like test_portal_languages, this reads the shipped catalogs: a label missing from one fails
it (`make messages`, then translate)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from plansmith.application.payments.methods import cards
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.webui import i18n
from tests.conftest import Tenant
from tests.integration.language_check_support import english_sentences, english_words
from tests.integration.language_check_support import translations as catalog
from tests.integration.portal_payments_support import (
    DECLINE_TYPED,
    SUCCESS_TYPED,
    add_card,
    billed_customer,
    post_form,
    signed_in,
)
from tests.integration.test_portal_languages import WORLD, _labels

LANGUAGES = ["ja", "vi", "tr", "ar"]
# Card brands and the test card numbers stay as they are in every language.
KEPT = (*WORLD, "Visa", "CVC", "MM", "YYYY", "INV-000001", "JPY", "American Express")


def _pages(client: TestClient, container: Plansmith, tenant: Tenant) -> dict[str, Response]:
    customer = billed_customer(container, tenant)
    signed_in(client, container, customer.account)
    add_card(client, SUCCESS_TYPED)
    add_card(client, DECLINE_TYPED)
    good, bad = sorted(
        cards(container.uow(), tenant.organization_id, customer.account.id),
        key=lambda c: c.last4 != "4242",
    )
    post_form(
        client,
        "/portal/balance",
        "/portal/balance/top-up",
        {"amount": "1000", "payment_method_id": good.id},
    )
    invoice = customer.invoice.id
    return {
        "methods": client.get("/portal/payment-methods"),
        "card refused": post_form(
            client,
            "/portal/payment-methods",
            "/portal/payment-methods",
            {"number": "4242 4242 4242 4241", "exp_month": "1", "exp_year": "2026", "cvc": "1"},
        ),
        "remove": post_form(
            client, "/portal/payment-methods", f"/portal/payment-methods/{bad.id}/remove", {}
        ),
        "balance": client.get("/portal/balance"),
        "top-up refused": post_form(
            client,
            "/portal/balance",
            "/portal/balance/top-up",
            {"amount": "0", "payment_method_id": good.id},
        ),
        "top-up declined": post_form(
            client,
            "/portal/balance",
            "/portal/balance/top-up",
            {"amount": "1000", "payment_method_id": bad.id},
        ),
        "history": client.get("/portal/payments"),
        "invoices": client.get("/portal/invoices"),
        "pay": client.get(f"/portal/invoices/{invoice}/pay"),
        "review": post_form(
            client,
            f"/portal/invoices/{invoice}/pay",
            f"/portal/invoices/{invoice}/pay/review",
            {"method": good.id},
        ),
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_payment_page_speaks_the_chosen_language(
    client: TestClient, container: Plansmith, tenant: Tenant, language: str
) -> None:
    client.cookies.set(i18n.COOKIE, language)
    pages = _pages(client, container, tenant)
    client.cookies.set(i18n.COOKIE, language)  # signed_in chose English; choose again
    pages = {
        name: client.request(
            page.request.method,
            page.request.url,
            content=page.request.content,
            headers={"content-type": page.request.headers.get("content-type", "")},
        )
        for name, page in pages.items()
    }
    translated = catalog(language)

    direction = "rtl" if language == "ar" else "ltr"
    for name, page in pages.items():
        assert page.status_code in (200, 402, 422), (name, page.status_code)
        assert f'<html lang="{language}" dir="{direction}">' in page.text
        english = [label for label in _labels(page) if translated.get(label, label + "\0") != label]
        assert english == [], f"{language} {name}: shown in English: {english}"
        sentences = english_sentences(page.text, language)
        assert sentences == [], f"{language} {name}: sentences in English: {sentences}"
        if language in ("ja", "ar"):
            words = english_words(page.text, KEPT)
            assert words == [], f"{language} {name}: English words: {words}"
