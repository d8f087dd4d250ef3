"""Usage events and their aggregates, each write one statement for the whole batch.

On PostgreSQL the rows travel as one JSON parameter: one statement text whatever the batch
size, so the server parses and plans it once per connection. SQLite takes a multi-row
VALUES. Either way the insert skips keys stored already (ON CONFLICT DO NOTHING) and returns
the keys it wrote: those events won, and only they add to the aggregates."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import String, and_, any_, bindparam, func, or_, select, text, tuple_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from plansmith.adapters.db import tables as t
from plansmith.adapters.db.tables.base import encode_json
from plansmith.adapters.db.usage.totals import totals, totals_of
from plansmith.application.usage.ports import DailyDelta, EventRow, MeterTotals, Subscriber
from plansmith.domain.kernel.periods import Cycle, local_date, zone
from plansmith.domain.usage.events import HeldSubscription

a, s, d, u, m = (
    t.accounts.c,
    t.subscriptions.c,
    t.usage_daily.c,
    t.usage_unique.c,
    t.usage_meters.c,
)
SQLITE_ROWS = 4000  # rows per VALUES on SQLite (7 columns: below its 32,766 variables)

# The rows travel as one JSON array of arrays, read back in its order (WITH ORDINALITY): one
# parameter, parsed by the server in C, where arrays of many text values cost psycopg a
# Python call per value. The order is the key order the use case sorted them in.
_PG_EVENTS = text(
    "INSERT INTO usage_events (account_id, event_id, organization_id, code, timestamp, "
    "local_date, properties, received_at) "
    "SELECT x.r->>0, x.r->>1, :org, x.r->>2, CAST(x.r->>3 AS timestamptz), "
    "CAST(x.r->>4 AS date), x.r->>5, :received "
    "FROM json_array_elements(CAST(:rows AS json)) WITH ORDINALITY AS x(r, n) ORDER BY x.n "
    "ON CONFLICT DO NOTHING RETURNING account_id, event_id"
)
_PG_DAILY = text(
    "INSERT INTO usage_daily (account_id, meter_id, local_date, organization_id, count, total, "
    "peak) SELECT x.r->>0, x.r->>1, CAST(x.r->>2 AS date), :org, CAST(x.r->>3 AS bigint), "
    "CAST(x.r->>4 AS bigint), CAST(x.r->>5 AS bigint) "
    "FROM json_array_elements(CAST(:rows AS json)) WITH ORDINALITY AS x(r, n) ORDER BY x.n "
    "ON CONFLICT (account_id, meter_id, local_date) DO UPDATE SET "
    "count = usage_daily.count + excluded.count, total = usage_daily.total + excluded.total, "
    "peak = GREATEST(usage_daily.peak, excluded.peak)"
)
_PG_UNIQUE = text(
    "INSERT INTO usage_unique (account_id, meter_id, local_date, value) "
    "SELECT x.r->>0, x.r->>1, CAST(x.r->>2 AS date), x.r->>3 "
    "FROM json_array_elements(CAST(:rows AS json)) WITH ORDINALITY AS x(r, n) ORDER BY x.n "
    "ON CONFLICT DO NOTHING"
)


def _rows(values: list[list[object]]) -> str:
    return json.dumps(values, separators=(",", ":"))


class SqlUsage:
    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    def _one_of(self, column: Any, name: str, values: Collection[str]) -> Any:
        """``column`` among the values: on PostgreSQL one array parameter (= ANY), one
        statement text whatever their number, where an expanded IN renders and sends a
        parameter per value (a few milliseconds for a batch naming hundreds of accounts)."""
        if self._postgres:
            return column == any_(bindparam(name, sorted(values), type_=ARRAY(String)))
        return column.in_(bindparam(name, sorted(values), expanding=True))

    def subscribers(
        self, organization_id: str, account_ids: Collection[str], external_ids: Collection[str]
    ) -> Sequence[Subscriber]:
        named = []
        if account_ids:
            named.append(self._one_of(a.id, "ids", account_ids))
        if external_ids:
            named.append(self._one_of(a.external_id, "externals", external_ids))
        if not named:
            return []
        rows = self.session.execute(
            select(
                a.id,
                a.external_id,
                a.time_zone,
                s.id.label("sub_id"),
                s.time_zone.label("sub_zone"),
                s.registered_at,
                s.anchor,
                s.cycle,
                s.period_start,
                s.period_end,
                s.ended_on,
                s.stopped_at,
                s.usage_from,
                s.stop_usage_start,
                s.stop_usage_closes,
                s.stop_usage_on,
                s.stop_usage_period_start,
                s.stop_usage_period_end,
            )
            .select_from(
                t.accounts.outerjoin(
                    t.subscriptions,
                    and_(s.account_id == a.id, s.organization_id == organization_id),
                )
            )
            .where(a.organization_id == organization_id, or_(*named))
            .order_by(a.id, s.created_at, s.id)
        )
        found: dict[str, tuple[Any, list[HeldSubscription]]] = {}
        for row in rows:
            _account, held = found.setdefault(row.id, (row, []))
            if row.sub_id is not None:
                tz = zone(row.sub_zone)
                held.append(
                    HeldSubscription(
                        start=local_date(row.registered_at, tz),
                        anchor=row.anchor,
                        cycle=Cycle.parse(row.cycle),
                        period_start=row.period_start,
                        period_end=row.period_end,
                        ended_on=row.ended_on,
                        tz=tz,
                        stopped_at=row.stopped_at,
                        usage_from=row.usage_from,
                        stop_start=row.stop_usage_start,
                        stop_closes_from=row.stop_usage_closes,
                        **_cut(row),
                    )
                )
        return [
            Subscriber(row.id, row.external_id, row.time_zone, tuple(held))
            for row, held in found.values()
        ]

    def insert_new(
        self, organization_id: str, rows: Sequence[EventRow], received_at: datetime
    ) -> set[tuple[str, str]]:
        if not rows:
            return set()
        if self._postgres:
            payload = _rows(
                [
                    [
                        r.account_id,
                        r.event_id,
                        r.code,
                        r.timestamp.astimezone(UTC).isoformat(),
                        r.local_date.isoformat(),
                        encode_json(dict(r.properties)),
                    ]
                    for r in rows
                ]
            )
            params = {"org": organization_id, "received": received_at, "rows": payload}
            return {(x, y) for x, y in self.session.execute(_PG_EVENTS, params)}
        e = t.usage_events
        statement = (
            sqlite_insert(e)
            .values(
                [
                    {
                        "account_id": r.account_id,
                        "event_id": r.event_id,
                        "organization_id": organization_id,
                        "code": r.code,
                        "timestamp": r.timestamp,
                        "local_date": r.local_date,
                        "properties": dict(r.properties),
                        "received_at": received_at,
                    }
                    for r in rows
                ]
            )
            .on_conflict_do_nothing()
            .returning(e.c.account_id, e.c.event_id)
        )
        return {(x, y) for x, y in self.session.execute(statement)}

    def stored(
        self, organization_id: str, keys: Collection[tuple[str, str]]
    ) -> set[tuple[str, str]]:
        if not keys:
            return set()
        e = t.usage_events.c
        if self._postgres:  # two array parameters: one statement text whatever their number
            pairs = sorted(keys)
            found = text(
                "SELECT account_id, event_id FROM usage_events "
                "WHERE organization_id = :org AND (account_id, event_id) IN "
                "(SELECT * FROM unnest(CAST(:accounts AS text[]), CAST(:ids AS text[])))"
            )
            params = {
                "org": organization_id,
                "accounts": [k[0] for k in pairs],
                "ids": [k[1] for k in pairs],
            }
            return {(x, y) for x, y in self.session.execute(found, params)}
        statement = select(e.account_id, e.event_id).where(
            e.organization_id == organization_id,
            tuple_(e.account_id, e.event_id).in_(sorted(keys)),
        )
        return {(x, y) for x, y in self.session.execute(statement)}

    def add_daily(self, organization_id: str, deltas: Sequence[DailyDelta]) -> None:
        if not deltas:
            return
        if self._postgres:
            payload = _rows(
                [
                    [x.account_id, x.meter_id, x.local_date.isoformat(), x.count, x.total, x.peak]
                    for x in deltas
                ]
            )
            self.session.execute(_PG_DAILY, {"org": organization_id, "rows": payload})
            return
        for start in range(0, len(deltas), SQLITE_ROWS):
            values = [
                {
                    "account_id": x.account_id,
                    "meter_id": x.meter_id,
                    "local_date": x.local_date,
                    "organization_id": organization_id,
                    "count": x.count,
                    "total": x.total,
                    "peak": x.peak,
                }
                for x in deltas[start : start + SQLITE_ROWS]
            ]
            q = sqlite_insert(t.usage_daily).values(values)
            old, new = t.usage_daily.c, q.excluded
            self.session.execute(
                q.on_conflict_do_update(
                    index_elements=["account_id", "meter_id", "local_date"],
                    set_={
                        "count": old.count + new.count,
                        "total": old.total + new.total,
                        # SQLite's max() of a NULL is NULL: keep the larger known one
                        "peak": func.max(
                            func.coalesce(old.peak, new.peak), func.coalesce(new.peak, old.peak)
                        ),
                    },
                )
            )

    def add_unique(self, rows: Sequence[tuple[str, str, date, str]]) -> None:
        if not rows:
            return
        if self._postgres:
            payload = _rows([[a_, m_, d_.isoformat(), v_] for a_, m_, d_, v_ in rows])
            self.session.execute(_PG_UNIQUE, {"rows": payload})
            return
        names = ("account_id", "meter_id", "local_date", "value")
        for start in range(0, len(rows), SQLITE_ROWS):
            values = [dict(zip(names, r, strict=True)) for r in rows[start : start + SQLITE_ROWS]]
            self.session.execute(
                sqlite_insert(t.usage_unique).values(values).on_conflict_do_nothing()
            )

    def share_subscriptions(self, organization_id: str, account_ids: Collection[str]) -> None:
        if not account_ids or self.session.get_bind().dialect.name != "postgresql":
            return  # SQLite: BEGIN IMMEDIATE made this transaction the only writer already
        s = t.subscriptions.c
        self.session.execute(
            select(s.id)
            .where(s.organization_id == organization_id, s.account_id.in_(sorted(account_ids)))
            .order_by(s.id)
            .with_for_update(read=True)
        )

    def hold_for_billing(self, organization_id: str, account_id: str) -> None:
        if self.session.get_bind().dialect.name != "postgresql":
            return  # SQLite: BEGIN IMMEDIATE made this transaction the only writer already
        s = t.subscriptions.c
        self.session.execute(
            select(s.id)
            .where(s.organization_id == organization_id, s.account_id == account_id)
            .order_by(s.id)  # the order the billing run and ingest take them in
            .with_for_update()
        )

    def totals(
        self, organization_id: str, account_id: str, start: date, end: date
    ) -> Sequence[MeterTotals]:
        return totals(self.session, organization_id, account_id, start, end)

    def totals_of(
        self, organization_id: str, periods: Collection[tuple[str, date, date]]
    ) -> dict[tuple[str, date, date], Sequence[MeterTotals]]:
        return totals_of(self.session, organization_id, periods)


def _cut(row: Any) -> dict[str, Any]:
    """A cycle change's cut window not billed yet (ADR 0034), as ingest needs it."""
    if row.stop_usage_period_start is None:
        return {}
    period = (row.stop_usage_period_start, row.stop_usage_period_end)
    return {"cut_on": row.stop_usage_on, "cut_period": period}
