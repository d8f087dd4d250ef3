"""A resent batch at a hard limit, on SQLite and PostgreSQL: an event whose id was accepted
already answers ``duplicate`` and takes nothing from what is left, so a new event in the same
batch still fits."""

from __future__ import annotations

from plansmith.adapters.clock import TestClock
from plansmith.application.usage.ingest import ingest
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.billing_scenarios_support import D, _bill, _made, _monthly_plan, _subscribe
from tests.integration.usage_billing_support import meter as new_meter
from tests.integration.usage_packs_support import TZ, card, charge, standing
from tests.unit.subscription_builders import local_at, new_account, seed_catalog

AT = "2026-03-10T12:00:00+09:00"


def _event(acct: str, event_id: str) -> dict[str, object]:
    return {"id": event_id, "account_id": acct, "code": "chatbot_sessions", "timestamp": AT}


def _codes(app: Plansmith, org: str, events: list[dict[str, object]]) -> list[str]:
    return [a.code or a.status for a in ingest(app.uow(), app.clock, org, events)]


def test_a_resent_event_takes_nothing_from_a_hard_limit_and_a_new_one_still_fits(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    plans = {"basic": _monthly_plan({"JPY": 1000}, charges=[charge("chatbot_sessions", 3, "hard")])}
    clock.set(local_at(D(2026, 2, 20), TZ, 9))
    new_meter(container, org, "chatbot_sessions")
    seed_catalog(container, org, plans=plans, add_ons=False)
    acct = new_account(container, org, "JPY", TZ)
    card(container, org, acct)
    clock.set(local_at(D(2026, 3, 1), TZ, 9))
    sub_id = _subscribe(container, org, acct, "basic", 1)
    assert _made(_bill(container, org)) == (0, 1, 1, 0, 0)
    clock.set(local_at(D(2026, 3, 10), TZ, 12))
    first = [_event(acct, "e-1"), _event(acct, "e-2")]
    assert _codes(container, org, first) == ["accepted", "accepted"]
    # At the limit minus 1: the batch is resent with one new event after the old ones.
    assert standing(container, org, sub_id) == {"chatbot_sessions": (3, 0, 2, 1, 0, "hard")}
    resent = [*first, _event(acct, "e-3")]
    assert _codes(container, org, resent) == ["duplicate", "duplicate", "accepted"]
    assert standing(container, org, sub_id) == {"chatbot_sessions": (3, 0, 3, 0, 0, "hard")}
    # Now at the limit: a resend answers duplicate for all three and a new one is refused.
    again = [*resent, _event(acct, "e-4")]
    assert _codes(container, org, again) == ["duplicate"] * 3 + ["limit_exceeded"]
    assert standing(container, org, sub_id) == {"chatbot_sessions": (3, 0, 3, 0, 0, "hard")}
