"""The portal's Payment methods screen (seed 004 §5): list, add through the sandbox's card form,
make default, remove after a confirmation; each refusal beside its field with nothing changed;
the number never kept, logged or shown again; another account's card not reachable."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from plansmith.application.payments.methods import cards
from plansmith.bootstrap import Plansmith, Settings, bootstrap
from plansmith.entrypoints.web import create_app
from tests.conftest import Tenant, make_tenant
from tests.integration.invoice_pages import text_of
from tests.integration.portal_payments_support import (
    DECLINE_TYPED,
    MASTERCARD,
    MASTERCARD_TYPED,
    SUCCESS,
    SUCCESS_TYPED,
    add_card,
    billed_customer,
    error_beside,
    post_form,
    rows_holding,
    signed_in,
    state,
)


def test_the_page_lists_no_card_and_offers_the_sandbox_form_with_two_test_cards(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    customer = billed_customer(container, tenant)
    signed_in(client, container, customer.account)

    page = client.get("/portal/payment-methods")

    assert page.status_code == 200
    text = text_of(page)
    assert "No card yet." in text
    assert "4242 4242 4242 4242" in text and "4000 0000 0000 9995" in text
    assert 'name="number"' in page.text and 'name="cvc"' in page.text
    assert 'href="/portal/payment-methods" aria-current="page"' in page.text


def test_a_card_added_is_listed_as_the_default_and_its_number_is_kept_nowhere(
    client: TestClient,
    container: Plansmith,
    tenant: Tenant,
    caplog: pytest.LogCaptureFixture,
) -> None:
    customer = billed_customer(container, tenant)
    signed_in(client, container, customer.account)
    caplog.set_level(logging.DEBUG)

    added = add_card(client, MASTERCARD_TYPED, "12", "2030")
    page = client.get(added.headers["location"])

    assert added.status_code == 303
    assert added.headers["location"] == "/portal/payment-methods?done=card_added"
    (card,) = cards(container.uow(), tenant.organization_id, customer.account.id)
    assert (card.brand, card.last4, card.exp_month, card.exp_year, card.is_default) == (
        "mastercard",
        "4444",
        12,
        2030,
        True,
    )
    text = text_of(page)
    assert "The card was added." in text
    assert "Mastercard •••• 4444 Default" in text and "12/2030" in text
    for body in (added.text, page.text):
        assert MASTERCARD not in body and MASTERCARD_TYPED not in body
    assert rows_holding(container, [MASTERCARD, MASTERCARD_TYPED]) == []
    assert MASTERCARD not in caplog.text and MASTERCARD_TYPED not in caplog.text


@pytest.mark.parametrize(
    ("number", "month", "year", "cvc", "field", "message"),
    [
        (
            "4242 4242 4242 4241",
            "12",
            "2030",
            "123",
            "card-number",
            "The card number is not valid (its check digit does not match); check it for a "
            "mistyped digit.",
        ),
        (
            MASTERCARD_TYPED,
            "1",
            "2026",
            "123",
            "card-exp-month",
            "The card expired at the end of 01/2026; use a card that is still valid.",
        ),
        (
            MASTERCARD_TYPED,
            "12",
            "2025",
            "123",
            "card-exp-year",
            "The card expired in 2025; use a card that is still valid.",
        ),
        (MASTERCARD_TYPED, "12", "2030", "12", "card-cvc", "The security code (CVC) is 3 digits."),
        (
            MASTERCARD_TYPED,
            "ab",
            "2030",
            "123",
            "card-exp-month",
            "The expiry month is a number from 1 to 12.",
        ),
    ],
)
def test_a_wrong_card_is_refused_beside_its_field_keeping_the_expiry_but_not_the_number(
    client: TestClient,
    container: Plansmith,
    tenant: Tenant,
    number: str,
    month: str,
    year: str,
    cvc: str,
    field: str,
    message: str,
) -> None:
    customer = billed_customer(container, tenant)
    signed_in(client, container, customer.account)
    before = state(container, tenant.organization_id, customer.account)

    refused = post_form(
        client,
        "/portal/payment-methods",
        "/portal/payment-methods",
        {"number": number, "exp_month": month, "exp_year": year, "cvc": cvc},
    )

    assert refused.status_code == 422
    assert error_beside(refused, field) == message
    assert f'name="exp_month" value="{month}"' in refused.text
    assert f'name="exp_year" value="{year}"' in refused.text
    assert 'name="number" value=""' in refused.text and 'name="cvc" value=""' in refused.text
    assert number not in refused.text and number.replace(" ", "") not in refused.text
    assert state(container, tenant.organization_id, customer.account) == before
    assert rows_holding(container, [number, number.replace(" ", "")]) == []


def test_another_card_made_default_then_the_default_removed_after_its_confirmation(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    customer = billed_customer(container, tenant)
    signed_in(client, container, customer.account)
    add_card(client, SUCCESS_TYPED)
    post_form(
        client,
        "/portal/payment-methods",
        "/portal/payment-methods",
        {
            "number": MASTERCARD,
            "exp_month": "1",
            "exp_year": "2031",
            "cvc": "321",
            "make_default": "yes",
        },
    )
    org, account_id = tenant.organization_id, customer.account.id
    master, visa = cards(container.uow(), org, account_id)
    assert (master.brand, master.is_default, visa.is_default) == ("mastercard", True, False)

    made = post_form(
        client, "/portal/payment-methods", f"/portal/payment-methods/{visa.id}/default", {}
    )
    asked = post_form(
        client, "/portal/payment-methods", f"/portal/payment-methods/{visa.id}/remove", {}
    )
    still = cards(container.uow(), org, account_id)
    removed = post_form(
        client,
        "/portal/payment-methods",
        f"/portal/payment-methods/{visa.id}/remove",
        {"confirm": "yes"},
    )

    assert made.headers["location"] == "/portal/payment-methods?done=default_changed"
    assert asked.status_code == 200
    assert "Remove Visa •••• 4242?" in text_of(asked)
    assert "your newest other card becomes the default" in text_of(asked)
    assert [(c.id, c.is_default) for c in still] == [(visa.id, True), (master.id, False)]
    assert removed.headers["location"] == "/portal/payment-methods?done=card_removed"
    assert [(c.id, c.is_default) for c in cards(container.uow(), org, account_id)] == [
        (master.id, True)
    ]
    page = text_of(client.get("/portal/payment-methods?done=card_removed"))
    assert "The card was removed." in page and "Visa •••• 4242" not in page


def test_another_accounts_card_cannot_be_made_default_or_removed(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    customer = billed_customer(container, tenant)
    other = billed_customer(container, tenant, "Other Co")
    signed_in(client, container, other.account)
    add_card(client, DECLINE_TYPED)
    (theirs,) = cards(container.uow(), tenant.organization_id, other.account.id)
    signed_in(client, container, customer.account)

    default = post_form(
        client, "/portal/payment-methods", f"/portal/payment-methods/{theirs.id}/default", {}
    )
    remove = post_form(
        client,
        "/portal/payment-methods",
        f"/portal/payment-methods/{theirs.id}/remove",
        {"confirm": "yes"},
    )

    assert (default.status_code, remove.status_code) == (404, 404)
    assert cards(container.uow(), tenant.organization_id, other.account.id) == [theirs]
    assert "•••• 9995" not in client.get("/portal/payment-methods").text


def test_with_stripe_the_page_says_cards_are_added_on_the_providers_form(
    db_url: str, container: Plansmith
) -> None:
    settings = Settings(
        database_url=db_url,
        secret_key="test-secret",
        base_url="http://testserver",
        payment_gateway="stripe",
        stripe_api_key="sk_test_portal",
    )
    stripe_app = bootstrap(settings, clock=container.clock)
    try:
        tenant = make_tenant(stripe_app, "Live Operator")
        customer = billed_customer(stripe_app, tenant)
        with TestClient(create_app(stripe_app)) as client:
            signed_in(client, stripe_app, customer.account)
            page = client.get("/portal/payment-methods")
            posted = post_form(
                client,
                "/portal/payment-methods",
                "/portal/payment-methods",
                {"number": SUCCESS, "exp_month": "12", "exp_year": "2030", "cvc": "123"},
            )
    finally:
        stripe_app.dispose()

    assert page.status_code == 200
    assert "Cards are added on the payment provider's secure form" in text_of(page)
    assert 'name="number"' not in page.text
    assert posted.status_code == 409 and SUCCESS not in posted.text
