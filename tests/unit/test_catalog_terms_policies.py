"""Change policies, channels and codes: validation and plain data.

Every wrong value must come back with its error class, its machine code and the full path of
the field ("plans[0].terms.prices[1].amount"), and every wrong field of one input together."""

from __future__ import annotations

import json
from itertools import product

import pytest

from plansmith.domain.catalog.plans import (
    PUBLIC_CHANNELS,
    ChangePolicy,
    Channel,
    Timing,
    channels_of,
)
from plansmith.domain.catalog.terms import check_code
from plansmith.domain.catalog.terms_data import policy_from_data, policy_to_data
from plansmith.domain.kernel.errors import InvalidInput, InvalidValue
from tests.unit.catalog_terms_support import _plain

# -- change policy -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("upgrade", "downgrade", "seats_down", "cycle_change"),
    list(product(Timing, Timing, Timing, [True, False])),
)
def test_policy_round_trips(
    upgrade: Timing, downgrade: Timing, seats_down: Timing, cycle_change: bool
) -> None:
    policy = ChangePolicy(upgrade, downgrade, seats_down, cycle_change)

    data = policy_to_data(policy)

    assert _plain(data)
    assert policy_from_data(json.loads(json.dumps(data))) == policy


def test_policy_to_data_by_hand() -> None:
    assert policy_to_data(ChangePolicy()) == {
        "upgrade": "now",
        "downgrade": "term_end",
        "seats_down": "term_end",
        "cycle_change": True,
        "change_invoicing": "next_invoice",
    }


@pytest.mark.parametrize("data", [None, {}])
def test_missing_policy_is_the_default(data: object) -> None:
    assert policy_from_data(data) == ChangePolicy(
        upgrade=Timing.NOW,
        downgrade=Timing.TERM_END,
        seats_down=Timing.TERM_END,
        cycle_change=True,
    )


def test_partial_policy_keeps_defaults_for_the_rest() -> None:
    policy = policy_from_data({"downgrade": "now", "cycle_change": False})

    assert policy == ChangePolicy(Timing.NOW, Timing.NOW, Timing.TERM_END, False)


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        ({"upgrade": "later"}, "invalid_value", "families[1].policy.upgrade"),
        ({"downgrade": 1}, "invalid_value", "families[1].policy.downgrade"),
        ({"seats_down": None}, "invalid_value", "families[1].policy.seats_down"),
        ({"cycle_change": "no"}, "invalid_value", "families[1].policy.cycle_change"),
        ({"cycle_change": 0}, "invalid_value", "families[1].policy.cycle_change"),
        ({"proration": "daily"}, "unknown_field", "families[1].policy.proration"),
        ("now", "invalid_value", "families[1].policy"),
        ([], "invalid_value", "families[1].policy"),
    ],
)
def test_policy_errors_name_the_field(data: object, code: str, field: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        policy_from_data(data, "families[1].policy")

    assert (caught.value.code, caught.value.field) == (code, field)


def test_policy_errors_come_back_together() -> None:
    with pytest.raises(InvalidInput) as caught:
        policy_from_data({"upgrade": "soon", "cycle_change": "yes", "extra": 1})

    assert sorted((e.code, e.field) for e in caught.value.errors) == [
        ("invalid_value", "policy.cycle_change"),
        ("invalid_value", "policy.upgrade"),
        ("unknown_field", "policy.extra"),
    ]


# -- channels and codes ------------------------------------------------------------------


def test_channels_of_reads_every_channel() -> None:
    assert channels_of(["internal", "signup", "website", "portal", "portal"]) == frozenset(Channel)
    assert channels_of([]) == frozenset()
    assert frozenset(Channel) - PUBLIC_CHANNELS == {Channel.INTERNAL}


@pytest.mark.parametrize("value", ["email", "Portal", "", "public"])
def test_unknown_channel_names_the_allowed_ones(value: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        channels_of(["internal", value], "plans[2].channels")

    assert (caught.value.code, caught.value.field) == ("invalid_value", "plans[2].channels")
    assert "internal, signup, website, portal" in caught.value.message


def test_channels_default_field_name() -> None:
    with pytest.raises(InvalidValue) as caught:
        channels_of(["everywhere"])

    assert caught.value.field == "channels"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("gold", "gold"),
        ("contact-center_2.v1", "contact-center_2.v1"),
        ("  bronze ", "bronze"),
        ("7", "7"),
        ("a" * 63, "a" * 63),
    ],
)
def test_check_code_accepts_codes(value: str, code: str) -> None:
    assert check_code(value) == code


@pytest.mark.parametrize(
    "value", ["", "   ", "Gold", "-gold", "_gold", "go ld", "gold!", "a" * 64, "ölbaum", 42, None]
)
def test_check_code_refuses_non_codes(value: object) -> None:
    with pytest.raises(InvalidValue) as caught:
        check_code(value, "plans[0].code")  # type: ignore[arg-type]

    assert (caught.value.code, caught.value.field) == ("invalid_code", "plans[0].code")


def test_check_code_default_field() -> None:
    with pytest.raises(InvalidValue) as caught:
        check_code("Not A Code")

    assert caught.value.field == "code"
