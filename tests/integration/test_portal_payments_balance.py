"""The portal's Balance screen (seed 002 9.10.1 Topup): the balance in the account's currency,
its movements, a top-up typed in major units and charged to a chosen card; each refusal beside
its field and a decline beside the form, with nothing changed."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from plansmith.application.payments.methods import cards
from plansmith.application.payments.top_ups import balance
from plansmith.bootstrap import Plansmith
from plansmith.domain.kernel.errors import DomainError
from plansmith.entrypoints.portal.payments_views import parse_amount
from tests.conftest import Tenant
from tests.integration.invoice_pages import text_of
from tests.integration.portal_payments_support import (
    DECLINE_TYPED,
    SUCCESS_TYPED,
    add_card,
    billed_customer,
    error_beside,
    post_form,
    signed_in,
    state,
)


def _top_up(client: TestClient, amount: str, method_id: str) -> object:
    return post_form(
        client,
        "/portal/balance",
        "/portal/balance/top-up",
        {"amount": amount, "payment_method_id": method_id},
    )


def test_the_balance_page_is_no_longer_a_404_and_shows_the_balance_in_the_accounts_currency(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    customer = billed_customer(container, tenant)
    signed_in(client, container, customer.account)

    page = client.get("/portal/balance")

    assert page.status_code == 200
    text = text_of(page)
    assert "Your prepaid balance ¥0" in text
    assert "Add a card first to top up your balance." in text
    assert "No movements yet." in text
    assert 'href="/portal/balance" aria-current="page"' in page.text


def test_a_top_up_in_major_units_is_charged_to_the_chosen_card_and_credited_at_once(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    customer = billed_customer(container, tenant)
    org, account_id = tenant.organization_id, customer.account.id
    signed_in(client, container, customer.account)
    add_card(client, SUCCESS_TYPED)
    (card,) = cards(container.uow(), org, account_id)

    done = post_form(
        client,
        "/portal/balance",
        "/portal/balance/top-up",
        {"amount": "5,000", "payment_method_id": card.id},
    )
    page = client.get("/portal/balance?done=topped_up")
    history = text_of(client.get("/portal/payments"))

    assert done.status_code == 303
    assert done.headers["location"] == "/portal/balance?done=topped_up"
    assert balance(container.uow(), org, account_id) == ("JPY", 5000)
    text = text_of(page)
    assert "Your balance was topped up." in text
    assert "Your prepaid balance ¥5,000" in text
    assert "Top-up +¥5,000" in text
    assert "Top-up ¥5,000 Visa •••• 4242 Succeeded —" in history


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "a top-up is more than 0"),
        ("-50", "a top-up is more than 0"),
        ("1000001", "a top-up is at most 1000000 minor units of JPY"),
        ("12.5", "JPY amounts have at most 0 decimals; 12.5 has more"),
        ("fifty", "'fifty' is not a number like 12.34"),
        ("", "Enter the amount to top up, like 50.00."),
    ],
)
def test_a_wrong_amount_is_refused_beside_it_with_nothing_changed(
    client: TestClient, container: Plansmith, tenant: Tenant, amount: str, message: str
) -> None:
    customer = billed_customer(container, tenant)
    org, account_id = tenant.organization_id, customer.account.id
    signed_in(client, container, customer.account)
    add_card(client, SUCCESS_TYPED)
    (card,) = cards(container.uow(), org, account_id)
    before = state(container, org, customer.account)

    refused = post_form(
        client,
        "/portal/balance",
        "/portal/balance/top-up",
        {"amount": amount, "payment_method_id": card.id},
    )

    assert refused.status_code == 422
    assert error_beside(refused, "top-up-amount") == message.replace("'", "&#39;")
    assert f'name="amount" value="{amount}"' in refused.text
    assert state(container, org, customer.account) == before


def test_a_declined_top_up_shows_the_reason_beside_the_form_and_changes_no_balance(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    customer = billed_customer(container, tenant)
    org, account_id = tenant.organization_id, customer.account.id
    signed_in(client, container, customer.account)
    add_card(client, DECLINE_TYPED)
    (card,) = cards(container.uow(), org, account_id)
    balance_before, cards_before, payments_before, ledger_before = state(
        container, org, customer.account
    )

    declined = post_form(
        client,
        "/portal/balance",
        "/portal/balance/top-up",
        {"amount": "3000", "payment_method_id": card.id},
    )

    assert declined.status_code == 402
    assert "The top-up was declined: Your card has insufficient funds." in text_of(declined)
    assert "Nothing was charged and your balance is unchanged." in text_of(declined)
    assert 'name="amount" value="3000"' in declined.text
    # the failed attempt is recorded in the history; nothing else moved
    assert state(container, org, customer.account) == (
        balance_before,
        cards_before,
        payments_before + 1,
        ledger_before,
    )
    history = text_of(client.get("/portal/payments"))
    assert "Top-up ¥3,000 Visa •••• 9995 Failed Your card has insufficient funds. —" in history


def test_another_accounts_card_cannot_pay_a_top_up(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    customer = billed_customer(container, tenant)
    other = billed_customer(container, tenant, "Other Co")
    signed_in(client, container, other.account)
    add_card(client, SUCCESS_TYPED)
    (theirs,) = cards(container.uow(), tenant.organization_id, other.account.id)
    signed_in(client, container, customer.account)
    add_card(client, SUCCESS_TYPED)
    before = state(container, tenant.organization_id, customer.account)

    refused = post_form(
        client,
        "/portal/balance",
        "/portal/balance/top-up",
        {"amount": "1000", "payment_method_id": theirs.id},
    )

    assert refused.status_code == 409
    assert error_beside(refused, "top-up-card") == "the account has no such card; add one first"
    assert state(container, tenant.organization_id, customer.account) == before


def test_amounts_typed_in_major_units_are_read_exactly_per_currency() -> None:
    assert parse_amount("50.00", "USD") == 5000
    assert parse_amount(" 1,234.5 ", "USD") == 123450
    assert parse_amount("5000", "JPY") == 5000
    assert parse_amount("1.234", "KWD") == 1234
    with pytest.raises(DomainError) as refused:
        parse_amount("0.001", "USD")
    assert refused.value.field == "amount"
