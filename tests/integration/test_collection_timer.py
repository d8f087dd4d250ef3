"""`plansmith serve`'s timer collects after the renewal step: every live organization's due
invoice once (the balance, then the card), a declined one scheduled for its retry, sandboxes
left to their own clocks; with Redis set it sends one job per invoice instead, and no second
round while the first one's jobs wait."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from plansmith.adapters.clock import TestClock
from plansmith.application.organizations.organizations import create_organization
from plansmith.bootstrap import Plansmith, Settings, bootstrap
from plansmith.entrypoints.cli.renewals import RenewalTimer
from plansmith.entrypoints.worker import billing_jobs
from tests.conftest import IN_CI, Tenant, make_tenant
from tests.integration.collection_support import (
    PRICE,
    captures,
    catalog,
    due_invoices,
    invoice_state,
    payments_of,
)

REDIS_URL = os.environ.get("PLANSMITH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def grace_minutes() -> int:
    return 0  # invoices are finalized by the run that drafts them


def test_one_round_collects_each_live_organizations_due_invoices_once(
    container: Plansmith, tenant: Tenant
) -> None:
    other = make_tenant(container, "Second Operator")
    sandbox = create_organization(container.uow(), container.clock, "Sandbox", sandbox=True).id
    for org in (tenant.organization_id, other.organization_id, sandbox):
        catalog(container, org)
    paid, declined = due_invoices(
        container, tenant.organization_id, ["tok_sandbox_success", "tok_sandbox_insufficient_funds"]
    )
    (paid_too,) = due_invoices(container, other.organization_id, ["tok_sandbox_success_amex"])
    (untouched,) = due_invoices(container, sandbox, ["tok_sandbox_success"])
    timer = RenewalTimer(container, every_seconds=3600)

    timer.run_once()
    timer.run_once()

    assert [payments_of(container, d.invoice_id) for d in (paid, paid_too)] == [
        [("succeeded", PRICE)],
        [("succeeded", PRICE)],
    ]
    assert invoice_state(container, paid.invoice_id) == ("paid", 0)
    assert invoice_state(container, paid_too.invoice_id) == ("paid", 0)
    # declined once, then left for its retry a day later: not charged again by the 2nd round
    assert payments_of(container, declined.invoice_id) == [("failed", PRICE)]
    assert invoice_state(container, declined.invoice_id) == ("open", PRICE)
    assert payments_of(container, untouched.invoice_id) == []
    assert invoice_state(container, untouched.invoice_id) == ("open", PRICE)
    assert captures(container) == 2


def test_the_collection_run_reports_what_it_did(container: Plansmith, tenant: Tenant) -> None:
    catalog(container, tenant.organization_id)
    due_invoices(
        container,
        tenant.organization_id,
        ["tok_sandbox_success", "tok_sandbox_do_not_honor", "tok_sandbox_timeout_succeeded"],
    )
    timer = RenewalTimer(container, every_seconds=3600)

    first = timer.collect()
    second = timer.collect()

    assert first is not None and second is not None
    assert (first.attempted, first.succeeded, first.failed, first.unknown) == (3, 1, 1, 1)
    assert (second.attempted, second.succeeded, second.failed, second.unknown) == (0, 0, 0, 0)
    assert first.errors == second.errors == ()
    assert captures(container) == 2  # the timeout really captured; asked again later


@pytest.fixture
def redis_app(db_url: str, clock: TestClock) -> Iterator[Plansmith]:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # no server here
        if IN_CI:
            pytest.fail(f"CI=true but Redis is not reachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    settings = Settings(
        database_url=db_url,
        secret_key="test-secret",
        redis_url=REDIS_URL,
        job_namespace=f"plansmith-test-{uuid.uuid4().hex[:8]}",
        invoice_grace_minutes=0,
    )
    app = bootstrap(settings, clock=clock)
    yield app
    jobs = billing_jobs(app)
    jobs.broker.flush_all()
    jobs.broker.close()
    app.dispose()


def test_with_redis_a_round_sends_one_job_per_batch_and_no_second_while_it_waits(
    redis_app: Plansmith,
) -> None:
    org = create_organization(redis_app.uow(), redis_app.clock, "Jobs Inc").id
    catalog(redis_app, org)
    due = due_invoices(redis_app, org, ["tok_sandbox_success"] * 3)
    timer = RenewalTimer(redis_app, every_seconds=3600)

    first = timer.collect()
    second = timer.collect()

    assert first is not None and first.attempted == 3
    assert second is None  # the first round's job still waits: nothing sent again
    assert billing_jobs(redis_app).pending_collections() == 1  # one batch of the 3
    # sent, not collected here: the workers do that
    assert [payments_of(redis_app, d.invoice_id) for d in due] == [[], [], []]
    assert captures(redis_app) == 0


def test_a_round_with_nothing_due_collects_nothing(container: Plansmith) -> None:
    timer = RenewalTimer(container, every_seconds=3600)

    done = timer.collect()

    assert done is not None
    assert (done.attempted, done.succeeded, done.failed, done.unknown, done.errors) == (
        0,
        0,
        0,
        0,
        (),
    )
