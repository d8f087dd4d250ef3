"""The usage a billing batch reads: the daily aggregates of every account of the batch, for
the meters the catalog charges, from the earliest period start of the batch on, in a fixed
number of queries (the meters and the grace window, the days, the distinct values of
unique-count meters): never one per subscription. Nothing is read when no plan version of the
catalog charges usage."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plansmith.adapters.db import tables as t
from plansmith.domain.subscriptions.price_book import PriceBook
from plansmith.domain.subscriptions.subscription import IN_SERVICE, Status
from plansmith.domain.subscriptions.usage_standing import Charging
from plansmith.domain.usage.events import DEFAULT_GRACE
from plansmith.domain.usage.measures import DayUsage
from plansmith.domain.usage.meters import Aggregation
from plansmith.domain.usage.packs import PackStatus


@dataclass(frozen=True)
class BatchUsage:
    meters: dict[str, Aggregation] = field(default_factory=dict)  # code -> aggregation
    grace: timedelta = DEFAULT_GRACE
    days: dict[str, list[DayUsage]] = field(default_factory=dict)  # by account id
    # account id -> (period start, meter) -> units of the paid extra packs
    packs: dict[str, dict[tuple[date, str], tuple[int, ...]]] = field(default_factory=dict)
    # account id -> its subscriptions in service as the one-bill-per-meter rule sees them
    charging: dict[str, list[Charging]] = field(default_factory=dict)


def charged_meters(book: PriceBook) -> set[str]:
    return {c.meter for v in book.versions.values() for c in v.terms.charges}


def batch_usage(
    session: Session,
    among: Callable[[Any, Sequence[str]], Any],
    organization_id: str,
    book: PriceBook,
    since: Mapping[str, date],
) -> BatchUsage:
    """``since``: account id -> the earliest period start of its subscriptions in the batch."""
    codes = charged_meters(book)
    if not codes or not since:
        return BatchUsage()
    _in = among
    m, s = t.usage_meters.c, t.usage_settings.c
    rows = session.execute(
        select(m.id, m.code, m.aggregation).where(
            m.organization_id == organization_id, _in(m.code, sorted(codes))
        )
    ).all()
    code_of = {r.id: r.code for r in rows}
    meters = {r.code: Aggregation(r.aggregation) for r in rows}
    seconds = session.execute(
        select(s.event_grace_seconds).where(s.organization_id == organization_id)
    ).scalar()
    grace = DEFAULT_GRACE if seconds is None else timedelta(seconds=int(seconds))
    if not code_of:
        return BatchUsage(meters, grace)
    accounts: Sequence[str] = sorted(since)
    if session.get_bind().dialect.name == "postgresql":
        # Held before the usage is read: an ingest holding them shared (its clock read after)
        # commits first and is read here, or reads its clock after this and finds the period
        # closed. SQLite serialises writers (BEGIN IMMEDIATE) to the same effect.
        s_ = t.subscriptions.c
        session.execute(
            select(s_.id)
            .where(s_.organization_id == organization_id, _in(s_.account_id, accounts))
            .order_by(s_.id)
            .with_for_update()
        )
    start = min(since.values())
    d = t.usage_daily.c
    uniques: dict[tuple[str, str, date], set[str]] = {}
    unique_ids = [i for i, code in code_of.items() if meters[code] is Aggregation.UNIQUE_COUNT]
    if unique_ids:
        u = t.usage_unique.c
        for row in session.execute(
            select(u.account_id, u.meter_id, u.local_date, u.value).where(
                _in(u.account_id, accounts), _in(u.meter_id, unique_ids), u.local_date >= start
            )
        ).all():
            uniques.setdefault((row.account_id, row.meter_id, row.local_date), set()).add(row.value)
    days: dict[str, list[DayUsage]] = {}
    for account, meter_id, on, count, total, peak in session.execute(
        select(d.account_id, d.meter_id, d.local_date, d.count, d.total, d.peak).where(
            _in(d.account_id, accounts), _in(d.meter_id, sorted(code_of)), d.local_date >= start
        )
    ).all():
        if on < since[account]:
            continue
        days.setdefault(account, []).append(
            DayUsage(
                code_of[meter_id],
                on,
                int(count),
                int(total),
                None if peak is None else int(peak),
                frozenset(uniques.get((account, meter_id, on), ())),
            )
        )
    packs: dict[str, dict[tuple[date, str], list[int]]] = {}
    pk = t.usage_packs.c
    for account, period_start, meter, units in session.execute(
        select(pk.account_id, pk.period_start, pk.meter, pk.units)
        .where(
            _in(pk.account_id, accounts),
            pk.period_start >= start,
            pk.status == PackStatus.PAID.value,
        )
        .order_by(pk.created_at, pk.id)
    ).all():
        packs.setdefault(account, {}).setdefault((period_start, meter), []).append(int(units))
    return BatchUsage(
        meters,
        grace,
        days,
        {a: {k: tuple(v) for k, v in found.items()} for a, found in packs.items()},
        _charging(session, _in, organization_id, accounts),
    )


def _charging(
    session: Session,
    among: Callable[[Any, Sequence[str]], Any],
    organization_id: str,
    accounts: Sequence[str],
) -> dict[str, list[Charging]]:
    """The subscriptions of these accounts (two or more share a meter only then)."""
    s = t.subscriptions.c
    found: dict[str, list[Charging]] = {}
    for row in session.execute(
        select(
            s.id, s.account_id, s.created_at, s.version_id, s.currency, s.status, s.stopped_at
        ).where(s.organization_id == organization_id, among(s.account_id, accounts))
    ).all():
        found.setdefault(row.account_id, []).append(
            Charging(
                row.id,
                row.created_at,
                row.version_id,
                row.currency,
                Status(row.status) in IN_SERVICE,
                row.stopped_at,
            )
        )
    return found
