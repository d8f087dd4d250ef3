"""Formatting and parsing money per locale, with ISO decimals and CLDR currency spacing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plansmith.adapters.money_format import (
    format_money,
    is_locale,
    normalize_locale,
    parse_money,
)
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.kernel.money import Currency, Money, TooPrecise

USD = Currency.of("USD")
JPY = Currency.of("JPY")
KWD = Currency.of("KWD")
NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("money", "locale", "expected"),
    [
        (Money.of(1000, "JPY"), "en_US", "¥1,000"),
        (Money.of(1000, "USD"), "en_US", "$10.00"),
        (Money.of(1500, "KWD"), "en_US", f"KWD{NBSP}1.500"),
        (Money.of(-1000, "USD"), "en_US", "-$10.00"),
        (Money.of(0, "USD"), "en_US", "$0.00"),
        (Money.of(123456789, "USD"), "en_US", "$1,234,567.89"),
        # ISO says IQD has 3 decimals; CLDR would show 0. The ISO exponent wins.
        (Money.of(1500, "IQD"), "en_US", f"IQD{NBSP}1.500"),
        (Money.of(1000, "JPY"), "ja_JP", "￥1,000"),
        (Money.of(123456, "USD"), "de_DE", f"1.234,56{NBSP}$"),
        (Money.of(-1500, "KWD"), "de_DE", f"-1,500{NBSP}KWD"),
        (Money.of(1000, "USD"), "en-US", "$10.00"),
    ],
)
def test_format_money_examples(money: Money, locale: str, expected: str) -> None:
    assert format_money(money, locale) == expected


def test_negative_uses_the_locale_minus_sign() -> None:
    # Persian writes minus as U+2212 (with a direction mark); Babel alone would print "-".
    text = format_money(Money.of(-1000, "USD"), "fa_IR")

    assert "\u2212" in text
    assert "-" not in text
    assert parse_money(text, USD, "fa_IR") == Money.of(-1000, "USD")


def test_symbol_ending_in_a_symbol_character_touches_the_digits() -> None:
    # CLDR spacing applies only to letter-like edges: "$" and "¥" stay attached.
    assert format_money(Money.of(100, "USD"), "hi_IN") == "$1.00"
    assert format_money(Money.of(100, "JPY"), "hi_IN") == "JP¥100"


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from([JPY, USD, KWD]),
    st.sampled_from(["en_US", "ja_JP", "de_DE", "ar_KW"]),
    st.integers(min_value=-(10**15), max_value=10**15),
)
def test_format_then_parse_round_trips(currency: Currency, locale: str, amount: int) -> None:
    money = Money(amount, currency)

    text = format_money(money, locale)

    assert parse_money(text, currency, locale) == money


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([JPY, USD, KWD]), st.integers(min_value=-(10**40), max_value=10**40))
def test_huge_amounts_are_never_rounded_while_shown(currency: Currency, amount: int) -> None:
    money = Money(amount, currency)

    assert parse_money(format_money(money), currency) == money


@pytest.mark.parametrize(
    ("text", "currency", "locale", "minor"),
    [
        ("$10.00", USD, "en_US", 1000),
        ("10", USD, "en_US", 1000),
        ("USD 10.5", USD, "en_US", 1050),
        ("  $ 1,000.00 ", USD, "en_US", 100000),
        ("-$0.01", USD, "en_US", -1),
        ("1.234,56 $", USD, "de_DE", 123456),
        ("1234,56", USD, "de_DE", 123456),
        ("KWD 1.5", KWD, "en_US", 1500),
        ("￥1,000", JPY, "ja_JP", 1000),
    ],
)
def test_parse_money_examples(text: str, currency: Currency, locale: str, minor: int) -> None:
    assert parse_money(text, currency, locale) == Money(minor, currency)


@pytest.mark.parametrize(
    ("text", "currency"), [("$10.005", USD), ("¥1.5", JPY), ("KWD 0.0001", KWD)]
)
def test_parse_more_decimals_than_the_currency_has_is_too_precise(
    text: str, currency: Currency
) -> None:
    with pytest.raises(TooPrecise) as caught:
        parse_money(text, currency)

    assert caught.value.code == "too_many_decimals"
    assert caught.value.field == "amount"


@pytest.mark.parametrize(
    "text", ["", "$", "abc", "$1,00", "1.000,00", "--5", "1e3", "NaN", "$10.00.00", "€10.00"]
)
def test_parse_garbage_is_invalid_amount(text: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_money(text, USD, "en_US")

    assert caught.value.code == "invalid_value"
    assert caught.value.field == "amount"


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("en_US", "en_US"),
        ("en-US", "en_US"),
        ("en-us", "en_US"),
        ("ja", "ja"),
        ("tr_TR", "tr_TR"),
        ("zh-Hant-TW", "zh_Hant_TW"),
    ],
)
def test_normalize_locale(name: str, canonical: str) -> None:
    assert normalize_locale(name) == canonical
    assert is_locale(name)


@pytest.mark.parametrize("name", ["", "xx", "en_ZZ", "C", "root", "en_US.UTF-8", "../en"])
def test_unknown_locale_is_refused_naming_the_field(name: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        normalize_locale(name, field="account.locale")

    assert caught.value.code == "invalid_value"
    assert caught.value.field == "account.locale"
    assert not is_locale(name)


def test_formatting_in_an_unknown_locale_names_the_locale_field() -> None:
    with pytest.raises(InvalidValue) as caught:
        format_money(Money.of(1, "USD"), "xx_XX")

    assert caught.value.field == "locale"
