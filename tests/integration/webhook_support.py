"""Shared by the webhook tests: events published as a use case would, and the tables read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.bootstrap import Plansmith, Settings, bootstrap
from plansmith.domain.payments.events import PaymentSucceeded


@contextmanager
def webhook_app(db_url: str, clock: TestClock, **more: Any) -> Iterator[Plansmith]:
    """An app whose webhook endpoints may point at 127.0.0.1, where the tests' receivers are."""
    settings = Settings(
        database_url=db_url,
        secret_key="test-secret",
        base_url="http://testserver",
        webhooks_allow_private=True,
        **more,
    )
    app = bootstrap(settings, clock=clock)
    try:
        yield app
    finally:
        app.dispose()


def payment_event(org: str, n: int, at: datetime) -> PaymentSucceeded:
    return PaymentSucceeded(
        organization_id=org,
        at=at,
        account_id=f"acct_{n}",
        payment_id=f"pay_{n:06d}",
        kind="payment",
        status="succeeded",
        amount=1000 + n,
        currency="USD",
        invoice_id=None,
        payment_method_id=None,
        decline_code=None,
        message=None,
    )


def publish_payments(app: Plansmith, org: str, count: int, start: int = 0) -> None:
    with app.uow() as uow:
        uow.publish([payment_event(org, start + n, app.clock.now()) for n in range(count)])
        uow.commit()


def count(app: Plansmith, table: Any) -> int:
    with app.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def deliveries(app: Plansmith) -> list[dict[str, Any]]:
    d = t.webhook_deliveries.c
    with app.engine.connect() as connection:
        q = select(t.webhook_deliveries).order_by(d.event_seq, d.endpoint_id)
        return [dict(r) for r in connection.execute(q).mappings()]


def attempts(app: Plansmith) -> list[dict[str, Any]]:
    a = t.webhook_attempts.c
    with app.engine.connect() as connection:
        q = select(t.webhook_attempts).order_by(a.delivery_id, a.number)
        return [dict(r) for r in connection.execute(q).mappings()]


def relay_all(app: Plansmith) -> None:
    """Fan out what the outbox holds, then give the relay's lease up (the test clock stands
    still: a second relay would otherwise wait for the first one's lease)."""
    relay = app.relay()
    try:
        relay.run_until_idle()
    finally:
        relay.stop()
