"""The checks of a typed card: Luhn, brand by IIN, expiry through the month's last day, CVC."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidInput, InvalidValue
from plansmith.domain.payments.cards import (
    CheckedCard,
    brand_of,
    check_card,
    check_cvc,
    check_expiry,
    check_number,
    expired,
    luhn_check_digit,
    luhn_valid,
    normalize_number,
)

PROPERTY = settings(max_examples=300, deadline=None)
TODAY = date(2026, 6, 15)

bodies = st.text(alphabet="0123456789", min_size=11, max_size=18)


@PROPERTY
@given(bodies)
def test_a_body_with_its_check_digit_passes_luhn(body: str) -> None:
    number = body + luhn_check_digit(body)

    assert luhn_valid(number)


@PROPERTY
@given(bodies, st.data())
def test_changing_any_one_digit_of_a_valid_number_fails_luhn(
    body: str, data: st.DataObject
) -> None:
    number = body + luhn_check_digit(body)
    position = data.draw(st.integers(min_value=0, max_value=len(number) - 1))
    other = data.draw(st.sampled_from([d for d in "0123456789" if d != number[position]]))
    changed = number[:position] + other + number[position + 1 :]

    assert not luhn_valid(changed)


@PROPERTY
@given(bodies)
def test_exactly_one_check_digit_makes_a_body_valid(body: str) -> None:
    valid = [d for d in "0123456789" if luhn_valid(body + d)]

    assert valid == [luhn_check_digit(body)]


def test_luhn_on_known_numbers() -> None:
    assert luhn_valid("4242424242424242")
    assert luhn_valid("378282246310005")
    assert not luhn_valid("4242424242424241")
    assert not luhn_valid("")
    assert not luhn_valid("42424242424242a2")


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4242424242424242", "visa"),
        ("4222222222222", "visa"),
        ("5555555555554444", "mastercard"),
        ("2223003122003222", "mastercard"),
        ("2720999999999996", "mastercard"),
        ("378282246310005", "amex"),
        ("341111111111111", "amex"),
        ("3530111333300000", "jcb"),
        ("3566002020360505", "jcb"),
        ("6011111111111117", "discover"),
        ("6445644564456445", "discover"),
        ("6500000000000002", "discover"),
        ("3056930009020004", "diners"),
        ("36227206271667", "diners"),
        ("6200000000000005", "unionpay"),
    ],
)
def test_the_brand_comes_from_the_leading_digits(number: str, brand: str) -> None:
    assert luhn_valid(number)
    assert brand_of(number) == brand
    assert check_number(number) == (number, brand)


def test_leading_digits_of_no_brand_have_none() -> None:
    assert brand_of("9999999999999995") is None
    assert brand_of("2220999999999999") is None  # below Mastercard's 2221
    assert brand_of("2721000000000000") is None  # above its 2720


def test_a_number_of_no_brand_is_refused() -> None:
    number = "999999999999999" + luhn_check_digit("999999999999999")

    with pytest.raises(InvalidValue) as raised:
        check_number(number)

    assert (raised.value.field, raised.value.code) == ("number", ec.CARD_NUMBER_INVALID)
    assert "Visa, Mastercard" in raised.value.message


def test_spaces_and_dashes_between_digits_are_allowed() -> None:
    assert normalize_number("4242 4242 4242 4242") == "4242424242424242"
    assert normalize_number("4242-4242-4242-4242") == "4242424242424242"
    assert normalize_number(" 3782 822463 10005 ") == "378282246310005"


@pytest.mark.parametrize(
    ("number", "says"),
    [
        ("4242 4242 4242 424x", "only digits"),
        ("4242.4242.4242.4242", "only digits"),
        ("", "only digits"),
        ("424242424241", "check digit"),  # 12 digits, wrong check digit
        ("424242424242", "visa card number has 13, 16, 19 digits; this one has 12"),
        ("42424242424", "12 to 19 digits; this one has 11"),
        ("42424242424242424242", "12 to 19 digits; this one has 20"),
        ("4242424242424241", "check digit"),
        ("\uff14\uff12" * 8, "only digits"),  # full-width digits
        ("378282246310005" + luhn_check_digit("378282246310005"), "amex card number has 15"),
    ],
)
def test_a_malformed_number_is_refused_naming_the_field(number: str, says: str) -> None:
    with pytest.raises(InvalidValue) as raised:
        check_number(number)

    assert raised.value.field == "number"
    assert raised.value.code == ec.CARD_NUMBER_INVALID
    assert raised.value.status == 422
    assert says in raised.value.message


def test_a_wrong_length_for_the_brand_is_refused() -> None:
    visa_14 = "4242424242424" + luhn_check_digit("4242424242424")

    with pytest.raises(InvalidValue) as raised:
        check_number(visa_14)

    assert raised.value.message == "A visa card number has 13, 16, 19 digits; this one has 14."


def test_a_refusal_never_shows_the_number() -> None:
    number = "4242424242424241"
    for typed in (number, number + "0000", number[:-1] + "x"):
        with pytest.raises(InvalidValue) as raised:
            check_number(typed)
        assert "424242" not in raised.value.message


def test_a_card_is_good_through_the_last_day_of_its_expiry_month() -> None:
    assert check_expiry(6, 2026, date(2026, 6, 30)) == (6, 2026)
    assert not expired(6, 2026, date(2026, 6, 30))
    assert expired(6, 2026, date(2026, 7, 1))
    assert expired(12, 2025, date(2026, 1, 1))
    assert not expired(12, 2025, date(2025, 12, 31))


def test_a_two_digit_year_is_of_this_century() -> None:
    assert check_expiry(1, 30, TODAY) == (1, 2030)
    assert expired(5, 26, TODAY)


def test_an_expiry_month_before_this_one_is_expired_naming_the_month() -> None:
    with pytest.raises(InvalidValue) as raised:
        check_expiry(5, 2026, TODAY)

    assert (raised.value.field, raised.value.code) == ("exp_month", ec.CARD_EXPIRED)
    assert raised.value.message == (
        "The card expired at the end of 05/2026; use a card that is still valid."
    )


def test_an_expiry_year_before_this_one_is_expired_naming_the_year() -> None:
    with pytest.raises(InvalidValue) as raised:
        check_expiry(12, 2025, TODAY)

    assert (raised.value.field, raised.value.code) == ("exp_year", ec.CARD_EXPIRED)


@pytest.mark.parametrize("month", [0, 13, -1])
def test_a_month_outside_1_to_12_is_refused(month: int) -> None:
    with pytest.raises(InvalidValue) as raised:
        check_expiry(month, 2030, TODAY)

    assert (raised.value.field, raised.value.code) == ("exp_month", ec.INVALID_VALUE)


def test_a_year_too_far_ahead_is_refused() -> None:
    assert check_expiry(1, 2076, TODAY) == (1, 2076)

    with pytest.raises(InvalidValue) as raised:
        check_expiry(1, 2077, TODAY)

    assert (raised.value.field, raised.value.code) == ("exp_year", ec.INVALID_VALUE)


@pytest.mark.parametrize(
    ("cvc", "brand", "ok"),
    [
        ("123", "visa", True),
        ("1234", "visa", False),
        ("12", "visa", False),
        ("1234", "amex", True),
        ("123", "amex", False),
        ("12a", "visa", False),
        ("", "visa", False),
        ("\uff11\uff12\uff13", "visa", False),  # full-width digits
        ("123", None, True),
        ("1234", None, True),
        ("12", None, False),
    ],
)
def test_the_cvc_is_3_digits_or_4_on_amex(cvc: str, brand: str | None, ok: bool) -> None:
    if ok:
        assert check_cvc(cvc, brand) == cvc
        return
    with pytest.raises(InvalidValue) as raised:
        check_cvc(cvc, brand)
    assert (raised.value.field, raised.value.code) == ("cvc", ec.CARD_CVC_INVALID)


def test_the_amex_cvc_message_says_4_digits() -> None:
    with pytest.raises(InvalidValue) as raised:
        check_cvc("123", "amex")

    assert (
        raised.value.message == "The security code (CVC) is 4 digits on an American Express card."
    )


def test_a_good_card_keeps_only_brand_last4_and_expiry() -> None:
    checked = check_card("3782 822463 10005", 4, 28, "1234", TODAY)

    assert checked == CheckedCard(brand="amex", last4="0005", exp_month=4, exp_year=2028)


def test_one_wrong_field_raises_its_own_error() -> None:
    with pytest.raises(InvalidValue) as raised:
        check_card("4242424242424242", 1, 2026, "123", TODAY)

    assert (raised.value.field, raised.value.code) == ("exp_month", ec.CARD_EXPIRED)


def test_every_wrong_field_is_reported_at_once() -> None:
    with pytest.raises(InvalidInput) as raised:
        check_card("4242424242424241", 12, 2020, "12", TODAY)

    assert [(e.field, e.code) for e in raised.value.errors] == [
        ("number", ec.CARD_NUMBER_INVALID),
        ("exp_year", ec.CARD_EXPIRED),
        ("cvc", ec.CARD_CVC_INVALID),
    ]
