"""Who was taken out first of two subscriptions of an account taken out at one instant
(usage_standing.taken_out_before): one stopped at that instant came first, whatever the ids,
so its stopped window is billed on it (ADR 0034); otherwise the id decides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from plansmith.domain.subscriptions.usage_standing import Charging, taken_out_before

AT = datetime(2024, 2, 29, 12, 0, tzinfo=UTC)


def _sub(sub_id: str, stopped_at: datetime | None = None, at: datetime = AT) -> Charging:
    return Charging(sub_id, at, "ver-basic", "JPY", stopped_at is None, stopped_at)


def test_one_stopped_at_the_instant_both_were_taken_out_came_first_whatever_the_ids() -> None:
    for stopped_id, new_id in (("sub-a", "sub-b"), ("sub-b", "sub-a")):
        stopped, new = _sub(stopped_id, AT), _sub(new_id)
        assert taken_out_before(stopped, new)
        assert not taken_out_before(new, stopped)


def test_otherwise_created_at_then_the_id_decide() -> None:
    later = AT + timedelta(seconds=1)
    # stopped later than it was taken out: no tie to break by the stop
    assert not taken_out_before(_sub("sub-a", later), _sub("sub-b", at=AT - timedelta(1)))
    assert taken_out_before(_sub("sub-b"), _sub("sub-a", at=later))
    assert taken_out_before(_sub("sub-a", later), _sub("sub-b"))
    assert not taken_out_before(_sub("sub-b", later), _sub("sub-a"))
    assert taken_out_before(_sub("sub-a", AT), _sub("sub-b", AT))
