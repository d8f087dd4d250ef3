"""Subscriptions in SQL: rows in, frozen domain objects out; guarded writes.

Two guarantees rest on the database here: the partial unique index that lets an account hold
one plan per family, and the revision check that makes every save a conditional update, so of
two requests (or workers) that read the same subscription only the first one's write lands.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import (
    Text,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
    type_coerce,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plansmith.adapters.db import tables as t
from plansmith.adapters.db.paging import page_after
from plansmith.adapters.db.subscriptions.history_rows import (
    event_rows,
    record_events,
    span_of_row,
    span_rows,
)
from plansmith.adapters.db.subscriptions.item_rows import item_of_row, item_rows
from plansmith.adapters.db.subscriptions.rows import (
    sandboxes,
    subscription_of_row,
    subscription_values,
)
from plansmith.application.kernel.errors import Conflict
from plansmith.application.subscriptions.ports import (
    RecordedEvent,
    StoredEvent,
    StoredItem,
    StoredNotice,
)
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.subscriptions.events import SubscriptionEvent
from plansmith.domain.subscriptions.held_log import Span
from plansmith.domain.subscriptions.subscription import HOLDING, Status, Subscription

S = t.subscriptions.c


class SqlSubscriptions:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, subscription: Subscription) -> None:
        values = {**subscription_values(subscription), "id": subscription.id, "revision": 0}
        # No savepoint: a refused insert ends the use case, whose transaction rolls back.
        try:
            self.session.execute(insert(t.subscriptions).values(**values))
        except IntegrityError as exc:
            raise Conflict(
                "the account holds a plan of this family already; change that subscription "
                "instead (an account holds one plan per family)",
                field="plan",
                code=ec.ALREADY_SUBSCRIBED,
            ) from exc

    def update(self, subscription: Subscription, expected_revision: int) -> None:
        values = {**subscription_values(subscription), "revision": expected_revision + 1}
        try:
            result = self.session.execute(
                update(t.subscriptions)
                .where(S.id == subscription.id, S.revision == expected_revision)
                .values(**values)
            )
        except IntegrityError as exc:
            # Only the one-plan-per-family index can refuse an update (a reactivation).
            raise Conflict(
                "the account holds another plan of this family now; cancel that one first",
                field="status",
                code=ec.ALREADY_SUBSCRIBED,
            ) from exc
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(
                "the subscription was changed at the same time by another request; "
                "fetch it again and retry",
                code=ec.CONCURRENT_CHANGE,
            )

    def get(self, organization_id: str, subscription_id: str) -> Subscription | None:
        row = self.session.execute(
            select(t.subscriptions).where(
                S.organization_id == organization_id, S.id == subscription_id
            )
        ).first()
        return subscription_of_row(row) if row else None

    def for_account(self, organization_id: str, account_id: str) -> Sequence[Subscription]:
        q = (
            select(t.subscriptions)
            .where(S.organization_id == organization_id, S.account_id == account_id)
            .order_by(S.created_at, S.id)
        )
        return [subscription_of_row(row) for row in self.session.execute(q)]

    def for_accounts(
        self, organization_id: str, account_ids: Collection[str]
    ) -> dict[str, Sequence[Subscription]]:
        found: dict[str, list[Subscription]] = {a: [] for a in account_ids}
        if not found:
            return {}
        q = (
            select(t.subscriptions)
            .where(S.organization_id == organization_id, S.account_id.in_(sorted(found)))
            .order_by(S.created_at, S.id)
        )
        for row in self.session.execute(q):
            sub = subscription_of_row(row)
            found[sub.account_id].append(sub)
        return dict(found)

    def list(
        self,
        organization_id: str,
        *,
        account_id: str | None,
        status: str | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> Sequence[Subscription]:
        q = select(t.subscriptions).where(S.organization_id == organization_id)
        if account_id is not None:
            q = q.where(S.account_id == account_id)
        if status is not None:
            q = q.where(S.status == status)
        q = page_after(q, t.subscriptions, after, limit)
        return [subscription_of_row(row) for row in self.session.execute(q)]

    def holding(self, organization_id: str, version_ids: Sequence[str]) -> Sequence[Subscription]:
        if not version_ids:
            return []
        q = (
            select(t.subscriptions)
            .where(
                S.organization_id == organization_id,
                S.version_id.in_(list(version_ids)),
                S.status.in_([s.value for s in HOLDING]),
            )
            .order_by(S.id)  # primary-key order: row locks are always taken in one order
        )
        return [subscription_of_row(row) for row in self.session.execute(q)]

    def using_add_on(self, organization_id: str, code: str) -> Sequence[Subscription]:
        # add_ons and scheduled are canonical JSON text ({"code":1}); LIKE narrows, Python decides.
        pattern = f'%"{code}":%'
        q = select(t.subscriptions).where(
            S.organization_id == organization_id,
            or_(S.status.in_([s.value for s in HOLDING]), S.due_at.is_not(None)),
            or_(
                type_coerce(S.add_ons, Text()).like(pattern),
                type_coerce(S.scheduled, Text()).like(pattern),
            ),
        )
        subs = [subscription_of_row(row) for row in self.session.execute(q)]
        return [
            s
            for s in subs
            if code in s.terms.add_ons or (s.scheduled and code in s.scheduled.terms.add_ons)
        ]

    def due(
        self,
        organization_id: str | None,
        as_of: datetime,
        limit: int,
        after: tuple[str, datetime, str] | None = None,
    ) -> Sequence[tuple[str, str, datetime]]:
        q = select(S.organization_id, S.id, S.due_at).where(S.due_at <= as_of)
        if organization_id is not None:
            q = q.where(S.organization_id == organization_id)
        else:  # a sandbox's time is its test clock, not the wall clock
            q = q.where(S.organization_id.not_in(sandboxes()))
        if after is not None:
            # A row comparison in the index's order: each page seeks to where the last one
            # stopped (as ORs of columns, it found and sorted all due at the same instant).
            org, at, last_id = after
            keys = [(S.due_at, at), (S.id, last_id)]
            if organization_id is None:
                keys.insert(0, (S.organization_id, org))
            q = q.where(
                tuple_(*(c for c, _v in keys)) > tuple_(*(literal(v, c.type) for c, v in keys))
            )
        # By organization first, so a run over all of them cuts whole batches of one each.
        q = q.order_by(S.organization_id, S.due_at, S.id).limit(limit)
        return [(org, sub, due_at) for org, sub, due_at in self.session.execute(q)]

    def counts_by_version(self, organization_id: str) -> dict[str, int]:
        q = (
            select(S.version_id, func.count())
            .where(S.organization_id == organization_id, S.status.in_([s.value for s in HOLDING]))
            .group_by(S.version_id)
        )
        return {version_id: int(n) for version_id, n in self.session.execute(q)}

    # -- the log of held terms -----------------------------------------------------------

    def log(self, subscription_id: str) -> Sequence[Span]:
        c = t.subscription_spans.c
        q = select(t.subscription_spans).where(c.subscription_id == subscription_id).order_by(c.seq)
        return [span_of_row(row) for row in self.session.execute(q)]

    def logs(self, subscription_ids: Sequence[str]) -> dict[str, Sequence[Span]]:
        found: dict[str, list[Span]] = {sub_id: [] for sub_id in subscription_ids}
        if not found:
            return {}
        c = t.subscription_spans.c
        q = (
            select(t.subscription_spans)
            .where(c.subscription_id.in_(list(found)))
            .order_by(c.subscription_id, c.seq)
        )
        for row in self.session.execute(q):
            found[row._mapping["subscription_id"]].append(span_of_row(row))
        return dict(found)

    def save_log(
        self, subscription: Subscription, write: Sequence[Span], delete_seqs: Sequence[int]
    ) -> None:
        c = t.subscription_spans.c
        touched = [s.seq for s in write] + list(delete_seqs)
        if touched:
            self.session.execute(
                delete(t.subscription_spans).where(
                    c.subscription_id == subscription.id, c.seq.in_(touched)
                )
            )
        if write:
            self.session.execute(insert(t.subscription_spans), span_rows(subscription, write))

    def history(self, organization_id: str, account_id: str) -> Sequence[tuple[str, Span]]:
        c = t.subscription_spans.c
        q = (
            select(t.subscription_spans)
            .where(c.organization_id == organization_id, c.account_id == account_id)
            .order_by(c.start_on, c.subscription_id, c.seq)
        )
        return [(row._mapping["family_id"], span_of_row(row)) for row in self.session.execute(q)]

    # -- events, items, notices ------------------------------------------------------------

    def add_events(
        self,
        subscription: Subscription,
        events: Sequence[SubscriptionEvent],
        actor: str,
        at: datetime,
    ) -> Sequence[str]:
        c = t.subscription_events.c
        last = self.session.execute(
            select(func.max(c.seq)).where(c.subscription_id == subscription.id)
        ).scalar()
        rows = event_rows(subscription, events, actor, at, (last or 0) + 1)
        record_events(self.session, rows)
        return [row["id"] for row in rows]

    def events(self, subscription_id: str) -> Sequence[StoredEvent]:
        c = t.subscription_events.c
        q = select(t.subscription_events).where(c.subscription_id == subscription_id)
        result = []
        for row in self.session.execute(q.order_by(c.seq)):
            r = row._mapping
            event = RecordedEvent(
                kind=r["kind"],
                at=r["at"],
                effective=r["effective_on"],
                from_status=Status(r["from_status"]) if r["from_status"] else None,
                to_status=Status(r["to_status"]),
                details=r["details"],
            )
            result.append(StoredEvent(r["id"], r["subscription_id"], r["seq"], r["actor"], event))
        return result

    def add_items(self, subscription: Subscription, items: Sequence[StoredItem]) -> None:
        if items:
            self.session.execute(insert(t.subscription_items), item_rows(subscription, items))

    def items(self, subscription_id: str, *, pending_only: bool) -> Sequence[StoredItem]:
        c = t.subscription_items.c
        q = select(t.subscription_items).where(c.subscription_id == subscription_id)
        if pending_only:
            q = q.where(c.invoice_id.is_(None))
        e = t.subscription_events.c
        q = q.join(t.subscription_events, e.id == c.event_id).order_by(e.seq, c.position)
        return [item_of_row(row) for row in self.session.execute(q)]

    def add_notices(self, notices: Sequence[StoredNotice]) -> None:
        for notice in notices:
            self.session.execute(
                insert(t.subscription_notices).values(
                    id=notice.id,
                    organization_id=self._organization_of(notice.subscription_id),
                    subscription_id=notice.subscription_id,
                    account_id=notice.account_id,
                    move_id=notice.move_id,
                    effective_on=notice.effective_on,
                    text=notice.text,
                    created_at=notice.created_at,
                )
            )

    def _organization_of(self, subscription_id: str) -> str:
        q = select(S.organization_id).where(S.id == subscription_id)
        organization_id: str = self.session.execute(q).scalar_one()
        return organization_id

    def notices(self, subscription_id: str) -> Sequence[StoredNotice]:
        c = t.subscription_notices.c
        q = (
            select(t.subscription_notices)
            .where(c.subscription_id == subscription_id)
            .order_by(c.created_at, c.id)
        )
        return [
            StoredNotice(
                r.id,
                r.subscription_id,
                r.account_id,
                r.move_id,
                r.effective_on,
                r.text,
                r.created_at,
            )
            for r in self.session.execute(q)
        ]

    def next_due_at(
        self, organization_id: str, after: datetime, until: datetime
    ) -> datetime | None:
        q = select(func.min(S.due_at)).where(
            S.organization_id == organization_id, S.due_at > after, S.due_at <= until
        )
        found: datetime | None = self.session.execute(q).scalar_one()
        return found

    def next_stop_usage_at(
        self, organization_id: str, after: datetime, until: datetime, grace: timedelta
    ) -> datetime | None:
        closes = S.stop_usage_closes  # + grace, in Python: interval arithmetic differs by engine
        q = select(func.min(closes)).where(
            S.organization_id == organization_id, closes > after - grace, closes <= until - grace
        )
        found: datetime | None = self.session.execute(q).scalar_one()
        return None if found is None else found + grace
