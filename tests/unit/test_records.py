"""``changed`` makes the same copy as ``dataclasses.replace`` for the records the billing
run copies on its hot path, which keep nothing but their fields on the instance (a cached
property or a field not set by ``__init__`` would make ``changed`` wrong for them)."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, date, datetime

import pytest

from plansmith.domain.invoicing.invoice import Invoice, InvoiceStatus, Totals
from plansmith.domain.kernel.periods import Cycle
from plansmith.domain.kernel.records import changed
from plansmith.domain.subscriptions.subscription import Status, Subscription, Terms

AT = datetime(2027, 1, 10, 9, tzinfo=UTC)
SUBSCRIPTION = Subscription(
    id="sub_1",
    organization_id="org_1",
    account_id="acc_1",
    family_id="fam_1",
    terms=Terms("plan_1", "ver_1", Cycle.MONTHLY, "USD", 2, {"extra": 1}),
    status=Status.ACTIVE,
    time_zone="UTC",
    anchor=date(2027, 1, 10),
    period_start=date(2027, 1, 10),
    period_end=date(2027, 2, 10),
    trial_end=None,
    cancel_at_period_end=False,
    scheduled=None,
    pay_per_day=False,
    registered_at=AT,
    ended_on=None,
    revision=3,
    created_at=AT,
    updated_at=AT,
)
INVOICE = Invoice(
    id="inv_1",
    organization_id="org_1",
    account_id="acc_1",
    subscription_id="sub_1",
    currency="USD",
    status=InvoiceStatus.DRAFT,
    number=None,
    period_start=date(2027, 1, 10),
    period_end=date(2027, 2, 10),
    lines=(),
    totals=Totals(2000, 0, 0, 2000, 0, 2000),
    tax_id=None,
    created_at=AT,
    finalize_after=AT,
)


@pytest.mark.parametrize(
    ("record", "changes"),
    [
        (SUBSCRIPTION, {"period_start": date(2027, 2, 10), "status": Status.CANCELED}),
        (INVOICE, {"status": InvoiceStatus.OPEN, "finalized_at": AT, "number": "INV-000001"}),
    ],
)
def test_a_changed_copy_is_the_copy_replace_makes(
    record: object, changes: dict[str, object]
) -> None:
    assert set(vars(record)) == {f.name for f in fields(record)}  # type: ignore[arg-type]

    copy = changed(record, **changes)

    assert copy == replace(record, **changes)  # type: ignore[type-var]
    assert copy is not record
    assert type(copy) is type(record)


def test_an_unknown_field_is_refused() -> None:
    with pytest.raises(TypeError):
        changed(INVOICE, numbr="INV-000001")
