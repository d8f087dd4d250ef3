"""Typed events to plain JSON data and back, for every type: equal after the round trip, and
data of the wrong shape refused naming what is wrong."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC
from typing import Any, Union, get_args, get_origin, get_type_hints

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plansmith.domain.events.registry import EVENT_TYPES, event_from_data
from plansmith.domain.kernel.events import DomainEvent, EventDataError
from plansmith.domain.kernel.periods import Cycle
from plansmith.domain.subscriptions.subscription import Status, Terms

NAMES = {
    "subscription.created",
    "subscription.changed",
    "subscription.change_scheduled",
    "subscription.scheduled_change_withdrawn",
    "subscription.cancel_scheduled",
    "subscription.canceled",
    "subscription.expired",
    "subscription.paused",
    "subscription.cancel_withdrawn",
    "subscription.resumed",
    "subscription.reactivated",
    "subscription.period_closed",
    "subscription.scheduled_change_applied",
    "subscription.scheduled_change_skipped",
    "subscription.version_moved",
    "subscription.version_move_skipped",
    "subscription.renewed",
    "subscription.trial_converted",
    "subscription.past_due",
    "subscription.payment_recovered",
    "invoice.finalized",
    "invoice.paid",
    "invoice.voided",
    "invoice.marked_uncollectible",
    "credit_note.issued",
    "plan_version.move_scheduled",
    "billing_run.finished",
    "payment.succeeded",
    "pack.purchased",
    "allowance.threshold_reached",
    "payment.failed",
    "dunning.stage_reached",
    "webhook_endpoint.disabled",
}

codes = st.text(alphabet="abcdefghij_", min_size=1, max_size=8)
terms = st.builds(
    Terms,
    plan_id=codes,
    version_id=codes,
    cycle=st.sampled_from(["day", "week", "month", "quarter", "year"]).map(Cycle.parse),
    currency=st.sampled_from(["USD", "JPY", "EUR"]),
    quantity=st.integers(1, 10_000),
    add_ons=st.dictionaries(codes, st.integers(1, 99), max_size=3),
)


def _strategy(hint: Any) -> st.SearchStrategy[Any]:
    origin = get_origin(hint)
    if origin is Union or (origin is not None and type(None) in get_args(hint)):
        inner = next(a for a in get_args(hint) if a is not type(None))
        return st.none() | _strategy(inner)
    if origin is tuple:
        return st.lists(st.text(max_size=12), max_size=4).map(tuple)
    simple: dict[Any, st.SearchStrategy[Any]] = {
        str: st.text(max_size=30),
        int: st.integers(-(2**62), 2**62),
        bool: st.booleans(),
        Status: st.sampled_from(list(Status)),
        Terms: terms,
    }
    if hint in simple:
        return simple[hint]
    if hint.__name__ == "datetime":
        return st.datetimes(timezones=st.just(UTC))
    if hint.__name__ == "date":
        return st.dates()
    raise AssertionError(f"no strategy for {hint!r}")


def events_of(cls: type[DomainEvent]) -> st.SearchStrategy[DomainEvent]:
    hints = get_type_hints(cls)
    return st.builds(cls, **{f.name: _strategy(hints[f.name]) for f in fields(cls)})


any_event = st.sampled_from(sorted(EVENT_TYPES)).flatmap(lambda n: events_of(EVENT_TYPES[n]))


def test_every_type_has_its_stable_name_and_a_version() -> None:
    assert set(EVENT_TYPES) == NAMES
    assert all(name == cls.TYPE and cls.VERSION == 1 for name, cls in EVENT_TYPES.items())
    assert all(cls.OBJECT for cls in EVENT_TYPES.values())


@pytest.mark.parametrize("name", sorted(NAMES))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_each_type_survives_json_and_back(name: str, data: st.DataObject) -> None:
    event = data.draw(events_of(EVENT_TYPES[name]))
    stored = json.loads(json.dumps(event.to_data()))

    back = event_from_data(stored)

    assert type(back) is type(event)
    assert back == event
    assert stored["type"] == name and stored["version"] == 1
    assert back.object_id == event.object_id and back.aggregate_id == event.aggregate_id


@settings(max_examples=60, deadline=None)
@given(event=any_event, wrong=st.sampled_from(["version", "type", "missing", "extra", "kind"]))
def test_data_of_the_wrong_shape_is_refused(event: DomainEvent, wrong: str) -> None:
    stored = json.loads(json.dumps(event.to_data()))
    first = fields(event)[0].name  # organization_id, in every type
    if wrong == "version":
        stored["version"] = 2
    elif wrong == "type":
        stored["type"] = "subscription.exploded"
    elif wrong == "missing":
        del stored["data"][first]
    elif wrong == "extra":
        stored["data"]["surprise"] = 1
    else:
        stored["data"]["at"] = 12  # an instant as a number

    with pytest.raises(EventDataError):
        event_from_data(stored)


def test_an_instant_without_its_offset_and_a_bool_for_an_int_are_refused() -> None:
    cls = EVENT_TYPES["billing_run.finished"]
    good = {
        "organization_id": None,
        "at": "2026-01-31T00:00:00+00:00",
        "run_id": "run_1",
        "as_of": "2026-01-31T00:00:00+00:00",
        "renewed": 1,
        "invoiced": 1,
        "finalized": 0,
        "skipped": 0,
        "errors": 0,
    }
    assert event_from_data({"type": cls.TYPE, "version": 1, "data": good}).object_id == "run_1"
    for field, value in (("as_of", "2026-01-31T00:00:00"), ("renewed", True), ("skipped", "0")):
        with pytest.raises(EventDataError, match=field):
            event_from_data({"type": cls.TYPE, "version": 1, "data": {**good, field: value}})
