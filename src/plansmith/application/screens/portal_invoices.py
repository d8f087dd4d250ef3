"""The portal's Invoices page as one query: the future and past invoices (``account_invoices``),
beside each open one its due date and next retry, and the prediction card, in one unit of work.
The prediction stands on the very snapshot the future invoices are made from (the account,
its subscriptions with their logs, the tax rates, the price book): only the extra packs paid
and, when a plan charges a meter, the period's aggregates are read for it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from plansmith.application.invoicing.drafts import tax_rate_of
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.screens.invoices import AccountInvoices, account_invoices_in
from plansmith.application.screens.portal_payments import Owing, owing_in
from plansmith.application.usage.pack_allowance import paid_packs
from plansmith.application.usage.prediction import AccountPrediction, Usage, prediction_of


@dataclass(frozen=True)
class InvoicesScreen:
    page: AccountInvoices
    owing: Mapping[str, Owing]  # by invoice id: the open invoices that owe money
    prediction: AccountPrediction


def invoices_screen(
    uow: UnitOfWork, wall: Clock, organization_id: str, account_id: str, grace: timedelta
) -> InvoicesScreen:
    with uow:
        page, snapshot, clock = account_invoices_in(uow, wall, organization_id, account_id, grace)
        owing = owing_in(uow, account_id, page.past)
        entries = list(snapshot.entries.values())
        own_rate = entries[0].account_tax_rate_id if entries else None
        address = entries[0].address if entries else None
        rate = tax_rate_of(snapshot.tax_rates, own_rate, address)
        held = [(entry.subscription, entry.log) for entry in entries]
        usage = Usage(uow, organization_id, account_id)
        prediction = prediction_of(
            page.account, held, rate, snapshot.book, clock.now(), usage, paid_packs(uow)
        )
    return InvoicesScreen(page, owing, prediction)
