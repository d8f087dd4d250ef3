"""The fake of the StandingReads port: the entitlement check's read, from the other fakes."""

from __future__ import annotations

from plansmith.application.payments.ports import AccountStanding, StandingReads
from tests.fakes.accounts import FakeAccounts
from tests.fakes.payments import FakeCollections, FakeDunningPolicies
from tests.fakes.store import FakeStore, Repo, Rows
from tests.fakes.subscriptions import FakeSubscriptions
from tests.fakes.usage import FakePacks

UNPAID = ("scheduled", "exhausted")


class FakeStandingReads(Repo):
    def account_standing(
        self, organization_id: str, account_id: str | None, external_id: str | None
    ) -> AccountStanding | None:
        accounts = FakeAccounts(self._store, self._rows)
        if account_id is not None:
            account = accounts.get(organization_id, account_id)
        else:
            assert external_id is not None
            account = accounts.find_by_external_id(organization_id, external_id)
        if account is None:
            return None
        subscriptions = FakeSubscriptions(self._store, self._rows)
        held = tuple(
            (sub, tuple(subscriptions.log(sub.id)))
            for sub in subscriptions.for_account(organization_id, account.id)
        )
        collections = FakeCollections(self._store, self._rows).of_account(account.id)
        unpaid = [c.stages_done for c in collections if c.state in UNPAID]
        paid = FakePacks(self._store, self._rows).paid_units(
            account.id, {sub.period_start for sub, _log in held}
        )
        return AccountStanding(
            account=account,
            catalog_revision=0,
            subscriptions=held,
            unpaid_stages=max(unpaid) if unpaid else None,
            policy=FakeDunningPolicies(self._store, self._rows).get(organization_id),
            packs={key: tuple(units) for key, units in paid.items()},
        )


# mypy checks the fake against its port here.
_reads: StandingReads = FakeStandingReads(FakeStore(), Rows())
