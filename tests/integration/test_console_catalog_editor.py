"""The console's catalog screens over HTTP: the list by family, the plan editor, publishing."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from plansmith.application.catalog.extras import (
    AddOnInput,
    ExtraPackInput,
    create_add_on,
    create_extra_pack,
)
from plansmith.application.catalog.plans import PlanView, get_plan
from plansmith.bootstrap import Plansmith
from plansmith.domain.catalog.plans import Channel, VersionStatus
from tests.conftest import Tenant
from tests.integration.console_catalog_support import (
    _confirmed,
    _csrf,
    _edit_form,
    _error_beside,
    _family,
    _plan,
    _plan_subscribers,
    _text,
    _version_subscribers,
    _versions,
    bronze,
    operator_client,
)

__all__ = ["bronze", "operator_client"]  # the shared fixtures


def test_the_catalog_lists_families_plans_versions_and_prices(
    operator_client: TestClient, container: Plansmith, tenant: Tenant, bronze: PlanView
) -> None:
    org, uow, clock = tenant.organization_id, container.uow, container.clock
    telegram = [{"currency": "USD", "cycle": "month", "amount": 500}]
    create_add_on(uow(), clock, org, AddOnInput("telegram", "Telegram", telegram))
    pack = ExtraPackInput("chatbot-1000", "Chatbot 1,000", {"USD": 1000}, "chatbot_sessions", 1000)
    create_extra_pack(uow(), clock, org, pack)

    page = operator_client.get("/console/catalog")

    assert page.status_code == 200
    text = _text(page)  # cycles read as words people use (issue 13): "Annual", not "year"
    assert "Service plans" in text and "Downgrades take effect immediately, with a credit" in text
    assert f'href="/console/plans/{bronze.plan.id}"' in page.text and "rank 1" in text
    for shown in ("Monthly: $24.99", "Quarterly: $71.22 (5 % off)", "Annual: $239.90 (20 % off)"):
        assert shown in text
    for channel in ("Sign-up page", "Website", "Portal upgrade list"):
        assert channel in text
    assert "status-current" in page.text and 'aria-current="page">Catalog' in page.text
    assert "Telegram" in text and "Monthly: $5.00" in text
    assert "Chatbot 1,000" in text and "$10.00" in text and "1,000 chatbot_sessions" in text
    assert _plan_subscribers(page.text, "bronze") == "0 subscribers"
    assert _version_subscribers(page.text, "bronze", 1) == "0"
    assert "coming soon" not in text.lower()


def test_the_catalog_needs_a_session(client: TestClient) -> None:
    for path in ("/console/catalog", "/console/plans/plan_x"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/console/login"


def test_the_editor_prefills_the_form_so_saving_it_unchanged_changes_nothing(
    operator_client: TestClient, container: Plansmith, tenant: Tenant, bronze: PlanView
) -> None:
    page = operator_client.get(f"/console/plans/{bronze.plan.id}")
    saved = operator_client.post(f"/console/plans/{bronze.plan.id}/draft", data=_edit_form(page))

    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "Current version 1" in _text(page) and "No draft" in page.text
    assert "Price per seat" in page.text and "$299.88" in page.text  # year before discount
    assert 'name="base_price.USD" value="24.99"' in page.text
    assert 'value="signup" checked' in page.text and 'value="internal">' in page.text
    assert saved.status_code == 200 and "Draft saved" in saved.text
    current, draft = _versions(container, tenant, bronze)
    assert (draft.name, draft.terms, draft.channels) == (
        current.name,
        current.terms,
        current.channels,
    )


def test_saving_the_form_makes_a_draft_and_keeps_the_current_version(
    operator_client: TestClient, container: Plansmith, tenant: Tenant, bronze: PlanView
) -> None:
    page = operator_client.get(f"/console/plans/{bronze.plan.id}")

    saved = operator_client.post(
        f"/console/plans/{bronze.plan.id}/draft",
        data=_edit_form(
            page,
            base_price__USD="29.99",
            new_currency="eur",
            new_price="27.50",
            discount__half_year="10 %",
            max_seats="50",
            allowances="scans = 60\nmail_items = 1,000",
            features="mail_scanning, shredding",
        ),
        follow_redirects=False,
    )

    assert saved.status_code == 303
    assert saved.headers["location"] == f"/console/plans/{bronze.plan.id}?done=saved"
    current, draft = _versions(container, tenant, bronze)
    assert current.status is VersionStatus.CURRENT and current.terms.base_prices == {"USD": 2499}
    assert draft.status is VersionStatus.DRAFT and draft.number == 2
    assert draft.terms.base_prices == {"USD": 2999, "EUR": 2750}
    assert draft.terms.cycle_discounts == {"quarter": 5, "half_year": 10, "year": 20}
    assert draft.terms.max_seats == 50 and draft.terms.trial_days == 14
    assert draft.terms.allowances == {"scans": 60, "mail_items": 1000}
    assert draft.terms.features == frozenset({"mail_scanning", "shredding"})
    shown = operator_client.get(saved.headers["location"])
    assert "Draft saved" in shown.text and "Draft version 2" in _text(shown)
    assert "Monthly: $29.99" in _text(shown) and "Monthly: €27.50" in _text(shown)
    assert "Apply this change to existing customers?" in shown.text
    assert "it becomes Bronze Legacy, internal only" in shown.text


def test_publishing_with_no_keeps_existing_customers_on_a_legacy_version(
    operator_client: TestClient, container: Plansmith, tenant: Tenant, bronze: PlanView
) -> None:
    page = operator_client.get(f"/console/plans/{bronze.plan.id}")
    operator_client.post(
        f"/console/plans/{bronze.plan.id}/draft", data=_edit_form(page, base_price__USD="29.99")
    )

    published = _confirmed(  # through the confirmation step (test_console_defects.py)
        operator_client,
        f"/console/plans/{bronze.plan.id}/publish",
        {"csrf_token": _csrf(page), "apply_to_existing": "never", "legacy_name": ""},
        follow_redirects=False,
    )

    assert published.status_code == 303
    assert published.headers["location"].endswith("?done=published_never")
    legacy, current = _versions(container, tenant, bronze)
    assert legacy.status is VersionStatus.LEGACY and legacy.name == "Bronze Legacy"
    assert legacy.channels == frozenset({Channel.INTERNAL})
    assert current.status is VersionStatus.CURRENT and current.terms.base_prices == {"USD": 2999}
    catalog = operator_client.get("/console/catalog").text
    rows = re.findall(r'<tr class="version version-(\w+)".*?</tr>', catalog, re.S)
    assert rows == ["current", "legacy"]
    legacy_row = re.search(r'id="version-bronze-1">(.*?)</tr>', catalog, re.S)
    current_row = re.search(r'id="version-bronze-2">(.*?)</tr>', catalog, re.S)
    assert legacy_row and current_row
    assert "Bronze Legacy" in legacy_row.group(1) and "Internal" in legacy_row.group(1)
    assert "Monthly: $24.99" in _text(legacy_row.group(1)) and "Website" not in legacy_row.group(1)
    assert "Monthly: $29.99" in _text(current_row.group(1)) and "Website" in current_row.group(1)


def test_publishing_with_yes_at_renewal_shows_the_notice_to_send(
    operator_client: TestClient, container: Plansmith, tenant: Tenant, bronze: PlanView
) -> None:
    page = operator_client.get(f"/console/plans/{bronze.plan.id}")
    operator_client.post(
        f"/console/plans/{bronze.plan.id}/draft", data=_edit_form(page, base_price__USD="29.99")
    )

    published = _confirmed(
        operator_client,
        f"/console/plans/{bronze.plan.id}/publish",
        {"csrf_token": _csrf(page), "apply_to_existing": "at_renewal"},
    )

    assert published.status_code == 200
    assert "move to it at their next renewal" in published.text
    assert "Your plan Bronze changes at your next renewal" in published.text
    assert "USD 24.99 -&gt; USD 29.99" in published.text
    old, _ = _versions(container, tenant, bronze)
    assert old.status is VersionStatus.LEGACY and old.name == "Bronze Legacy"


def test_publishing_without_an_answer_asks_for_one(
    operator_client: TestClient, container: Plansmith, tenant: Tenant, bronze: PlanView
) -> None:
    page = operator_client.get(f"/console/plans/{bronze.plan.id}")
    operator_client.post(f"/console/plans/{bronze.plan.id}/draft", data=_edit_form(page))

    answer = operator_client.post(
        f"/console/plans/{bronze.plan.id}/publish", data={"csrf_token": _csrf(page)}
    )

    assert answer.status_code == 422
    assert "apply_to_existing is never, at_renewal or now" in _error_beside(answer, "apply")
    assert [v.status for v in _versions(container, tenant, bronze)] == [
        VersionStatus.CURRENT,
        VersionStatus.DRAFT,
    ]


@pytest.mark.parametrize(
    ("price", "field_id", "message"),
    [
        ("-5", "base_price-USD", "a price cannot be negative"),
        ("abc", "base_price-USD", "'abc' is not an amount of USD"),
        ("", "base_prices", "a plan needs at least one price"),  # the only price withdrawn
    ],
)
def test_a_wrong_price_is_shown_beside_its_field_and_nothing_is_saved(
    operator_client: TestClient,
    container: Plansmith,
    tenant: Tenant,
    bronze: PlanView,
    price: str,
    field_id: str,
    message: str,
) -> None:
    page = operator_client.get(f"/console/plans/{bronze.plan.id}")

    answer = operator_client.post(
        f"/console/plans/{bronze.plan.id}/draft", data=_edit_form(page, base_price__USD=price)
    )

    assert answer.status_code == 422 and "Nothing was saved" in answer.text
    assert message in _error_beside(answer, field_id)
    assert f'name="base_price.USD" value="{price}"' in answer.text  # what was typed stays
    assert len(_versions(container, tenant, bronze)) == 1


def test_every_wrong_field_is_reported_at_once(
    operator_client: TestClient, container: Plansmith, tenant: Tenant, bronze: PlanView
) -> None:
    page = operator_client.get(f"/console/plans/{bronze.plan.id}")

    answer = operator_client.post(
        f"/console/plans/{bronze.plan.id}/draft",
        data=_edit_form(
            page,
            name=" ",
            base_price__USD="24.999",
            discount__year="120",
            max_seats="ten",
            allowances="scans: 30",
        ),
    )

    assert answer.status_code == 422
    assert _error_beside(answer, "name") == "name must not be empty"
    assert "at most 2 decimals" in _error_beside(answer, "base_price-USD")
    assert "between 0 and 100" in _error_beside(answer, "discount-year")
    assert "'ten' is not a whole number" in _error_beside(answer, "max_seats")
    assert "line 1: write key = number" in _error_beside(answer, "allowances")
    assert len(_versions(container, tenant, bronze)) == 1


def test_forms_without_the_csrf_token_are_refused_and_change_nothing(
    operator_client: TestClient, container: Plansmith, tenant: Tenant, bronze: PlanView
) -> None:
    page = operator_client.get(f"/console/plans/{bronze.plan.id}")
    edit = {k: v for k, v in _edit_form(page, base_price__USD="99.00").items() if k != "csrf_token"}
    base = f"/console/plans/{bronze.plan.id}"

    answers = [
        operator_client.post(f"{base}/draft", data=edit),
        operator_client.post(f"{base}/draft", data={**edit, "csrf_token": "forged"}),
        operator_client.post(f"{base}/publish", data={"apply_to_existing": "never"}),
        operator_client.post(f"{base}/copy", data={}),
        operator_client.post(f"{base}/archive", data={}),
    ]

    assert [a.status_code for a in answers] == [403] * 5 and "Form expired" in answers[0].text
    view = get_plan(container.uow(), tenant.organization_id, bronze.plan.id)
    assert len(view.versions) == 1 and view.plan.archived_at is None
    assert "Copy of" not in operator_client.get("/console/catalog").text


def test_another_organizations_plan_is_not_found(
    operator_client: TestClient,
    container: Plansmith,
    tenant: Tenant,
    other_tenant: Tenant,
    bronze: PlanView,
) -> None:
    _family(container, other_tenant.organization_id)
    foreign = _plan(container, other_tenant.organization_id, code="secret")
    page = operator_client.get(f"/console/plans/{bronze.plan.id}")
    base = f"/console/plans/{foreign.plan.id}"

    token = {"csrf_token": _csrf(page)}
    shown = operator_client.get(base)
    posts = [operator_client.post(f"{base}/{action}", data=token) for action in ("copy", "archive")]
    posts.append(operator_client.post(f"{base}/draft", data=_edit_form(page)))
    posts.append(
        operator_client.post(f"{base}/publish", data={**token, "apply_to_existing": "now"})
    )

    assert shown.status_code == 404 and shown.headers["content-type"].startswith("text/html")
    assert "Secret" not in shown.text and "Not found" in shown.text
    assert [p.status_code for p in posts] == [404] * 4
    assert "Secret" not in operator_client.get("/console/catalog").text
    untouched = get_plan(container.uow(), other_tenant.organization_id, foreign.plan.id)
    assert len(untouched.versions) == 1 and untouched.plan.archived_at is None


def test_copy_opens_the_editor_of_the_copy(operator_client: TestClient, bronze: PlanView) -> None:
    page = operator_client.get(f"/console/plans/{bronze.plan.id}")

    copied = operator_client.post(  # copying asks for the name and code (issue 13)
        f"/console/plans/{bronze.plan.id}/copy",
        data={"csrf_token": _csrf(page), "name": "Bronze Plus", "code": "bronze-plus"},
    )

    opened = re.fullmatch(r"http://testserver/console/plans/(\w+)\?done=copied", str(copied.url))
    assert copied.status_code == 200 and opened and opened.group(1) != bronze.plan.id
    assert '<h1 class="plan-title">Bronze Plus' in copied.text
    assert "bronze-plus" in copied.text and "Draft version 1" in _text(copied)
    assert "Not published yet" in copied.text and "The first version of the plan" in copied.text


def test_archiving_stops_editing(
    operator_client: TestClient, container: Plansmith, tenant: Tenant, bronze: PlanView
) -> None:
    page = operator_client.get(f"/console/plans/{bronze.plan.id}")

    archived = _confirmed(  # through the confirmation step (test_console_defects.py)
        operator_client, f"/console/plans/{bronze.plan.id}/archive", {"csrf_token": _csrf(page)}
    )
    late_edit = operator_client.post(
        f"/console/plans/{bronze.plan.id}/draft", data=_edit_form(page)
    )

    assert archived.status_code == 200 and "Archived." in archived.text
    assert "Save draft" not in archived.text and 'action="/console/plans/' in archived.text
    assert late_edit.status_code == 409 and "is archived" in late_edit.text
    assert len(_versions(container, tenant, bronze)) == 1
    assert "status-archived" in operator_client.get("/console/catalog").text
