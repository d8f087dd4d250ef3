"""The sandbox payment gateway on both databases: each documented card and token does what the
docs say, a key captures once (also when two engines race on PostgreSQL), a timeout is
resolved by asking again, refunds stay within their charge, and no card number is kept."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.adapters.db.engine import make_engine
from plansmith.adapters.payments import READY_TOKENS, TEST_CARDS, SandboxGateway
from plansmith.adapters.payments.sandbox_cards import (
    DECLINES_THEN_SUCCEEDS,
    SUCCEED,
    TIMEOUT_MESSAGE,
)
from plansmith.application.payments.ports import (
    CardDetails,
    CardToSave,
    ChargeRequest,
    PaymentGateway,
    RefundRequest,
    SavedCard,
)
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidInput, InvalidValue
from plansmith.domain.payments.payments import GatewayAnswer, Outcome
from tests.integration.table_rows import every_row

DOC = Path(__file__).resolve().parents[2] / "docs" / "payments-sandbox.md"
INSUFFICIENT = "Your card has insufficient funds."


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def gateway(engine: Engine, clock: TestClock) -> SandboxGateway:
    return SandboxGateway(engine, clock)


def _card(number: str, cvc: str = "123", exp_month: int = 12, exp_year: int = 2030) -> CardDetails:
    return CardDetails(number=number, exp_month=exp_month, exp_year=exp_year, cvc=cvc)


def _cvc(brand: str) -> str:
    return "1234" if brand == "amex" else "123"


def _saved(gateway: SandboxGateway, source: str, customer_ref: str | None = None) -> SavedCard:
    return gateway.save_card(
        CardToSave(
            account_id="acc_1",
            email="ada@example.com",
            name="Ada",
            customer_ref=customer_ref,
            source=source,
        )
    )


def _typed(gateway: SandboxGateway, clock: TestClock, number: str, brand: str = "visa") -> str:
    token = gateway.tokenize(_card(number, _cvc(brand)), clock.now().date())
    return _saved(gateway, token).token


def _charge(
    gateway: SandboxGateway, token: str, key: str, amount: int = 1000, currency: str = "USD"
) -> GatewayAnswer:
    return gateway.charge(
        ChargeRequest(
            idempotency_key=key,
            amount=amount,
            currency=currency,
            token=token,
            customer_ref=None,
            description="Invoice 1",
        )
    )


def _refund(
    gateway: SandboxGateway, charge: str, key: str, amount: int, currency: str = "USD"
) -> GatewayAnswer:
    return gateway.refund(
        RefundRequest(
            idempotency_key=key, charge_reference=charge, amount=amount, currency=currency
        )
    )


def _rows(engine: Engine, table: Any = t.sandbox_charges) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [
            dict(row._mapping)
            for row in connection.execute(select(table).order_by(*table.primary_key))
        ]


def _row(engine: Engine, key: str) -> dict[str, Any]:
    with engine.connect() as connection:
        row = connection.execute(
            select(t.sandbox_charges).where(t.sandbox_charges.c.idempotency_key == key)
        ).one()
    return dict(row._mapping)


def _card_row(engine: Engine, token: str) -> dict[str, Any]:
    with engine.connect() as connection:
        row = connection.execute(
            select(t.sandbox_cards).where(t.sandbox_cards.c.token == token)
        ).one()
    return dict(row._mapping)


def test_it_is_a_payment_gateway_named_sandbox(gateway: SandboxGateway) -> None:
    port: PaymentGateway = gateway

    assert port.name == "sandbox"


# Cards


def test_tokenize_keeps_brand_last4_expiry_and_behaviour_only(
    gateway: SandboxGateway, engine: Engine, clock: TestClock
) -> None:
    token = gateway.tokenize(
        _card("4242 4242 4242 4242", exp_month=3, exp_year=29), date(2026, 1, 31)
    )

    assert re.fullmatch(r"tok_sbx_[a-z2-7]{20}", token)
    assert _rows(engine, t.sandbox_cards) == [
        {
            "token": token,
            "behavior": "succeed",
            "brand": "visa",
            "last4": "4242",
            "exp_month": 3,
            "exp_year": 2029,
            "declines_left": 0,
            "customer_ref": None,
            "created_at": clock.now(),
            "forgotten_at": None,
        }
    ]


@pytest.mark.parametrize(
    ("card", "field", "code"),
    [
        (_card("4242 4242 4242 4241"), "number", ec.CARD_NUMBER_INVALID),
        (_card("4242 4242 42"), "number", ec.CARD_NUMBER_INVALID),
        (_card("9999 9999 9999 9995"), "number", ec.CARD_NUMBER_INVALID),
        (_card("4242424242424242", exp_month=12, exp_year=2025), "exp_year", ec.CARD_EXPIRED),
        (_card("4242424242424242", exp_month=12, exp_year=25), "exp_year", ec.CARD_EXPIRED),
        (_card("4242424242424242", exp_month=13, exp_year=2030), "exp_month", ec.INVALID_VALUE),
        (_card("4242424242424242", cvc="12"), "cvc", ec.CARD_CVC_INVALID),
        (_card("378282246310005", cvc="123"), "cvc", ec.CARD_CVC_INVALID),
    ],
)
def test_tokenize_refuses_a_bad_card_naming_the_field_and_stores_nothing(
    gateway: SandboxGateway, engine: Engine, card: CardDetails, field: str, code: str
) -> None:
    before = every_row(engine)

    with pytest.raises(InvalidValue) as raised:
        gateway.tokenize(card, date(2026, 1, 31))

    assert (raised.value.field, raised.value.code, raised.value.status) == (field, code, 422)
    assert card.number.replace(" ", "")[:12] not in raised.value.message
    assert every_row(engine) == before


def test_a_card_expiring_this_month_is_accepted_and_last_month_refused(
    gateway: SandboxGateway, engine: Engine
) -> None:
    today = date(2026, 1, 31)

    gateway.tokenize(_card("4242424242424242", exp_month=1, exp_year=2026), today)
    with pytest.raises(InvalidValue) as raised:
        gateway.tokenize(_card("4242424242424242", exp_month=12, exp_year=2025), today)

    assert (raised.value.field, raised.value.code) == ("exp_year", ec.CARD_EXPIRED)
    assert len(_rows(engine, t.sandbox_cards)) == 1


def test_tokenize_reports_every_wrong_field_at_once(
    gateway: SandboxGateway, engine: Engine
) -> None:
    with pytest.raises(InvalidInput) as raised:
        gateway.tokenize(_card("4242424242424241", cvc="1", exp_year=2020), date(2026, 1, 31))

    assert [e.field for e in raised.value.errors] == ["number", "exp_year", "cvc"]
    assert _rows(engine, t.sandbox_cards) == []


def test_save_card_gives_a_new_customer_and_returns_what_may_be_shown(
    gateway: SandboxGateway, engine: Engine, clock: TestClock
) -> None:
    token = gateway.tokenize(
        _card("5555 5555 5555 4444", exp_month=7, exp_year=2031), date(2026, 1, 31)
    )

    saved = _saved(gateway, token)
    again = _saved(gateway, token)

    assert saved.token == token
    assert saved.customer_ref is not None and saved.customer_ref.startswith("cus_sbx_")
    assert (saved.brand, saved.last4, saved.exp_month, saved.exp_year) == (
        "mastercard",
        "4444",
        7,
        2031,
    )
    assert again == saved
    assert _card_row(engine, token)["customer_ref"] == saved.customer_ref


def test_save_card_keeps_the_customer_given(gateway: SandboxGateway, clock: TestClock) -> None:
    token = gateway.tokenize(_card("4242424242424242"), clock.now().date())

    saved = _saved(gateway, token, customer_ref="cus_sbx_existing")

    assert saved.customer_ref == "cus_sbx_existing"


def test_save_card_refuses_a_card_saved_to_another_customer(
    gateway: SandboxGateway, engine: Engine, clock: TestClock
) -> None:
    token = gateway.tokenize(_card("4242424242424242"), clock.now().date())
    _saved(gateway, token, customer_ref="cus_sbx_first")
    before = every_row(engine)

    with pytest.raises(InvalidValue) as raised:
        _saved(gateway, token, customer_ref="cus_sbx_second")

    assert raised.value.field == "source"
    assert every_row(engine) == before


@pytest.mark.parametrize("source", ["tok_sbx_nosuchtoken", "4242424242424242", ""])
def test_save_card_refuses_an_unknown_token_naming_the_source_without_echoing_it(
    gateway: SandboxGateway, engine: Engine, source: str
) -> None:
    with pytest.raises(InvalidValue) as raised:
        _saved(gateway, source)

    assert (raised.value.field, raised.value.code) == ("source", ec.INVALID_VALUE)
    assert raised.value.message == (
        "The sandbox gateway has no card with this token; add the card through the card form, "
        "or use a ready-made token such as tok_sandbox_success."
    )
    assert _rows(engine, t.sandbox_cards) == []


def test_a_ready_made_token_makes_a_fresh_card_each_time_it_is_saved(
    gateway: SandboxGateway, engine: Engine, clock: TestClock
) -> None:
    first = _saved(gateway, "tok_sandbox_declines_2")
    second = _saved(gateway, "tok_sandbox_declines_2", customer_ref=first.customer_ref)

    assert first.token != second.token
    assert first.token.startswith("tok_sbx_") and second.customer_ref == first.customer_ref
    assert (first.brand, first.last4, first.exp_month, first.exp_year) == ("visa", "2024", 12, 2031)
    assert [(r["behavior"], r["declines_left"]) for r in _rows(engine, t.sandbox_cards)] == [
        (DECLINES_THEN_SUCCEEDS, 2),
        (DECLINES_THEN_SUCCEEDS, 2),
    ]


def test_a_forgotten_card_is_not_charged_nor_saved_again(
    gateway: SandboxGateway, engine: Engine, clock: TestClock
) -> None:
    token = _typed(gateway, clock, "4242424242424242")

    clock.advance(timedelta(hours=1))
    gateway.forget_card(token, None)
    forgotten_at = _card_row(engine, token)["forgotten_at"]
    gateway.forget_card(token, None)  # once is enough; a second time changes nothing
    answer = _charge(gateway, token, "key-1")
    with pytest.raises(InvalidValue) as raised:
        _saved(gateway, token)

    assert forgotten_at == datetime(2026, 1, 31, 16, 0, tzinfo=UTC)
    assert _card_row(engine, token)["forgotten_at"] == forgotten_at
    assert (answer.outcome, answer.decline_code) == (Outcome.FAILED, "card_removed")
    assert answer.message == "This card was removed; choose another payment method."
    assert raised.value.field == "source"
    assert _row(engine, "key-1")["outcome"] == "failed"


def test_forgetting_an_unknown_token_changes_nothing(
    gateway: SandboxGateway, engine: Engine
) -> None:
    before = every_row(engine)

    gateway.forget_card("tok_sbx_nosuchtoken", "cus_sbx_x")

    assert every_row(engine) == before


# Charges


def test_every_documented_success_card_is_charged(
    gateway: SandboxGateway, engine: Engine, clock: TestClock
) -> None:
    successes = [card for card in TEST_CARDS if card.behavior == SUCCEED]

    answers = [
        _charge(gateway, _typed(gateway, clock, card.number, card.brand), f"key-{i}", 100 + i)
        for i, card in enumerate(successes)
    ]

    assert len(successes) == 10
    assert {card.brand for card in successes} == {
        "visa",
        "mastercard",
        "amex",
        "jcb",
        "discover",
        "diners",
        "unionpay",
    }
    assert [a.outcome for a in answers] == [Outcome.SUCCEEDED] * 10
    assert all(a.reference and re.fullmatch(r"ch_sbx_[a-z2-7]{20}", a.reference) for a in answers)
    assert [(a.decline_code, a.message) for a in answers] == [(None, None)] * 10
    assert [(r["amount"], r["outcome"], r["answered"]) for r in _rows(engine)] == sorted(
        (100 + i, "succeeded", True) for i in range(10)
    )


def test_any_other_valid_number_succeeds(gateway: SandboxGateway, clock: TestClock) -> None:
    token = _typed(gateway, clock, "4111 1111 1111 1111")

    assert _charge(gateway, token, "key-1").outcome == Outcome.SUCCEEDED


@pytest.mark.parametrize(
    ("number", "token", "decline_code", "message"),
    [
        ("4000000000009995", "tok_sandbox_insufficient_funds", "insufficient_funds", INSUFFICIENT),
        ("4000000000000069", "tok_sandbox_expired_card", "expired_card", "Your card has expired."),
        (
            "4000000000000002",
            "tok_sandbox_do_not_honor",
            "do_not_honor",
            "Your card was declined by its bank.",
        ),
    ],
)
def test_a_declining_card_declines_every_charge(
    gateway: SandboxGateway,
    engine: Engine,
    clock: TestClock,
    number: str,
    token: str,
    decline_code: str,
    message: str,
) -> None:
    typed = _typed(gateway, clock, number)
    ready = _saved(gateway, token).token

    answers = [_charge(gateway, typed, "key-1"), _charge(gateway, ready, "key-2")]

    for answer in answers:
        assert (answer.outcome, answer.decline_code, answer.message) == (
            Outcome.FAILED,
            decline_code,
            message,
        )
        assert answer.reference is not None and answer.reference.startswith("ch_sbx_")
    assert [(r["outcome"], r["decline_code"]) for r in _rows(engine)] == [
        ("failed", decline_code)
    ] * 2


@pytest.mark.parametrize("source", ["typed", "tok_sandbox_timeout_succeeded"])
def test_a_timeout_that_captured_answers_unknown_then_the_truth_once_captured(
    gateway: SandboxGateway, engine: Engine, clock: TestClock, source: str
) -> None:
    token = (
        _typed(gateway, clock, "4000000000001018")
        if source == "typed"
        else _saved(gateway, source).token
    )

    first = _charge(gateway, token, "key-1")
    stored = _row(engine, "key-1")
    second = _charge(gateway, token, "key-1")
    third = _charge(gateway, token, "key-1")

    assert first == GatewayAnswer(Outcome.UNKNOWN, message=TIMEOUT_MESSAGE)
    assert (stored["outcome"], stored["answered"]) == ("succeeded", False)
    assert second == GatewayAnswer(Outcome.SUCCEEDED, reference=stored["reference"])
    assert third == second
    assert len(_rows(engine)) == 1
    assert _row(engine, "key-1")["answered"] is True


@pytest.mark.parametrize("source", ["typed", "tok_sandbox_timeout_failed"])
def test_a_timeout_that_failed_answers_unknown_then_the_failure(
    gateway: SandboxGateway, engine: Engine, clock: TestClock, source: str
) -> None:
    token = (
        _typed(gateway, clock, "4000000000001026")
        if source == "typed"
        else _saved(gateway, source).token
    )

    first = _charge(gateway, token, "key-1")
    second = _charge(gateway, token, "key-1")
    next_attempt = _charge(gateway, token, "key-2")

    assert first.outcome == Outcome.UNKNOWN and first.reference is None
    assert (second.outcome, second.decline_code) == (Outcome.FAILED, "processing_error")
    assert second.reference == _row(engine, "key-1")["reference"]
    assert next_attempt.outcome == Outcome.UNKNOWN  # a new key times out again
    assert [(r["outcome"], r["answered"]) for r in _rows(engine)] == [
        ("failed", True),
        ("failed", False),
    ]


@pytest.mark.parametrize(
    ("number", "declines"),
    [("4000000000002016", 1), ("4000000000002024", 2), ("4000000000002032", 3)],
)
def test_a_card_declines_its_first_n_charges_then_succeeds(
    gateway: SandboxGateway, engine: Engine, clock: TestClock, number: str, declines: int
) -> None:
    token = _typed(gateway, clock, number)

    failed = [_charge(gateway, token, f"key-{i}") for i in range(declines)]
    replayed = _charge(gateway, token, "key-0")  # asking again takes no decline
    paid = _charge(gateway, token, f"key-{declines}")
    later = _charge(gateway, token, f"key-{declines + 1}")

    assert [(a.outcome, a.decline_code) for a in failed] == [
        (Outcome.FAILED, "insufficient_funds")
    ] * declines
    assert replayed == failed[0]
    assert paid.outcome == Outcome.SUCCEEDED
    assert later.outcome == Outcome.SUCCEEDED
    assert _card_row(engine, token)["declines_left"] == 0
    assert len(_rows(engine)) == declines + 2


def test_declines_are_counted_per_saved_card(gateway: SandboxGateway, clock: TestClock) -> None:
    first = _saved(gateway, "tok_sandbox_declines_1").token
    second = _saved(gateway, "tok_sandbox_declines_1").token

    answers = [
        _charge(gateway, first, "a-1"),
        _charge(gateway, second, "b-1"),
        _charge(gateway, first, "a-2"),
        _charge(gateway, second, "b-2"),
    ]

    assert [a.outcome for a in answers] == [
        Outcome.FAILED,
        Outcome.FAILED,
        Outcome.SUCCEEDED,
        Outcome.SUCCEEDED,
    ]


def test_a_saved_card_past_its_expiry_is_declined_as_expired(
    gateway: SandboxGateway, clock: TestClock
) -> None:
    token = gateway.tokenize(
        _card("4242424242424242", exp_month=2, exp_year=2026), date(2026, 1, 31)
    )
    _saved(gateway, token)

    clock.set(datetime(2026, 2, 28, 23, 59, tzinfo=UTC))
    in_february = _charge(gateway, token, "key-1")
    clock.set(datetime(2026, 3, 1, tzinfo=UTC))
    in_march = _charge(gateway, token, "key-2")

    assert in_february.outcome == Outcome.SUCCEEDED
    assert (in_march.outcome, in_march.decline_code) == (Outcome.FAILED, "expired_card")


def test_a_key_used_again_answers_the_same_and_captures_once(
    gateway: SandboxGateway, engine: Engine, clock: TestClock
) -> None:
    token = _typed(gateway, clock, "4242424242424242")

    first = _charge(gateway, token, "key-1", 1500)
    clock.advance(timedelta(days=1))
    second = _charge(gateway, token, "key-1", 1500)

    assert second == first
    assert _rows(engine) == [
        {
            "idempotency_key": "key-1",
            "kind": "charge",
            "token": token,
            "charge_reference": None,
            "amount": 1500,
            "currency": "USD",
            "outcome": "succeeded",
            "reference": first.reference,
            "decline_code": None,
            "message": None,
            "answered": True,
            "created_at": datetime(2026, 1, 31, 15, 0, tzinfo=UTC),
        }
    ]


@pytest.mark.parametrize(
    "change",
    [
        {"amount": 1501},
        {"currency": "EUR"},
        {"token": "other"},
    ],
)
def test_a_key_used_again_with_another_request_captures_nothing(
    gateway: SandboxGateway, engine: Engine, clock: TestClock, change: dict[str, Any]
) -> None:
    token = _typed(gateway, clock, "4242424242424242")
    other = _typed(gateway, clock, "5555555555554444", "mastercard")
    _charge(gateway, token, "key-1", 1500)
    before = every_row(engine)
    request: dict[str, Any] = {"token": token, "amount": 1500, "currency": "USD"} | change
    if request["token"] == "other":
        request["token"] = other

    answer = _charge(gateway, request["token"], "key-1", request["amount"], request["currency"])

    assert (answer.outcome, answer.decline_code, answer.reference) == (
        Outcome.FAILED,
        "idempotency_mismatch",
        None,
    )
    assert answer.message is not None and "Use a new key" in answer.message
    assert every_row(engine) == before


def test_an_unknown_token_or_amount_below_1_is_refused(
    gateway: SandboxGateway, engine: Engine, clock: TestClock
) -> None:
    token = _typed(gateway, clock, "4242424242424242")

    unknown = _charge(gateway, "tok_sandbox_success", "key-1")  # ready-made: save it first
    zero = _charge(gateway, token, "key-2", 0)
    negative = _charge(gateway, token, "key-3", -5)

    assert (unknown.outcome, unknown.decline_code) == (Outcome.FAILED, "no_such_card")
    assert (zero.outcome, zero.decline_code) == (Outcome.FAILED, "invalid_amount")
    assert negative == zero
    assert [r["idempotency_key"] for r in _rows(engine)] == ["key-1"]


def test_what_it_stored_is_seen_by_another_engine(
    gateway: SandboxGateway, db_url: str, clock: TestClock
) -> None:
    token = _typed(gateway, clock, "4000000000001018")
    first = _charge(gateway, token, "key-1")
    other_engine = make_engine(db_url)
    try:
        elsewhere = SandboxGateway(other_engine, clock)
        truth = _charge(elsewhere, token, "key-1")
    finally:
        other_engine.dispose()

    assert first.outcome == Outcome.UNKNOWN
    assert truth.outcome == Outcome.SUCCEEDED


# Refunds


def test_refunds_give_back_at_most_what_is_left_of_the_charge(
    gateway: SandboxGateway, engine: Engine, clock: TestClock
) -> None:
    token = _typed(gateway, clock, "4242424242424242")
    charge = _charge(gateway, token, "pay-1", 1000).reference
    assert charge is not None

    first = _refund(gateway, charge, "refund-1", 400)
    second = _refund(gateway, charge, "refund-2", 600)
    third = _refund(gateway, charge, "refund-3", 1)

    assert first.outcome == Outcome.SUCCEEDED and second.outcome == Outcome.SUCCEEDED
    assert first.reference is not None and first.reference.startswith("re_sbx_")
    assert (third.outcome, third.decline_code) == (Outcome.FAILED, "amount_too_large")
    assert third.message == (
        "The refund of 1 is more than the 0 left to refund of this charge of 1000 "
        "(amounts in minor units of USD)."
    )
    rows = {r["idempotency_key"]: r for r in _rows(engine)}
    assert [(rows[k]["kind"], rows[k]["charge_reference"], rows[k]["token"]) for k in rows] == [
        ("charge", None, token),
        ("refund", charge, token),
        ("refund", charge, token),
        ("refund", charge, token),
    ]


def test_a_refund_above_what_is_left_says_how_much_is(
    gateway: SandboxGateway, clock: TestClock
) -> None:
    charge = _charge(gateway, _typed(gateway, clock, "4242424242424242"), "pay-1", 1000).reference
    assert charge is not None
    _refund(gateway, charge, "refund-1", 300)

    over = _refund(gateway, charge, "refund-2", 701)
    exact = _refund(gateway, charge, "refund-3", 700)

    assert over.message == (
        "The refund of 701 is more than the 700 left to refund of this charge of 1000 "
        "(amounts in minor units of USD)."
    )
    assert exact.outcome == Outcome.SUCCEEDED


def test_a_refund_is_idempotent_by_key(
    gateway: SandboxGateway, engine: Engine, clock: TestClock
) -> None:
    charge = _charge(gateway, _typed(gateway, clock, "4242424242424242"), "pay-1", 1000).reference
    assert charge is not None

    first = _refund(gateway, charge, "refund-1", 1000)
    again = _refund(gateway, charge, "refund-1", 1000)
    other = _refund(gateway, charge, "refund-1", 999)

    assert again == first and first.outcome == Outcome.SUCCEEDED
    assert (other.outcome, other.decline_code) == (Outcome.FAILED, "idempotency_mismatch")
    assert len(_rows(engine)) == 2


def test_a_charge_key_cannot_be_reused_for_a_refund_nor_the_other_way(
    gateway: SandboxGateway, engine: Engine, clock: TestClock
) -> None:
    token = _typed(gateway, clock, "4242424242424242")
    charge = _charge(gateway, token, "pay-1", 1000).reference
    assert charge is not None
    _refund(gateway, charge, "refund-1", 100)

    as_refund = _refund(gateway, charge, "pay-1", 1000)
    as_charge = _charge(gateway, token, "refund-1", 100)

    assert as_refund.decline_code == "idempotency_mismatch"
    assert as_charge.decline_code == "idempotency_mismatch"
    assert len(_rows(engine)) == 2


def test_only_a_succeeded_charge_in_its_currency_is_refunded(
    gateway: SandboxGateway, engine: Engine, clock: TestClock
) -> None:
    declined = _typed(gateway, clock, "4000000000000002")
    failed = _charge(gateway, declined, "pay-1", 1000).reference
    paid = _charge(gateway, _typed(gateway, clock, "4242424242424242"), "pay-2", 1000).reference
    assert failed is not None and paid is not None
    refund_of_refund = _refund(gateway, paid, "refund-0", 10).reference
    assert refund_of_refund is not None

    answers = {
        "failed": _refund(gateway, failed, "refund-1", 100),
        "unknown": _refund(gateway, "ch_sbx_nosuchcharge", "refund-2", 100),
        "a refund": _refund(gateway, refund_of_refund, "refund-3", 5),
        "currency": _refund(gateway, paid, "refund-4", 100, "EUR"),
        "zero": _refund(gateway, paid, "refund-5", 0),
    }

    assert {k: (a.outcome, a.decline_code) for k, a in answers.items()} == {
        "failed": (Outcome.FAILED, "charge_not_refundable"),
        "unknown": (Outcome.FAILED, "charge_not_refundable"),
        "a refund": (Outcome.FAILED, "charge_not_refundable"),
        "currency": (Outcome.FAILED, "currency_mismatch"),
        "zero": (Outcome.FAILED, "invalid_amount"),
    }
    assert answers["currency"].message == "The charge was in USD; refund it in USD."
    assert _refund(gateway, paid, "refund-6", 990).outcome == Outcome.SUCCEEDED


def test_a_timeout_charge_that_captured_can_be_refunded(
    gateway: SandboxGateway, clock: TestClock
) -> None:
    token = _typed(gateway, clock, "4000000000001018")
    _charge(gateway, token, "pay-1", 1000)
    charge = _charge(gateway, token, "pay-1", 1000).reference
    assert charge is not None

    assert _refund(gateway, charge, "refund-1", 1000).outcome == Outcome.SUCCEEDED


# No card number anywhere


def test_no_table_holds_a_card_number(
    gateway: SandboxGateway, engine: Engine, clock: TestClock
) -> None:
    for i, card in enumerate(TEST_CARDS):
        token = _typed(gateway, clock, card.number, card.brand)
        answer = _charge(gateway, token, f"key-{i}", 100)
        if answer.outcome == Outcome.UNKNOWN:
            _charge(gateway, token, f"key-{i}", 100)
    for source in READY_TOKENS:
        _charge(gateway, _saved(gateway, source).token, f"ready-{source}", 100)

    text = repr(every_row(engine))

    assert len(_rows(engine, t.sandbox_cards)) == len(TEST_CARDS) + len(READY_TOKENS)
    for card in TEST_CARDS:
        assert card.number not in text
        assert card.number[:-4] not in text  # not even the digits before the last four
        assert card.number[:6] + "******" not in text


def test_card_details_never_show_their_number() -> None:
    card = _card("4242424242424242")

    assert repr(card) == "CardDetails(number='…4242', exp=12/2030)"
    assert "42424242" not in str(card)


# One key, two processes at once


def _race(calls: list[Callable[[], GatewayAnswer]]) -> list[GatewayAnswer]:
    """Run the calls in threads released at the same moment; their answers in order."""
    barrier = threading.Barrier(len(calls))
    answers: list[GatewayAnswer | None] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            answers[i] = calls[i]()
        except BaseException as exc:  # re-raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return [a for a in answers if a is not None]


@pytest.fixture
def two_gateways(db_url: str, clock: TestClock) -> Iterator[tuple[SandboxGateway, SandboxGateway]]:
    """Two gateways on two engines: two processes' connection pools."""
    engines = [make_engine(db_url), make_engine(db_url)]
    yield SandboxGateway(engines[0], clock), SandboxGateway(engines[1], clock)
    for engine in engines:
        engine.dispose()


def test_two_processes_charging_with_one_key_capture_once(
    gateway: SandboxGateway,
    engine: Engine,
    clock: TestClock,
    two_gateways: tuple[SandboxGateway, SandboxGateway],
) -> None:
    token = _typed(gateway, clock, "4242424242424242")
    one, two = two_gateways

    for i in range(10):
        answers = _race(
            [partial(_charge, one, token, f"key-{i}"), partial(_charge, two, token, f"key-{i}")]
        )
        assert answers[0] == answers[1]
        assert answers[0].outcome == Outcome.SUCCEEDED

    with engine.connect() as connection:
        counts = connection.execute(
            select(t.sandbox_charges.c.idempotency_key, func.count())
            .group_by(t.sandbox_charges.c.idempotency_key)
            .order_by(t.sandbox_charges.c.idempotency_key)
        ).all()
    assert [tuple(c) for c in counts] == [(f"key-{i}", 1) for i in range(10)]


def test_two_processes_with_one_key_take_one_decline(
    gateway: SandboxGateway,
    engine: Engine,
    clock: TestClock,
    two_gateways: tuple[SandboxGateway, SandboxGateway],
) -> None:
    token = _typed(gateway, clock, "4000000000002032")  # declines 3 times
    one, two = two_gateways

    races = [
        _race([partial(_charge, one, token, f"key-{i}"), partial(_charge, two, token, f"key-{i}")])
        for i in range(4)
    ]

    assert [[a.outcome for a in answers] for answers in races] == [
        [Outcome.FAILED, Outcome.FAILED],
        [Outcome.FAILED, Outcome.FAILED],
        [Outcome.FAILED, Outcome.FAILED],
        [Outcome.SUCCEEDED, Outcome.SUCCEEDED],
    ]
    assert all(answers[0] == answers[1] for answers in races)
    assert len(_rows(engine)) == 4


def test_two_processes_refunding_one_charge_with_two_keys_stay_within_it(
    gateway: SandboxGateway,
    engine: Engine,
    clock: TestClock,
    two_gateways: tuple[SandboxGateway, SandboxGateway],
) -> None:
    token = _typed(gateway, clock, "4242424242424242")
    one, two = two_gateways

    for i in range(5):
        charge = _charge(gateway, token, f"pay-{i}", 1000).reference
        assert charge is not None
        answers = _race(
            [
                partial(_refund, one, charge, f"refund-{i}-a", 600),
                partial(_refund, two, charge, f"refund-{i}-b", 600),
            ]
        )
        assert sorted(a.outcome for a in answers) == [Outcome.FAILED, Outcome.SUCCEEDED]

    with engine.connect() as connection:
        refunded = connection.execute(
            select(func.sum(t.sandbox_charges.c.amount)).where(
                t.sandbox_charges.c.kind == "refund", t.sandbox_charges.c.outcome == "succeeded"
            )
        ).scalar_one()
    assert refunded == 5 * 600


# The docs


def test_the_docs_list_every_test_card_and_token_with_its_behaviour() -> None:
    text = DOC.read_text(encoding="utf-8")
    documented_cards = {
        re.sub(r"\D", "", number): (brand, behaviour, int(declines))
        for number, brand, behaviour, declines in re.findall(
            r"^\| `([\d ]+)` \| (\w+) \| `(\w+)` \| (\d) \|", text, re.M
        )
    }
    documented_tokens = {
        token: re.sub(r"\D", "", number)
        for token, number in re.findall(r"^\| `(tok_sandbox_\w+)` \| `([\d ]+)` \|", text, re.M)
    }

    assert documented_cards == {
        card.number: (card.brand, card.behavior, card.declines) for card in TEST_CARDS
    }
    assert documented_tokens == {token: card.number for token, card in READY_TOKENS.items()}
