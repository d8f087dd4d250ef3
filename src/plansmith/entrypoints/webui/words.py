"""The words people read for the product's own values, one home for portal, console, invoices
and PDFs, each through the catalogs: a billing cycle ("Monthly"), an invoice's state ("Unpaid"),
a subscription's state (seed 002's "Try", "Active", "Inactive") and a history row's.

An invoice state has one name everywhere a person reads it; the API keeps the codes
(``open``, ``uncollectible``).
"""

from __future__ import annotations

from plansmith.domain.invoicing.invoice import InvoiceStatus
from plansmith.domain.kernel.periods import Cycle, CycleUnit
from plansmith.entrypoints.webui.i18n import DEFAULT, N_, translate, translate_plural

CYCLE_NAMES = {
    "day": N_("Daily"),
    "week": N_("Weekly"),
    "month": N_("Monthly"),
    "quarter": N_("Quarterly"),
    "half_year": N_("Semiannual"),
    "year": N_("Annual"),
}
# What one period is called after "per" ("¥1,000 per month").
PERIOD_NAMES = {
    "day": N_("day"),
    "week": N_("week"),
    "month": N_("month"),
    "quarter": N_("quarter"),
    "half_year": N_("half year"),
    "year": N_("year"),
}
INVOICE_STATES = {
    InvoiceStatus.DRAFT: N_("Draft"),
    InvoiceStatus.OPEN: N_("Unpaid"),
    InvoiceStatus.PAID: N_("Paid"),
    InvoiceStatus.VOID: N_("Void"),
    InvoiceStatus.UNCOLLECTIBLE: N_("Unpaid"),  # written off by the operator, still owed
}
UPCOMING = N_("Upcoming")
# Seed 002's word for a trial is "Try"; each status of a history row as people read it.
HISTORY_WORDS = {
    "trial": N_("Try"),
    "active": N_("Active"),
    "paused": N_("Paused"),
    "canceled": N_("Canceled"),
    "expired": N_("Expired"),
    "replaced": N_("Replaced"),
    "ended": N_("Ended"),
}
# Subscription.shown_status: Active / Try / Inactive.
SHOWN_STATUS = {"Active": N_("Active"), "Try": N_("Try"), "Inactive": N_("Inactive")}


def _parsed(cycle: Cycle | str) -> Cycle:
    return Cycle.parse(cycle) if isinstance(cycle, str) else cycle


def cycle_label(cycle: Cycle | str, language: str = DEFAULT) -> str:
    """ "Monthly", "Annual", "Every 2 months"."""
    parsed = _parsed(cycle)
    if parsed.name in CYCLE_NAMES:
        return translate(language, CYCLE_NAMES[parsed.name])
    if parsed.unit is CycleUnit.DAY:
        text = translate_plural(
            language, "Every %(count)s day", "Every %(count)s days", parsed.count
        )
    elif parsed.unit is CycleUnit.WEEK:
        text = translate_plural(
            language, "Every %(count)s week", "Every %(count)s weeks", parsed.count
        )
    else:
        text = translate_plural(
            language, "Every %(count)s month", "Every %(count)s months", parsed.count
        )
    return text % {"count": parsed.count}


def cycle_unit(cycle: Cycle | str, language: str = DEFAULT) -> str:
    """What one period is called after "per": "month", "half year", "2 months"."""
    parsed = _parsed(cycle)
    if parsed.name in PERIOD_NAMES:
        return translate(language, PERIOD_NAMES[parsed.name])
    if parsed.unit is CycleUnit.DAY:
        text = translate_plural(language, "%(count)s day", "%(count)s days", parsed.count)
    elif parsed.unit is CycleUnit.WEEK:
        text = translate_plural(language, "%(count)s week", "%(count)s weeks", parsed.count)
    else:
        text = translate_plural(language, "%(count)s month", "%(count)s months", parsed.count)
    return text % {"count": parsed.count}


def invoice_state(status: InvoiceStatus | str, language: str = DEFAULT) -> str:
    return translate(language, INVOICE_STATES[InvoiceStatus(status)])


def upcoming(language: str = DEFAULT) -> str:
    return translate(language, UPCOMING)


def history_word(status: str, language: str = DEFAULT) -> str:
    word = HISTORY_WORDS.get(status)
    return translate(language, word) if word else status.capitalize()


def shown_status(status: str, language: str = DEFAULT) -> str:
    word = SHOWN_STATUS.get(status)
    return translate(language, word) if word else status
