"""Publishing a plan's draft: seed 003's question "Do you want this change to apply to existing
customers as well?". The draft becomes current, the current version legacy (internal-only and
renamed), and with now / at_renewal a move of its subscribers is recorded with a notice saying
what changes; the catalog file applies its plans through the same step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from plansmith.application.catalog.plans import _plan, _require_active
from plansmith.application.catalog.shown import check_shown
from plansmith.application.catalog.version_moves import notify_and_move
from plansmith.application.kernel.errors import Conflict
from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.domain.accounts.account import require_text
from plansmith.domain.catalog.notice import describe_changes
from plansmith.domain.catalog.plans import (
    ApplyToExisting,
    Channel,
    Plan,
    PlanVersion,
    PlanVersionMove,
    VersionStatus,
)
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidValue


@dataclass(frozen=True)
class Published:
    version: PlanVersion  # now current
    superseded: Sequence[PlanVersion]  # now legacy
    move: PlanVersionMove | None  # existing subscribers to move, with the notice
    notified: int = 0  # subscribers who got the notice


def publish_plan(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    plan_id: str,
    apply_to_existing: str,
    *,
    legacy_name: str | None = None,
    expect: str | None = None,
) -> Published:
    """Seed 003: 'Do you want this change to apply to existing customers as well?'

    never: the old version keeps its subscribers, becomes legacy, internal-only and renamed
    (default "<name> Legacy"); new sign-ups get the new version. now / at_renewal: a move of
    the old version's subscribers is recorded with a notice saying what changes.
    ``expect``: what the confirmation showed (``plan_shown`` with the apply mode and the legacy
    name as typed); refused (409) when the plan is no longer so.
    """
    try:
        apply = ApplyToExisting(apply_to_existing)
    except ValueError:
        raise InvalidValue(
            "apply_to_existing is never, at_renewal or now", field="apply_to_existing"
        ) from None
    label = require_text(legacy_name, "legacy_name") if legacy_name is not None else None
    now = clock.now()
    with uow:
        plan = _plan(uow, organization_id, plan_id)
        _require_active(plan)
        versions = list(uow.plan_versions.for_plan(plan.id))
        draft = next((v for v in versions if v.status is VersionStatus.DRAFT), None)
        if draft is None:
            raise Conflict(
                "there is no draft to publish; edit the plan first",
                field="plan_id",
                code=ec.NO_DRAFT,
            )
        check_shown(plan, versions, expect, apply.value, label or "")
        published = _publish(uow, plan, versions, draft, apply, label, now)
        uow.commit()
    return published


def _publish(
    uow: UnitOfWork,
    plan: Plan,
    versions: Sequence[PlanVersion],
    draft: PlanVersion,
    apply: ApplyToExisting,
    label: str | None,
    now: datetime,
) -> Published:
    """Make `draft` current inside an open unit of work. The current version becomes legacy,
    internal-only and renamed ("<name> Legacy" unless named); with now / at_renewal a move of
    its subscribers is kept. Versions grandfathered by an earlier "never" stay where they are:
    their customers were promised their terms."""
    current = next((v for v in versions if v.status is VersionStatus.CURRENT), None)
    superseded = []
    if current is not None:
        old = replace(
            current,
            status=VersionStatus.LEGACY,
            name=label or f"{current.name} Legacy",
            channels=frozenset({Channel.INTERNAL}),
        )
        uow.plan_versions.update(old)
        superseded.append(old)
    published = replace(draft, status=VersionStatus.CURRENT, published_at=now)
    uow.plan_versions.update(published)
    move = None
    notified = 0
    if apply is not ApplyToExisting.NEVER and current is not None:
        # Only the superseded version's subscribers move.
        changes = describe_changes(current.terms, published.terms)
        when = "now" if apply is ApplyToExisting.NOW else "at your next renewal"
        notice = f"Your plan {plan.name} changes {when}:\n" + "\n".join(f"- {c}" for c in changes)
        move = PlanVersionMove(
            new_id("move"),
            plan.organization_id,
            plan.id,
            (current.id,),
            published.id,
            apply,
            notice,
            now,
        )
        uow.plan_versions.add_move(move)
        notified = notify_and_move(uow, move, now)
    return Published(published, superseded, move, notified)
