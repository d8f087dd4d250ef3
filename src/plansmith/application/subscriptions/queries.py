"""Reading subscriptions: one, a page, an account's plans per family with their history,
pending billable items, events, notices, and subscriber counts per plan version."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.pagination import check_limit, decode_cursor, encode_cursor
from plansmith.application.kernel.ports import Page, UnitOfWork
from plansmith.application.subscriptions.lifecycle import (
    SubscriptionView,
    price_book,
    subscription_of,
    view_of,
)
from plansmith.application.subscriptions.ports import StoredEvent, StoredItem, StoredNotice
from plansmith.domain.catalog.plans import PlanFamily
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.subscriptions.held_log import Span
from plansmith.domain.subscriptions.price_book import PriceBook
from plansmith.domain.subscriptions.subscription import Status, Subscription


def get_subscription(
    uow: UnitOfWork, organization_id: str, subscription_id: str
) -> SubscriptionView:
    with uow:
        sub = subscription_of(uow, organization_id, subscription_id)
        return view_of(sub, price_book(uow, organization_id))


def list_subscriptions(
    uow: UnitOfWork,
    organization_id: str,
    *,
    account_id: str | None = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> Page[SubscriptionView]:
    after = decode_cursor(cursor)
    limit = check_limit(limit)
    if status is not None and status not in {s.value for s in Status}:
        allowed = ", ".join(s.value for s in Status)
        raise InvalidValue(f"status is one of {allowed}", field="status")
    with uow:
        rows = list(
            uow.subscriptions.list(
                organization_id, account_id=account_id, status=status, after=after, limit=limit + 1
            )
        )
        book = price_book(uow, organization_id)
    more = len(rows) > limit
    items = rows[:limit]
    next_cursor = encode_cursor(items[-1].created_at, items[-1].id) if more else None
    return Page(items=[view_of(s, book) for s in items], next_cursor=next_cursor)


@dataclass(frozen=True)
class HistoryEntry:
    """One row of seeds 000/001's history: a plan, its status and the dates it was held."""

    subscription_id: str
    plan_id: str
    plan_name: str
    status: str  # active, trial, paused, canceled, expired, replaced
    started_on: date
    ended_on: date | None  # the first day it was no longer held


_ENDED = {
    "changed": "replaced",
    "canceled": "canceled",
    "expired": "expired",
    "paused": "paused",
    "converted": "active",
}


def history_entries(subscription: Subscription, spans: Sequence[Span]) -> list[HistoryEntry]:
    """Spans merged into one entry per uninterrupted run of the same plan."""
    entries: list[HistoryEntry] = []
    for span in spans:
        last = entries[-1] if entries else None
        if last is not None and last.plan_id == span.terms.plan_id and last.ended_on == span.start:
            start = last.started_on
            entries.pop()
        else:
            start = span.start
        if span.end is None:
            status = "trial" if span.trial else "active"
        else:
            status = _ENDED.get(span.ended_by or "", "ended")
        entries.append(
            HistoryEntry(
                subscription.id, span.terms.plan_id, span.plan_name, status, start, span.end
            )
        )
    return entries


@dataclass(frozen=True)
class FamilyPlans:
    """Seeds 000/001/002's Plans tab for one family: the plan held now and the history."""

    family: PlanFamily
    current: SubscriptionView | None  # trialing, active, past due or paused
    latest: SubscriptionView | None  # the newest subscription, e.g. a canceled one
    history: Sequence[HistoryEntry]  # newest first


def account_plans(uow: UnitOfWork, organization_id: str, account_id: str) -> list[FamilyPlans]:
    with uow:
        subs = list(uow.subscriptions.for_account(organization_id, account_id))
        # An account with a subscription exists: only one with none needs looking up.
        if not subs and uow.accounts.get(organization_id, account_id) is None:
            raise NotFound(f"no account {account_id!r}", field="account_id")
        book = price_book(uow, organization_id)
        logs = uow.subscriptions.logs([s.id for s in subs])
    return family_plans(book, subs, logs)


def family_plans(
    book: PriceBook, subs: Sequence[Subscription], logs: Mapping[str, Sequence[Span]]
) -> list[FamilyPlans]:
    """Every family of the catalog, by code, with the account's plans there (``subs``, oldest
    first) and their history from ``logs`` (by subscription id)."""
    result = []
    for family in sorted(book.families.values(), key=lambda f: f.code):
        mine = [s for s in subs if s.family_id == family.id]
        current = next((s for s in mine if s.holds_place), None)
        entries = [e for s in mine for e in history_entries(s, logs[s.id])]
        entries.sort(key=lambda e: (e.started_on, e.ended_on or date.max), reverse=True)
        result.append(
            FamilyPlans(
                family,
                view_of(current, book) if current else None,
                view_of(mine[-1], book) if mine else None,
                entries,
            )
        )
    return result


def subscription_items(
    uow: UnitOfWork, organization_id: str, subscription_id: str, *, pending_only: bool = False
) -> list[StoredItem]:
    with uow:
        subscription_of(uow, organization_id, subscription_id)
        return list(uow.subscriptions.items(subscription_id, pending_only=pending_only))


def subscription_events(
    uow: UnitOfWork, organization_id: str, subscription_id: str
) -> list[StoredEvent]:
    with uow:
        subscription_of(uow, organization_id, subscription_id)
        return list(uow.subscriptions.events(subscription_id))


def subscription_notices(
    uow: UnitOfWork, organization_id: str, subscription_id: str
) -> list[StoredNotice]:
    with uow:
        subscription_of(uow, organization_id, subscription_id)
        return list(uow.subscriptions.notices(subscription_id))


def subscriber_counts(uow: UnitOfWork, organization_id: str) -> dict[str, int]:
    """Subscriptions holding each plan version (trialing, active, past due or paused)."""
    with uow:
        return uow.subscriptions.counts_by_version(organization_id)
