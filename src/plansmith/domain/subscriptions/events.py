"""Subscription events: each transition or change of a subscription, typed.

They also keep the history's words: ``kind`` (the name the subscription's event history has
always shown) and ``details`` (the history's plain data of it, what its API answers show).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar, TypedDict

from plansmith.domain.kernel.events import DomainEvent
from plansmith.domain.subscriptions.subscription import Status, Subscription, Terms, terms_to_data


@dataclass(frozen=True, kw_only=True)
class SubscriptionEvent(DomainEvent):
    """A subscription's transition or change. ``terms`` and the period are the subscription's
    after the event (for a stop: the terms it held); ``effective`` is the local date it takes
    effect on."""

    OBJECT: ClassVar[str] = "subscription"
    kind: ClassVar[str] = ""

    organization_id: str
    account_id: str
    subscription_id: str
    effective: date
    from_status: Status | None
    to_status: Status
    terms: Terms
    period_start: date
    period_end: date

    @property
    def object_id(self) -> str:
        return self.subscription_id

    @property
    def details(self) -> dict[str, Any]:
        """The history's plain data of the event (what its API answers show)."""
        return {
            "terms": terms_to_data(self.terms),
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
        }


class Common(TypedDict):
    """The fields every subscription event has, as ``common`` fills them in."""

    organization_id: str
    account_id: str
    subscription_id: str
    at: datetime
    effective: date
    from_status: Status | None
    to_status: Status
    terms: Terms
    period_start: date
    period_end: date


def common(after: Subscription, at: datetime, effective: date, was: Status | None) -> Common:
    """The common fields of an event that left the subscription ``after``, from ``was``."""
    return Common(
        organization_id=after.organization_id,
        account_id=after.account_id,
        subscription_id=after.id,
        at=at,
        effective=effective,
        from_status=was,
        to_status=after.status,
        terms=after.terms,
        period_start=after.period_start,
        period_end=after.period_end,
    )


@dataclass(frozen=True, kw_only=True)
class SubscriptionCreated(SubscriptionEvent):
    TYPE: ClassVar[str] = "subscription.created"
    kind: ClassVar[str] = "subscribed"
    trial_days: int
    trial_end: date | None

    @property
    def details(self) -> dict[str, Any]:
        return {"terms": terms_to_data(self.terms), "trial_days": self.trial_days}


@dataclass(frozen=True, kw_only=True)
class SubscriptionChanged(SubscriptionEvent):
    """The terms changed now: ``previous`` before, ``terms`` after. In a trial nothing is
    withdrawn, so ``scheduled_change_withdrawn`` is None."""

    TYPE: ClassVar[str] = "subscription.changed"
    kind: ClassVar[str] = "changed"
    previous: Terms
    parts: tuple[str, ...]
    cause: str
    scheduled_change_withdrawn: bool | None = None

    @property
    def details(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "from": terms_to_data(self.previous),
            "to": terms_to_data(self.terms),
            "parts": list(self.parts),
            "cause": self.cause,
        }
        if self.scheduled_change_withdrawn is not None:
            found["scheduled_change_withdrawn"] = self.scheduled_change_withdrawn
        return found


@dataclass(frozen=True, kw_only=True)
class ChangeScheduled(SubscriptionEvent):
    """A change waits for the end of the term (``effective``): ``scheduled`` then."""

    TYPE: ClassVar[str] = "subscription.change_scheduled"
    kind: ClassVar[str] = "change_scheduled"
    scheduled: Terms
    parts: tuple[str, ...]
    cause: str
    replaces: bool

    @property
    def details(self) -> dict[str, Any]:
        return {
            "from": terms_to_data(self.terms),
            "to": terms_to_data(self.scheduled),
            "parts": list(self.parts),
            "cause": self.cause,
            "replaces": self.replaces,
        }


@dataclass(frozen=True, kw_only=True)
class ScheduledChangeWithdrawn(SubscriptionEvent):
    TYPE: ClassVar[str] = "subscription.scheduled_change_withdrawn"
    kind: ClassVar[str] = "scheduled_change_withdrawn"
    withdrawn: Terms

    @property
    def details(self) -> dict[str, Any]:
        return {"withdrawn": terms_to_data(self.withdrawn)}


@dataclass(frozen=True, kw_only=True)
class CancelScheduled(SubscriptionEvent):
    TYPE: ClassVar[str] = "subscription.cancel_scheduled"
    kind: ClassVar[str] = "cancel_scheduled"
    withdrew_change: bool

    @property
    def details(self) -> dict[str, Any]:
        return {"effective": self.effective.isoformat(), "withdrew_change": self.withdrew_change}


@dataclass(frozen=True, kw_only=True)
class _Stopped(SubscriptionEvent):
    """A stop; ``cause`` says why (None: asked for now)."""

    cause: str | None = None

    @property
    def details(self) -> dict[str, Any]:
        found = super().details
        if self.cause is not None:
            found["cause"] = self.cause
        return found


@dataclass(frozen=True, kw_only=True)
class SubscriptionCanceled(_Stopped):
    TYPE: ClassVar[str] = "subscription.canceled"
    kind: ClassVar[str] = "canceled"


@dataclass(frozen=True, kw_only=True)
class SubscriptionExpired(_Stopped):
    TYPE: ClassVar[str] = "subscription.expired"
    kind: ClassVar[str] = "expired"


@dataclass(frozen=True, kw_only=True)
class SubscriptionPaused(_Stopped):
    TYPE: ClassVar[str] = "subscription.paused"
    kind: ClassVar[str] = "paused"


@dataclass(frozen=True, kw_only=True)
class SubscriptionPastDue(SubscriptionEvent):
    """A payment of the subscription's invoice failed; service goes on while it is retried."""

    TYPE: ClassVar[str] = "subscription.past_due"
    kind: ClassVar[str] = "past_due"


@dataclass(frozen=True, kw_only=True)
class SubscriptionPaymentRecovered(SubscriptionEvent):
    """The invoice that made the subscription past due was paid: active again."""

    TYPE: ClassVar[str] = "subscription.payment_recovered"
    kind: ClassVar[str] = "payment_recovered"


@dataclass(frozen=True, kw_only=True)
class CancelWithdrawn(SubscriptionEvent):
    TYPE: ClassVar[str] = "subscription.cancel_withdrawn"
    kind: ClassVar[str] = "cancel_withdrawn"


@dataclass(frozen=True, kw_only=True)
class SubscriptionResumed(SubscriptionEvent):
    TYPE: ClassVar[str] = "subscription.resumed"
    kind: ClassVar[str] = "resumed"


@dataclass(frozen=True, kw_only=True)
class SubscriptionReactivated(SubscriptionEvent):
    TYPE: ClassVar[str] = "subscription.reactivated"
    kind: ClassVar[str] = "reactivated"


@dataclass(frozen=True, kw_only=True)
class PeriodClosed(SubscriptionEvent):
    """A stopped pay-per-day subscription's period ended (its days were billed), or the usage
    of a period stopped in its middle closed (ADR 0034: ``[closed_start, closed_end)`` billed)."""

    TYPE: ClassVar[str] = "subscription.period_closed"
    kind: ClassVar[str] = "period_closed"
    closed_start: date
    closed_end: date

    @property
    def details(self) -> dict[str, Any]:
        return {
            **super().details,
            "closed_start": self.closed_start.isoformat(),
            "closed_end": self.closed_end.isoformat(),
        }


@dataclass(frozen=True, kw_only=True)
class ScheduledChangeApplied(SubscriptionEvent):
    TYPE: ClassVar[str] = "subscription.scheduled_change_applied"
    kind: ClassVar[str] = "scheduled_change_applied"
    previous: Terms
    applied: Terms  # what was scheduled (a version move may follow, see ``terms``)

    @property
    def details(self) -> dict[str, Any]:
        return {"from": terms_to_data(self.previous), "to": terms_to_data(self.applied)}


@dataclass(frozen=True, kw_only=True)
class ScheduledChangeSkipped(SubscriptionEvent):
    TYPE: ClassVar[str] = "subscription.scheduled_change_skipped"
    kind: ClassVar[str] = "scheduled_change_skipped"
    wanted: Terms
    reason: str

    @property
    def details(self) -> dict[str, Any]:
        return {"to": terms_to_data(self.wanted), "reason": self.reason}


@dataclass(frozen=True, kw_only=True)
class VersionMoved(SubscriptionEvent):
    """A plan-version move took this subscription from one version to another."""

    TYPE: ClassVar[str] = "subscription.version_moved"
    kind: ClassVar[str] = "version_moved"
    move_id: str
    from_version_id: str
    to_version_id: str

    @property
    def details(self) -> dict[str, Any]:
        return {
            "move_id": self.move_id,
            "from_version_id": self.from_version_id,
            "to_version_id": self.to_version_id,
        }


@dataclass(frozen=True, kw_only=True)
class VersionMoveSkipped(SubscriptionEvent):
    TYPE: ClassVar[str] = "subscription.version_move_skipped"
    kind: ClassVar[str] = "version_move_skipped"
    move_id: str
    to_version_id: str
    reason: str

    @property
    def details(self) -> dict[str, Any]:
        return {"move_id": self.move_id, "to_version_id": self.to_version_id, "reason": self.reason}


@dataclass(frozen=True, kw_only=True)
class SubscriptionRenewed(SubscriptionEvent):
    """A new period started (``period_start``..``period_end``), charged in advance unless
    pay-per-day."""

    TYPE: ClassVar[str] = "subscription.renewed"
    kind: ClassVar[str] = "renewed"


@dataclass(frozen=True, kw_only=True)
class TrialConverted(SubscriptionEvent):
    TYPE: ClassVar[str] = "subscription.trial_converted"
    kind: ClassVar[str] = "converted"
