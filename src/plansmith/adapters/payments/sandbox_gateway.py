"""The built-in sandbox payment gateway: a real gateway's behaviour without a network.

It keeps its state as an external gateway would, apart from its callers': in the tables
``sandbox_cards`` and ``sandbox_charges`` of the application database, written through its
own short transactions on the engine it is given (never a caller's session), so what it
captured survives the process and is seen by every worker.

What a card does is chosen by the documented test card typed into the card form (the number
picks it) or by a ready-made token (for API users who type no card): succeed, decline
(insufficient funds, expired card, do not honor), time out while the charge really succeeded
or really failed, or decline its first N charges and then succeed. docs/payments-sandbox.md
lists them (``sandbox_cards``). Any other valid number of an accepted brand succeeds.

Rules:
- A charge or refund is kept under its idempotency key (the primary key): a second call with
  the key answers what the first did and captures nothing; two concurrent calls insert once
  (INSERT … ON CONFLICT DO NOTHING) and the loser answers what the winner stored.
- The same key with another request (kind, card, charge, amount or currency) captures nothing
  either: it answers failed with decline code ``idempotency_mismatch``, as Stripe refuses it.
- ``charge_many`` answers each request as ``charge`` would, in one transaction for the
  batch whose statements do not grow with it (``sandbox_charges``); a card charged several
  times in one batch counts its declines in the batch's order. ``charge`` is a batch of one.
- A timeout card's first call records the real outcome and answers ``unknown``; any later call
  with the same key answers the recorded outcome (``answered`` becomes true).
- A refund needs a succeeded charge of the same currency and gives back at most what is left
  of it; failures are kept under the key too.
- Only brand, last 4 digits, expiry and behaviour of a card are stored; never its number, and
  nothing here logs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from plansmith.adapters.db import tables as t
from plansmith.adapters.payments.sandbox_cards import (
    BY_NUMBER,
    READY_TOKENS,
    SUCCEED,
    YEARS_VALID,
    TestCard,
)
from plansmith.adapters.payments.sandbox_charges import (
    CHARGE,
    REFUND,
    Decision,
    KeyTaken,
    charge_batch,
    insert_new,
    invalid_amount,
    replay,
    stored,
)
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
from plansmith.domain.payments.cards import check_card, normalize_number
from plansmith.domain.payments.payments import GatewayAnswer, Outcome

NAME = "sandbox"


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
        test_card = BY_NUMBER.get(normalize_number(card.number))
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
        [answer] = charge_batch(self._engine, [request], self._clock.now())
        return answer

    def charge_many(self, requests: Sequence[ChargeRequest]) -> list[GatewayAnswer]:
        """Each request as ``charge`` would answer it, in order, in one short transaction
        (up to a thousand requests) whose statements do not grow with their number."""
        return charge_batch(self._engine, requests, self._clock.now())

    def refund(self, request: RefundRequest) -> GatewayAnswer:
        if request.amount <= 0:
            return invalid_amount()
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
                row = stored(connection, request.idempotency_key)
                if row is not None:
                    return replay(connection, row, same)
                # The charge's row is held while its refunds are summed: refunds of one charge
                # with different keys take turns (SQLite: the write lock taken at BEGIN).
                charge = connection.execute(
                    select(t.sandbox_charges)
                    .where(c.reference == request.charge_reference)
                    .with_for_update()
                ).first()
                decision = _refund_decision(connection, charge, request)
                reference = new_id("re_sbx")
                insert_new(
                    connection,
                    [
                        {
                            **same,
                            "idempotency_key": request.idempotency_key,
                            "token": charge.token if charge is not None else None,
                            "outcome": decision.outcome.value,
                            "reference": reference,
                            "decline_code": decision.decline_code,
                            "message": decision.message,
                            "answered": True,
                            "created_at": now,
                        }
                    ],
                )
        except KeyTaken:
            return self._replay_alone(request.idempotency_key, same)
        return GatewayAnswer(decision.outcome, reference, decision.decline_code, decision.message)

    def _replay_alone(self, idempotency_key: str, same: dict[str, Any]) -> GatewayAnswer:
        """What a concurrent call stored under the key, read after it committed."""
        with self._engine.begin() as connection:
            row = stored(connection, idempotency_key)
            assert row is not None, "the key was taken, so its row is committed"
            return replay(connection, row, same)


def _refund_decision(connection: Connection, charge: Any, request: RefundRequest) -> Decision:
    if charge is None or charge.kind != CHARGE or charge.outcome != Outcome.SUCCEEDED.value:
        return Decision(
            Outcome.FAILED,
            "charge_not_refundable",
            "Only a succeeded charge of this gateway can be refunded; check the charge reference.",
        )
    if charge.currency != request.currency:
        return Decision(
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
        return Decision(
            Outcome.FAILED,
            "amount_too_large",
            f"The refund of {request.amount} is more than the {left} left to refund of this "
            f"charge of {charge.amount} (amounts in minor units of {charge.currency}).",
        )
    return Decision(Outcome.SUCCEEDED)
