"""A small world on the fakes for the use-case tests: a store, a clock, one organization's
catalog (family "service": Basic 3,100 and Pro 6,200 USD a month, so a day of January is 100
and 200) and an account billed in USD in UTC."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.catalog import plan_families as pf
from plansmith.application.catalog import plans as cat
from plansmith.application.kernel.ports import UnitOfWork
from plansmith.domain.organizations.organization import Organization
from tests.fakes import FakeClock, FakeStore, Rows, fake_uow

ORG = "org_a"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def flat_terms(usd_per_month: int, **extra: Any) -> dict[str, Any]:
    return {
        "pricing": "flat",
        "prices": [{"currency": "USD", "cycle": "month", "amount": usd_per_month}],
        **extra,
    }


@dataclass
class World:
    store: FakeStore = field(default_factory=FakeStore)
    clock: FakeClock = field(default_factory=lambda: FakeClock(T0))

    def __post_init__(self) -> None:
        # The organization itself: finalizing reads who its invoices are from.
        self.store.rows.organizations[ORG] = Organization(ORG, "Kato Billing", T0)

    def uow(self) -> UnitOfWork:
        return fake_uow(self.store)

    def snapshot(self) -> tuple[Rows, int]:
        """Every row and the number of commits: equal before and after a refused call."""
        return self.store.snapshot(), self.store.commits

    def seed_catalog(self, policy: dict[str, Any] | None = None) -> None:
        pf.create_family(
            self.uow(), self.clock, ORG, pf.FamilyInput("service", "Service plans", policy)
        )
        for rank, (code, amount) in enumerate((("basic", 3100), ("pro", 6200))):
            data = cat.PlanInput(
                code, code.title(), "service", rank=rank, terms=flat_terms(amount), publish=True
            )
            cat.create_plan(self.uow(), self.clock, ORG, data)

    def open_account(self) -> str:
        data = AccountInput("Kato Ltd", "billing@kato.example", "USD", time_zone="UTC")
        return open_account(self.uow(), self.clock, ORG, data).id
