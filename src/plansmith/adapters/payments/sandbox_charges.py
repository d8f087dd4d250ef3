"""The sandbox gateway's charges: what a card does when charged, and charging a batch of
requests in one short transaction of the gateway's own.

A batch costs the same few statements whatever its size: its cards read at once and held
(in token order, so two batches never wait on each other), the charges already stored under
its keys read at once (after the cards are held: a batch of these cards that stored them
first is seen), the replayed timeouts marked answered in one statement, the declines taken
written back in one, and the new charges inserted in one INSERT … ON CONFLICT DO NOTHING.
The declines of a card charged several times in one batch are counted request by request,
in the batch's order, as one charge after the other would count them.

A key another process stored meanwhile (the insert did nothing for it: that process used
the key with another card) rolls the whole batch back, declines taken included, and the
batch is tried again: the key, stored now, answers what the winner stored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, select, update

from plansmith.adapters.db import bulk
from plansmith.adapters.db import tables as t
from plansmith.adapters.payments.sandbox_cards import (
    DECLINES,
    DECLINES_THEN_SUCCEEDS,
    EXPIRED_CARD,
    INSUFFICIENT_FUNDS,
    PROCESSING_ERROR,
    PROCESSING_MESSAGE,
    REMOVED_MESSAGE,
    TIMEOUT_FAILED,
    TIMEOUT_MESSAGE,
    TIMEOUT_SUCCEEDED,
)
from plansmith.application.kernel.ids import new_id
from plansmith.application.payments.ports import ChargeRequest, distinct_keys
from plansmith.domain.payments.cards import expired
from plansmith.domain.payments.payments import GatewayAnswer, Outcome

CHARGE = "charge"
REFUND = "refund"
# Requests per transaction: keeps each statement's bound values well within both databases'
# limits (PostgreSQL 65,535; a row of sandbox_charges binds 12).
BATCH_LIMIT = 1000


@dataclass(frozen=True)
class Decision:
    outcome: Outcome  # what really happened, as stored
    decline_code: str | None = None
    message: str | None = None
    timeout: bool = False  # answer unknown this once


class KeyTaken(Exception):
    """Another call stored one of these idempotency keys first: read what it stored."""


def charge_batch(
    engine: Engine, requests: Sequence[ChargeRequest], now: datetime
) -> list[GatewayAnswer]:
    """One answer per request, in order, each as a charge of its own would answer it."""
    distinct_keys(requests)
    answers: dict[int, GatewayAnswer] = {}
    valid: list[int] = []
    for index, request in enumerate(requests):
        if request.amount <= 0:
            answers[index] = invalid_amount()
        else:
            valid.append(index)
    for start in range(0, len(valid), BATCH_LIMIT):
        chunk = valid[start : start + BATCH_LIMIT]
        answered = _charge_until_stored(engine, [requests[i] for i in chunk], now)
        answers.update(zip(chunk, answered, strict=True))
    return [answers[index] for index in range(len(requests))]


def _charge_until_stored(
    engine: Engine, requests: list[ChargeRequest], now: datetime
) -> list[GatewayAnswer]:
    # Each try that loses a key finds it stored on the next, so one try per request at most.
    for _ in range(len(requests) + 1):
        try:
            with engine.begin() as connection:
                return _charge_in(connection, requests, now)
        except KeyTaken:
            continue
    raise AssertionError("every lost key is stored on the next try")


def _charge_in(
    connection: Connection, requests: list[ChargeRequest], now: datetime
) -> list[GatewayAnswer]:
    cards_c, charges_c = t.sandbox_cards.c, t.sandbox_charges.c
    tokens = sorted({request.token for request in requests})
    cards = {
        card.token: card
        for card in connection.execute(
            select(t.sandbox_cards)
            .where(cards_c.token.in_(tokens))
            .order_by(cards_c.token)
            .with_for_update()
        )
    }
    keys = [request.idempotency_key for request in requests]
    stored = {
        row.idempotency_key: row
        for row in connection.execute(
            select(t.sandbox_charges).where(charges_c.idempotency_key.in_(keys))
        )
    }
    declines_left = {token: int(card.declines_left) for token, card in cards.items()}
    answers: list[GatewayAnswer] = []
    first_told: list[str] = []  # timeouts replayed: the caller now knows their outcome
    new_rows: list[dict[str, Any]] = []
    for request in requests:
        same = charge_fields(request)
        row = stored.get(request.idempotency_key)
        if row is not None:
            answer, told = replay_answer(row, same)
            if told:
                first_told.append(request.idempotency_key)
            answers.append(answer)
            continue
        decision = decide(cards.get(request.token), now, declines_left)
        reference = new_id("ch_sbx")
        new_rows.append(
            {
                **same,
                "idempotency_key": request.idempotency_key,
                "charge_reference": None,
                "outcome": decision.outcome.value,
                "reference": reference,
                "decline_code": decision.decline_code,
                "message": decision.message,
                "answered": not decision.timeout,
                "created_at": now,
            }
        )
        answers.append(_answer(decision, reference))
    if first_told:
        _mark_answered(connection, first_told)
    taken = [
        {"b_token": token, "b_left": left}
        for token, left in declines_left.items()
        if left != cards[token].declines_left
    ]
    if taken:
        connection.execute(
            update(t.sandbox_cards)
            .where(cards_c.token == bindparam("b_token"))
            .values(declines_left=bindparam("b_left")),
            taken,
        )
    if new_rows:
        insert_new(connection, new_rows)
    return answers


def charge_fields(request: ChargeRequest) -> dict[str, Any]:
    """What a key is stored with and must come again with."""
    return {
        "kind": CHARGE,
        "token": request.token,
        "amount": request.amount,
        "currency": request.currency,
    }


def decide(card: Any, now: datetime, declines_left: dict[str, int]) -> Decision:
    """What charging this card (a row of sandbox_cards, None if unknown) does now; takes one
    of its declines from ``declines_left`` (by token) if it has some left."""
    if card is None:
        return Decision(
            Outcome.FAILED,
            "no_such_card",
            "The sandbox gateway has no saved card with this token.",
        )
    if card.forgotten_at is not None:
        return Decision(Outcome.FAILED, "card_removed", REMOVED_MESSAGE)
    if expired(card.exp_month, card.exp_year, now.date()):
        return Decision(Outcome.FAILED, EXPIRED_CARD, DECLINES[EXPIRED_CARD])
    behavior = card.behavior
    if behavior in DECLINES:
        return Decision(Outcome.FAILED, behavior, DECLINES[behavior])
    if behavior == TIMEOUT_SUCCEEDED:
        return Decision(Outcome.SUCCEEDED, timeout=True)
    if behavior == TIMEOUT_FAILED:
        return Decision(Outcome.FAILED, PROCESSING_ERROR, PROCESSING_MESSAGE, timeout=True)
    if behavior == DECLINES_THEN_SUCCEEDS and declines_left[card.token] > 0:
        declines_left[card.token] -= 1
        return Decision(Outcome.FAILED, INSUFFICIENT_FUNDS, DECLINES[INSUFFICIENT_FUNDS])
    return Decision(Outcome.SUCCEEDED)


def _answer(decision: Decision, reference: str) -> GatewayAnswer:
    if decision.timeout:
        return GatewayAnswer(Outcome.UNKNOWN, message=TIMEOUT_MESSAGE)
    return GatewayAnswer(decision.outcome, reference, decision.decline_code, decision.message)


def invalid_amount() -> GatewayAnswer:
    return GatewayAnswer(
        Outcome.FAILED,
        decline_code="invalid_amount",
        message="The amount must be more than 0 (in minor units).",
    )


def stored(connection: Connection, idempotency_key: str) -> Any:
    c = t.sandbox_charges.c
    return connection.execute(
        select(t.sandbox_charges).where(c.idempotency_key == idempotency_key)
    ).first()


def insert_new(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert the rows, in key order (two inserts of the same keys wait in one order), in
    one statement; KeyTaken if any key is stored already, which rolls back all this call
    did, declines taken included. On PostgreSQL a concurrent insert of a key waits for the
    other transaction and does nothing when it commits."""
    if len(bulk.insert_new(connection, t.sandbox_charges, rows, "idempotency_key")) != len(rows):
        raise KeyTaken


def replay(connection: Connection, row: Any, same: dict[str, Any]) -> GatewayAnswer:
    """The answer to a call with a key used already (see ``replay_answer``), the stored
    timeout marked answered."""
    answer, told = replay_answer(row, same)
    if told:
        _mark_answered(connection, [row.idempotency_key])
    return answer


def replay_answer(row: Any, same: dict[str, Any]) -> tuple[GatewayAnswer, bool]:
    """What was stored under the key, or a refusal when the key came with another request;
    and whether this tells a timeout's outcome for the first time."""
    if any(getattr(row, name) != value for name, value in same.items()):
        mismatch = GatewayAnswer(
            Outcome.FAILED,
            decline_code="idempotency_mismatch",
            message=(
                "This idempotency key was used for another request (another card, charge, "
                "amount or currency); nothing was charged. Use a new key for a new request."
            ),
        )
        return mismatch, False
    answer = GatewayAnswer(Outcome(row.outcome), row.reference, row.decline_code, row.message)
    return answer, not row.answered


def _mark_answered(connection: Connection, keys: list[str]) -> None:
    c = t.sandbox_charges.c
    connection.execute(
        update(t.sandbox_charges)
        .where(c.idempotency_key.in_(keys), c.answered.is_(False))
        .values(answered=True)
    )
