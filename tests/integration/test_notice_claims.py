"""A sender whose claim on a notice was taken over (it stalled past the lease) cannot undo the
new holder's claim: its late failure neither frees the notice for a third send nor records a
refusal over it; a send the server accepted is recorded whoever holds the claim."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from plansmith.application.notices.ports import REFUSED, SENDING, SENT, NoticeKey, SentNotice
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.unit.subscription_builders import new_account

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _claimed(container: Plansmith, tenant: Tenant) -> SentNotice:
    account = new_account(container, tenant.organization_id, "USD", "UTC", name="Claims Ltd")
    key = NoticeKey("evt_1", "invoice_issued", account, "billing@claims.example")
    notice = SentNotice(
        key, tenant.organization_id, SENDING, "<m1@x>", "Invoice", (key.recipient,), b"raw", T0
    )
    assert container.notice_store.claim(notice)
    return notice


def test_a_stalled_senders_late_failure_leaves_the_new_holders_claim(
    container: Plansmith, tenant: Tenant
) -> None:
    store = container.notice_store
    first = _claimed(container, tenant)
    later = T0 + timedelta(minutes=5)
    assert store.take_over(first.key, T0, later)  # a second sender holds it now

    store.release(first.key, "timed out", T0)  # the first sender's SMTP call failed late
    store.finish(first.key, REFUSED, later, "550 late", T0)

    found = store.find(first.key)
    assert found is not None
    assert (found.status, found.claimed_at, found.last_error) == (SENDING, later, None)


def test_the_holder_releases_and_a_send_is_recorded_whoever_holds_it(
    container: Plansmith, tenant: Tenant
) -> None:
    store = container.notice_store
    first = _claimed(container, tenant)

    store.release(first.key, "connection refused", T0)
    released = store.find(first.key)
    assert released is not None and released.claimed_at < T0  # the next pass sends it at once
    assert released.last_error == "connection refused"

    later = T0 + timedelta(minutes=1)
    assert store.take_over(first.key, released.claimed_at, later)
    store.finish(first.key, SENT, later, None, T0)  # an earlier holder's send was accepted
    sent = store.find(first.key)
    assert sent is not None and (sent.status, sent.sent_at) == (SENT, later)
