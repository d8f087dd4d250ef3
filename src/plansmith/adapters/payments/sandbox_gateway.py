"""The built-in sandbox payment gateway: a real gateway's behaviour without a network.

It keeps its state as an external gateway would, apart from its callers': in the tables
``sandbox_cards`` and ``sandbox_charges`` of the application database, written through its
own short transactions on the engine it is given (never a caller's session), so what it
captured survives the process and is seen by every worker.

What a card does is chosen by the documented test card typed into the card form (the number
picks it) or by a ready-made token (for API users who type no card): succeed, decline
(insufficient funds, expired card, do not honor), time out while the charge really succeeded
or really failed, or decline its first N charges and then succeed. docs/payments-sandbox.md
lists them. Any other valid number of an accepted brand succeeds.

Rules:
- A charge or refund is kept under its idempotency key (the primary key): a second call with
  the key answers what the first did and captures nothing; two concurrent calls insert once
  (INSERT … ON CONFLICT DO NOTHING) and the loser answers what the winner stored.
- The same key with another request (kind, card, charge, amount or currency) captures nothing
  either: it answers failed with decline code ``idempotency_mismatch``, as Stripe refuses it.
- A timeout card's first call records the real outcome and answers ``unknown``; any later call
  with the same key answers the recorded outcome (``answered`` becomes true).
- A refund needs a succeeded charge of the same currency and gives back at most what is left
  of it; failures are kept under the key too.
- Only brand, last 4 digits, expiry and behaviour of a card are stored; never its number, and
  nothing here logs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from plansmith.adapters.db import tables as t
from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.ports import Clock
from plansmith.application.payments.ports import (
    CardDetails,
    CardToSave,
    ChargeRequest,
    RefundRequest,
    SavedCard,
)
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.payments.cards import check_card, expired, normalize_number
from plansmith.domain.payments.payments import GatewayAnswer, Outcome

NAME = "sandbox"

# What a card does when charged.
SUCCEED = "succeed"
INSUFFICIENT_FUNDS = "insufficient_funds"
EXPIRED_CARD = "expired_card"
DO_NOT_HONOR = "do_not_honor"
TIMEOUT_SUCCEEDED = "timeout_succeeded"  # answers unknown; it really captured
TIMEOUT_FAILED = "timeout_failed"  # answers unknown; it really failed
DECLINES_THEN_SUCCEEDS = "declines_then_succeeds"  # declines_left charges fail first

DECLINES = {
    INSUFFICIENT_FUNDS: "Your card has insufficient funds.",
    EXPIRED_CARD: "Your card has expired.",
    DO_NOT_HONOR: "Your card was declined by its bank.",
}
PROCESSING_ERROR = "processing_error"  # what a timeout that really failed failed with
PROCESSING_MESSAGE = "An error occurred while processing your card; try again later."
TIMEOUT_MESSAGE = (
    "The sandbox gateway did not answer in time (a test card); ask again with the same "
    "idempotency key to learn what happened."
)
REMOVED_MESSAGE = "This card was removed; choose another payment method."
YEARS_VALID = 5  # a ready-made token's card expires in December of the year five years on


@dataclass(frozen=True)
class TestCard:
    """A documented card: its number picks its behaviour."""

    __test__ = False  # not a pytest test class

    number: str
    brand: str
    behavior: str
    declines: int = 0  # DECLINES_THEN_SUCCEEDS: how many charges fail first


TEST_CARDS: tuple[TestCard, ...] = (
    TestCard("4242424242424242", "visa", SUCCEED),
    TestCard("4000056655665556", "visa", SUCCEED),
    TestCard("5555555555554444", "mastercard", SUCCEED),
    TestCard("2223003122003222", "mastercard", SUCCEED),
    TestCard("378282246310005", "amex", SUCCEED),
    TestCard("3530111333300000", "jcb", SUCCEED),
    TestCard("6011111111111117", "discover", SUCCEED),
    TestCard("3056930009020004", "diners", SUCCEED),
    TestCard("36227206271667", "diners", SUCCEED),
    TestCard("6200000000000005", "unionpay", SUCCEED),
    TestCard("4000000000009995", "visa", INSUFFICIENT_FUNDS),
    TestCard("4000000000000069", "visa", EXPIRED_CARD),
    TestCard("4000000000000002", "visa", DO_NOT_HONOR),
    TestCard("4000000000001018", "visa", TIMEOUT_SUCCEEDED),
    TestCard("4000000000001026", "visa", TIMEOUT_FAILED),
    TestCard("4000000000002016", "visa", DECLINES_THEN_SUCCEEDS, 1),
    TestCard("4000000000002024", "visa", DECLINES_THEN_SUCCEEDS, 2),
    TestCard("4000000000002032", "visa", DECLINES_THEN_SUCCEEDS, 3),
)
_BY_NUMBER = {card.number: card for card in TEST_CARDS}

# Ready-made tokens for API users who type no card: each stands for one test card. Saving
# one makes a card of its own (so a card's declines are counted per saved card).
READY_TOKENS: dict[str, TestCard] = {
    "tok_sandbox_success": _BY_NUMBER["4242424242424242"],
    "tok_sandbox_success_mastercard": _BY_NUMBER["5555555555554444"],
    "tok_sandbox_success_amex": _BY_NUMBER["378282246310005"],
    "tok_sandbox_success_jcb": _BY_NUMBER["3530111333300000"],
    "tok_sandbox_insufficient_funds": _BY_NUMBER["4000000000009995"],
    "tok_sandbox_expired_card": _BY_NUMBER["4000000000000069"],
    "tok_sandbox_do_not_honor": _BY_NUMBER["4000000000000002"],
    "tok_sandbox_timeout_succeeded": _BY_NUMBER["4000000000001018"],
    "tok_sandbox_timeout_failed": _BY_NUMBER["4000000000001026"],
    "tok_sandbox_declines_1": _BY_NUMBER["4000000000002016"],
    "tok_sandbox_declines_2": _BY_NUMBER["4000000000002024"],
    "tok_sandbox_declines_3": _BY_NUMBER["4000000000002032"],
}

CHARGE = "charge"
REFUND = "refund"


@dataclass(frozen=True)
class _Decision:
    outcome: Outcome  # what really happened, as stored
    decline_code: str | None = None
    message: str | None = None
    timeout: bool = False  # answer unknown this once


class _KeyTaken(Exception):
    """Another call stored this idempotency key first: read what it stored."""


class SandboxGateway:
    """The sandbox gateway on the application database (see the module's docstring)."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    @property
    def name(self) -> str:
        return NAME

    # Cards

    def tokenize(self, card: CardDetails, today: date) -> str:
        checked = check_card(card.number, card.exp_month, card.exp_year, card.cvc, today)
        test_card = _BY_NUMBER.get(normalize_number(card.number))
        behavior, declines = (test_card.behavior, test_card.declines) if test_card else (SUCCEED, 0)
        token = new_id("tok_sbx")
        with self._engine.begin() as connection:
            connection.execute(
                insert(t.sandbox_cards).values(
                    token=token,
                    behavior=behavior,
                    brand=checked.brand,
                    last4=checked.last4,
                    exp_month=checked.exp_month,
                    exp_year=checked.exp_year,
                    declines_left=declines,
                    customer_ref=None,
                    created_at=self._clock.now(),
                    forgotten_at=None,
                )
            )
        return token

    def save_card(self, card: CardToSave) -> SavedCard:
        ready = READY_TOKENS.get(card.source)
        if ready is not None:
            return self._save_ready_made(ready, card.customer_ref)
        c = t.sandbox_cards.c
        with self._engine.begin() as connection:
            row = connection.execute(
                select(t.sandbox_cards).where(c.token == card.source).with_for_update()
            ).first()
            # The source is never echoed: it may be anything typed, even a card number.
            if row is None:
                raise InvalidValue(
                    "The sandbox gateway has no card with this token; add the card through the "
                    "card form, or use a ready-made token such as tok_sandbox_success.",
                    field="source",
                )
            if row.forgotten_at is not None:
                raise InvalidValue(
                    "This card was removed; add it again through the card form.", field="source"
                )
            if row.customer_ref is not None and card.customer_ref not in (None, row.customer_ref):
                raise InvalidValue(
                    "This card is saved to another customer; add it again through the card form.",
                    field="source",
                )
            customer_ref = row.customer_ref or card.customer_ref or new_id("cus_sbx")
            if row.customer_ref is None:
                connection.execute(
                    update(t.sandbox_cards)
                    .where(c.token == card.source)
                    .values(customer_ref=customer_ref)
                )
        return SavedCard(
            token=row.token,
            customer_ref=customer_ref,
            brand=row.brand,
            last4=row.last4,
            exp_month=row.exp_month,
            exp_year=row.exp_year,
        )

    def _save_ready_made(self, ready: TestCard, customer_ref: str | None) -> SavedCard:
        now = self._clock.now()
        saved = SavedCard(
            token=new_id("tok_sbx"),
            customer_ref=customer_ref or new_id("cus_sbx"),
            brand=ready.brand,
            last4=ready.number[-4:],
            exp_month=12,
            exp_year=now.year + YEARS_VALID,
        )
        with self._engine.begin() as connection:
            connection.execute(
                insert(t.sandbox_cards).values(
                    token=saved.token,
                    behavior=ready.behavior,
                    brand=saved.brand,
                    last4=saved.last4,
                    exp_month=saved.exp_month,
                    exp_year=saved.exp_year,
                    declines_left=ready.declines,
                    customer_ref=saved.customer_ref,
                    created_at=now,
                    forgotten_at=None,
                )
            )
        return saved

    def forget_card(self, token: str, customer_ref: str | None) -> None:
        """Marks the card removed (a later charge of it fails with ``card_removed``); a token
        the gateway does not know, or one removed already, is left as it is."""
        c = t.sandbox_cards.c
        with self._engine.begin() as connection:
            connection.execute(
                update(t.sandbox_cards)
                .where(c.token == token, c.forgotten_at.is_(None))
                .values(forgotten_at=self._clock.now())
            )

    # Money

    def charge(self, request: ChargeRequest) -> GatewayAnswer:
        if request.amount <= 0:
            return _invalid_amount()
        now = self._clock.now()
        same = {
            "kind": CHARGE,
            "token": request.token,
            "amount": request.amount,
            "currency": request.currency,
        }
        try:
            with self._engine.begin() as connection:
                stored = _stored(connection, request.idempotency_key)
                if stored is not None:
                    return _replay(connection, stored, same)
                decision = self._decide(connection, request.token, now)
                reference = new_id("ch_sbx")
                _insert_once(
                    connection,
                    idempotency_key=request.idempotency_key,
                    charge_reference=None,
                    outcome=decision.outcome.value,
                    reference=reference,
                    decline_code=decision.decline_code,
                    message=decision.message,
                    answered=not decision.timeout,
                    created_at=now,
                    **same,
                )
        except _KeyTaken:
            return self._replay_alone(request.idempotency_key, same)
        if decision.timeout:
            return GatewayAnswer(Outcome.UNKNOWN, message=TIMEOUT_MESSAGE)
        return GatewayAnswer(decision.outcome, reference, decision.decline_code, decision.message)

    def _decide(self, connection: Connection, token: str, now: datetime) -> _Decision:
        """What charging this card does now; takes one of its declines if it has some left."""
        c = t.sandbox_cards.c
        card = connection.execute(select(t.sandbox_cards).where(c.token == token)).first()
        if card is None:
            return _Decision(
                Outcome.FAILED,
                "no_such_card",
                "The sandbox gateway has no saved card with this token.",
            )
        if card.forgotten_at is not None:
            return _Decision(Outcome.FAILED, "card_removed", REMOVED_MESSAGE)
        if expired(card.exp_month, card.exp_year, now.date()):
            return _Decision(Outcome.FAILED, EXPIRED_CARD, DECLINES[EXPIRED_CARD])
        behavior = card.behavior
        if behavior in DECLINES:
            return _Decision(Outcome.FAILED, behavior, DECLINES[behavior])
        if behavior == TIMEOUT_SUCCEEDED:
            return _Decision(Outcome.SUCCEEDED, timeout=True)
        if behavior == TIMEOUT_FAILED:
            return _Decision(Outcome.FAILED, PROCESSING_ERROR, PROCESSING_MESSAGE, timeout=True)
        if behavior == DECLINES_THEN_SUCCEEDS:
            took = connection.execute(
                update(t.sandbox_cards)
                .where(c.token == token, c.declines_left > 0)
                .values(declines_left=c.declines_left - 1)
                .returning(c.declines_left)
            ).first()
            if took is not None:
                return _Decision(Outcome.FAILED, INSUFFICIENT_FUNDS, DECLINES[INSUFFICIENT_FUNDS])
        return _Decision(Outcome.SUCCEEDED)

    def refund(self, request: RefundRequest) -> GatewayAnswer:
        if request.amount <= 0:
            return _invalid_amount()
        now = self._clock.now()
        same = {
            "kind": REFUND,
            "charge_reference": request.charge_reference,
            "amount": request.amount,
            "currency": request.currency,
        }
        c = t.sandbox_charges.c
        try:
            with self._engine.begin() as connection:
                stored = _stored(connection, request.idempotency_key)
                if stored is not None:
                    return _replay(connection, stored, same)
                # The charge's row is held while its refunds are summed: refunds of one charge
                # with different keys take turns (SQLite: the write lock taken at BEGIN).
                charge = connection.execute(
                    select(t.sandbox_charges)
                    .where(c.reference == request.charge_reference)
                    .with_for_update()
                ).first()
                decision = _refund_decision(connection, charge, request)
                reference = new_id("re_sbx")
                _insert_once(
                    connection,
                    idempotency_key=request.idempotency_key,
                    token=charge.token if charge is not None else None,
                    outcome=decision.outcome.value,
                    reference=reference,
                    decline_code=decision.decline_code,
                    message=decision.message,
                    answered=True,
                    created_at=now,
                    **same,
                )
        except _KeyTaken:
            return self._replay_alone(request.idempotency_key, same)
        return GatewayAnswer(decision.outcome, reference, decision.decline_code, decision.message)

    def _replay_alone(self, idempotency_key: str, same: dict[str, Any]) -> GatewayAnswer:
        """What a concurrent call stored under the key, read after it committed."""
        with self._engine.begin() as connection:
            stored = _stored(connection, idempotency_key)
            assert stored is not None, "the key was taken, so its row is committed"
            return _replay(connection, stored, same)


def _refund_decision(connection: Connection, charge: Any, request: RefundRequest) -> _Decision:
    if charge is None or charge.kind != CHARGE or charge.outcome != Outcome.SUCCEEDED.value:
        return _Decision(
            Outcome.FAILED,
            "charge_not_refundable",
            "Only a succeeded charge of this gateway can be refunded; check the charge reference.",
        )
    if charge.currency != request.currency:
        return _Decision(
            Outcome.FAILED,
            "currency_mismatch",
            f"The charge was in {charge.currency}; refund it in {charge.currency}.",
        )
    c = t.sandbox_charges.c
    refunded = connection.execute(
        select(func.coalesce(func.sum(c.amount), 0)).where(
            c.charge_reference == charge.reference,
            c.kind == REFUND,
            c.outcome == Outcome.SUCCEEDED.value,
        )
    ).scalar_one()
    left = int(charge.amount) - int(refunded)
    if request.amount > left:
        return _Decision(
            Outcome.FAILED,
            "amount_too_large",
            f"The refund of {request.amount} is more than the {left} left to refund of this "
            f"charge of {charge.amount} (amounts in minor units of {charge.currency}).",
        )
    return _Decision(Outcome.SUCCEEDED)


def _invalid_amount() -> GatewayAnswer:
    return GatewayAnswer(
        Outcome.FAILED,
        decline_code="invalid_amount",
        message="The amount must be more than 0 (in minor units).",
    )


def _stored(connection: Connection, idempotency_key: str) -> Any:
    c = t.sandbox_charges.c
    return connection.execute(
        select(t.sandbox_charges).where(c.idempotency_key == idempotency_key)
    ).first()


def _insert_once(connection: Connection, **row: Any) -> None:
    """Insert the row unless its key is stored already (then _KeyTaken, which rolls back all
    this call did, a decline it took included). On PostgreSQL a concurrent insert of the key
    waits for the other transaction and does nothing when it commits."""
    make = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    inserted = connection.execute(
        make(t.sandbox_charges)
        .values(**row)
        .on_conflict_do_nothing()
        .returning(t.sandbox_charges.c.idempotency_key)
    ).first()
    if inserted is None:
        raise _KeyTaken


def _replay(connection: Connection, stored: Any, same: dict[str, Any]) -> GatewayAnswer:
    """The answer to a call with a key used already: what was stored, or a refusal when the
    key came with another request."""
    if any(getattr(stored, name) != value for name, value in same.items()):
        return GatewayAnswer(
            Outcome.FAILED,
            decline_code="idempotency_mismatch",
            message=(
                "This idempotency key was used for another request (another card, charge, "
                "amount or currency); nothing was charged. Use a new key for a new request."
            ),
        )
    if not stored.answered:
        c = t.sandbox_charges.c
        connection.execute(
            update(t.sandbox_charges)
            .where(c.idempotency_key == stored.idempotency_key, c.answered.is_(False))
            .values(answered=True)
        )
    return GatewayAnswer(
        Outcome(stored.outcome), stored.reference, stored.decline_code, stored.message
    )
