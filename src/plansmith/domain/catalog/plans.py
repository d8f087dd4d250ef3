"""The plan catalog: families, plans and immutable plan versions (their terms are in
plan_terms, add-ons and extra packs in add_ons).

A plan is what the operator names and ranks ("Gold", rank 3 in the service family); what it
costs and grants lives in its versions. A published version never changes: editing a plan
makes a draft, and publishing the draft supersedes the current version, which either keeps
its subscribers as a legacy version or hands them over (ApplyToExisting).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from plansmith.domain.catalog.terms import PlanTerms
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError, InvalidValue


class Channel(StrEnum):
    """Where a plan version is offered (seed 003's Visibility checkboxes)."""

    INTERNAL = "internal"  # known to the operator and its existing customers only
    SIGNUP = "signup"  # the sign-up page
    WEBSITE = "website"  # the public website / pricing page
    PORTAL = "portal"  # the portal's upgrade list


PUBLIC_CHANNELS = frozenset({Channel.SIGNUP, Channel.WEBSITE, Channel.PORTAL})


class VersionStatus(StrEnum):
    DRAFT = "draft"  # editable, offered nowhere
    CURRENT = "current"  # the version new sign-ups get
    LEGACY = "legacy"  # superseded; keeps billing the subscribers it still has


class ApplyToExisting(StrEnum):
    """Seed 003's question when a plan is edited: do existing customers get the change?"""

    NEVER = "never"  # they keep their version, which becomes legacy and internal-only
    AT_RENEWAL = "at_renewal"  # each moves at its next renewal
    NOW = "now"  # each moves now (prorated)


class Timing(StrEnum):
    NOW = "now"
    TERM_END = "term_end"


class ChangeInvoicing(StrEnum):
    """When the items of a change made through the API are invoiced (like Stripe's
    proration_behavior). A change the customer makes in the portal is always paid at once."""

    NEXT_INVOICE = "next_invoice"  # they wait for the subscription's next invoice
    IMMEDIATELY = "immediately"  # an invoice of their own, finalized at once


@dataclass(frozen=True)
class ChangePolicy:
    """How plan changes inside a family take effect; the subscription rules obey it."""

    upgrade: Timing = Timing.NOW
    downgrade: Timing = Timing.TERM_END  # NOW means immediately, with a credit
    seats_down: Timing = Timing.TERM_END
    cycle_change: bool = True
    change_invoicing: ChangeInvoicing = ChangeInvoicing.NEXT_INVOICE


@dataclass(frozen=True)
class PlanFamily:
    """Plans an account may hold at most one of at a time (service, support, partner...)."""

    id: str
    organization_id: str
    code: str
    name: str
    policy: ChangePolicy
    created_at: datetime


@dataclass(frozen=True)
class Plan:
    id: str
    organization_id: str
    family_id: str
    code: str
    name: str
    rank: int  # higher is better inside the family: moving up is an upgrade
    archived_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class PlanVersion:
    id: str
    plan_id: str
    number: int
    status: VersionStatus
    name: str  # shown to customers; a legacy version is typically renamed "Bronze Legacy"
    terms: PlanTerms
    channels: frozenset[Channel]
    created_at: datetime
    published_at: datetime | None = None

    def offered_on(self, channel: Channel) -> bool:
        return self.status is VersionStatus.CURRENT and channel in self.channels

    def edited(self, terms: PlanTerms, name: str | None = None) -> PlanVersion:
        if self.status is not VersionStatus.DRAFT:
            raise PublishedVersionImmutable(self)
        return replace(self, terms=terms.validated(), name=name or self.name)


class PublishedVersionImmutable(DomainError):
    code = ec.VERSION_IMMUTABLE

    def __init__(self, version: PlanVersion) -> None:
        super().__init__(
            f"version {version.number} is {version.status}; published versions never change. "
            "Edit the plan to get a draft, then publish it",
            field="version",
        )


def channels_of(values: Iterable[str], field_name: str = "channels") -> frozenset[Channel]:
    result = set()
    for value in values:
        try:
            result.add(Channel(value))
        except ValueError:
            allowed = ", ".join(c.value for c in Channel)
            raise InvalidValue(
                f"{value!r} is not a channel; use {allowed}", field=field_name
            ) from None
    return frozenset(result)


@dataclass(frozen=True)
class PlanVersionMove:
    """Publishing with apply_to_existing now / at_renewal: subscribers of the old versions move.

    The notice says what changes, so every subscriber can be told before it takes effect.
    """

    id: str
    organization_id: str
    plan_id: str
    from_version_ids: tuple[str, ...]
    to_version_id: str
    apply: ApplyToExisting
    notice: str
    created_at: datetime
