"""Showing and reading money the way a locale writes it, with ISO decimals.

Babel supplies each locale's currency pattern, symbols and separators (CLDR). Two things are
ours: the number of decimals is the ISO 4217 exponent of the currency (CLDR disagrees for a
few, e.g. IQD), and CLDR's currency-spacing rule, which Babel does not apply, so an alphabetic
symbol never touches the digits ("KWD\u00a01.500", not "KWD1.500"). Numbers are always written
in Latin digits, the same system parse_decimal reads back.
"""

from __future__ import annotations

import copy
import decimal
import re
import unicodedata
from decimal import Decimal
from functools import lru_cache

from babel import Locale, localedata
from babel.core import UnknownLocaleError, get_locale_identifier, parse_locale
from babel.numbers import (
    NumberFormatError,
    NumberPattern,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    get_minus_sign_symbol,
    get_plus_sign_symbol,
    parse_decimal,
)

from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.kernel.money import Currency, Money

__all__ = ["format_money", "is_locale", "normalize_locale", "parse_money"]

_NBSP = "\u00a0"
_NUMBERING = "latn"
# Invisible direction marks CLDR puts around numbers and symbols in RTL locales.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")
_LOCALE_SHAPE = re.compile(r"[A-Za-z]{2,3}(?:[_-][A-Za-z0-9]{2,8})*")


# -- locales ------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _canonical(name: str) -> str | None:
    if not _LOCALE_SHAPE.fullmatch(name):
        return None
    try:
        identifier = get_locale_identifier(parse_locale(name.replace("-", "_")))
    except ValueError:
        return None
    # localedata.exists() rather than Locale.parse(): the latter guesses ("en_ZZ" -> en_US).
    if identifier == "root" or not localedata.exists(identifier):
        return None
    return identifier


def is_locale(name: str) -> bool:
    """Whether ``name`` ("en_US", "en-US", "ja") is a locale we have CLDR data for."""
    return isinstance(name, str) and _canonical(name) is not None


def normalize_locale(name: str, *, field: str = "locale") -> str:
    """The canonical form ("en-us" -> "en_US"); an unknown locale names ``field``."""
    canonical = _canonical(name) if isinstance(name, str) else None
    if canonical is None:
        raise InvalidValue(
            f"{name!r} is not a known locale (e.g. en_US, de_DE, ja_JP)", field=field
        )
    return canonical


@lru_cache(maxsize=256)
def _locale(name: str) -> Locale:
    try:
        return Locale.parse(normalize_locale(name))
    except UnknownLocaleError as exc:  # pragma: no cover - normalize_locale checked it
        raise InvalidValue(f"{name!r} is not a known locale", field="locale") from exc


# -- formatting ---------------------------------------------------------------------------


def _is_spaced(char: str) -> bool:
    # CLDR currencySpacing currencyMatch "[[:^S:]&[:^Z:]]": the symbol's edge is neither a
    # symbol (like "$" or "¥") nor a separator, e.g. the letter of "KWD".
    return not unicodedata.category(char).startswith(("S", "Z"))


def _affix(affix: str, symbol: str, minus: str, *, number_side: str) -> str:
    """Fill a pattern prefix/suffix: locale minus sign, currency symbol and CLDR spacing."""
    affix = re.sub(r"'([^']*)'", lambda m: m.group(1) or "'", affix)
    # "-" in a CLDR pattern stands for the locale's minus sign; Babel leaves it literal.
    affix = affix.replace("-", minus)
    if "¤" in affix:
        touching = affix.endswith("¤") if number_side == "after" else affix.startswith("¤")
        edge = symbol[-1] if number_side == "after" else symbol[0]
        if touching and _is_spaced(edge):
            symbol = symbol + _NBSP if number_side == "after" else _NBSP + symbol
        affix = affix.replace("¤", symbol)
    return affix


@lru_cache(maxsize=512)
def _parts(locale: str, code: str, exponent: int) -> tuple[NumberPattern, tuple[str, ...]]:
    """The digits-only pattern and the four filled affixes (+prefix, -prefix, +suffix, -suffix)."""
    loc = _locale(locale)
    pattern = loc.currency_formats["standard"]
    symbol = get_currency_symbol(code, loc)
    minus = get_minus_sign_symbol(loc, numbering_system=_NUMBERING)
    digits = copy.copy(pattern)
    digits.frac_prec = (exponent, exponent)
    digits.prefix = ("", "")
    digits.suffix = ("", "")
    affixes = tuple(
        _affix(a, symbol, minus, number_side=side)
        for a, side in (
            (pattern.prefix[0], "after"),
            (pattern.prefix[1], "after"),
            (pattern.suffix[0], "before"),
            (pattern.suffix[1], "before"),
        )
    )
    return digits, affixes


def _exact_context(digits: int) -> decimal.Context:
    # Babel normalizes and quantizes in the current context (28 digits by default); widen it
    # so no amount, however large, is ever rounded while being shown or read.
    return decimal.Context(prec=max(28, digits + 8), rounding=decimal.ROUND_HALF_UP)


def format_money(money: Money, locale: str = "en_US") -> str:
    """The amount as the locale writes it, with exactly the ISO number of decimals.

    >>> format_money(Money.of(1500, "KWD"))
    'KWD\\xa01.500'
    """
    currency = money.currency
    digits, (pos_prefix, neg_prefix, pos_suffix, neg_suffix) = _parts(
        locale, currency.code, currency.exponent
    )
    magnitude = money.to_decimal().copy_abs()
    with decimal.localcontext(_exact_context(len(str(money.amount)))):
        number = digits.apply(
            magnitude, _locale(locale), currency_digits=False, numbering_system=_NUMBERING
        )
    if money.is_negative():
        return f"{neg_prefix}{number}{neg_suffix}"
    return f"{pos_prefix}{number}{pos_suffix}"


# -- parsing ------------------------------------------------------------------------------


def _split_sign(text: str, loc: Locale) -> tuple[bool, str]:
    """(negative, rest) for one sign before or after the number (patterns put it either side)."""
    minus = {_BIDI.sub("", get_minus_sign_symbol(loc, numbering_system=_NUMBERING)), "-", "\u2212"}
    plus = {_BIDI.sub("", get_plus_sign_symbol(loc, numbering_system=_NUMBERING)), "+"}
    for sign in sorted((minus | plus) - {""}, key=len, reverse=True):
        if text.startswith(sign):
            return sign in minus, text[len(sign) :]
        if text.endswith(sign):
            return sign in minus, text[: -len(sign)]
    return False, text


def parse_money(text: str, currency: Currency, locale: str = "en_US") -> Money:
    """Read an amount written as the locale writes it (the inverse of :func:`format_money`).

    Accepts the locale's symbol or the ISO code, any spacing and direction marks, one sign,
    and digits with or without the locale's grouping. Never rounds: extra decimals raise
    TooPrecise; anything else unreadable is InvalidValue on field "amount".
    """
    if not isinstance(text, str):
        raise InvalidValue("the amount must be text", field="amount")
    loc = _locale(locale)
    cleaned = _BIDI.sub("", text)
    symbols = {_BIDI.sub("", get_currency_symbol(currency.code, loc)), currency.code} - {""}
    for symbol in sorted(symbols, key=len, reverse=True):
        cleaned = cleaned.replace(symbol, "", 1)
    negative, cleaned = _split_sign(_SPACES.sub("", cleaned), loc)

    group = get_group_symbol(loc, numbering_system=_NUMBERING)
    decimal_sign = get_decimal_symbol(loc, numbering_system=_NUMBERING)
    if group.isspace():
        group = ""  # a space-like group separator went with the other spaces
    allowed = set("0123456789") | set(group) | set(decimal_sign)
    if not cleaned[:1].isdigit() or not set(cleaned) <= allowed:
        example = format_money(Money(123456, currency), locale)
        raise InvalidValue(
            f"{text!r} is not an amount of {currency.code} (e.g. {example})", field="amount"
        )
    try:
        with decimal.localcontext(_exact_context(len(cleaned))):
            if group and group in cleaned:
                # strict: "1,00" in en_US is a typo, not one hundred; refuse to guess.
                magnitude = parse_decimal(cleaned, loc, strict=True, numbering_system=_NUMBERING)
            else:
                magnitude = Decimal(cleaned.replace(decimal_sign, "."))
    except (NumberFormatError, ArithmeticError) as exc:
        raise InvalidValue(
            f"{text!r} is not a well-formed amount in locale {loc}: {exc}", field="amount"
        ) from exc
    signed = magnitude.copy_negate() if negative else magnitude  # exact, unlike unary minus
    return Money.from_major(signed, currency, field="amount")
