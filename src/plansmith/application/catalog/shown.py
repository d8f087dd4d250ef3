"""What a console confirmation step showed of a plan: its name, whether it is archived, and
every version's number, status, name, terms and channels, with the facts of the action (e.g.
Publish's apply mode). The confirmation carries it back; the use case compares it inside its
unit of work and refuses (409, field ``expect``) when another tab changed the plan between the
two steps, so nothing the operator never saw is published, discarded or archived."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from plansmith.application.kernel.errors import Conflict
from plansmith.domain.catalog.plans import Plan, PlanVersion
from plansmith.domain.catalog.terms_data import terms_to_data


def plan_shown(plan: Plan, versions: Sequence[PlanVersion], *facts: str) -> str:
    """A digest of the plan as a confirmation page shows it (a hidden form field)."""
    archived = plan.archived_at.isoformat() if plan.archived_at else None
    data = [
        plan.id,
        plan.name,
        archived,
        list(facts),
        [
            [
                v.id,
                v.number,
                v.status.value,
                v.name,
                terms_to_data(v.terms),
                sorted(c.value for c in v.channels),
            ]
            for v in sorted(versions, key=lambda v: v.number)
        ],
    ]
    text = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def check_shown(
    plan: Plan, versions: Sequence[PlanVersion], expect: str | None, *facts: str
) -> None:
    """Inside the use case's unit of work: refuse when ``expect`` (given) is not the plan now."""
    if expect is not None and plan_shown(plan, versions, *facts) != expect:
        raise Conflict("the plan changed since it was shown; nothing was done", field="expect")
