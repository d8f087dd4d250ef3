"""Shared by the stopped-window tests that drive a sandbox over HTTP
(test_usage_cycle_change_cut.py, test_usage_new_subscription_on_stop_day.py): a sandbox whose
plan `basic` charges the `calls` meter past 20 included at JPY 3, and the calls they make."""

from __future__ import annotations

from datetime import datetime
from itertools import count
from typing import Any

from fastapi.testclient import TestClient

from plansmith.application.organizations.api_keys import create_api_key
from plansmith.application.organizations.organizations import create_organization
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.usage_billing_support import meter as new_meter
from tests.unit.subscription_builders import seed_catalog

CHARGE = {
    "meter": "calls",
    "currency": "JPY",
    "included": 20,
    "limit": "soft",
    "model": "per_unit",
    "unit_price": "3",
}
_ids = count()


def usage_sandbox(container: Plansmith, name: str, basic: dict[str, Any]) -> Tenant:
    """A sandbox organization with the `calls` meter and `basic` on the terms given."""
    org = create_organization(container.uow(), container.clock, name, sandbox=True)
    issued = create_api_key(container.uow(), container.clock, org.id, "test")
    new_meter(container, org.id, "calls")
    seed_catalog(container, org.id, plans={"basic": basic}, add_ons=False)
    return Tenant(org.id, issued.secret)


class SandboxApi:
    def __init__(self, client: TestClient, sandbox: Tenant, account: str) -> None:
        self.client, self.h, self.account = client, sandbox.headers, account

    def subscribe(self) -> str:
        made = self.client.post(
            "/v1/subscriptions", json={"account_id": self.account, "plan": "basic"}, headers=self.h
        )
        assert made.status_code == 201, made.text
        return str(made.json()["id"])

    def change_cycle(self, sub_id: str, cycle: str) -> None:
        done = self.client.post(
            f"/v1/subscriptions/{sub_id}/changes",
            json={"cycle": cycle, "when": "now"},
            headers=self.h,
        )
        assert done.status_code in (200, 201), done.text

    def cancel_now(self, sub_id: str) -> None:
        done = self.client.post(
            f"/v1/subscriptions/{sub_id}/cancel", json={"when": "now"}, headers=self.h
        )
        assert done.status_code == 200, done.text

    def advance(self, to: str) -> list[datetime]:
        """The instants the advance stopped at (each a billing run's)."""
        done = self.client.post(
            "/v1/test_clock/advance",
            json={"to": to},
            headers={**self.h, "Idempotency-Key": f"adv-{next(_ids)}"},
        )
        assert done.status_code == 200, done.text
        return [datetime.fromisoformat(step["at"]) for step in done.json()["steps"]]

    def send(self, at: str, copies: int) -> list[str]:
        """``copies`` events timestamped ``at``: each one's status or refusal code."""
        events = [
            {"id": f"e{next(_ids)}", "account_id": self.account, "code": "calls", "timestamp": at}
            for _ in range(copies)
        ]
        done = self.client.post("/v1/events/batch", json={"events": events}, headers=self.h)
        assert done.status_code == 200, done.text
        return [a["code"] or a["status"] for a in done.json()["data"]]
