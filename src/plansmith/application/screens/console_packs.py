"""The operator console's packs sold: the extra packs bought by the organization's customers,
newest first, of one pack or all and in one month's periods or all, with their customers and
invoices, read in one unit of work (four statements)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from plansmith.application.kernel.ports import UnitOfWork
from plansmith.domain.accounts.account import Account
from plansmith.domain.catalog.add_ons import ExtraPack
from plansmith.domain.invoicing.invoice import Invoice
from plansmith.domain.usage.packs import PackPurchase


@dataclass(frozen=True)
class SoldPack:
    purchase: PackPurchase
    account: Account | None
    invoice: Invoice | None


@dataclass(frozen=True)
class PacksSold:
    rows: tuple[SoldPack, ...]  # newest first
    packs: tuple[ExtraPack, ...]  # the catalog's packs, for the filter
    next_before: tuple[datetime, str] | None  # where "more" starts; None: no more


def month_bounds(month: date | None) -> tuple[date | None, date | None]:
    """[first day, first day of the next month) of ``month``'s month; (None, None) for all."""
    if month is None:
        return None, None
    first = month.replace(day=1)
    after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, after


def packs_sold(
    uow: UnitOfWork,
    organization_id: str,
    *,
    pack_code: str | None,
    month: date | None,
    before: tuple[datetime, str] | None,
    limit: int,
) -> PacksSold:
    start, end = month_bounds(month)
    with uow:
        found = list(
            uow.usage_packs.sold(
                organization_id,
                pack_code=pack_code,
                periods_from=start,
                periods_to=end,
                before=before,
                limit=limit + 1,
            )
        )
        page = found[:limit]
        accounts = uow.accounts.get_many(organization_id, {p.account_id for p in page})
        ids = list(dict.fromkeys(p.invoice_id for p in page if p.invoice_id))
        invoices = {i.id: i for i in uow.invoices.get_invoices(organization_id, ids)}
        packs = tuple(uow.extra_packs.list(organization_id))
    rows = tuple(
        SoldPack(p, accounts.get(p.account_id), invoices.get(p.invoice_id or "")) for p in page
    )
    more = (page[-1].created_at, page[-1].id) if len(found) > limit else None
    return PacksSold(rows, packs, more)
