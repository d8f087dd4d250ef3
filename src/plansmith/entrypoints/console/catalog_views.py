"""How the console's catalog screens word prices, policies and counts, in the page's language.

Cycles read as people say them ("Annual", through webui/words.py), never as the codes
("year"). Each template global takes the template's context, so it follows the language the
page negotiated (the console has no account locale: the language cookie or the browser's).
Money is written in the page language's locale (webui.formats).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from plansmith.adapters.money_format import format_money
from plansmith.application.catalog import plans as cat
from plansmith.domain.catalog.plans import ChangeInvoicing, ChangePolicy, Channel, Timing
from plansmith.domain.catalog.pricing import quote
from plansmith.domain.catalog.terms import PlanTerms, Price, PricingModel
from plansmith.domain.kernel.money import Currency
from plansmith.entrypoints.console.catalog_forms import percent_text
from plansmith.entrypoints.webui.formats import locale_for, money
from plansmith.entrypoints.webui.i18n import (
    DEFAULT,
    N_,
    page_language,
    translate,
    translate_plural,
)
from plansmith.entrypoints.webui.words import cycle_label

CHANNEL_LABELS = {
    Channel.INTERNAL: N_("Internal"),
    Channel.SIGNUP: N_("Sign-up page"),
    Channel.WEBSITE: N_("Website"),
    Channel.PORTAL: N_("Portal upgrade list"),
}
_UPGRADE = {
    Timing.NOW: N_("Upgrades take effect immediately, prorated."),
    Timing.TERM_END: N_("Upgrades take effect at the end of the term."),
}
_DOWNGRADE = {
    Timing.NOW: N_("Downgrades take effect immediately, with a credit."),
    Timing.TERM_END: N_("Downgrades take effect at the end of the term."),
}
_SEATS_DOWN = {
    Timing.NOW: N_("Fewer seats take effect immediately, with a credit."),
    Timing.TERM_END: N_("Fewer seats take effect at the end of the term."),
}
_CYCLE_CHANGE = {
    True: N_("Changing the billing cycle is allowed."),
    False: N_("Changing the billing cycle is not allowed."),
}
_INVOICING = {
    ChangeInvoicing.NEXT_INVOICE: N_(
        "Changes made through the API are billed on the next invoice."
    ),
    ChangeInvoicing.IMMEDIATELY: N_("Changes made through the API are invoiced immediately."),
}


@dataclass(frozen=True)
class PriceRow:
    """One cycle's price per seat (or per subscription), as quoted for the minimum quantity."""

    currency: str
    cycle: str  # "Annual", in the page's language
    price: str  # "$239.90"
    list_price: str  # before the cycle discount
    discount: str  # "20 %", or "" without a discount


def money_text(amount: int, code: str, language: str = DEFAULT) -> str:
    return money(amount, code, language)


@pass_context
def _money_text(context: Context, amount: int, code: str) -> str:
    return money(amount, code, page_language(context))


def price_rows_in(terms: PlanTerms, language: str) -> list[PriceRow]:
    seats = 1 if terms.pricing is PricingModel.FLAT else terms.min_seats
    rows = []
    for code in terms.currencies():
        for cycle in terms.cycles(code):
            q = quote(terms, cycle, Currency.of(code), seats)
            rows.append(
                PriceRow(
                    currency=code,
                    cycle=cycle_label(cycle, language),
                    price=format_money(q.unit_price, locale_for(language)),
                    list_price=money_text(q.list_unit_amount, code, language),
                    discount=percent_text(q.discount_percent) if q.discount_percent else "",
                )
            )
    return rows


def policy_words(policy: ChangePolicy, language: str) -> str:
    """A family's change policy as an operator would say it: one whole sentence per rule."""
    sentences = (
        _UPGRADE[policy.upgrade],
        _DOWNGRADE[policy.downgrade],
        _SEATS_DOWN[policy.seats_down],
        _CYCLE_CHANGE[bool(policy.cycle_change)],
        _INVOICING[policy.change_invoicing],
    )
    return " ".join(translate(language, sentence) for sentence in sentences)


def subscribers_in(n: int, language: str) -> str:
    text = translate_plural(language, "%(num)s subscriber", "%(num)s subscribers", n)
    return text % {"num": f"{n:,}"}


def plan_subscribers(view: cat.PlanView, counts: Mapping[str, int]) -> int:
    """A plan's subscribers: those of all its versions (legacy ones keep theirs)."""
    return sum(counts.get(v.id, 0) for v in view.versions)


@pass_context
def price_rows(context: Context, terms: PlanTerms) -> list[PriceRow]:
    return price_rows_in(terms, page_language(context))


@pass_context
def price_text(context: Context, price: Price) -> str:
    """ "Monthly: $5.00" for a fixed (add-on or cycle) price."""
    language = page_language(context)
    label = cycle_label(price.cycle, language)
    return f"{label}: {money_text(price.amount, price.currency, language)}"


@pass_context
def policy_text(context: Context, policy: ChangePolicy) -> str:
    return policy_words(policy, page_language(context))


@pass_context
def subscribers_text(context: Context, n: int) -> str:
    return subscribers_in(n, page_language(context))


@pass_context
def channel_label(context: Context, channel: Channel) -> str:
    return translate(page_language(context), CHANNEL_LABELS[channel])


def template_globals() -> dict[str, Any]:
    return {
        "price_rows": price_rows,
        "price_text": price_text,
        "money_text": _money_text,
        "policy_text": policy_text,
        "channel_labels": CHANNEL_LABELS,
        "channel_label": channel_label,
        "plan_subscribers": plan_subscribers,
        "subscribers_text": subscribers_text,
    }


def bdi(value: object) -> Markup:
    """Money, dates, numbers and codes keep their reading order in a right-to-left page; also
    inside a translated sentence (a placeholder's value that is Markup is not escaped)."""
    return Markup("<bdi>%s</bdi>") % (value,)
