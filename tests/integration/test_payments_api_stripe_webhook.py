"""Stripe's webhook on SQLite and PostgreSQL: a signed payment_intent event settles the
payment left unknown with that intent (an invoice paid, a top-up on the balance, a failure
recorded), once; a forged or missing signature is 400 and changes nothing; other events and
intents plansmith did not make are 200 and change nothing.

The payments in flight are written as a Stripe charge whose answer was lost leaves them:
unknown, with the PaymentIntent as their reference. Signatures are made as Stripe makes them
(HMAC-SHA256 of "<timestamp>.<payload>" with the endpoint's secret), at the wall clock's
time, which Stripe's check compares them with."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plansmith.adapters.clock import TestClock
from plansmith.application.kernel.ids import new_id
from plansmith.bootstrap import Plansmith, Settings, bootstrap
from plansmith.domain.payments.payments import (
    Payment,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
)
from tests.conftest import Tenant
from tests.integration.billing_api_support import _assert_problem, _ok
from tests.integration.payments_api_support import MONTH, PaymentsApi
from tests.integration.route_calls import _dump

SECRET = "whsec_test_plansmith"
WEBHOOK = "/v1/payments/stripe/webhook"


@pytest.fixture
def container(db_url: str, clock: TestClock) -> Iterator[Plansmith]:
    settings = Settings(
        database_url=db_url,
        secret_key="test-secret",
        base_url="http://testserver",
        invoice_grace_minutes=0,
        payment_gateway="stripe",
        stripe_api_key="sk_test_unused",  # nothing here calls Stripe's API
        stripe_webhook_secret=SECRET,
        stripe_api_base="http://127.0.0.1:9",
    )
    app = bootstrap(settings, clock=clock)
    yield app
    app.dispose()


@pytest.fixture
def api(client: TestClient, tenant: Tenant) -> PaymentsApi:
    api = PaymentsApi(client, tenant)
    api.catalog()
    return api


def _signed(payload: bytes, secret: str = SECRET) -> dict[str, str]:
    stamp = int(time.time())
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256)
    return {"Stripe-Signature": f"t={stamp},v1={mac.hexdigest()}"}


def _event(kind: str, intent: str, **more: Any) -> bytes:
    obj = {"id": intent, "object": "payment_intent", "status": "succeeded", **more}
    return json.dumps({"id": new_id("evt"), "type": kind, "data": {"object": obj}}).encode()


def _post(client: TestClient, payload: bytes, headers: dict[str, str]) -> Any:
    return client.post(
        WEBHOOK, content=payload, headers={**headers, "Content-Type": "application/json"}
    )


def _in_flight(
    container: Plansmith,
    tenant: Tenant,
    account_id: str,
    kind: PaymentKind,
    amount: int,
    invoice_id: str | None = None,
) -> tuple[Payment, str]:
    """A Stripe card and a payment with it whose answer was lost: unknown, its intent known."""
    intent = new_id("pi")
    now = container.clock.now()
    method = PaymentMethod(
        new_id("pm"),
        tenant.organization_id,
        account_id,
        "stripe",
        new_id("pm_stripe"),
        new_id("cus"),
        "visa",
        "4242",
        12,
        2031,
        True,
        now,
    )
    payment = Payment(
        id=new_id("pay"),
        organization_id=tenant.organization_id,
        account_id=account_id,
        kind=kind,
        status=PaymentStatus.UNKNOWN,
        amount=amount,
        currency="JPY",
        idempotency_key=new_id("key") + ("-customer" if invoice_id else "-top-up"),
        created_at=now,
        invoice_id=invoice_id,
        payment_method_id=method.id,
        gateway="stripe",
        gateway_reference=intent,
    )
    with container.uow() as uow:
        uow.payment_methods.add(method)
        uow.payments.add(payment)
        uow.commit()
    return payment, intent


def test_a_succeeded_intent_pays_the_invoice_once(
    api: PaymentsApi, client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account_id, invoice = api.open_invoice()
    payment, intent = _in_flight(
        container, tenant, account_id, PaymentKind.PAYMENT, MONTH, invoice["id"]
    )
    payload = _event("payment_intent.succeeded", intent)

    first = _ok(_post(client, payload, _signed(payload)))
    after_first = _dump(container)
    again = _ok(_post(client, payload, _signed(payload)))

    assert first["payment_id"] == payment.id
    assert (first["acted"], again["acted"], again["payment_id"]) == (True, False, None)
    assert _dump(container) == after_first  # delivered again: nothing more
    settled = _ok(api.get(f"/v1/payments/{payment.id}"))
    assert (settled["status"], settled["gateway_reference"]) == ("succeeded", intent)
    assert api.invoice(invoice["id"])["status"] == "paid"
    assert api.balances(account_id) == {"receivable": 0, "revenue": -MONTH, "cash": MONTH}


def test_a_failed_intent_records_the_decline_and_a_top_up_stays_off_the_balance(
    api: PaymentsApi, client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account_id = api.account()
    payment, intent = _in_flight(container, tenant, account_id, PaymentKind.TOP_UP, 5000)
    error = {"code": "card_declined", "decline_code": "insufficient_funds", "message": "No funds"}
    payload = _event("payment_intent.payment_failed", intent, last_payment_error=error)

    answer = _ok(_post(client, payload, _signed(payload)))

    assert (answer["payment_id"], answer["acted"], answer["type"]) == (
        payment.id,
        True,
        "payment_intent.payment_failed",
    )
    failed = _ok(api.get(f"/v1/payments/{payment.id}"))
    assert (failed["status"], failed["decline_code"], failed["message"]) == (
        "failed",
        "insufficient_funds",
        "No funds",
    )
    assert api.balance(account_id) == 0


def test_a_succeeded_top_up_intent_puts_the_money_on_the_balance(
    api: PaymentsApi, client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account_id = api.account()
    payment, intent = _in_flight(container, tenant, account_id, PaymentKind.TOP_UP, 5000)
    payload = _event("payment_intent.succeeded", intent)

    _ok(_post(client, payload, _signed(payload)))

    assert _ok(api.get(f"/v1/payments/{payment.id}"))["status"] == "succeeded"
    assert api.balance(account_id) == 5000


def test_a_forged_or_missing_signature_is_400_and_changes_nothing(
    api: PaymentsApi, client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account_id, invoice = api.open_invoice()
    _, intent = _in_flight(container, tenant, account_id, PaymentKind.PAYMENT, MONTH, invoice["id"])
    payload = _event("payment_intent.succeeded", intent)
    before = _dump(container)

    forged = _post(client, payload, _signed(payload, "whsec_someone_else"))
    tampered = _post(client, payload.replace(b"succeeded", b"succeeded "), _signed(payload))
    missing = _post(client, payload, {})

    for response in (forged, tampered, missing):
        _assert_problem(response, 400, "webhook_signature_invalid", "Stripe-Signature")
    assert _dump(container) == before


def test_other_events_and_unknown_intents_are_200_and_change_nothing(
    api: PaymentsApi, client: TestClient, container: Plansmith
) -> None:
    api.open_invoice()
    before = _dump(container)
    other_type = _event("customer.created", "cus_123")
    unknown_intent = _event("payment_intent.succeeded", "pi_not_ours")

    answers = [_ok(_post(client, p, _signed(p))) for p in (other_type, unknown_intent)]

    assert [(a["type"], a["acted"], a["payment_id"]) for a in answers] == [
        ("customer.created", False, None),
        ("payment_intent.succeeded", False, None),
    ]
    assert _dump(container) == before


def test_without_a_webhook_secret_every_webhook_is_refused(
    client: TestClient, container: Plansmith
) -> None:
    container.settings.stripe_webhook_secret = None
    payload = _event("payment_intent.succeeded", "pi_1")

    response = _post(client, payload, _signed(payload))

    _assert_problem(response, 400, "webhook_signature_invalid", "Stripe-Signature")
