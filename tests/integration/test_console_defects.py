"""Issue 13's console defects in the catalog, over HTTP: Publish, Archive and Discard draft take
a confirmation step that says what happens, to whom and from when (the first POST changes
nothing); a draft can be discarded; a copy gets the name and code the operator gives it, with
clear errors beside the fields; cycles read as words; the name customers see is apart from the
internal version label; the catalog is a compact list."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.catalog.plans import PlanView, copy_plan, get_plan
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.catalog.plans import VersionStatus
from tests.conftest import Tenant
from tests.integration.console_catalog_support import (
    _csrf,
    _edit_form,
    _error_beside,
    _plan,
    _shown,
    _text,
    _versions,
    bronze,
    operator_client,
)

__all__ = ["bronze", "operator_client"]  # the shared fixtures


def _with_draft(client: TestClient, plan: PlanView, price: str = "29.99") -> str:
    """Bronze with a saved draft at ``price``; returns a CSRF token of the editor."""
    page = client.get(f"/console/plans/{plan.plan.id}")
    saved = client.post(
        f"/console/plans/{plan.plan.id}/draft", data=_edit_form(page, base_price__USD=price)
    )
    assert saved.status_code == 200 and "Draft saved" in saved.text
    return _csrf(saved)


def _subscribers(container: Plansmith, tenant: Tenant, n: int) -> None:
    """``n`` USD accounts on Bronze."""
    org, uow, clock = tenant.organization_id, container.uow, container.clock
    for i in range(n):
        data = AccountInput(f"Customer {i}", f"c{i}@example.com", "USD", "America/New_York")
        account = open_account(uow(), clock, org, data)
        subscribe(uow(), clock, org, SubscribeInput(account.id, "bronze"))


@pytest.mark.parametrize(
    ("apply", "says"),
    [
        ("never", "No customer moves: the 2 subscribers of version 1 keep it and its price."),
        ("at_renewal", "The 2 subscribers of version 1 move to version 2 at their next renewal"),
        ("now", "The 2 subscribers of version 1 move to version 2 now, on Jan 31, 2026."),
    ],
)
def test_publish_first_shows_who_moves_and_when_and_publishes_only_on_confirm(
    operator_client: TestClient,
    container: Plansmith,
    tenant: Tenant,
    bronze: PlanView,
    apply: str,
    says: str,
) -> None:
    _subscribers(container, tenant, 2)
    token = _with_draft(operator_client, bronze)
    url = f"/console/plans/{bronze.plan.id}/publish"

    asked = operator_client.post(url, data={"csrf_token": token, "apply_to_existing": apply})
    untouched = [v.status for v in _versions(container, tenant, bronze)]
    confirmed = operator_client.post(
        url,
        data={
            "csrf_token": _csrf(asked),
            "apply_to_existing": apply,
            "confirmed": "yes",
            "expect": _shown(asked),
        },
        follow_redirects=False,
    )

    text = _text(asked)
    assert asked.status_code == 200 and "Publish version 2 of Bronze?" in text
    assert "Nothing has changed yet." in text and says in text
    assert "From Jan 31, 2026, new sign-ups get version 2 instead of version 1." in text
    assert "Prices now (version 1) Monthly: $24.99" in text
    assert "Prices of version 2 Monthly: $29.99" in text and "USD 24.99 -> USD 29.99" in text
    assert 'name="confirmed" value="yes"' in asked.text and ">Cancel</a>" in asked.text
    assert untouched == [VersionStatus.CURRENT, VersionStatus.DRAFT]
    assert confirmed.status_code == 303 and "published_" in confirmed.headers["location"]
    assert [v.status for v in _versions(container, tenant, bronze)] == [
        VersionStatus.LEGACY,
        VersionStatus.CURRENT,
    ]


def test_publish_without_an_answer_is_refused_before_the_confirmation(
    operator_client: TestClient, container: Plansmith, tenant: Tenant, bronze: PlanView
) -> None:
    token = _with_draft(operator_client, bronze)

    answer = operator_client.post(
        f"/console/plans/{bronze.plan.id}/publish", data={"csrf_token": token}
    )

    assert answer.status_code == 422 and "Publish version 2 of Bronze?" not in answer.text
    assert "apply_to_existing is never, at_renewal or now" in _error_beside(answer, "apply")


def test_archive_first_says_what_new_sign_ups_lose_and_archives_only_on_confirm(
    operator_client: TestClient, container: Plansmith, tenant: Tenant, bronze: PlanView
) -> None:
    _subscribers(container, tenant, 1)
    page = operator_client.get(f"/console/plans/{bronze.plan.id}")
    url = f"/console/plans/{bronze.plan.id}/archive"

    asked = operator_client.post(url, data={"csrf_token": _csrf(page)})
    still = get_plan(container.uow(), tenant.organization_id, bronze.plan.id)
    confirmed = operator_client.post(
        url,
        data={"csrf_token": _csrf(asked), "confirmed": "yes", "expect": _shown(asked)},
        follow_redirects=False,
    )

    text = _text(asked)
    assert asked.status_code == 200 and "Archive Bronze?" in text
    assert "From Jan 31, 2026, new customers can no longer sign up for Bronze" in text
    assert "Offered now: Sign-up page Website Portal upgrade list" in text
    assert "The 1 existing subscriber keeps their version and its price." in text
    assert "Prices new sign-ups lose (version 1) Monthly: $24.99" in text
    assert still.plan.archived_at is None
    assert confirmed.status_code == 303 and confirmed.headers["location"].endswith("=archived")
    archived = get_plan(container.uow(), tenant.organization_id, bronze.plan.id)
    assert archived.plan.archived_at is not None


def test_the_confirmation_step_needs_the_form_token_too(
    operator_client: TestClient, container: Plansmith, tenant: Tenant, bronze: PlanView
) -> None:
    _with_draft(operator_client, bronze)
    base = f"/console/plans/{bronze.plan.id}"
    forged = {"csrf_token": "forged", "confirmed": "yes"}

    answers = [
        operator_client.post(f"{base}/publish", data={**forged, "apply_to_existing": "now"}),
        operator_client.post(f"{base}/archive", data=forged),
        operator_client.post(f"{base}/discard-draft", data=forged),
    ]

    assert [a.status_code for a in answers] == [403] * 3
    view = get_plan(container.uow(), tenant.organization_id, bronze.plan.id)
    assert [v.status for v in view.versions] == [VersionStatus.CURRENT, VersionStatus.DRAFT]
    assert view.plan.archived_at is None


def test_a_draft_is_discarded_after_a_confirmation_and_the_plan_is_as_before(
    operator_client: TestClient, container: Plansmith, tenant: Tenant, bronze: PlanView
) -> None:
    token = _with_draft(operator_client, bronze, price="99.00")
    url = f"/console/plans/{bronze.plan.id}/discard-draft"
    before = get_plan(container.uow(), tenant.organization_id, bronze.plan.id).versions[0]

    asked = operator_client.post(url, data={"csrf_token": token})
    kept = len(_versions(container, tenant, bronze))
    discarded = operator_client.post(
        url, data={"csrf_token": _csrf(asked), "confirmed": "yes", "expect": _shown(asked)}
    )

    text = _text(asked)
    assert asked.status_code == 200 and "Discard draft version 2 of Bronze?" in text
    assert "The draft and every change saved in it are lost on Jan 31, 2026" in text
    assert "version 1 stays as it is" in text and "Monthly: $99.00" in text
    assert kept == 2
    assert discarded.status_code == 200 and "Draft discarded." in discarded.text
    assert "No draft." in discarded.text and "Discard draft" not in discarded.text
    assert _versions(container, tenant, bronze) == [before]


def test_discarding_is_refused_without_a_draft_and_for_a_never_published_plan(
    operator_client: TestClient, container: Plansmith, tenant: Tenant, bronze: PlanView
) -> None:
    org = tenant.organization_id
    page = operator_client.get(f"/console/plans/{bronze.plan.id}")
    copy = copy_plan(container.uow(), container.clock, org, bronze.plan.id, code="copper")
    token = {"csrf_token": _csrf(page), "confirmed": "yes"}

    no_draft = operator_client.post(f"/console/plans/{bronze.plan.id}/discard-draft", data=token)
    only = operator_client.post(f"/console/plans/{copy.plan.id}/discard-draft", data=token)
    asked = operator_client.post(
        f"/console/plans/{copy.plan.id}/discard-draft", data={"csrf_token": _csrf(page)}
    )

    assert no_draft.status_code == 409
    assert "plan 'bronze' has no draft to discard" in _text(no_draft)
    assert only.status_code == 409 and asked.status_code == 409
    assert "the only version of plan 'copper', never published: archive the plan instead" in (
        _text(only)
    )
    assert len(get_plan(container.uow(), org, copy.plan.id).versions) == 1
    assert len(_versions(container, tenant, bronze)) == 1


def test_copy_takes_the_name_and_code_the_operator_gives(
    operator_client: TestClient, container: Plansmith, tenant: Tenant, bronze: PlanView
) -> None:
    page = operator_client.get(f"/console/plans/{bronze.plan.id}")

    copied = operator_client.post(
        f"/console/plans/{bronze.plan.id}/copy",
        data={"csrf_token": _csrf(page), "name": "Bronze 2027", "code": "bronze-2027"},
    )

    assert copied.status_code == 200 and "This is the copy" in copied.text
    assert '<h1 class="plan-title">Bronze 2027' in copied.text and "Copy of" not in copied.text
    assert '<code class="code">bronze-2027</code>' in copied.text
    catalog = _text(operator_client.get("/console/catalog"))
    assert "Bronze 2027 bronze-2027" in catalog and "Copy of" not in catalog


@pytest.mark.parametrize(
    ("name", "code", "field_id", "message", "status"),
    [
        ("Bronze 2027", "bronze", "copy-code", "a plan 'bronze' exists already", 409),
        ("Bronze 2027", "Bronze Two", "copy-code", "'Bronze Two' is not a code", 422),
        ("Bronze 2027", " ", "copy-code", "give the new plan a code", 422),
        (" ", "bronze-2027", "copy-name", "name must not be empty", 422),
    ],
)
def test_a_wrong_name_or_code_of_a_copy_is_shown_beside_its_field_and_nothing_is_made(
    operator_client: TestClient,
    container: Plansmith,
    tenant: Tenant,
    bronze: PlanView,
    name: str,
    code: str,
    field_id: str,
    message: str,
    status: int,
) -> None:
    page = operator_client.get(f"/console/plans/{bronze.plan.id}")

    answer = operator_client.post(
        f"/console/plans/{bronze.plan.id}/copy",
        data={"csrf_token": _csrf(page), "name": name, "code": code},
    )

    assert answer.status_code == status
    assert message in _error_beside(answer, field_id)
    assert f'name="code" value="{code}"' in answer.text  # what was typed stays
    with container.uow() as uow:
        assert [p.code for p in uow.plans.list(tenant.organization_id)] == ["bronze"]


def test_the_name_customers_see_is_apart_from_the_internal_version_label(
    operator_client: TestClient, container: Plansmith, tenant: Tenant, bronze: PlanView
) -> None:
    page = operator_client.get(f"/console/plans/{bronze.plan.id}")

    renamed = operator_client.post(
        f"/console/plans/{bronze.plan.id}/rename",
        data={"csrf_token": _csrf(page), "name": "Bronze Mail"},
    )
    blank = operator_client.post(
        f"/console/plans/{bronze.plan.id}/rename", data={"csrf_token": _csrf(page), "name": ""}
    )

    text = _text(renamed)
    assert "Name customers see Bronze Mail" in text
    assert "Version label (internal) Bronze" in text  # the version keeps its label
    assert '<label for="name">Version label (internal)' in page.text  # the editor's field
    assert blank.status_code == 422
    assert "name must not be empty" in _error_beside(blank, "rename-name")
    assert get_plan(container.uow(), tenant.organization_id, bronze.plan.id).plan.name == (
        "Bronze Mail"
    )


def test_cycles_read_as_words_people_use(operator_client: TestClient, bronze: PlanView) -> None:
    catalog = _text(operator_client.get("/console/catalog"))
    editor = _text(operator_client.get(f"/console/plans/{bronze.plan.id}"))

    for text in (catalog, editor):
        assert "Monthly: $24.99" in text and "Annual: $239.90 (20 % off)" in text
        assert not re.search(r"/ (month|quarter|year)\b", text)


def test_the_catalog_is_a_compact_list_with_each_familys_versions_on_demand(
    operator_client: TestClient, container: Plansmith, tenant: Tenant, bronze: PlanView
) -> None:
    _plan(container, tenant.organization_id, code="silver")

    page = operator_client.get("/console/catalog")

    rows = re.findall(r'<tr class="plan" id="plan-(\w+)">', page.text)
    assert rows == ["bronze", "silver"]
    row = re.search(r'id="plan-bronze">(.*?)</tr>', page.text, re.S)
    assert row is not None
    assert f'href="/console/plans/{bronze.plan.id}"' in row.group(1)
    assert "Version 1 0 subscribers Monthly: $24.99 + 2 more prices Active" in _text(row.group(1))
    details = re.search(r'<details class="family-details"[^>]*>(.*?)</details>', page.text, re.S)
    assert details is not None and "<details open" not in page.text
    assert 'id="version-bronze-1"' in details.group(1) and "Downgrades take" in details.group(1)
