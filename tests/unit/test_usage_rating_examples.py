"""Rating: worked examples by hand (JPY, USD, KWD), Lago's published examples, and the one
rounding per line."""

from __future__ import annotations

from fractions import Fraction

import pytest

from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.usage.charges import (
    Graduated,
    GraduatedPercentage,
    Package,
    Percentage,
    PercentTier,
    PerUnit,
    Tier,
    Volume,
)
from plansmith.domain.usage.rating import Slice, SliceKind, billable, rate
from tests.unit.usage_rating_support import JPY, KWD, charge, major

# -- one rounding per line -------------------------------------------------------------------


def test_graduated_rounds_the_line_once_not_each_tier() -> None:
    # Two tiers of half a cent a unit: each tier alone is 0.5 cent, which rounds up to 1 per
    # tier (2 cents in all); the line is exactly 1 cent.
    tiers = (Tier(Fraction(1), major("0.005")), Tier(None, major("0.005")))

    line = rate(charge(Graduated(tiers)), 2, allowance=0)

    assert [s.amount for s in line.slices] == [Fraction(1, 2), Fraction(1, 2)]
    assert line.exact_amount == 1
    assert line.amount_minor == 1  # per-tier rounding would give 2


def test_percentage_rounds_the_line_once_not_each_event() -> None:
    # Three payments of USD 0.50 at 1 %: each is 0.5 cent (1 cent per event if rounded, 3 in
    # all); the period's 1.50 at 1 % is 1.5 cents, rounded once: 2.
    model = Percentage(rate=Fraction(1))

    line = rate(charge(model), Fraction(3, 2), allowance=0, events=3)

    assert line.exact_amount == Fraction(3, 2)
    assert line.amount_minor == 2


def test_package_and_per_unit_fractions_round_once() -> None:
    # USD 0.0025 a unit: 1,002 units are 250.5 cents, rounded half up once to 251.
    line = rate(charge(PerUnit(major("0.0025"))), 1_002, allowance=0)

    assert line.slices == (Slice(SliceKind.UNITS, Fraction(1002), Fraction(1, 4)),)
    assert line.amount_minor == 251


# -- by hand, in currencies of 0, 2 and 3 decimals -------------------------------------------


def test_jpy_per_unit_half_a_yen_with_an_allowance() -> None:
    # JPY has no minor unit below the yen: 0.5 JPY per chatbot message, 1,000 included.
    # 2,999 messages: 1,999 billable x 0.5 = 999.5 yen, rounded half up to 1,000.
    c = charge(PerUnit(major("0.5", JPY)), JPY, included=1_000)

    line = rate(c, 2_999)

    assert line.allowance == 1_000 and line.billable_quantity == 1_999
    assert line.exact_amount == Fraction(1999, 2)
    assert line.amount_minor == 1_000
    assert str(line.money) == "JPY 1000"


def test_jpy_volume_pricing() -> None:
    # Up to 100 scans 30 JPY each; above, every scan 20 JPY plus a 500 JPY tier fee.
    c = charge(
        Volume(
            (Tier(Fraction(100), major("30", JPY)), Tier(None, major("20", JPY), Fraction(500)))
        ),
        JPY,
    )

    assert rate(c, 100, allowance=0).amount_minor == 3_000
    assert rate(c, 101, allowance=0).amount_minor == 101 * 20 + 500  # 2,520: the price drops


def test_usd_graduated_with_a_tier_flat_fee() -> None:
    # First 1,000 API calls at USD 0.0025, then USD 0.0015 and a USD 1.00 fee for the tier;
    # 500 included. 4,001 calls: 3,501 billable = 1,000 x 0.25 + 2,501 x 0.15 + 100 cents
    # = 250 + 375.15 + 100 = 725.15 cents -> USD 7.25.
    tiers = (Tier(Fraction(1_000), major("0.0025")), Tier(None, major("0.0015"), major("1.00")))
    c = charge(Graduated(tiers), included=500)

    line = rate(c, 4_001)

    assert line.billable_quantity == 3_501
    assert [(s.tier, s.units) for s in line.slices] == [(0, Fraction(1_000)), (1, Fraction(2_501))]
    assert line.exact_amount == Fraction(72515, 100)
    assert str(line.money) == "USD 7.25"


def test_usd_package_for_fractional_gigabytes() -> None:
    # USD 2.00 per started 10 GB, first 5 GB free (after a 20 GB allowance): a sum meter
    # reads 47.5 GB; 27.5 billable, 22.5 past the free units = 3 started blocks = USD 6.00.
    c = charge(Package(block_size=10, block_price=major("2.00"), free_units=5), included=20)

    line = rate(c, Fraction(95, 2))

    assert line.billable_quantity == Fraction(55, 2)
    assert line.slices == (Slice(SliceKind.BLOCKS, Fraction(3), Fraction(200)),)
    assert line.amount_minor == 600


def test_kwd_percentage_with_a_fixed_fee_past_free_events() -> None:
    # KWD has 3 decimals (fils). 1.5 % of KWD 1,234.567 plus KWD 0.050 per transfer past the
    # first 10; 25 transfers. 1,234.567 x 1.5 % = 18.518505 KWD = 18,518.505 fils; 15 x 50 =
    # 750 fils; 19,268.505 fils rounded half up once = 19,269 fils = KWD 19.269.
    c = charge(Percentage(Fraction(3, 2), major("0.050", KWD), free_events=10), KWD)

    line = rate(c, Fraction(1234567, 1000), events=25)

    assert line.slices == (
        Slice(SliceKind.AMOUNT, Fraction(1234567, 1000), Fraction(15)),
        Slice(SliceKind.EVENTS, Fraction(15), Fraction(50)),
    )
    assert line.exact_amount == Fraction(19268505, 1000)
    assert str(line.money) == "KWD 19.269"


def test_kwd_graduated_percentage() -> None:
    # 0.5 % of the first KWD 1,000 of payments (fee KWD 1.000), 0.25 % above (fee KWD 2.500).
    # KWD 1,500.000: 5.000 + 1.250 + 1.000 + 2.500 = KWD 9.750.
    tiers = (
        PercentTier(Fraction(1_000), Fraction(1, 2), major("1", KWD)),
        PercentTier(None, Fraction(1, 4), major("2.5", KWD)),
    )

    line = rate(charge(GraduatedPercentage(tiers), KWD), 1_500, allowance=0)

    assert line.amount_minor == 9_750


# -- Lago's published examples (numbers from their docs; the tests are ours) -----------------


def test_lago_standard_example() -> None:
    # https://doc.getlago.com/docs/guide/plans/charges - USD 0.05 per API call, 1,000 calls
    # cost USD 50.
    assert rate(charge(PerUnit(major("0.05"))), 1_000, allowance=0).amount_minor == 50_00


def test_lago_graduated_example() -> None:
    # https://getlago.com/docs/guide/plans/charges/charge-models/graduated - USD 1 a unit for
    # the first 100, USD 0.50 for the next 100, USD 0.10 above; and
    # https://getlago.com/docs/v2/guide/rate-cards/pricing-models/graduated - 250 calls cost
    # USD 155 (100 x 1 + 100 x 0.50 + 50 x 0.10).
    tiers = (
        Tier(Fraction(100), major("1")),
        Tier(Fraction(200), major("0.50")),
        Tier(None, major("0.10")),
    )

    line = rate(charge(Graduated(tiers)), 250, allowance=0)

    assert [s.amount for s in line.slices] == [100_00, 50_00, 5_00]
    assert line.amount_minor == 155_00


def test_lago_volume_example() -> None:
    # https://getlago.com/docs/guide/plans/charges/charge-models/volume - tiers to 10,000 at
    # USD 0.0010, to 50,000 at 0.0008, to 100,000 at 0.0006, above at 0.0004, each with a
    # USD 10 fee: 65,000 API calls cost 65,000 x 0.0006 + 10 = USD 49.
    tiers = tuple(
        Tier(None if up_to is None else Fraction(up_to), major(price), major("10"))
        for up_to, price in [
            (10_000, "0.0010"),
            (50_000, "0.0008"),
            (100_000, "0.0006"),
            (None, "0.0004"),
        ]
    )

    line = rate(charge(Volume(tiers)), 65_000, allowance=0)

    assert [s.tier for s in line.slices] == [2]
    assert line.amount_minor == 49_00


def test_lago_package_example() -> None:
    # https://getlago.com/docs/guide/plans/charges/charge-models/package - USD 5 per 100
    # units, the first 100 free: 201 units cost 0 + 5 + 5 = USD 10.
    model = Package(block_size=100, block_price=major("5"), free_units=100)

    assert rate(charge(model), 201, allowance=0).amount_minor == 10_00
    assert rate(charge(model), 100, allowance=0).amount_minor == 0
    assert rate(charge(model), 200, allowance=0).amount_minor == 5_00


@pytest.mark.parametrize(
    ("total", "fee"),
    [
        ("500", "205"),  # 500 x 1 % + the USD 200 fee of tier 1
        ("1050", "511"),  # + 50 x 2 % + the USD 300 fee of tier 2 (Lago: 205 + 306)
        ("5050", "591"),  # + 4,000 x 2 % (Lago: 205 + 306 + 80)
    ],
)
def test_lago_graduated_percentage_example(total: str, fee: str) -> None:
    # https://getlago.com/docs/guide/plans/charges/charge-models/graduated-percentage - tiers
    # to USD 1,000 at 1 % (USD 200 flat fee), to 10,000 at 2 % (USD 300), above at 3 % (USD
    # 400); transactions of 500, 550 and 4,000 cost 205, 306 and 80, and
    # https://getlago.com/docs/v2/guide/rate-cards/pricing-models/graduated-percentage - a
    # 5,050 USD total costs 591 USD, tier 3 (and its fee) not reached.
    tiers = (
        PercentTier(Fraction(1_000), Fraction(1), major("200")),
        PercentTier(Fraction(10_000), Fraction(2), major("300")),
        PercentTier(None, Fraction(3), major("400")),
    )

    line = rate(charge(GraduatedPercentage(tiers)), Fraction(total), allowance=0)

    assert line.amount_minor == int(fee) * 100


def test_lago_percentage_example() -> None:
    # https://getlago.com/docs/v2/guide/rate-cards/pricing-models/percentage - 1,000 USD of
    # transactions at 2 %, no fixed fee: 20 USD.
    assert rate(charge(Percentage(Fraction(2))), 1_000, allowance=0, events=4).amount_minor == (
        20_00
    )


def test_card_fees_like_lagos_stripe_template() -> None:
    # https://getlago.com/docs/templates/per-transaction/stripe - online cards 2.9 % + USD 0.30
    # a transaction. By hand: 3 payments summing USD 100.00 cost 2.90 + 3 x 0.30 = USD 3.80.
    model = Percentage(Fraction(29, 10), major("0.30"))

    assert rate(charge(model), 100, allowance=0, events=3).amount_minor == 3_80


# -- inputs ------------------------------------------------------------------------------------


def test_the_allowance_defaults_to_the_charges_included_units() -> None:
    c = charge(PerUnit(major("1")), included=10)

    assert rate(c, 12).billable_quantity == 2
    assert rate(c, 12, allowance=11).billable_quantity == 1  # prorated or with packs
    assert billable(5, 10) == 0


@pytest.mark.parametrize(
    ("quantity", "kwargs", "field"),
    [
        (1.5, {}, "quantity"),
        (-1, {}, "quantity"),
        (True, {}, "quantity"),
        (10**13, {}, "quantity"),
        (1, {"allowance": -1}, "allowance"),
        (1, {"allowance": 0.5}, "allowance"),
    ],
)
def test_bad_quantities_name_their_field(
    quantity: object, kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidValue) as caught:
        rate(charge(PerUnit(major("1"))), quantity, **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


@pytest.mark.parametrize("events", [None, -1, 1.0, True])
def test_the_percentage_model_needs_a_count_of_events(events: object) -> None:
    with pytest.raises(InvalidValue) as caught:
        rate(charge(Percentage(Fraction(1))), 10, events=events)  # type: ignore[arg-type]
    assert caught.value.field == "events"
