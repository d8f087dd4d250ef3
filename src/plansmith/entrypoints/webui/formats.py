"""Money and days on the pages, written the way the page's language (or locale) writes them.

The one home of these formats (the portal's plan pages call ``money_at``/``day_at`` with the
account's full locale): a page in Japanese shows "2026/12/06" and "￥1,200",
an English page keeps en_US. Portal and invoice pages follow the account's own full locale
(invoice_formats.Formats); the console has no account, so it follows its page language.
Templates get context-aware ``money`` and ``day``/``last_day`` that read the page's language.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from babel.dates import format_date, format_skeleton
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from plansmith.adapters.money_format import format_money
from plansmith.domain.kernel.errors import DomainError
from plansmith.domain.kernel.money import Currency, Money
from plansmith.entrypoints.webui.i18n import DEFAULT, N_, page_language, translate
from plansmith.entrypoints.webui.words import cycle_label

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


def money_at(amount: int, code: str, locale: str) -> str:
    """An amount in minor units of ``code``, as a full locale (an account's) writes it."""
    return format_money(Money(amount, Currency.of(code)), locale)


def day_at(value: date, locale: str) -> str:
    """A local date (periods are local dates already: no zone to apply), in a full locale."""
    return format_date(value, "medium", locale=locale)


def money(amount: int, code: str, language: str = DEFAULT) -> str:
    """An amount in minor units of ``code``, as the page's language writes it."""
    return money_at(amount, code, locale_for(language))


def day(value: date, language: str = DEFAULT) -> str:
    """A local date (the account's), as the page's language writes it."""
    return day_at(value, locale_for(language))


def month(value: date, language: str = DEFAULT, *, long: bool = False) -> str:
    """A month for a chart axis ("Dec 2026", "2026年12月") or a heading ("December 2026")."""
    return format_skeleton("yMMMM" if long else "yMMM", value, locale=locale_for(language))


def last_day(end: date, language: str = DEFAULT) -> str:
    """The last day of a half-open range [start, end): the day before ``end``."""
    return day(end - timedelta(days=1), language)


# The three ways the billing rules word an item (domain/subscriptions/proration.py), in English:
# a full period, a part period (credit or charge) and the days used of a pay-per-day plan.
_RECURRING = re.compile(r"(?P<subject>.+ × [0-9]+), (?P<cycle>[a-z0-9_]+)")
_PART = re.compile(
    r"(?:Unused|Remaining) time on (?P<subject>.+ × [0-9]+) "
    r"\((?P<days>[0-9]+) of (?P<total>[0-9]+) days\)"
)
_ACCRUAL = re.compile(
    r"(?P<subject>.+ × [0-9]+), (?P<days>[0-9]+) of (?P<total>[0-9]+) days "
    r"\((?P<cycle>[a-z0-9_]+), pay per day\)"
)
DAYS_OF = N_("%(days)s of %(period_days)s")
PAY_PER_DAY = N_("pay per day")


def _cycle(name: str, language: str) -> str:
    try:
        return cycle_label(name, language)
    except DomainError:
        return name


def item_text(description: str, language: str = DEFAULT) -> str:
    """A billable item's or invoice line's description on a page: as the rules word it, in
    English; in another language the same facts in its words: "Chat Team × 2, 月額",
    "Chat Team × 2 (28日中14日)". The subject (the component's name and quantity) stays as
    the catalog names it; a description of another shape is shown as it is."""
    if language == DEFAULT:
        return description
    days_of = translate(language, DAYS_OF)
    if found := _PART.fullmatch(description):
        days = days_of % {"days": found["days"], "period_days": found["total"]}
        return f"{found['subject']} ({days})"
    if found := _ACCRUAL.fullmatch(description):
        days = days_of % {"days": found["days"], "period_days": found["total"]}
        how = f"{_cycle(found['cycle'], language)}, {translate(language, PAY_PER_DAY)}"
        return f"{found['subject']}, {days} ({how})"
    if found := _RECURRING.fullmatch(description):
        return f"{found['subject']}, {_cycle(found['cycle'], language)}"
    return description


@pass_context
def _template_item_text(context: Context, description: str) -> str:
    return item_text(description, page_language(context))


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
