"""What a customer is to be told is coming: a plan change published for existing customers
that has not taken effect yet (seed 003), shown on the portal's Plans tab."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from plansmith.application.kernel.ports import UnitOfWork
from plansmith.application.notices.ports import NoticeStore
from plansmith.domain.catalog.pricing import unit_price
from plansmith.domain.kernel.errors import DomainError
from plansmith.domain.kernel.money import Currency
from plansmith.domain.subscriptions.subscription import Subscription


@dataclass(frozen=True)
class ComingChange:
    effective_on: date
    version_name: str
    new_amount: int | None  # per unit and cycle, in the subscription's currency; None: not
    currency: str  # offered in its cycle and currency (the move will say so when it comes)


def coming_change(
    uow: UnitOfWork, store: NoticeStore, subscription: Subscription
) -> ComingChange | None:
    """The plan change ahead of ``subscription``, if it was told of one still to come: one
    that takes effect at a renewal after the current period began, not carried out yet."""
    org = subscription.organization_id
    pending = store.pending_move(org, subscription.id)
    if pending is None or pending.effective_on == "now":
        return None
    effective = date.fromisoformat(pending.effective_on)
    if (
        effective <= subscription.period_start
        or subscription.terms.version_id == pending.to_version_id
    ):
        return None  # it took effect (or the subscription moved some other way)
    with uow:
        version = uow.price_books.current(org).versions.get(pending.to_version_id)
    if version is None:
        return None
    currency = Currency.of(subscription.terms.currency)
    try:
        amount: int | None = unit_price(version.terms, subscription.terms.cycle, currency)[2]
    except DomainError:
        amount = None
    return ComingChange(effective, version.name, amount, currency.code)
