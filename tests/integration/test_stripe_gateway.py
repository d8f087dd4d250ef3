"""The Stripe gateway against a local server answering in Stripe's shapes (tests/stripe_server.py).

Nothing here reaches the network: the gateway's StripeClient is pointed at the local server,
which keeps customers, payment methods, PaymentIntents, refunds and idempotency keys as
Stripe does, and records every capture and every request as sent on the wire.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from plansmith.adapters.payments.stripe_amounts import from_stripe_amount, to_stripe_amount
from plansmith.adapters.payments.stripe_gateway import KEY_METADATA, StripeGateway
from plansmith.adapters.payments.stripe_webhooks import StripeEvent
from plansmith.application.payments.ports import (
    CardDetails,
    CardToSave,
    ChargeRequest,
    RefundRequest,
    SavedCard,
)
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError, InvalidValue
from plansmith.domain.payments.payments import GatewayAnswer, Outcome
from tests.stripe_server import (
    API_KEY,
    WEBHOOK_SECRET,
    StripeServer,
    make_signature,
    post_event,
    signed,
)


@pytest.fixture
def server() -> Iterator[StripeServer]:
    running = StripeServer()
    running.start()
    yield running
    running.stop()


@pytest.fixture
def gateway(server: StripeServer) -> StripeGateway:
    return StripeGateway(API_KEY, WEBHOOK_SECRET, api_base=server.url, timeout=20)


def _save(gateway: StripeGateway, source: str, customer_ref: str | None = None) -> SavedCard:
    return gateway.save_card(
        CardToSave(
            account_id="acc_1",
            email="billing@stringee.example",
            name="StringeeX",
            customer_ref=customer_ref,
            source=source,
        )
    )


def _charge(
    gateway: StripeGateway,
    card: SavedCard,
    key: str = "pay_1",
    amount: int = 50_000,
    currency: str = "USD",
) -> GatewayAnswer:
    return gateway.charge(
        ChargeRequest(
            idempotency_key=key,
            amount=amount,
            currency=currency,
            token=card.token,
            customer_ref=card.customer_ref,
            description="Invoice INV-0001",
        )
    )


def _refund(gateway: StripeGateway, reference: str, amount: int, key: str) -> GatewayAnswer:
    return gateway.refund(
        RefundRequest(
            idempotency_key=key, charge_reference=reference, amount=amount, currency="USD"
        )
    )


# Cards


def test_a_saved_card_is_attached_to_a_customer_made_for_the_account(
    gateway: StripeGateway, server: StripeServer
) -> None:
    card = _save(gateway, "pm_card_visa")

    [customer] = server.customers.values()
    assert card == SavedCard(
        token=card.token,
        customer_ref=customer["id"],
        brand="visa",
        last4="4242",
        exp_month=12,
        exp_year=2034,
    )
    assert card.token.startswith("pm_") and card.token != "pm_card_visa"
    assert server.payment_methods[card.token]["customer"] == customer["id"]
    assert customer["metadata"] == {"account_id": "acc_1"}
    assert (customer["email"], customer["name"]) == ("billing@stringee.example", "StringeeX")
    [create] = server.posts("/v1/customers")[:1]
    assert create.idempotency_key == "customer-acc_1"


def test_saving_twice_without_the_customer_makes_one_customer(
    gateway: StripeGateway, server: StripeServer
) -> None:
    first = _save(gateway, "pm_card_visa")
    second = _save(gateway, "pm_card_mastercard")

    assert len(server.customers) == 1
    assert second.customer_ref == first.customer_ref
    assert (second.brand, second.last4) == ("mastercard", "4444")
    assert {m["customer"] for m in server.payment_methods.values()} == {first.customer_ref}


def test_a_card_saved_for_a_known_customer_makes_no_customer(
    gateway: StripeGateway, server: StripeServer
) -> None:
    first = _save(gateway, "pm_card_visa")

    second = _save(gateway, "pm_card_amex", customer_ref=first.customer_ref)

    assert len(server.posts("/v1/customers")) == 2  # the create and its update, once
    assert (second.customer_ref, second.brand, second.last4) == (
        first.customer_ref,
        "amex",
        "8431",
    )


def test_a_card_refused_at_attach_is_not_saved(
    gateway: StripeGateway, server: StripeServer
) -> None:
    with pytest.raises(InvalidValue) as refused:
        _save(gateway, "pm_card_chargeDeclined")

    assert (refused.value.field, refused.value.message) == ("card", "Your card was declined.")
    assert [m["customer"] for m in server.payment_methods.values()] == [None]


def test_an_unknown_payment_method_is_refused_by_name(gateway: StripeGateway) -> None:
    with pytest.raises(InvalidValue) as refused:
        _save(gateway, "pm_nothing")

    assert refused.value.field == "card"
    assert refused.value.message == (
        "No such PaymentMethod: 'pm_nothing' (give the PaymentMethod id, pm_..., from "
        "Stripe's card form)"
    )


def test_card_numbers_are_never_taken_with_stripe(
    gateway: StripeGateway, server: StripeServer
) -> None:
    card = CardDetails(number="4242424242424242", exp_month=12, exp_year=2034, cvc="123")

    with pytest.raises(InvalidValue) as refused:
        gateway.tokenize(card, date(2026, 12, 6))

    assert refused.value.field == "number"
    assert "Stripe's own form" in refused.value.message
    assert server.requests == []


def test_a_setup_intent_gives_the_client_secret_for_stripe_js(
    gateway: StripeGateway, server: StripeServer
) -> None:
    customer_ref = gateway.ensure_customer("acc_1", "billing@stringee.example", "StringeeX")

    ident, secret = gateway.setup_intent(customer_ref)

    kept = server.setup_intents[ident]
    assert secret == kept["client_secret"] and secret.startswith(f"{ident}_secret_")
    assert (kept["customer"], kept["usage"]) == (customer_ref, "off_session")
    assert kept["allowed_payment_method_types"] == ["card"]


def test_a_forgotten_card_is_detached_and_forgetting_it_again_is_quiet(
    gateway: StripeGateway, server: StripeServer
) -> None:
    card = _save(gateway, "pm_card_visa")

    gateway.forget_card(card.token, card.customer_ref)
    gateway.forget_card(card.token, card.customer_ref)

    assert server.payment_methods[card.token]["customer"] is None
    assert [r.status for r in server.posts(f"/v1/payment_methods/{card.token}/detach")] == [
        200,
        400,
    ]


# Charges


def test_a_charge_off_session_succeeds_with_the_intent_as_reference(
    gateway: StripeGateway, server: StripeServer
) -> None:
    card = _save(gateway, "pm_card_visa")

    answer = _charge(gateway, card, key="pay_1", amount=50_000)

    [(intent_id, amount, currency)] = server.captures
    assert answer == GatewayAnswer(Outcome.SUCCEEDED, reference=intent_id)
    assert (amount, currency) == (50_000, "usd")
    [sent] = server.posts("/v1/payment_intents")
    assert sent.idempotency_key == "pay_1"
    assert sent.params == {
        "amount": "50000",
        "currency": "usd",
        "customer": card.customer_ref,
        "payment_method": card.token,
        "off_session": "true",
        "confirm": "true",
        "description": "Invoice INV-0001",
        "metadata": {KEY_METADATA: "pay_1"},
    }


@pytest.mark.parametrize(
    ("source", "decline_code", "message"),
    [
        (
            "pm_card_chargeDeclinedInsufficientFunds",
            "insufficient_funds",
            "Your card has insufficient funds.",
        ),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card", "Your card has expired."),
        ("pm_card_chargeDeclinedDoNotHonor", "do_not_honor", "Your card was declined."),
        ("pm_card_chargeCustomerFail", "generic_decline", "Your card was declined."),
        (
            "pm_card_authenticationRequired",
            "authentication_required",
            "Your card was declined. This transaction requires authentication.",
        ),
    ],
)
def test_a_decline_fails_with_the_banks_reason_and_captures_nothing(
    gateway: StripeGateway, server: StripeServer, source: str, decline_code: str, message: str
) -> None:
    card = _save(gateway, source)

    answer = _charge(gateway, card)

    [intent] = server.payment_intents.values()
    assert answer == GatewayAnswer(
        Outcome.FAILED, reference=intent["id"], decline_code=decline_code, message=message
    )
    assert intent["status"] == "requires_payment_method"
    assert server.captures == []


def test_the_same_key_again_answers_the_same_intent_and_captures_once(
    gateway: StripeGateway, server: StripeServer
) -> None:
    card = _save(gateway, "pm_card_visa")
    first = _charge(gateway, card, key="pay_1")

    again = _charge(gateway, card, key="pay_1")

    assert again == first
    assert len(server.payment_intents) == 1
    assert [c[0] for c in server.captures] == [first.reference]
    assert [r.status for r in server.posts("/v1/payment_intents")] == [200, 200]


def test_a_decline_sent_again_with_its_key_is_the_same_decline(
    gateway: StripeGateway, server: StripeServer
) -> None:
    card = _save(gateway, "pm_card_chargeDeclinedInsufficientFunds")
    first = _charge(gateway, card, key="pay_1")

    again = _charge(gateway, card, key="pay_1")

    assert again == first and again.decline_code == "insufficient_funds"
    assert len(server.payment_intents) == 1


def test_a_new_key_is_a_new_payment(gateway: StripeGateway, server: StripeServer) -> None:
    card = _save(gateway, "pm_card_visa")

    first = _charge(gateway, card, key="pay_1")
    second = _charge(gateway, card, key="pay_2")

    assert first.reference != second.reference
    assert len(server.captures) == 2


def test_a_timeout_is_unknown_and_the_same_key_then_tells_the_capture(
    server: StripeServer,
) -> None:
    card = _save(StripeGateway(API_KEY, WEBHOOK_SECRET, api_base=server.url), "pm_card_timeoutOnce")
    impatient = StripeGateway(API_KEY, WEBHOOK_SECRET, api_base=server.url, timeout=1)

    lost = _charge(impatient, card, key="pay_1")
    resolved = _charge(impatient, card, key="pay_1")

    [(intent_id, _, _)] = server.captures
    assert (lost.outcome, lost.reference) == (Outcome.UNKNOWN, None)
    assert resolved == GatewayAnswer(Outcome.SUCCEEDED, reference=intent_id)
    assert len(server.payment_intents) == 1


def test_a_retry_while_stripe_still_runs_the_first_is_unknown_too(
    server: StripeServer,
) -> None:
    card = _save(StripeGateway(API_KEY, WEBHOOK_SECRET, api_base=server.url), "pm_card_slowOnce")
    impatient = StripeGateway(API_KEY, WEBHOOK_SECRET, api_base=server.url, timeout=1)
    lost = _charge(impatient, card, key="pay_1")
    busy = _charge(impatient, card, key="pay_1")

    server.released.set()  # Stripe finishes the first request
    assert server.hung_answer_kept.wait(10)
    resolved = _charge(impatient, card, key="pay_1")

    [(intent_id, _, _)] = server.captures
    assert (lost.outcome, busy.outcome) == (Outcome.UNKNOWN, Outcome.UNKNOWN)
    assert busy.message == (
        "Stripe gave no outcome (APIError, HTTP 409): send the same payment again with the "
        "same key to learn it"
    )
    assert resolved == GatewayAnswer(Outcome.SUCCEEDED, reference=intent_id)
    assert [r.status for r in server.posts("/v1/payment_intents")][1:] == [409, 200]


def test_a_500_after_the_capture_is_resolved_by_the_intent_carrying_the_key(
    gateway: StripeGateway, server: StripeServer
) -> None:
    card = _save(gateway, "pm_card_serverErrorOnce")

    answer = _charge(gateway, card, key="pay_1")
    again = _charge(gateway, card, key="pay_1")

    [(intent_id, _, _)] = server.captures
    assert answer == again == GatewayAnswer(Outcome.SUCCEEDED, reference=intent_id)
    # Stripe replays the 500 to the same key; the intent was found among the customer's.
    assert [r.status for r in server.posts("/v1/payment_intents")] == [500, 500]
    assert len(server.payment_intents) == 1


def test_a_500_with_nothing_done_stays_unknown_and_charges_nothing(
    gateway: StripeGateway, server: StripeServer
) -> None:
    card = _save(gateway, "pm_card_serverErrorNothing")

    answer = _charge(gateway, card, key="pay_1")
    again = _charge(gateway, card, key="pay_1")

    assert answer.outcome == again.outcome == Outcome.UNKNOWN
    assert server.payment_intents == {} and server.captures == []


def test_a_key_reused_with_another_amount_is_unknown_and_charges_nothing_more(
    gateway: StripeGateway, server: StripeServer
) -> None:
    card = _save(gateway, "pm_card_visa")
    _charge(gateway, card, key="pay_1", amount=50_000)

    other = _charge(gateway, card, key="pay_1", amount=60_000)

    assert other == GatewayAnswer(
        Outcome.UNKNOWN,
        message="Stripe refused the idempotency key: it was used before with other parameters "
        "(amount, currency or card). This request charged nothing; look up the first one at "
        "Stripe before trying again",
    )
    assert [r.status for r in server.posts("/v1/payment_intents")] == [200, 400]
    assert [c[1] for c in server.captures] == [50_000]


def test_a_processing_payment_is_unknown_until_the_bank_answers(
    gateway: StripeGateway, server: StripeServer
) -> None:
    card = _save(gateway, "pm_card_processing")
    pending = _charge(gateway, card, key="pay_1")
    assert pending.reference is not None

    server.settle(pending.reference, "succeeded")
    settled = _charge(gateway, card, key="pay_1")

    assert (pending.outcome, pending.message) == (
        Outcome.UNKNOWN,
        "The payment is processing at Stripe",
    )
    assert settled == GatewayAnswer(Outcome.SUCCEEDED, reference=pending.reference)
    assert len(server.captures) == 1


def test_an_invalid_request_fails_with_stripes_message(
    gateway: StripeGateway, server: StripeServer
) -> None:
    card = _save(gateway, "pm_card_visa")
    without_its_customer = SavedCard(
        token=card.token,
        customer_ref=None,
        brand="visa",
        last4="4242",
        exp_month=12,
        exp_year=2034,
    )

    answer = _charge(gateway, without_its_customer)

    assert answer.outcome == Outcome.FAILED
    assert answer.message is not None and "belongs to a different Customer" in answer.message
    assert server.captures == []


def test_a_wrong_api_key_raises_rather_than_settling_the_payment(
    gateway: StripeGateway, server: StripeServer
) -> None:
    card = _save(gateway, "pm_card_visa")
    misconfigured = StripeGateway("sk_test_wrong", WEBHOOK_SECRET, api_base=server.url)

    with pytest.raises(stripe.AuthenticationError):
        _charge(misconfigured, card)

    assert server.payment_intents == {} and server.captures == []


# Amounts on the wire


def test_yen_are_sent_as_they_are(gateway: StripeGateway, server: StripeServer) -> None:
    card = _save(gateway, "pm_card_visa")

    answer = _charge(gateway, card, amount=1_531_000, currency="JPY")

    assert answer.outcome == Outcome.SUCCEEDED
    [sent] = server.posts("/v1/payment_intents")
    assert (sent.params["amount"], sent.params["currency"]) == ("1531000", "jpy")


def test_dinars_are_sent_in_fils_ending_in_zero(
    gateway: StripeGateway, server: StripeServer
) -> None:
    card = _save(gateway, "pm_card_visa")

    answer = _charge(gateway, card, key="pay_1", amount=12_340, currency="KWD")
    refused = _charge(gateway, card, key="pay_2", amount=12_345, currency="KWD")

    assert answer.outcome == Outcome.SUCCEEDED
    assert refused == GatewayAnswer(
        Outcome.FAILED,
        message="Stripe takes KWD amounts in multiples of 10 (its last digit must be 0): "
        "12345 cannot be charged or refunded; round it to 12340 or 12350",
    )
    [sent] = server.posts("/v1/payment_intents")  # the refused one never left
    assert (sent.params["amount"], sent.params["currency"]) == ("12340", "kwd")
    assert server.captures == [(answer.reference, 12_340, "kwd")]


def test_stripes_own_exponents_where_they_differ_from_iso() -> None:
    assert to_stripe_amount(1_531_000, "JPY") == 1_531_000
    assert to_stripe_amount(12_340, "KWD") == 12_340
    assert to_stripe_amount(5, "ISK") == 500  # zero-decimal, written with two at Stripe
    assert to_stripe_amount(50_000, "MGA") == 500  # two decimals in ISO, none at Stripe
    assert to_stripe_amount(1_999, "USD") == 1_999
    assert from_stripe_amount(500, "isk") == 5
    assert from_stripe_amount(500, "mga") == 50_000
    with pytest.raises(InvalidValue) as fraction:
        to_stripe_amount(50_001, "MGA")
    assert fraction.value.field == "amount"


# Refunds


def test_refunds_in_full_and_in_part_and_not_beyond_what_is_left(
    gateway: StripeGateway, server: StripeServer
) -> None:
    card = _save(gateway, "pm_card_visa")
    paid = _charge(gateway, card, key="pay_1", amount=50_000)
    assert paid.reference is not None

    part = _refund(gateway, paid.reference, 20_000, "refund_1")
    too_much = _refund(gateway, paid.reference, 30_001, "refund_2")
    rest = _refund(gateway, paid.reference, 30_000, "refund_3")
    nothing_left = _refund(gateway, paid.reference, 1, "refund_4")

    first, last = server.refunds.values()
    assert part == GatewayAnswer(Outcome.SUCCEEDED, reference=first["id"])
    assert rest == GatewayAnswer(Outcome.SUCCEEDED, reference=last["id"])
    assert too_much == GatewayAnswer(
        Outcome.FAILED,
        message="Refund amount (30001) is greater than unrefunded amount on charge (30000)",
    )
    assert nothing_left.outcome == Outcome.FAILED
    assert [(r["amount"], r["payment_intent"]) for r in server.refunds.values()] == [
        (20_000, paid.reference),
        (30_000, paid.reference),
    ]
    [sent] = server.posts("/v1/refunds")[:1]
    assert sent.idempotency_key == "refund_1"
    assert sent.params == {
        "payment_intent": paid.reference,
        "amount": "20000",
        "metadata": {KEY_METADATA: "refund_1"},
    }


def test_a_refund_sent_again_with_its_key_gives_back_once(
    gateway: StripeGateway, server: StripeServer
) -> None:
    card = _save(gateway, "pm_card_visa")
    paid = _charge(gateway, card, key="pay_1", amount=50_000)
    assert paid.reference is not None

    first = _refund(gateway, paid.reference, 50_000, "refund_1")
    again = _refund(gateway, paid.reference, 50_000, "refund_1")

    assert again == first and first.outcome == Outcome.SUCCEEDED
    assert len(server.refunds) == 1


# Webhooks


def _event_of(server: StripeServer, kind: str) -> dict[str, object]:
    [event] = server.events_of(kind)
    return event


def test_a_signed_event_is_read(gateway: StripeGateway, server: StripeServer) -> None:
    card = _save(gateway, "pm_card_visa")
    paid = _charge(gateway, card, amount=1_531_000, currency="JPY")
    event = _event_of(server, "payment_intent.succeeded")
    payload, header = signed(event, WEBHOOK_SECRET, int(time.time()))

    read = gateway.parse_webhook(payload, header)

    assert (read.id, read.type, read.object_id) == (
        event["id"],
        "payment_intent.succeeded",
        paid.reference,
    )
    assert (read.payment_intent_id, read.refund_id, read.status) == (
        paid.reference,
        None,
        "succeeded",
    )
    assert (read.amount, read.currency, read.decline_code, read.message) == (
        1_531_000,
        "JPY",
        None,
        None,
    )


def test_a_signed_failure_and_refund_are_read(gateway: StripeGateway, server: StripeServer) -> None:
    declined = _save(gateway, "pm_card_chargeDeclinedInsufficientFunds")
    failed = _charge(gateway, declined, key="pay_1")
    paid = _charge(
        gateway, _save(gateway, "pm_card_visa"), key="pay_2", amount=12_340, currency="KWD"
    )
    assert paid.reference is not None
    refunded = _refund(gateway, paid.reference, 12_340, "refund_1")
    now = int(time.time())

    failure = gateway.parse_webhook(
        *signed(_event_of(server, "payment_intent.payment_failed"), WEBHOOK_SECRET, now)
    )
    refund = gateway.parse_webhook(
        *signed(_event_of(server, "refund.created"), WEBHOOK_SECRET, now)
    )

    assert (failure.payment_intent_id, failure.status, failure.decline_code) == (
        failed.reference,
        "requires_payment_method",
        "insufficient_funds",
    )
    assert failure.message == "Your card has insufficient funds."
    assert (refund.refund_id, refund.payment_intent_id, refund.status) == (
        refunded.reference,
        paid.reference,
        "succeeded",
    )
    assert (refund.amount, refund.currency) == (12_340, "KWD")


def test_a_forged_signature_is_refused(gateway: StripeGateway, server: StripeServer) -> None:
    _charge(gateway, _save(gateway, "pm_card_visa"))
    payload, _ = signed(_event_of(server, "payment_intent.succeeded"), WEBHOOK_SECRET, 0)
    now = int(time.time())
    forged = make_signature(payload, "whsec_someone_else", now)
    tampered = payload.replace(b'"succeeded"', b'"canceled"')

    for body, header in [
        (payload, forged),
        (tampered, make_signature(payload, WEBHOOK_SECRET, now)),
        (payload, ""),
        (payload, "t=abc,v1=00"),
    ]:
        with pytest.raises(DomainError) as refused:
            gateway.parse_webhook(body, header)
        assert (refused.value.code, refused.value.status) == (ec.WEBHOOK_SIGNATURE_INVALID, 400)
        assert refused.value.field == "Stripe-Signature"


def test_a_stale_signature_is_refused(gateway: StripeGateway, server: StripeServer) -> None:
    _charge(gateway, _save(gateway, "pm_card_visa"))
    event = _event_of(server, "payment_intent.succeeded")
    stale = int(time.time()) - 301  # the tolerance is five minutes

    with pytest.raises(DomainError) as refused:
        gateway.parse_webhook(*signed(event, WEBHOOK_SECRET, stale))

    assert refused.value.code == ec.WEBHOOK_SIGNATURE_INVALID


def test_a_signed_payload_that_is_no_event_is_refused(gateway: StripeGateway) -> None:
    payload = json.dumps({"hello": "world"}).encode()

    with pytest.raises(InvalidValue) as refused:
        gateway.parse_webhook(payload, make_signature(payload, WEBHOOK_SECRET, int(time.time())))

    assert refused.value.field == "payload"


def test_events_posted_over_http_are_read_or_refused_by_signature(
    gateway: StripeGateway, server: StripeServer
) -> None:
    """What a webhook endpoint does with Stripe's posts: the raw body and the header, as sent."""
    read: list[StripeEvent] = []

    class Endpoint(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            try:
                read.append(gateway.parse_webhook(body, self.headers["Stripe-Signature"] or ""))
                self.send_response(200)
            except DomainError as refused:
                self.send_response(refused.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    endpoint = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    threading.Thread(target=endpoint.serve_forever, kwargs={"poll_interval": 0.05}).start()
    url = f"http://127.0.0.1:{endpoint.server_address[1]}/webhooks/stripe"
    paid = _charge(gateway, _save(gateway, "pm_card_visa"))
    event = _event_of(server, "payment_intent.succeeded")
    try:
        good = post_event(url, event, WEBHOOK_SECRET, int(time.time()))
        forged = post_event(url, event, "whsec_someone_else", int(time.time()))
    finally:
        endpoint.shutdown()
        endpoint.server_close()

    assert (good, forged) == (200, 400)
    assert [(e.id, e.payment_intent_id, e.status) for e in read] == [
        (event["id"], paid.reference, "succeeded")
    ]
