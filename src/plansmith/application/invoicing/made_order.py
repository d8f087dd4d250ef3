"""Which of an account's invoices was made first (ADR 0037): a balance pays them in that
order. By when each was made; of those made at one instant (a test clock stands still while
its billing run and API calls act), the one whose subscription was registered first (the
renewal of a subscription canceled at that instant before the new subscription's first
invoice); then by number. Random ids never decide it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime

from plansmith.application.kernel.ports import UnitOfWork
from plansmith.domain.invoicing.invoice import Invoice

MadeOrder = tuple[datetime, datetime, int, str]


def made_order(uow: UnitOfWork, invoices: Sequence[Invoice]) -> Callable[[Invoice], MadeOrder]:
    """The sort key for these invoices of one account (its subscriptions read only when two
    were made at one instant)."""
    at_once = Counter(i.created_at for i in invoices)
    tied = [i for i in invoices if at_once[i.created_at] > 1 and i.subscription_id]
    held = {}
    if tied:
        held = {
            s.id: s
            for s in uow.subscriptions.for_account(tied[0].organization_id, tied[0].account_id)
        }

    def key(invoice: Invoice) -> MadeOrder:
        sub = held.get(invoice.subscription_id or "")
        registered = sub.registered_at if sub is not None else invoice.created_at
        number = invoice.number or ""
        return (invoice.created_at, registered, len(number), number)

    return key
