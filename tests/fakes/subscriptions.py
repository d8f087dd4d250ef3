"""The fake of the subscription port: subscriptions, their log of held terms, events, items,
notices. The one-plan-per-family index and the revision check are enforced as in SQL."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from plansmith.application.kernel.errors import Conflict
from plansmith.application.kernel.ids import new_id
from plansmith.application.subscriptions.ports import (
    RecordedEvent,
    StoredEvent,
    StoredItem,
    StoredNotice,
    SubscriptionRepository,
)
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.subscriptions.events import SubscriptionEvent
from plansmith.domain.subscriptions.held_log import Span
from plansmith.domain.subscriptions.subscription import HOLDING, Subscription
from tests.fakes.store import FakeStore, ItemRow, Repo, Rows, SpanRow, clash, page


def record_events(
    rows: Rows,
    subscription: Subscription,
    events: Sequence[SubscriptionEvent],
    actor: str,
    first_seq: int,
) -> list[str]:
    """Append to the history from ``first_seq`` on (unique per subscription and seq, as in
    SQL), keeping the words a history read returns: ``details`` go through JSON as they do
    in the details column."""
    taken = {e.seq for e in rows.events.values() if e.subscription_id == subscription.id}
    ids = []
    for seq, event in enumerate(events, start=first_seq):
        if seq in taken:
            raise clash()
        recorded = RecordedEvent(
            kind=event.kind,
            at=event.at,
            effective=event.effective,
            from_status=event.from_status,
            to_status=event.to_status,
            details=json.loads(json.dumps(event.details)),
        )
        stored = StoredEvent(new_id("sev"), subscription.id, seq, actor, recorded)
        rows.events[stored.id] = stored
        ids.append(stored.id)
    return ids


class FakeSubscriptions(Repo):
    def holds_another(self, sub: Subscription) -> bool:
        """The partial unique index: one holding subscription per account and family."""
        return sub.status in HOLDING and any(
            s.id != sub.id
            and s.account_id == sub.account_id
            and s.family_id == sub.family_id
            and s.status in HOLDING
            for s in self._rows.subscriptions.values()
        )

    def add(self, subscription: Subscription) -> None:
        if subscription.id in self._rows.subscriptions:
            raise clash()
        if self.holds_another(subscription):
            raise Conflict(
                "the account holds a plan of this family already; change that subscription "
                "instead (an account holds one plan per family)",
                field="plan",
                code=ec.ALREADY_SUBSCRIBED,
            )
        self._rows.subscriptions[subscription.id] = replace(subscription, revision=0)

    def update(self, subscription: Subscription, expected_revision: int) -> None:
        if self.holds_another(subscription):
            raise Conflict(
                "the account holds another plan of this family now; cancel that one first",
                field="status",
                code=ec.ALREADY_SUBSCRIBED,
            )
        stored = self._rows.subscriptions.get(subscription.id)
        if stored is None or stored.revision != expected_revision:
            raise Conflict(
                "the subscription was changed at the same time by another request; "
                "fetch it again and retry",
                code=ec.CONCURRENT_CHANGE,
            )
        saved = replace(subscription, revision=expected_revision + 1)
        self._rows.subscriptions[subscription.id] = saved

    def get(self, organization_id: str, subscription_id: str) -> Subscription | None:
        sub = self._rows.subscriptions.get(subscription_id)
        return sub if sub is not None and sub.organization_id == organization_id else None

    def _of(self, organization_id: str) -> list[Subscription]:
        return [
            s for s in self._rows.subscriptions.values() if s.organization_id == organization_id
        ]

    def for_account(self, organization_id: str, account_id: str) -> Sequence[Subscription]:
        found = [s for s in self._of(organization_id) if s.account_id == account_id]
        return sorted(found, key=lambda s: (s.created_at, s.id))

    def for_accounts(
        self, organization_id: str, account_ids: Collection[str]
    ) -> dict[str, Sequence[Subscription]]:
        return {a: self.for_account(organization_id, a) for a in account_ids}

    def list(
        self,
        organization_id: str,
        *,
        account_id: str | None,
        status: str | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> Sequence[Subscription]:
        found = [
            ((s.created_at, s.id), s)
            for s in self._of(organization_id)
            if (account_id is None or s.account_id == account_id)
            and (status is None or s.status.value == status)
        ]
        return page(found, after, limit)

    def holding(self, organization_id: str, version_ids: Sequence[str]) -> Sequence[Subscription]:
        wanted = set(version_ids)
        found = [
            s
            for s in self._of(organization_id)
            if s.terms.version_id in wanted and s.status in HOLDING
        ]
        return sorted(found, key=lambda s: s.id)

    def using_add_on(self, organization_id: str, code: str) -> Sequence[Subscription]:
        return [
            s
            for s in self._of(organization_id)
            if (s.status in HOLDING or s.due_at() is not None)
            and (code in s.terms.add_ons or (s.scheduled and code in s.scheduled.terms.add_ons))
        ]

    def due(
        self,
        organization_id: str | None,
        as_of: datetime,
        limit: int,
        after: tuple[str, datetime, str] | None = None,
    ) -> Sequence[tuple[str, str, datetime]]:
        sandboxes = self._rows.sandbox_ids()
        found = []
        for s in self._rows.subscriptions.values():
            due_at = s.due_at()
            if due_at is None or due_at > as_of:
                continue
            if organization_id is not None and s.organization_id != organization_id:
                continue
            if organization_id is None and s.organization_id in sandboxes:
                continue
            key = (s.organization_id, due_at, s.id)
            if after is None or key > after:
                found.append(key)
        return [(org, sub_id, due_at) for org, due_at, sub_id in sorted(found)[:limit]]

    def counts_by_version(self, organization_id: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for s in self._of(organization_id):
            if s.status in HOLDING:
                counts[s.terms.version_id] = counts.get(s.terms.version_id, 0) + 1
        return counts

    # -- the log of held terms -----------------------------------------------------------

    def log(self, subscription_id: str) -> Sequence[Span]:
        rows = [r for (sub_id, _), r in self._rows.spans.items() if sub_id == subscription_id]
        return [r.span for r in sorted(rows, key=lambda r: r.span.seq)]

    def logs(self, subscription_ids: Sequence[str]) -> dict[str, Sequence[Span]]:
        return {sub_id: self.log(sub_id) for sub_id in subscription_ids}

    def save_log(
        self, subscription: Subscription, write: Sequence[Span], delete_seqs: Sequence[int]
    ) -> None:
        for seq in [s.seq for s in write] + list(delete_seqs):
            self._rows.spans.pop((subscription.id, seq), None)
        for span in write:
            self._rows.spans[(subscription.id, span.seq)] = SpanRow(
                subscription.id,
                subscription.organization_id,
                subscription.account_id,
                subscription.family_id,
                span,
            )

    def history(self, organization_id: str, account_id: str) -> Sequence[tuple[str, Span]]:
        rows = [
            r
            for r in self._rows.spans.values()
            if r.organization_id == organization_id and r.account_id == account_id
        ]
        rows.sort(key=lambda r: (r.span.start, r.subscription_id, r.span.seq))
        return [(r.family_id, r.span) for r in rows]

    # -- events, items, notices ------------------------------------------------------------

    def add_events(
        self,
        subscription: Subscription,
        events: Sequence[SubscriptionEvent],
        actor: str,
        at: datetime,
    ) -> Sequence[str]:
        last = max((e.seq for e in self.events(subscription.id)), default=0)
        return record_events(self._rows, subscription, events, actor, last + 1)

    def events(self, subscription_id: str) -> Sequence[StoredEvent]:
        found = [e for e in self._rows.events.values() if e.subscription_id == subscription_id]
        return sorted(found, key=lambda e: e.seq)

    def add_items(self, subscription: Subscription, items: Sequence[StoredItem]) -> None:
        for position, stored in enumerate(items):
            if stored.id in self._rows.items or stored.event_id not in self._rows.events:
                raise clash()  # a primary key taken, or a foreign key to no event
            self._rows.items[stored.id] = ItemRow(
                stored, subscription.organization_id, subscription.account_id, position
            )

    def items(self, subscription_id: str, *, pending_only: bool) -> Sequence[StoredItem]:
        rows = [
            r
            for r in self._rows.items.values()
            if r.stored.subscription_id == subscription_id
            and not (pending_only and r.stored.invoice_id is not None)
        ]
        events = self._rows.events
        rows.sort(key=lambda r: (events[r.stored.event_id].seq, r.position))
        return [r.stored for r in rows]

    def add_notices(self, notices: Sequence[StoredNotice]) -> None:
        for notice in notices:
            if notice.id in self._rows.notices:
                raise clash()
            organization_id = self._rows.subscriptions[notice.subscription_id].organization_id
            self._rows.notices[notice.id] = (organization_id, notice)

    def notices(self, subscription_id: str) -> Sequence[StoredNotice]:
        found = [n for _, n in self._rows.notices.values() if n.subscription_id == subscription_id]
        return sorted(found, key=lambda n: (n.created_at, n.id))

    def next_due_at(
        self, organization_id: str, after: datetime, until: datetime
    ) -> datetime | None:
        dues = [s.due_at() for s in self._of(organization_id)]
        return min((d for d in dues if d is not None and after < d <= until), default=None)

    def next_stop_usage_at(
        self, organization_id: str, after: datetime, until: datetime, grace: timedelta
    ) -> datetime | None:
        closes = [
            s.stop_usage.closes_from + grace
            for s in self._of(organization_id)
            if s.stop_usage is not None
        ]
        return min((c for c in closes if after < c <= until), default=None)


# mypy checks the fake against its port here: a port change breaks the fake at lint time.
_subscriptions: SubscriptionRepository = FakeSubscriptions(FakeStore(), Rows())
