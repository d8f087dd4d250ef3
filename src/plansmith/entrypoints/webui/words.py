"""The words people read for the product's own values, one home for portal, console, invoices
and PDFs, each through the catalogs: a billing cycle ("Monthly"), an invoice's state ("Unpaid"),
a subscription's shown status (seed 002's "Try", "Active", "Inactive"), its state and a
history row's.

An invoice state and a subscription state each have one name everywhere a person reads it
(portal, console pages, lists, filters, notes); the API keeps the codes (``open``,
``uncollectible``, ``past_due``, ``canceled``). Other modules read these words from here and
keep no names of their own.
"""

from __future__ import annotations

from plansmith.domain.invoicing.invoice import InvoiceStatus
from plansmith.domain.kernel.periods import Cycle, CycleUnit
from plansmith.domain.subscriptions.subscription import Status
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
# One word per subscription state; seed 002's word for a trial is "Try".
SUBSCRIPTION_STATES = {
    Status.TRIALING: N_("Try"),
    Status.ACTIVE: N_("Active"),
    Status.PAST_DUE: N_("Past due"),
    Status.PAUSED: N_("Paused"),
    Status.CANCELED: N_("Canceled"),
    Status.EXPIRED: N_("Expired"),
}
# Each status of a history row as people read it: a state's own word where it is one.
HISTORY_WORDS = {
    "trial": SUBSCRIPTION_STATES[Status.TRIALING],
    "active": SUBSCRIPTION_STATES[Status.ACTIVE],
    "paused": SUBSCRIPTION_STATES[Status.PAUSED],
    "canceled": SUBSCRIPTION_STATES[Status.CANCELED],
    "expired": SUBSCRIPTION_STATES[Status.EXPIRED],
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


def subscription_state(status: Status | str, language: str = DEFAULT) -> str:
    """A subscription state's one word: "Try", "Past due", "Canceled"..."""
    return translate(language, SUBSCRIPTION_STATES[Status(status)])


def subscription_states(language: str = DEFAULT) -> list[tuple[str, str]]:
    """(code, word) of every subscription state, in the lifecycle's order (to filter by)."""
    return [
        (status.value, translate(language, word)) for status, word in SUBSCRIPTION_STATES.items()
    ]


def history_word(status: str, language: str = DEFAULT) -> str:
    word = HISTORY_WORDS.get(status)
    return translate(language, word) if word else status.capitalize()


def shown_status(status: str, language: str = DEFAULT) -> str:
    word = SHOWN_STATUS.get(status)
    return translate(language, word) if word else status
