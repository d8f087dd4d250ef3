"""Money, numbers, dates and places as the account's locale writes them, for the invoice
document (``invoice_document``) and the lists that show invoices."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_decimal, get_currency_symbol

from plansmith.adapters.money_format import format_money
from plansmith.domain.kernel.money import Currency, Money

_NBSP = "\u00a0"


@dataclass(frozen=True)
class Shown:
    """A value as shown, and the same in plain characters (money with its ISO code) for a
    PDF font that lacks a symbol."""

    text: str
    plain: str = ""

    def __str__(self) -> str:
        return self.text

    @property
    def fallback(self) -> str:
        return self.plain or self.text


class Formats:
    """Money, numbers and dates as the account's locale writes them."""

    def __init__(self, currency: str, locale: str, time_zone: str) -> None:
        self.currency = Currency.of(currency)
        self.locale = locale
        self.zone = ZoneInfo(time_zone)

    def money(self, amount: int) -> Shown:
        text = format_money(Money(amount, self.currency), self.locale)
        return Shown(text, _plain_money(text, self.currency.code, self.locale))

    def number(self, value: int | Decimal) -> str:
        # Latin digits, like the money beside it (format_money writes them so).
        return format_decimal(value, locale=self.locale, numbering_system="latn")

    def day(self, value: date | None) -> str:
        return format_date(value, "medium", locale=self.locale) if value is not None else "—"

    def instant(self, value: datetime | None) -> str:
        return self.day(value.astimezone(self.zone).date()) if value is not None else "—"

    def period(self, start: date | None, end: date | None) -> str:
        """A half-open [start, end) as its first and last day."""
        if start is None:
            return "—"
        if end is None:
            return self.day(start)
        last = max(start, end - timedelta(days=1))
        if last == start:
            return self.day(start)
        return f"{self.day(start)} \u2013 {self.day(last)}"


def _plain_money(text: str, code: str, locale: str) -> str:
    """ "￥1,000" -> "JPY 1,000": the symbol swapped for the ISO code, kept off the digits."""
    symbol = get_currency_symbol(code, locale)
    if symbol == code or symbol not in text:
        return ""
    plain = text.replace(symbol, code)
    plain = re.sub(rf"{code}(?=[\d\-\u2212])", code + _NBSP, plain)
    return re.sub(rf"(?<=\d){code}", _NBSP + code, plain)


def country_name(code: str, locale: str) -> str:
    """A country's name in the reader's locale ("JP" -> "日本" in ja_JP); the code if unknown."""
    try:
        names = Locale.parse(locale).territories
    except (UnknownLocaleError, ValueError, TypeError):
        return code
    return str(names.get(code, code))
