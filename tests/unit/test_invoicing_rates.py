"""Tax rates and coupons out of range are refused, naming the field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from plansmith.domain.invoicing.invoice import Discount, DiscountKind, TaxRate
from plansmith.domain.invoicing.pricing import price_lines
from plansmith.domain.kernel.errors import InvalidValue
from tests.unit.invoicing_support import VAT_10, amount_off, draft, parts, percent_off

# -- rates and coupons out of range ------------------------------------------------------------


@pytest.mark.parametrize("percent", ["100.01", "250", "-0.01"])
def test_tax_rate_outside_0_to_100_percent_is_refused(percent: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        TaxRate("t", "Tax", Decimal(percent), inclusive=False)

    assert (caught.value.field, caught.value.code) == ("percent", "invalid_value")


@pytest.mark.parametrize("percent", [10.0, 10])
def test_tax_rate_percent_must_be_a_decimal(percent: object) -> None:
    with pytest.raises(InvalidValue) as caught:
        TaxRate("t", "Tax", percent, inclusive=True)  # type: ignore[arg-type]

    assert caught.value.field == "percent"


@pytest.mark.parametrize("percent", ["0", "100"])
def test_tax_rate_bounds_are_allowed(percent: str) -> None:
    assert TaxRate("t", "Tax", Decimal(percent), inclusive=False).percent == Decimal(percent)


@pytest.mark.parametrize("percent", ["100.5", "101", "0", "-5"])
def test_percent_discount_outside_0_to_100_is_refused(percent: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        percent_off(percent)

    assert (caught.value.field, caught.value.code) == ("percent", "discount_range")


def test_a_100_percent_discount_takes_everything() -> None:
    priced = price_lines([draft(1995), draft(5)], [percent_off("100")], VAT_10)

    assert parts(priced) == [(1995, 1995, 0, 0), (5, 5, 0, 0)]


@pytest.mark.parametrize("amount", [0, -100])
def test_amount_discount_must_be_positive(amount: int) -> None:
    with pytest.raises(InvalidValue) as caught:
        amount_off(amount)

    assert (caught.value.field, caught.value.code) == ("amount", "invalid_value")


def test_percent_discount_as_a_float_is_refused() -> None:
    with pytest.raises(InvalidValue) as caught:
        Discount("c", "c", DiscountKind.PERCENT, percent=0.35)  # type: ignore[arg-type]

    assert caught.value.field == "percent"


@pytest.mark.parametrize("make", ["tax_rate", "discount"])
def test_nan_percent_is_refused_naming_the_field(make: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        if make == "tax_rate":
            TaxRate("t", "Tax", Decimal("NaN"), inclusive=False)
        else:
            Discount("c", "c", DiscountKind.PERCENT, percent=Decimal("NaN"))

    assert caught.value.field == "percent"


@pytest.mark.parametrize("amount", [2.5, True])
def test_amount_discount_must_be_an_integer_of_minor_units(amount: object) -> None:
    with pytest.raises(InvalidValue) as caught:
        Discount("c", "c", DiscountKind.AMOUNT, amount=amount)  # type: ignore[arg-type]

    assert caught.value.field == "amount"
