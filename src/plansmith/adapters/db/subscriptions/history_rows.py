"""A subscription's held log (its spans) and its events as rows, written in bulk."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from plansmith.adapters.db import tables as t
from plansmith.adapters.db.bulk import bulk_insert
from plansmith.application.kernel.ids import new_ids
from plansmith.domain.subscriptions.events import SubscriptionEvent
from plansmith.domain.subscriptions.held_log import Span
from plansmith.domain.subscriptions.subscription import Subscription, terms_from_data, terms_to_data


def span_of_row(row: Row[Any], prefix: str = "") -> Span:
    """A held-terms span from its row (its columns named ``prefix`` + name in a join)."""
    r = row._mapping
    return Span(
        seq=r[f"{prefix}seq"],
        start=r[f"{prefix}start_on"],
        end=r[f"{prefix}end_on"],
        terms=terms_from_data(r[f"{prefix}terms"]),
        plan_name=r[f"{prefix}plan_name"],
        trial=r[f"{prefix}trial"],
        pay_per_day=r[f"{prefix}pay_per_day"],
        ended_by=r[f"{prefix}ended_by"],
    )


# -- rows: one builder per table, shared with the billing run's batch writes -----------------


def span_rows(sub: Subscription, spans: Sequence[Span]) -> list[dict[str, Any]]:
    return [
        {
            "subscription_id": sub.id,
            "seq": span.seq,
            "organization_id": sub.organization_id,
            "account_id": sub.account_id,
            "family_id": sub.family_id,
            "start_on": span.start,
            "end_on": span.end,
            "terms": terms_to_data(span.terms),
            "plan_name": span.plan_name,
            "trial": span.trial,
            "pay_per_day": span.pay_per_day,
            "ended_by": span.ended_by,
        }
        for span in spans
    ]


def event_rows(
    sub: Subscription,
    events: Sequence[SubscriptionEvent],
    actor: str,
    at: datetime,
    first_seq: int,
) -> list[dict[str, Any]]:
    return [
        {
            "id": event_id,
            "organization_id": sub.organization_id,
            "subscription_id": sub.id,
            "seq": n,
            "kind": event.kind,
            "at": event.at,
            "effective_on": event.effective,
            "from_status": event.from_status.value if event.from_status else None,
            "to_status": event.to_status.value,
            "actor": actor,
            "details": dict(event.details),
        }
        for (n, event), event_id in zip(
            enumerate(events, start=first_seq), new_ids("sev", len(events)), strict=True
        )
    ]


def record_events(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Write subscription history events (rows from ``event_rows``). Every event, from a use
    case or the billing run, is written here."""
    bulk_insert(session, t.subscription_events, rows)
