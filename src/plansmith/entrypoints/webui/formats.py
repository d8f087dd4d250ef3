"""Money and days on the operator's pages, written the way the page's language writes them.

The one home of the console's formats: a page in Japanese shows "2026/12/06" and "￥1,200",
an English page keeps en_US. Portal and invoice pages follow the account's own full locale
(invoice_formats.Formats); the console has no account, so it follows its page language.
Templates get context-aware ``money`` and ``day``/``last_day`` that read the page's language.
"""

from __future__ import annotations

from datetime import date, timedelta

from babel.dates import format_date, format_skeleton
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from plansmith.adapters.money_format import format_money
from plansmith.domain.kernel.money import Currency, Money
from plansmith.entrypoints.webui.i18n import DEFAULT, page_language

# Amounts typed into a form are read as en_US writes them ("24.99"), on every page.
INPUT_LOCALE = "en_US"
# The locale each shipped language writes numbers, money and dates in.
LOCALES: dict[str, str] = {
    "en": "en_US",
    "ja": "ja_JP",
    "vi": "vi_VN",
    "tr": "tr_TR",
    "ar": "ar",
}


def locale_for(language: str) -> str:
    """The full locale of a page language; English (en_US) for any other."""
    return LOCALES.get(language, LOCALES[DEFAULT])


def money(amount: int, code: str, language: str = DEFAULT) -> str:
    """An amount in minor units of ``code``, as the page's language writes it."""
    return format_money(Money(amount, Currency.of(code)), locale_for(language))


def day(value: date, language: str = DEFAULT) -> str:
    """A local date (the account's), as the page's language writes it."""
    return format_date(value, "medium", locale=locale_for(language))


def month(value: date, language: str = DEFAULT, *, long: bool = False) -> str:
    """A month for a chart axis ("Dec 2026", "2026年12月") or a heading ("December 2026")."""
    return format_skeleton("yMMMM" if long else "yMMM", value, locale=locale_for(language))


def last_day(end: date, language: str = DEFAULT) -> str:
    """The last day of a half-open range [start, end): the day before ``end``."""
    return day(end - timedelta(days=1), language)


# The English words the billing rules put around an item's subject (domain/proration.py).
_ITEM_PREFIXES = ("Unused time on ", "Remaining time on ")


def item_text(description: str, quantity: int, language: str = DEFAULT) -> str:
    """A billable item's description on a page: as the rules word it in English; in another
    language only its subject, the component's name and quantity ("Chat Team × 2"), since
    the page says the rest (its kind, dates and days) in its own words."""
    if language == DEFAULT:
        return description
    subject = description
    for prefix in _ITEM_PREFIXES:
        subject = subject.removeprefix(prefix)
    mark = f" × {quantity}"
    at = subject.rfind(mark)
    return subject[: at + len(mark)] if at >= 0 else description


@pass_context
def _template_item_text(context: Context, description: str, quantity: int) -> str:
    return item_text(description, quantity, page_language(context))


@pass_context
def _template_money(context: Context, amount: int, code: str) -> str:
    return money(amount, code, page_language(context))


@pass_context
def _template_day(context: Context, value: date) -> str:
    return day(value, page_language(context))


@pass_context
def _template_last_day(context: Context, end: date) -> str:
    return last_day(end, page_language(context))


def install(templates: Jinja2Templates) -> None:
    """Give an area's templates ``money(amount, code)`` and the ``day``/``last_day`` and
    ``item_text`` filters, each in the language of the page being rendered."""
    templates.env.globals["money"] = _template_money
    templates.env.filters.update(
        day=_template_day, last_day=_template_last_day, item_text=_template_item_text
    )
