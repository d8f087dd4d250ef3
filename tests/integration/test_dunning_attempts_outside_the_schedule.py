"""An attempt made at once during dunning (a new default card, the operator's "retry now")
is counted, but the retries keep their days: 1, 3, 5 and 7 after the first failure. Found by
the simulation (seed 21010): a declining card added an hour before the last retry was taken
for that retry, and the subscription was canceled for nonpayment before it came.

On SQLite and PostgreSQL, under a sandbox's test clock, with the real sandbox gateway."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from plansmith.application.payments import methods
from plansmith.bootstrap import Plansmith
from tests.integration.payment_scenarios_support import (
    DAY,
    advance,
    attempts,
    collection,
    customer,
    gateway,
    invoices,
    org_clock,
    sandbox_at,
    sub_status,
    subscribed,
)

T0 = datetime(2026, 4, 1, 9, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)
DECLINES = "tok_sandbox_insufficient_funds"


def _new_default_card(app: Plansmith, org: str, account: str, token: str) -> None:
    methods.add_card(app.uow(), gateway(app, org), org_clock(app, org), org, account, source=token)


def test_a_declining_card_added_before_the_last_retry_does_not_take_its_place(
    container: Plansmith,
) -> None:
    org = sandbox_at(container, T0, {"basic": _monthly()})
    acct = customer(container, org, "USD", "UTC", DECLINES)
    sub_id = subscribed(container, org, acct, "basic")
    advance(container, org, T0 + 7 * DAY - HOUR)  # day 0, 1, 3, 5 declined
    (first,) = invoices(container, org)

    _new_default_card(container, org, acct, DECLINES)  # retried at once: declined

    assert [a[4] for a in attempts(container, first.id)] == [
        T0,
        T0 + DAY,
        T0 + 3 * DAY,
        T0 + 5 * DAY,
        T0 + 7 * DAY - HOUR,
    ]
    assert sub_status(container, org, sub_id) == "past_due"
    assert collection(container, first.id) == ("scheduled", 5, T0 + 7 * DAY)

    advance(container, org, T0 + 8 * DAY)  # the last retry, at day 7, declined too

    assert attempts(container, first.id)[-1][4] == T0 + 7 * DAY
    assert sub_status(container, org, sub_id) == "canceled"
    assert collection(container, first.id) == ("exhausted", 6, None)


def test_a_retry_made_at_once_between_two_retries_keeps_the_next_one(
    container: Plansmith,
) -> None:
    org = sandbox_at(container, T0, {"basic": _monthly()})
    acct = customer(container, org, "USD", "UTC", DECLINES)
    subscribed(container, org, acct, "basic")
    advance(container, org, T0 + 2 * DAY)  # day 0 and 1 declined
    (first,) = invoices(container, org)

    _new_default_card(container, org, acct, DECLINES)  # day 2: declined at once

    assert collection(container, first.id) == ("scheduled", 3, T0 + 3 * DAY)
    advance(container, org, T0 + 3 * DAY)
    assert [a[4] for a in attempts(container, first.id)] == [
        T0,
        T0 + DAY,
        T0 + 2 * DAY,
        T0 + 3 * DAY,
    ]
    assert collection(container, first.id) == ("scheduled", 4, T0 + 5 * DAY)


def test_a_good_card_added_before_the_last_retry_pays_and_ends_dunning(
    container: Plansmith,
) -> None:
    org = sandbox_at(container, T0, {"basic": _monthly()})
    acct = customer(container, org, "USD", "UTC", DECLINES)
    sub_id = subscribed(container, org, acct, "basic")
    advance(container, org, T0 + 7 * DAY - HOUR)

    _new_default_card(container, org, acct, "tok_sandbox_success")

    (first,) = invoices(container, org)
    assert first.status.value == "paid"
    assert sub_status(container, org, sub_id) == "active"
    assert collection(container, first.id) == ("paid", 4, None)


def _monthly() -> dict[str, object]:
    return {"pricing": "flat", "prices": [{"currency": "USD", "cycle": "month", "amount": 3100}]}
