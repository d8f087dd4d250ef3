"""The words of the usage notices: an extra pack bought, and an allowance 80 % or 100 % used
(issue 16). Each says what it tells as a ``Content`` the composer lays out, in the account's
language with numbers, money and dates as its locale writes them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from babel.numbers import format_decimal

from plansmith.application.kernel.ports import UnitOfWork
from plansmith.domain.accounts.account import Account
from plansmith.domain.usage.pack_events import PackPurchased
from plansmith.domain.usage.thresholds import AllowanceThresholdReached
from plansmith.entrypoints.webui.formats import day_at, money_at
from plansmith.entrypoints.webui.i18n import translate
from plansmith.entrypoints.webui.mail.content import Content


def _period(start: date, end: date, locale: str) -> str:
    last = end - timedelta(days=1)  # periods are half-open
    return f"{day_at(start, locale)} \N{EN DASH} {day_at(last, locale)}"


def _meter_name(uow: UnitOfWork, organization_id: str, code: str) -> str:
    meter = uow.meters.get(organization_id, code)
    return meter.name if meter is not None and meter.name else code


def pack_bought(
    uow: UnitOfWork,
    event: PackPurchased,
    account: Account,
    language: str,
    portal_link: Callable[[str, str], str],
) -> Content:
    """The pack's name, units, amount charged, its invoice and the period it counts in."""
    org, locale = event.organization_id, account.locale
    with uow:
        pack = uow.extra_packs.by_code(org, event.pack)
        invoice = uow.invoices.get_invoice(org, event.invoice_id) if event.invoice_id else None
        meter = _meter_name(uow, org, event.meter)
    name = pack.name if pack is not None else event.pack
    units = format_decimal(event.units, locale=locale)
    amount = money_at(event.amount, event.currency, locale)
    values = {"pack": name, "units": units, "meter": meter, "amount": amount}
    facts = [
        (translate(language, "Extra pack"), name),
        (translate(language, "Units added"), f"{units} {meter}"),
        (translate(language, "Amount charged"), amount),
        (translate(language, "Counts in"), _period(event.period_start, event.period_end, locale)),
    ]
    if invoice is not None:
        facts.append((translate(language, "Invoice number"), invoice.number or invoice.id))
    greeting = translate(language, "Hello %(name)s,") % {"name": account.name}
    return Content(
        subject=translate(language, "Extra pack bought: %(pack)s") % values,
        greeting=greeting,
        paragraphs=[
            translate(
                language,
                "Thank you: %(units)s %(meter)s of the extra pack %(pack)s were added to this "
                "period's allowance, for %(amount)s.",
            )
            % values,
            translate(language, "The units you do not use expire at the end of the period."),
        ],
        facts=facts,
        button=(translate(language, "See the invoice"), portal_link(org, account.id)),
    )


def allowance_reached(
    uow: UnitOfWork,
    event: AllowanceThresholdReached,
    account: Account,
    language: str,
    portal_link: Callable[[str, str], str],
) -> Content:
    """How much of which allowance is used in the period, and where to buy an extra pack."""
    org, locale = event.organization_id, account.locale
    with uow:
        meter = _meter_name(uow, org, event.meter)
    values = {
        "percent": format_decimal(event.threshold, locale=locale),
        "allowance": format_decimal(event.allowance, locale=locale),
        "used": format_decimal(event.used, locale=locale),
        "meter": meter,
    }
    if event.threshold >= 100:
        subject = translate(language, "You have used all %(allowance)s %(meter)s of this period")
        advice = translate(
            language,
            "Buy an extra pack in the customer portal to keep going; without one, further use "
            "is charged or refused as your plan says.",
        )
    else:
        subject = translate(
            language, "You have used %(percent)s %% of your %(allowance)s %(meter)s"
        )
        advice = translate(
            language, "To avoid running out, you can buy an extra pack in the customer portal."
        )
    return Content(
        subject=subject % values,
        greeting=translate(language, "Hello %(name)s,") % {"name": account.name},
        paragraphs=[
            translate(
                language,
                "You have used %(used)s of your %(allowance)s %(meter)s this period "
                "(%(percent)s %%).",
            )
            % values,
            advice,
        ],
        facts=[
            (translate(language, "Used"), f"{values['used']} / {values['allowance']}"),
            (translate(language, "Period"), _period(event.period_start, event.period_end, locale)),
        ],
        button=(translate(language, "Buy an extra pack"), portal_link(org, account.id)),
    )
