"""Paying a void invoice is refused, naming the invoice, and changes nothing (issue 14's bad
input), through the API and through the use case the portal and the collection run share."""

from __future__ import annotations

import pytest

from plansmith.application.kernel.errors import Conflict
from plansmith.application.payments.collection import collect_invoice
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.billing_api_support import _assert_problem, _ok
from tests.integration.payments_api_support import NO_GRACE, PaymentsApi
from tests.integration.payments_api_support import api as api  # the fixture
from tests.integration.route_calls import _dump


@NO_GRACE
def test_paying_a_void_invoice_is_refused_and_changes_nothing(
    api: PaymentsApi, container: Plansmith, tenant: Tenant
) -> None:
    account_id, invoice = api.open_invoice()
    api.card(account_id)
    _ok(api.post(f"/v1/invoices/{invoice['id']}/void"))
    before = _dump(container)

    refused = api.post(f"/v1/invoices/{invoice['id']}/pay")
    with pytest.raises(Conflict) as by_customer:
        collect_invoice(
            container.uow(),
            container.gateway_for(tenant.organization_id),
            container.clock,
            tenant.organization_id,
            invoice["id"],
            by_customer=True,
        )
    collected = collect_invoice(
        container.uow(),
        container.gateway_for(tenant.organization_id),
        container.clock,
        tenant.organization_id,
        invoice["id"],
    )

    _assert_problem(refused, 409, "not_payable", "invoice_id")
    assert "void invoice owes nothing" in refused.json()["detail"]
    assert (by_customer.value.code, by_customer.value.field) == ("not_payable", "invoice_id")
    assert (collected.invoice.status.value, collected.payment) == ("void", None)
    assert _dump(container) == before
