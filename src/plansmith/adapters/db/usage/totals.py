"""The daily aggregates' totals per meter over a period: the statement is built once, at
import, with bind parameters. Built anew for each call, SQLAlchemy set up its subqueries'
column collections and its cache key every time (about a tenth of an HTTP worker's time
under the mixed load); a statement object reused keeps both."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Date, Select, String, and_, bindparam, case, column, func, select, text, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from plansmith.adapters.db import tables as t
from plansmith.adapters.db.usage.meters import METER_COLUMNS, meter_of
from plansmith.application.usage.ports import MeterTotals
from plansmith.domain.usage.meters import Aggregation

d, u, m = t.usage_daily.c, t.usage_unique.c, t.usage_meters.c


def _one_account() -> Select[Any]:
    account: BindParameter[str] = bindparam("account_id")
    start: BindParameter[date] = bindparam("start")
    end: BindParameter[date] = bindparam("end")
    days = (
        select(
            d.meter_id,
            func.sum(d.count).label("n_events"),
            func.sum(d.total).label("n_total"),
            func.max(d.peak).label("n_peak"),
        )
        .where(d.account_id == account, d.local_date >= start, d.local_date < end)
        .group_by(d.meter_id)
        .subquery()
    )
    distinct = (
        select(func.count(func.distinct(u.value)))
        .where(
            u.account_id == account,
            u.meter_id == m.id,
            u.local_date >= start,
            u.local_date < end,
        )
        .scalar_subquery()
    )
    return (
        select(
            *METER_COLUMNS,
            days.c.n_events,
            days.c.n_total,
            days.c.n_peak,
            # Only a unique-count meter reads its values: a CASE evaluates its branch for
            # those rows alone, so count and sum meters cost no subquery.
            case((m.aggregation == Aggregation.UNIQUE_COUNT.value, distinct), else_=None).label(
                "n_unique"
            ),
        )
        .select_from(t.usage_meters.outerjoin(days, days.c.meter_id == m.id))
        .where(m.organization_id == bindparam("organization_id"))
        .order_by(m.created_at, m.code)
    )


_ONE_ACCOUNT = _one_account()


def meter_totals(r: Any) -> MeterTotals:
    return MeterTotals(
        meter_of(r),
        int(r.n_events or 0),
        int(r.n_total or 0),
        None if r.n_peak is None else int(r.n_peak),
        int(r.n_unique or 0),
    )


def totals(
    session: Session, organization_id: str, account_id: str, start: date, end: date
) -> Sequence[MeterTotals]:
    """Each meter of the organization over the local dates [start, end), oldest first."""
    values = {
        "organization_id": organization_id,
        "account_id": account_id,
        "start": start,
        "end": end,
    }
    return [meter_totals(r) for r in session.execute(_ONE_ACCOUNT, values)]


# The periods of a batch travel as one JSON parameter, [[account id, start, end], ...]: one
# statement text whatever their number, read by each database's own JSON function.
_PG_PERIODS = (
    "SELECT x.r->>0 AS account_id, CAST(x.r->>1 AS date) AS p_start, "
    "CAST(x.r->>2 AS date) AS p_end FROM json_array_elements(CAST(:periods AS json)) AS x(r)"
)
_SQLITE_PERIODS = (
    "SELECT json_extract(x.value, '$[0]') AS account_id, json_extract(x.value, '$[1]') AS "
    "p_start, json_extract(x.value, '$[2]') AS p_end FROM json_each(:periods) AS x"
)


def _many_accounts(periods_sql: str) -> Select[Any]:
    k = (
        text(periods_sql)
        .columns(column("account_id", String), column("p_start", Date), column("p_end", Date))
        .cte("k")
    )
    within = and_(d.account_id == k.c.account_id, d.local_date >= k.c.p_start)
    days = (
        select(
            k.c.account_id,
            k.c.p_start,
            d.meter_id,
            func.sum(d.count).label("n_events"),
            func.sum(d.total).label("n_total"),
            func.max(d.peak).label("n_peak"),
        )
        .select_from(k.join(t.usage_daily, and_(within, d.local_date < k.c.p_end)))
        .group_by(k.c.account_id, k.c.p_start, d.meter_id)
        .subquery("days")
    )
    distinct = (
        select(func.count(func.distinct(u.value)))
        .where(
            u.account_id == k.c.account_id,
            u.meter_id == m.id,
            u.local_date >= k.c.p_start,
            u.local_date < k.c.p_end,
        )
        .scalar_subquery()
    )
    same = and_(
        days.c.account_id == k.c.account_id,
        days.c.p_start == k.c.p_start,
        days.c.meter_id == m.id,
    )
    return (
        select(
            k.c.account_id.label("k_account"),
            k.c.p_start.label("k_start"),
            k.c.p_end.label("k_end"),
            *METER_COLUMNS,
            days.c.n_events,
            days.c.n_total,
            days.c.n_peak,
            case((m.aggregation == Aggregation.UNIQUE_COUNT.value, distinct), else_=None).label(
                "n_unique"
            ),
        )
        .select_from(k.join(t.usage_meters, true()).outerjoin(days, same))
        .where(m.organization_id == bindparam("organization_id"))
        .order_by(k.c.account_id, k.c.p_start, m.created_at, m.code)
    )


_MANY = {"postgresql": _many_accounts(_PG_PERIODS), "sqlite": _many_accounts(_SQLITE_PERIODS)}


def totals_of(
    session: Session, organization_id: str, periods: Collection[tuple[str, date, date]]
) -> dict[tuple[str, date, date], Sequence[MeterTotals]]:
    """The totals of each (account id, start, end) of ``periods`` (every one a key), in one
    statement whatever their number."""
    found: dict[tuple[str, date, date], list[MeterTotals]] = {p: [] for p in periods}
    if not found:
        return {}
    rows = [[a, s.isoformat(), e.isoformat()] for a, s, e in sorted(found)]
    values = {"organization_id": organization_id, "periods": json.dumps(rows)}
    statement = _MANY[session.get_bind().dialect.name]
    for r in session.execute(statement, values):
        found[(r.k_account, r.k_start, r.k_end)].append(meter_totals(r))
    return dict(found)
