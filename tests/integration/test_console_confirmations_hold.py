"""Review round 2: a console confirmation holds to what it showed. Publish, Discard draft and
Archive carry the plan as shown (and Publish's apply mode), Void and Mark paid the invoice's
state and figures; when another tab changed it between the two steps, the Confirm is refused
(409) with the confirmation again, showing what it is now, and nothing is done."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from plansmith.application.catalog.plans import PlanView, get_plan
from plansmith.application.invoicing.invoices import issue_credit_note
from plansmith.bootstrap import Plansmith
from plansmith.domain.catalog.plans import VersionStatus
from tests.conftest import Tenant
from tests.integration.console_catalog_support import (
    _csrf,
    _edit_form,
    _shown,
    _text,
    _versions,
    bronze,
    operator_client,
)
from tests.integration.invoice_pages import (
    billed_customer,
    csrf,
    sign_in_console,
    snapshot,
    status_of,
)

__all__ = ["bronze", "operator_client"]  # the shared fixtures
CHANGED = "This changed since it was shown: nothing was done."


def _save_draft(client: TestClient, plan: PlanView, price: str) -> str:
    page = client.get(f"/console/plans/{plan.plan.id}")
    saved = client.post(
        f"/console/plans/{plan.plan.id}/draft", data=_edit_form(page, base_price__USD=price)
    )
    assert saved.status_code == 200 and "Draft saved" in saved.text
    return _csrf(saved)


@pytest.mark.parametrize("action", ["publish", "discard-draft", "archive"])
def test_a_plan_changed_between_the_two_steps_is_not_touched(
    operator_client: TestClient,
    container: Plansmith,
    tenant: Tenant,
    bronze: PlanView,
    action: str,
) -> None:
    token = _save_draft(operator_client, bronze, "29.99")
    url = f"/console/plans/{bronze.plan.id}/{action}"
    form = {"csrf_token": token, "apply_to_existing": "never"} if action == "publish" else {}
    asked = operator_client.post(url, data={"csrf_token": token, **form})
    assert asked.status_code == 200
    assert action == "archive" or "$29.99" in _text(asked)  # archive shows the current version
    _save_draft(operator_client, bronze, "39.99")  # another tab, between the two steps
    before = _versions(container, tenant, bronze)

    confirmed = operator_client.post(
        url,
        data={**form, "csrf_token": _csrf(asked), "confirmed": "yes", "expect": _shown(asked)},
        follow_redirects=False,
    )

    assert confirmed.status_code == 409
    text = _text(confirmed)
    assert CHANGED in text
    if action != "archive":  # the confirmation again, with the draft as it is now
        assert "$39.99" in text and "$29.99" not in text
    after = _versions(container, tenant, bronze)
    assert after == before
    assert [v.status for v in after] == [VersionStatus.CURRENT, VersionStatus.DRAFT]
    assert after[-1].terms.base_prices == {"USD": 3999}
    assert (
        get_plan(container.uow(), tenant.organization_id, bronze.plan.id).plan.archived_at is None
    )

    again = operator_client.post(
        url,
        data={
            **form,
            "csrf_token": _csrf(confirmed),
            "confirmed": "yes",
            "expect": _shown(confirmed),
        },
        follow_redirects=False,
    )

    assert again.status_code == 303  # confirmed on what is shown now: done


def test_publish_confirmed_with_another_apply_mode_than_shown_is_refused(
    operator_client: TestClient, container: Plansmith, tenant: Tenant, bronze: PlanView
) -> None:
    token = _save_draft(operator_client, bronze, "29.99")
    url = f"/console/plans/{bronze.plan.id}/publish"
    asked = operator_client.post(url, data={"csrf_token": token, "apply_to_existing": "never"})
    before = _versions(container, tenant, bronze)

    confirmed = operator_client.post(
        url,
        data={
            "csrf_token": _csrf(asked),
            "apply_to_existing": "now",
            "confirmed": "yes",
            "expect": _shown(asked),
        },
    )

    assert confirmed.status_code == 409 and CHANGED in _text(confirmed)
    assert _versions(container, tenant, bronze) == before


@pytest.mark.parametrize("action", ["void", "mark-paid"])
def test_an_invoice_changed_between_the_two_steps_is_not_touched(
    client: TestClient, container: Plansmith, tenant: Tenant, action: str
) -> None:
    billed = billed_customer(container, tenant)
    sign_in_console(client, container, tenant)
    invoice = billed.second  # ¥17,003 due
    url = f"/console/invoices/{invoice.id}/{action}"
    asked = client.post(
        url, data={"csrf_token": csrf(client.get(f"/console/invoices/{invoice.id}"))}
    )
    assert asked.status_code == 200 and "Amount due ¥17,003" in _text(asked)
    org = tenant.organization_id
    issue_credit_note(container.uow(), container.clock, org, invoice.id, 3, "goodwill")
    before = snapshot(container)

    confirmed = client.post(
        url,
        data={"csrf_token": csrf(asked), "confirmed": "yes", "expect": _shown(asked)},
        follow_redirects=False,
    )

    assert confirmed.status_code == 409
    text = _text(confirmed)
    assert CHANGED in text and "Amount due ¥17,000" in text
    assert snapshot(container) == before
    assert status_of(container, tenant, invoice).value == "open"


def test_mark_paid_without_what_was_shown_does_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    billed = billed_customer(container, tenant)
    sign_in_console(client, container, tenant)
    invoice = billed.second
    token = csrf(client.get(f"/console/invoices/{invoice.id}"))
    before = snapshot(container)

    blind = client.post(
        f"/console/invoices/{invoice.id}/mark-paid", data={"csrf_token": token, "confirmed": "yes"}
    )

    assert blind.status_code == 409 and CHANGED in _text(blind)
    assert snapshot(container) == before
