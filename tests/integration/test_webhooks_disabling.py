"""Disabling, on both databases, rule by rule, through the delivery store the workers use:
five events in a row that used every attempt disable the endpoint (not four, and a success in
between starts the count again); so does failing for three days without a success. Each
disabling publishes `webhook_endpoint.disabled` in the same transaction, once."""

from __future__ import annotations

from datetime import timedelta

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db.webhooks.deliveries import SqlDeliveryStore
from plansmith.application.webhooks import endpoints as uc
from plansmith.application.webhooks.ports import Answer, Due, Outcome
from plansmith.bootstrap import Plansmith
from plansmith.domain.webhooks.endpoints import DISABLE_AFTER, DISABLE_AFTER_EVENTS
from tests.conftest import Tenant
from tests.integration.webhook_support import publish_payments, relay_all

FAILED = Answer(500, "answered 500", 3, "no")
OK = Answer(200, None, 3, "ok")


def _setup(container: Plansmith, tenant: Tenant, events: int) -> str:
    policy = uc.UrlPolicy(False, lambda host, port: ["93.184.215.14"])
    endpoint = uc.create_endpoint(
        container.uow(),
        container.clock,
        policy,
        tenant.organization_id,
        url="https://hooks.example.com/in",
    ).id
    publish_payments(container, tenant.organization_id, events)
    relay_all(container)
    return endpoint


def _round(
    store: SqlDeliveryStore, clock: TestClock, answers: list[Answer], exhausted: bool
) -> list[str]:
    """Take the due deliveries, record ``answers`` for them in order; the disabled ids."""
    now = clock.now()
    due: list[Due] = list(store.take_due("w", now, now + timedelta(minutes=1), 100))
    assert len(due) == len(answers)
    later = None if exhausted else now + timedelta(seconds=5)
    outcomes = [
        Outcome(d, a, now, None if a.ok else later) for d, a in zip(due, answers, strict=True)
    ]
    disabled = store.record("w", outcomes, now, DISABLE_AFTER_EVENTS, now - DISABLE_AFTER)
    return [e.endpoint_id for e in disabled]


def _disabled_events(container: Plansmith, tenant: Tenant) -> list[str]:
    with container.uow() as uow:
        found = uow.outbox.list(
            tenant.organization_id,
            type="webhook_endpoint.disabled",
            object_id=None,
            before=None,
            limit=10,
        )
    return [e.object_id for e in found]


def test_five_events_in_a_row_using_every_attempt_disable_the_endpoint(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    endpoint = _setup(container, tenant, 6)
    store = SqlDeliveryStore(container.sessions)
    # Four exhausted, then one success: the count starts again.
    assert _round(store, clock, [FAILED] * 4 + [OK] + [FAILED], exhausted=True) == []
    assert uc.get_endpoint(container.uow(), tenant.organization_id, endpoint).enabled
    publish_payments(container, tenant.organization_id, 4, start=10)
    relay_all(container)
    assert _round(store, clock, [FAILED] * 4, exhausted=True) == []  # four in a row
    assert uc.get_endpoint(container.uow(), tenant.organization_id, endpoint).enabled
    publish_payments(container, tenant.organization_id, 1, start=20)
    relay_all(container)
    assert _round(store, clock, [FAILED], exhausted=True) == [endpoint]  # the fifth
    found = uc.get_endpoint(container.uow(), tenant.organization_id, endpoint)
    assert found.disabled_reason == "the last 5 events failed every attempt"
    assert _disabled_events(container, tenant) == [endpoint]


def test_three_days_of_failures_disable_the_endpoint_once(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    endpoint = _setup(container, tenant, 1)
    store = SqlDeliveryStore(container.sessions)
    assert _round(store, clock, [FAILED], exhausted=False) == []  # failing since now
    clock.advance(DISABLE_AFTER - timedelta(minutes=1))
    assert _round(store, clock, [FAILED], exhausted=False) == []
    clock.advance(timedelta(minutes=2))
    assert _round(store, clock, [FAILED], exhausted=False) == [endpoint]
    found = uc.get_endpoint(container.uow(), tenant.organization_id, endpoint)
    assert not found.enabled and found.disabled_reason == "failing without a success for 3 days"
    # Disabled: its deliveries are not taken any more; the event was published once.
    clock.advance(timedelta(hours=1))
    assert list(store.take_due("w", clock.now(), clock.now() + timedelta(minutes=1), 100)) == []
    assert _disabled_events(container, tenant) == [endpoint]
