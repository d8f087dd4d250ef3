"""A subscription as a row and back: its terms, its scheduled change, and the sandbox filter."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, Select, select

from plansmith.adapters.db import tables as t
from plansmith.domain.kernel.periods import Cycle
from plansmith.domain.subscriptions.subscription import (
    ScheduledChange,
    Status,
    StopUsage,
    Subscription,
    Terms,
    terms_from_data,
    terms_to_data,
)


def _scheduled_to_data(change: ScheduledChange | None) -> dict[str, Any] | None:
    if change is None:
        return None
    return {
        "terms": terms_to_data(change.terms),
        "effective": change.effective.isoformat(),
        "requested_at": change.requested_at.isoformat(),
        "summary": change.summary,
    }


def _scheduled_from_data(data: dict[str, Any] | None) -> ScheduledChange | None:
    if data is None:
        return None
    return ScheduledChange(
        terms=terms_from_data(data["terms"]),
        effective=date.fromisoformat(data["effective"]),
        requested_at=datetime.fromisoformat(data["requested_at"]),
        summary=data["summary"],
    )


def subscription_values(sub: Subscription) -> dict[str, Any]:
    stop = sub.stop_usage
    return {
        "organization_id": sub.organization_id,
        "account_id": sub.account_id,
        "family_id": sub.family_id,
        "plan_id": sub.terms.plan_id,
        "version_id": sub.terms.version_id,
        "cycle": sub.terms.cycle.name,
        "currency": sub.terms.currency,
        "quantity": sub.terms.quantity,
        "add_ons": dict(sub.terms.add_ons),
        "status": sub.status.value,
        "time_zone": sub.time_zone,
        "anchor": sub.anchor,
        "period_start": sub.period_start,
        "period_end": sub.period_end,
        "trial_end": sub.trial_end,
        "cancel_at_period_end": sub.cancel_at_period_end,
        "scheduled": _scheduled_to_data(sub.scheduled),
        "pay_per_day": sub.pay_per_day,
        "registered_at": sub.registered_at,
        "ended_on": sub.ended_on,
        "due_at": sub.due_at(),
        "stopped_at": sub.stopped_at,
        "usage_from": sub.usage_from,
        "stop_usage_start": stop.start if stop is not None else None,
        "stop_usage_on": stop.on if stop is not None else None,
        "stop_usage_closes": stop.closes_from if stop is not None else None,
        "stop_usage_period_start": stop.period_start if stop is not None else None,
        "stop_usage_period_end": stop.period_end if stop is not None else None,
        "stop_usage_version": stop.version_id if stop is not None else None,
        "created_at": sub.created_at,
        "updated_at": sub.updated_at,
    }


def subscription_of_row(row: Row[Any]) -> Subscription:
    r = row._mapping
    terms = Terms(
        plan_id=r["plan_id"],
        version_id=r["version_id"],
        cycle=Cycle.parse(r["cycle"]),
        currency=r["currency"],
        quantity=r["quantity"],
        add_ons=dict(r["add_ons"]),
    )
    return Subscription(
        id=r["id"],
        organization_id=r["organization_id"],
        account_id=r["account_id"],
        family_id=r["family_id"],
        terms=terms,
        status=Status(r["status"]),
        time_zone=r["time_zone"],
        anchor=r["anchor"],
        period_start=r["period_start"],
        period_end=r["period_end"],
        trial_end=r["trial_end"],
        cancel_at_period_end=r["cancel_at_period_end"],
        scheduled=_scheduled_from_data(r["scheduled"]),
        pay_per_day=r["pay_per_day"],
        registered_at=r["registered_at"],
        ended_on=r["ended_on"],
        revision=r["revision"],
        created_at=r["created_at"],
        updated_at=r["updated_at"],
        stopped_at=r["stopped_at"],
        usage_from=r["usage_from"],
        stop_usage=(
            StopUsage(
                r["stop_usage_start"],
                r["stop_usage_on"],
                r["stop_usage_closes"],
                r["stop_usage_period_start"],
                r["stop_usage_period_end"],
                r["stop_usage_version"],
            )
            if r["stop_usage_on"] is not None
            else None
        ),
    )


def sandboxes() -> Select[tuple[str]]:
    """The sandbox organizations, left out of every run over all organizations."""
    o = t.organizations.c
    return select(o.id).where(o.sandbox.is_(True))
