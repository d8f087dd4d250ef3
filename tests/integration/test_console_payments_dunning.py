"""The console's dunning policy form over HTTP: it shows the policy in force, saves a new
one, and refuses a wrong one naming each field next to it (a stage's row), nothing saved."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response

from plansmith.application.payments.queries import dunning_policy
from plansmith.bootstrap import Plansmith
from plansmith.domain.payments.dunning import (
    DEFAULT_POLICY,
    AfterLast,
    DunningPolicy,
    InvoiceAfterLast,
    Spacing,
    Stage,
    StageAction,
)
from tests.conftest import Tenant
from tests.integration.console_payments_support import payment_rows
from tests.integration.invoice_pages import csrf, sign_in_console, text_of

PAGE = "/console/settings/dunning"


def _send(client: TestClient, **fields: object) -> Response:
    form = {
        "retry_days": "1, 3, 5, 7",
        "spacing": "offsets",
        "stage_days": ["", ""],
        "stage_action": ["", ""],
        "after_last": "canceled",
        "invoice_after_last": "uncollectible",
        **fields,
    }
    answer: Response = client.post(
        PAGE, data={"csrf_token": csrf(client.get(PAGE)), **form}, follow_redirects=False
    )
    return answer


def _error(page: Response, name: str) -> str:
    found = re.search(
        rf'<p class="error" id="dunning-{re.escape(name)}-error">([^<]*)</p>', page.text
    )
    assert found is not None, f"no error next to {name}"
    return text_of(Response(200, text=found.group(1)))


def test_the_dunning_page_shows_the_default_policy(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    sign_in_console(client, container, tenant)

    page = client.get(PAGE)

    assert page.status_code == 200
    assert 'name="retry_days" value="1, 3, 5, 7"' in page.text
    assert '<option value="offsets" selected>Days after the first failure</option>' in page.text
    assert '<option value="canceled" selected>Cancel the subscription</option>' in page.text
    assert '<option value="uncollectible" selected>Mark it uncollectible</option>' in page.text
    assert page.text.count('name="stage_days" value=""') == 2
    assert "Dunning policy: how failed payments are retried" in text_of(
        client.get("/console/settings")
    )


def test_a_dunning_policy_is_saved_and_shown(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    sign_in_console(client, container, tenant)

    done = _send(
        client,
        retry_days="2 4, 6",
        spacing="gaps",
        stage_days=["3", "", "9"],
        stage_action=["notify", "", "restrict"],
        after_last="past_due",
        invoice_after_last="open",
    )
    page = client.get(done.headers["location"])

    assert done.status_code == 303
    assert dunning_policy(container.uow(), tenant.organization_id) == DunningPolicy(
        retry_days=(2, 4, 6),
        spacing=Spacing.GAPS,
        stages=(Stage(3, StageAction.NOTIFY), Stage(9, StageAction.RESTRICT)),
        after_last=AfterLast.PAST_DUE,
        invoice_after_last=InvoiceAfterLast.OPEN,
    )
    assert "Saved: invoices that fail from now on follow this policy." in text_of(page)
    assert 'name="retry_days" value="2, 4, 6"' in page.text
    assert 'id="dunning-stage_days-1" name="stage_days" value="9"' in page.text
    assert page.text.count('name="stage_days" value=""') == 2


def test_a_wrong_policy_is_refused_next_to_each_field_and_nothing_is_saved(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    sign_in_console(client, container, tenant)
    before = payment_rows(container)

    refused = _send(
        client,
        retry_days="1, 3, 2",
        stage_days=["5", "", "2", "6"],
        stage_action=["notify", "", "restrict", "cancel_now"],
    )
    no_action = _send(client, stage_days=["5", "", "", "4"], stage_action=["notify", "", "", ""])
    words = _send(client, retry_days="1, soon", spacing="weekly")
    cancel_twice = _send(
        client,
        stage_days=["5", "6"],
        stage_action=["cancel_now", "cancel_at_term_end"],
        after_last="forever",
    )

    assert [p.status_code for p in (refused, no_action, words, cancel_twice)] == [422] * 4
    assert "Nothing was saved: correct the fields marked below." in text_of(refused)
    assert _error(refused, "retry_days") == (
        "day 2 is not after the retry before it (day 3); offsets count from the first failure "
        'and must increase (or use spacing "gaps")'
    )
    assert _error(refused, "stage_days-2") == (
        "day 2 comes before the stage above it (day 5); list the stages in the order they are "
        "reached"
    )
    assert _error(no_action, "stage_action-3") == "a stage needs its action"
    assert 'id="dunning-stage_days-3" name="stage_days" value="4"' in no_action.text
    assert 'name="retry_days" value="1, 3, 2"' in refused.text
    assert _error(words, "spacing") == "unknown value 'weekly'; use offsets or gaps"
    assert _error(cancel_twice, "stage_action-1") == (
        "stages[0] cancels already; a policy cancels once: remove one of the two"
    )
    assert _error(cancel_twice, "after_last") == (
        "unknown value 'forever'; use canceled, cancel_at_term_end or past_due"
    )
    assert dunning_policy(container.uow(), tenant.organization_id) == DEFAULT_POLICY
    assert payment_rows(container) == before


def test_retry_days_that_are_not_numbers_are_refused(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    sign_in_console(client, container, tenant)

    refused = _send(client, retry_days="1, soon")

    assert refused.status_code == 422
    assert _error(refused, "retry_days") == "expected a whole number of days, got 'soon'"
    assert dunning_policy(container.uow(), tenant.organization_id) == DEFAULT_POLICY
