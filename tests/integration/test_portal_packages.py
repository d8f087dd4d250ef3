"""The portal's Packages page (seed 004) over HTTP on both databases: the packages held and
offered, adding one (reviewed with its prorated amount, paid at once), changing a quantity,
removing one (at the term end, as the chat family's policy says), refusals beside the field
with nothing changed, and the total of the Change and Review pages with the packages in it
(the issue's $273 on the Review against $312 on the Plans tab)."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from plansmith.bootstrap import Plansmith
from plansmith.domain.accounts.account import Account
from tests.conftest import Tenant
from tests.integration.portal_packages_support import HELD_ADD_ONS, chat_customer
from tests.integration.portal_plans_support import _enter, _held, _snapshot, _text

PACKAGES = "/portal/plans/chat/packages"


def _form(page: Response, action: str) -> dict[str, str]:
    """The fields a browser would post with the form going to ``action`` (hidden ones, and
    the first payment method offered)."""
    match = re.search(rf'<form[^>]*action="{re.escape(action)}"[^>]*>(.*?)</form>', page.text, re.S)
    assert match, f"no form posting to {action}"
    fields: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", match.group(1)):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        kind = re.search(r'type="([^"]+)"', tag)
        if name is None or value is None:
            continue
        if kind and kind.group(1) == "radio" and name.group(1) in fields:
            continue
        fields[name.group(1)] = html.unescape(value.group(1))
    return fields


def _ask(client: TestClient, csrf: str, add_on: str, quantity: str) -> Response:
    data = {"csrf_token": csrf, "add_on": add_on, "quantity": quantity}
    page: Response = client.post(f"{PACKAGES}/review", data=data)
    return page


def _add_ons(container: Plansmith, account: Account) -> dict[str, int]:
    [sub] = _held(container, account)
    return dict(sub.terms.add_ons)


def _pay(client: TestClient, review: Response) -> Response:
    """Continue to payment from the review, then pay with the saved card."""
    confirm = "/portal/plans/chat/confirm"
    step = client.post(confirm, data=_form(review, confirm))
    assert step.status_code == 200, step.text
    assert "Pay for your change" in _text(step)
    pay = "/portal/plans/chat/pay"
    done: Response = client.post(pay, data=_form(step, pay), follow_redirects=False)
    return done


# -- the total (the issue's $273 vs $312) ----------------------------------------------------


def test_change_page_total_includes_the_packages_like_the_plans_tab(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = chat_customer(container, tenant, seats=7)
    _enter(client, container, account)

    plans = _text(client.get("/portal/plans?family=chat"))
    change = _text(client.get("/portal/plans/chat/change"))

    assert "Total: $312.00 per month" in plans
    # The plan's own line is still there; the packages follow it and the total is the tab's.
    assert "$39.00 × 7 = $273.00 per month" in change
    assert "Artificial Intelligence Assistant: $29.00 × 1 = $29.00 per month" in change
    assert "Team Chat Integration: $5.00 × 2 = $10.00 per month" in change
    assert "Total: $312.00 per month" in change


def test_review_total_agrees_with_the_plans_tab_after_the_change(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = chat_customer(container, tenant, seats=5)
    csrf = _enter(client, container, account)
    form = {"csrf_token": csrf, "plan": "chat-business", "cycle": "month", "quantity": "7"}

    review = client.post("/portal/plans/chat/review", data=form)
    done = _pay(client, review)
    plans = _text(client.get("/portal/plans?family=chat"))

    assert review.status_code == 200, review.text
    reviewed = _text(review)
    assert "$39.00 × 7 = $273.00 per month" in reviewed
    assert "Total: $312.00 per month" in reviewed
    assert done.status_code == 303
    assert "Total: $312.00 per month" in plans
    [sub] = _held(container, account)
    assert (sub.terms.quantity, dict(sub.terms.add_ons)) == (7, HELD_ADD_ONS)


# -- the page --------------------------------------------------------------------------------


def test_packages_page_lists_the_packages_held_the_allowances_and_what_fits(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = chat_customer(container, tenant)
    _enter(client, container, account)

    page = client.get(PACKAGES)
    text = _text(page)

    assert page.status_code == 200
    assert 'href="/portal/plans/chat/packages"' in client.get("/portal/plans?family=chat").text
    assert "Package type Chat platform packages" in text
    assert "Package Chat Business" in text
    assert "Package period Monthly" in text
    assert "Representatives 7" in text
    assert "Renewal date Mar 1, 2026" in text
    assert "Total: $312.00 per month" in text
    assert "chatbot_sessions: 5,000 included per month" in text
    assert "ai_replies: 2,000 included per month" in text
    held = page.text.split('id="held-packages"')[1].split("</table>")[0]
    offered = page.text.split('id="available-packages"')[1].split("</table>")[0]
    assert "Artificial Intelligence Assistant" in held and "Team Chat Integration" in held
    assert "Ticket System" in offered and "$15.00" in offered
    assert "Webhook Integration" not in page.text  # it fits Chat Team only


# -- add, change a quantity, remove -------------------------------------------------------


def test_adding_a_package_reviews_the_prorated_amount_pays_and_holds_it(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = chat_customer(container, tenant)
    csrf = _enter(client, container, account)

    review = _ask(client, csrf, "ticket-system", "1")
    done = _pay(client, review)
    after = _text(client.get(done.headers["location"]))

    text = _text(review)
    assert review.status_code == 200, review.text
    assert "Ticket System: $15.00 × 1 = $15.00 per month" in text
    assert "Total: $327.00 per month" in text
    assert "Net amount of this change $7.50" in text  # 14 of 28 days of $15.00
    assert "Continue to payment" in text
    assert done.status_code == 303
    assert done.headers["location"] == f"{PACKAGES}?done=paid"
    assert "Your plan was changed and the payment was received." in after
    assert "Total: $327.00 per month" in after
    assert _add_ons(container, account) == {**HELD_ADD_ONS, "ticket-system": 1}


def test_more_of_a_package_sold_by_quantity_is_charged_for_the_rest_of_the_period(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = chat_customer(container, tenant)
    csrf = _enter(client, container, account)

    review = _ask(client, csrf, "team-chat-integration", "3")
    done = _pay(client, review)

    assert "Team Chat Integration: $5.00 × 3 = $15.00 per month" in _text(review)
    assert "Net amount of this change $2.50" in _text(review)
    assert done.status_code == 303
    assert _add_ons(container, account) == {"ai-assistant": 1, "team-chat-integration": 3}


def test_removing_a_package_is_scheduled_for_the_end_of_the_term(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = chat_customer(container, tenant)
    csrf = _enter(client, container, account)

    review = _ask(client, csrf, "ai-assistant", "0")
    done = client.post(
        "/portal/plans/chat/confirm",
        data=_form(review, "/portal/plans/chat/confirm"),
        follow_redirects=False,
    )
    page = _text(client.get(done.headers["location"]))

    text = _text(review)
    assert "At the end of the term, on Mar 1, 2026." in text
    assert "Total: $283.00 per month" in text
    assert "Artificial Intelligence Assistant" not in text.split("Total")[1].split("Takes")[0]
    assert done.headers["location"] == f"{PACKAGES}?done=scheduled"
    assert "Your change is scheduled for Mar 1, 2026." in page
    assert "Removed on Mar 1, 2026." in page
    [sub] = _held(container, account)
    assert dict(sub.terms.add_ons) == HELD_ADD_ONS  # held until the term ends
    assert sub.scheduled is not None
    assert dict(sub.scheduled.terms.add_ons) == {"team-chat-integration": 2}


# -- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("add_on", "quantity", "message"),
    [
        ("team-chat-integration", "two", "Quantity is a whole number of 0 or more"),
        ("team-chat-integration", "-1", "Quantity is a whole number of 0 or more"),
        ("team-chat-integration", "2", "That is the quantity you have now"),
        ("team-chat-integration", "9" * 40, "Quantity is at most 1,000,000"),
        ("ai-assistant", "2", "This package is bought once: quantity 0 or 1"),
    ],
)
def test_a_wrong_quantity_is_shown_beside_the_package_and_nothing_changes(
    client: TestClient,
    container: Plansmith,
    tenant: Tenant,
    add_on: str,
    quantity: str,
    message: str,
) -> None:
    account = chat_customer(container, tenant)
    csrf = _enter(client, container, account)
    before = _snapshot(container)

    page = _ask(client, csrf, add_on, quantity)

    assert page.status_code == 422
    match = re.search(rf'id="{add_on}-error">([^<]*)<', page.text)
    assert match and html.unescape(match.group(1)) == message
    assert _snapshot(container) == before


@pytest.mark.parametrize("add_on", ["webhook-integration", "no-such-package", ""])
def test_a_package_not_listed_for_the_plan_is_refused_and_nothing_changes(
    client: TestClient, container: Plansmith, tenant: Tenant, add_on: str
) -> None:
    account = chat_customer(container, tenant)
    csrf = _enter(client, container, account)
    before = _snapshot(container)

    page = _ask(client, csrf, add_on, "1")

    assert page.status_code == 422
    assert "Choose one of the packages listed" in _text(page)
    assert _snapshot(container) == before


def test_a_tampered_set_of_packages_on_the_review_is_refused_and_nothing_changes(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = chat_customer(container, tenant)
    csrf = _enter(client, container, account)
    review = _ask(client, csrf, "ticket-system", "1")
    form = {**_form(review, "/portal/plans/chat/confirm"), "add_ons": "webhook-integration=1"}
    before = _snapshot(container)

    page = client.post("/portal/plans/chat/confirm", data=form)

    assert page.status_code in (409, 422)
    assert "does not fit the Chat Business plan" in _text(page)
    assert _snapshot(container) == before
