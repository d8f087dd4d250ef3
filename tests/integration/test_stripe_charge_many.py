"""The Stripe gateway's batch charge against the local Stripe-shaped server (tests/
stripe_server.py): requests sent a few at once, answered in order, each with its own key, so a
batch sent again captures nothing new; a request that raises answers unknown for itself."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from plansmith.adapters.payments.stripe_gateway import KEY_METADATA, StripeGateway
from plansmith.application.payments.ports import CardToSave, ChargeRequest, SavedCard
from plansmith.domain.payments.payments import Outcome
from tests.stripe_server import API_KEY, WEBHOOK_SECRET, StripeServer

DECLINING = 9  # the place of the declining card in the batch


@pytest.fixture
def server() -> Iterator[StripeServer]:
    running = StripeServer()
    running.start()
    yield running
    running.stop()


@pytest.fixture
def gateway(server: StripeServer) -> StripeGateway:
    return StripeGateway(API_KEY, WEBHOOK_SECRET, api_base=server.url, timeout=20, concurrency=4)


def _save(gateway: StripeGateway, source: str, account: str) -> SavedCard:
    card = CardToSave(account, f"{account}@example.com", account, None, source)
    return gateway.save_card(card)


def _requests(gateway: StripeGateway, n: int) -> list[ChargeRequest]:
    requests = []
    for i in range(n):
        source = "pm_card_chargeDeclinedInsufficientFunds" if i == DECLINING else "pm_card_visa"
        card = _save(gateway, source, f"acc_{i}")
        amount = 1_000 + i  # each answer's intent tells which request it was
        requests.append(
            ChargeRequest(f"pay_{i}", amount, "USD", card.token, card.customer_ref, f"Invoice {i}")
        )
    return requests


def test_a_batch_is_answered_in_order_and_sent_again_captures_nothing_new(
    gateway: StripeGateway, server: StripeServer
) -> None:
    requests = _requests(gateway, 20)

    answers = gateway.charge_many(requests)

    assert len(answers) == 20
    for i, (request, answer) in enumerate(zip(requests, answers, strict=True)):
        assert answer.reference is not None
        intent = server.payment_intents[answer.reference]
        assert intent["metadata"] == {KEY_METADATA: request.idempotency_key}
        assert intent["amount"] == request.amount
        if i == DECLINING:
            assert (answer.outcome, answer.decline_code) == (Outcome.FAILED, "insufficient_funds")
        else:
            assert answer.outcome is Outcome.SUCCEEDED
    keys = sorted(str(r.idempotency_key) for r in server.posts("/v1/payment_intents"))
    assert keys == sorted(r.idempotency_key for r in requests)  # each sent once, with its key
    assert len(server.captures) == 19

    again = gateway.charge_many(requests)

    assert again == answers
    assert len(server.payment_intents) == 20
    assert len(server.captures) == 19


def test_a_request_that_raises_answers_unknown_and_the_others_are_kept(
    server: StripeServer,
) -> None:
    """A wrong API key: ``charge`` raises it (configuration); in a batch each request answers
    unknown, to be sent again with its key once the key is fixed."""
    good = StripeGateway(API_KEY, WEBHOOK_SECRET, api_base=server.url)
    requests = _requests(good, 3)
    wrong = StripeGateway("sk_test_wrong", WEBHOOK_SECRET, api_base=server.url)

    answers = wrong.charge_many(requests)

    assert [a.outcome for a in answers] == [Outcome.UNKNOWN] * 3
    assert all("AuthenticationError (HTTP 401)" in (a.message or "") for a in answers)
    assert server.payment_intents == {}
    assert [a.outcome for a in good.charge_many(requests)] == [
        Outcome.SUCCEEDED,
        Outcome.SUCCEEDED,
        Outcome.SUCCEEDED,
    ]


def test_a_key_given_twice_is_refused_before_anything_is_sent(
    gateway: StripeGateway, server: StripeServer
) -> None:
    requests = _requests(gateway, 2)

    with pytest.raises(ValueError, match="more than once: pay_0"):
        gateway.charge_many([requests[0], requests[1], requests[0]])

    assert server.posts("/v1/payment_intents") == []


def test_concurrency_below_1_is_refused(server: StripeServer) -> None:
    with pytest.raises(ValueError, match="concurrency must be at least 1"):
        StripeGateway(API_KEY, WEBHOOK_SECRET, api_base=server.url, concurrency=0)
