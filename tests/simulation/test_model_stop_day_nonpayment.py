"""The model's rule for a window stopped twice on one date (seed 30590): a restart on a stop's
date keeps that date's window open to the date's end, but a second stop the same date, a cancel
for nonpayment as a cancel now, closes it at the second stop's instant (ADR 0034: no event
after a stop counts); the product bills it once that instant + the grace window has passed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.simulation.model import EVENT_GRACE, Model, Refusal


def test_a_cancel_for_nonpayment_on_the_kept_date_closes_the_window_at_once() -> None:
    start = datetime(2027, 7, 9, 8, 7, tzinfo=UTC)  # 20:07 in Auckland (NZST, UTC+12)
    model = Model(start)
    account = model.new_account("JPY", "Pacific/Auckland", "19", declines=True)
    sub = model.subscribe(account, "pro", "quarter", 4)
    assert not isinstance(sub, Refusal)
    model.advance(start + timedelta(days=7))  # the card declined: retries days 1, 3, 5, 7
    assert model.stop_now(sub, "canceled") is None
    assert model.restart(sub, "canceled") is None  # the stop's date stays in its window
    assert [w.stopped_at for w in sub.stopped] == [datetime(2027, 7, 16, 12, tzinfo=UTC)]

    last_retry = datetime(2027, 7, 16, 9, 7, tzinfo=UTC)  # fails: canceled for nonpayment
    model.advance(last_retry)
    assert sub.status == "canceled"
    assert [w.stopped_at for w in sub.stopped] == [last_retry]
    # an event of that date after the cancel counts nowhere
    assert model.usage_event(account, "e1", last_retry + timedelta(minutes=5)) == Refusal(
        422, "period_closed"
    )
    model.advance(last_retry + EVENT_GRACE)
    assert [i.key for i in model.invoices if i.key.startswith("stop-usage:")] == [
        "stop-usage:2027-07-16"
    ]
    assert [i.created for i in model.invoices if i.key.startswith("stop-usage:")] == [
        last_retry + EVENT_GRACE
    ]
