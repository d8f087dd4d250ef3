"""The console's catalog screens over HTTP: the list by family, the plan editor, publishing, and
seed 002's number of registered accounts (subscribers) for each plan and version."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from plansmith.application.accounts import AccountInput, open_account
from plansmith.application.catalog import (
    PlanInput,
    PlanView,
    create_plan,
    get_plan,
)
from plansmith.application.catalog_extras import (
    AddOnInput,
    ExtraPackInput,
    create_add_on,
    create_extra_pack,
)
from plansmith.application.organizations import create_operator
from plansmith.application.plan_families import FamilyInput, create_family
from plansmith.application.subscription_actions import cancel_subscription, pause_subscription
from plansmith.application.subscription_queries import subscriber_counts
from plansmith.application.subscriptions import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.catalog import Channel, PlanVersion, VersionStatus
from tests.conftest import Tenant

PASSWORD = "correct horse battery"
BRONZE_TERMS: dict[str, Any] = {
    "base_prices": {"USD": 2499},
    "cycle_discounts": {"quarter": "5", "year": "20"},
    "trial_days": 14,
    "allowances": {"scans": 30},
    "features": ["mail_scanning"],
    "description": "For a small team",
}


def _family(container: Plansmith, organization_id: str) -> None:
    data = FamilyInput("service", "Service plans", {"downgrade": "now"})
    create_family(container.uow(), container.clock, organization_id, data)


def _plan(container: Plansmith, organization_id: str, code: str = "bronze") -> PlanView:
    channels = ["signup", "website", "portal"]
    data = PlanInput(code, code.capitalize(), "service", 1, BRONZE_TERMS, channels, publish=True)
    return create_plan(container.uow(), container.clock, organization_id, data)


def _csrf(page: Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "the page has no CSRF token"
    return match.group(1)


def _edit_form(page: Response, **changes: str) -> dict[str, str | list[str]]:
    """What the browser posts from the editor's form, with ``changes`` typed in."""
    start = page.text.index('/draft" novalidate>')
    markup = page.text[start : page.text.index("</form>", start)]
    form: dict[str, str | list[str]] = {"channels": []}
    for kind, name, value, rest in re.findall(
        r'<input type="(\w+)"[^>]*? name="([^"]+)" value="([^"]*)"([^>]*)>', markup
    ):
        if kind != "checkbox":
            form[name] = html.unescape(value)
        elif "checked" in rest:
            form.setdefault(name, []).append(value)  # type: ignore[union-attr]
    for name, text in re.findall(
        r'<textarea id="\S+" name="(\S+)"[^>]*>(.*?)</textarea>', markup, re.S
    ):
        form[name] = html.unescape(text)
    form.update({key.replace("__", "."): value for key, value in changes.items()})
    return form


def _error_beside(page: Response, field_id: str) -> str:
    match = re.search(rf'<p class="error" id="{re.escape(field_id)}-error">([^<]*)</p>', page.text)
    assert match, f"no error shown beside {field_id}"
    return html.unescape(match.group(1))


@pytest.fixture
def operator_client(client: TestClient, container: Plansmith, tenant: Tenant) -> TestClient:
    email = "ops@acme.example"
    create_operator(container.uow(), container.clock, tenant.organization_id, email, PASSWORD)
    signed_in = client.post(
        "/console/login", data={"email": email, "password": PASSWORD}, follow_redirects=False
    )
    assert signed_in.status_code == 303
    return client


@pytest.fixture
def bronze(container: Plansmith, tenant: Tenant) -> PlanView:
    _family(container, tenant.organization_id)
    return _plan(container, tenant.organization_id)


def _versions(container: Plansmith, tenant: Tenant, plan: PlanView) -> list[PlanVersion]:
    return list(get_plan(container.uow(), tenant.organization_id, plan.plan.id).versions)


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
    text = page.text
    assert "Service plans" in text and "downgrades immediately, with a credit" in text
    assert f'href="/console/plans/{bronze.plan.id}"' in text and "rank 1" in text
    for shown in ("$24.99 / month", "$71.22 / quarter (5 % off)", "$239.90 / year (20 % off)"):
        assert shown in text
    for channel in ("Sign-up page", "Website", "Portal upgrade list"):
        assert channel in text
    assert "status-current" in text and 'aria-current="page">Catalog' in text
    assert "Telegram" in text and "$5.00 / month" in text
    assert "Chatbot 1,000" in text and "$10.00" in text and "1,000 <code>chatbot_sessions" in text
    assert _plan_subscribers(text, "bronze") == "0 subscribers"
    assert _version_subscribers(text, "bronze", 1) == "0"
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
    assert "Current version 1" in page.text and "No draft" in page.text
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
    assert "Draft saved" in shown.text and "Draft version 2" in shown.text
    assert "$29.99 / month" in shown.text and "€27.50 / month" in shown.text
    assert "Apply this change to existing customers?" in shown.text
    assert "it becomes Bronze Legacy, internal only" in shown.text


def test_publishing_with_no_keeps_existing_customers_on_a_legacy_version(
    operator_client: TestClient, container: Plansmith, tenant: Tenant, bronze: PlanView
) -> None:
    page = operator_client.get(f"/console/plans/{bronze.plan.id}")
    operator_client.post(
        f"/console/plans/{bronze.plan.id}/draft", data=_edit_form(page, base_price__USD="29.99")
    )

    published = operator_client.post(
        f"/console/plans/{bronze.plan.id}/publish",
        data={"csrf_token": _csrf(page), "apply_to_existing": "never", "legacy_name": ""},
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
    assert "$24.99 / month" in legacy_row.group(1) and "Website" not in legacy_row.group(1)
    assert "$29.99 / month" in current_row.group(1) and "Website" in current_row.group(1)


def test_publishing_with_yes_at_renewal_shows_the_notice_to_send(
    operator_client: TestClient, container: Plansmith, tenant: Tenant, bronze: PlanView
) -> None:
    page = operator_client.get(f"/console/plans/{bronze.plan.id}")
    operator_client.post(
        f"/console/plans/{bronze.plan.id}/draft", data=_edit_form(page, base_price__USD="29.99")
    )

    published = operator_client.post(
        f"/console/plans/{bronze.plan.id}/publish",
        data={"csrf_token": _csrf(page), "apply_to_existing": "at_renewal"},
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

    copied = operator_client.post(
        f"/console/plans/{bronze.plan.id}/copy", data={"csrf_token": _csrf(page)}
    )

    opened = re.fullmatch(r"http://testserver/console/plans/(\w+)\?done=copied", str(copied.url))
    assert copied.status_code == 200 and opened and opened.group(1) != bronze.plan.id
    assert '<h1 class="plan-title">Copy of Bronze' in copied.text
    assert "bronze-copy" in copied.text and "Draft version 1" in copied.text
    assert "Not published yet" in copied.text and "The first version of the plan" in copied.text


def test_archiving_stops_editing(
    operator_client: TestClient, container: Plansmith, tenant: Tenant, bronze: PlanView
) -> None:
    page = operator_client.get(f"/console/plans/{bronze.plan.id}")

    archived = operator_client.post(
        f"/console/plans/{bronze.plan.id}/archive", data={"csrf_token": _csrf(page)}
    )
    late_edit = operator_client.post(
        f"/console/plans/{bronze.plan.id}/draft", data=_edit_form(page)
    )

    assert archived.status_code == 200 and "Archived." in archived.text
    assert "Save draft" not in archived.text and 'action="/console/plans/' in archived.text
    assert late_edit.status_code == 409 and "is archived" in late_edit.text
    assert len(_versions(container, tenant, bronze)) == 1
    assert "status-archived" in operator_client.get("/console/catalog").text


# -- subscriber counts ----------------------------------------------------------------------


def _subscriber(
    container: Plansmith,
    organization_id: str,
    name: str,
    plan: str = "bronze",
    *,
    trial: bool | None = None,
    channel: str | None = None,
) -> str:
    """A new USD account subscribed to ``plan``; returns the subscription id."""
    uow, clock = container.uow, container.clock
    data = AccountInput(name, f"{name.lower()}@example.com", "USD", "America/New_York")
    account = open_account(uow(), clock, organization_id, data)
    wanted = SubscribeInput(account.id, plan, trial=trial, channel=channel)
    return subscribe(uow(), clock, organization_id, wanted).view.subscription.id


def _version_subscribers(page: str, plan_code: str, number: int) -> str:
    row = re.search(rf'id="version-{plan_code}-{number}">(.*?)</tr>', page, re.S)
    assert row, f"no row for version {number} of {plan_code}"
    cell = re.search(r'<td class="num subscribers">([^<]*)</td>', row.group(1))
    assert cell, "the row has no subscriber count"
    return cell.group(1)


def _plan_subscribers(page: str, plan_code: str) -> str:
    found = re.search(rf'id="subscribers-{plan_code}">([^<]*)<', page)
    assert found, f"no subscriber count for plan {plan_code}"
    return found.group(1)


def _publish_new_price(
    client: TestClient, plan: PlanView, apply_to_existing: str
) -> tuple[Response, Response]:
    """Bronze at $29.99 instead of $24.99, published with the given answer to seed 003's
    question; returns the publish answer (a redirect) and the page it leads to."""
    page = client.get(f"/console/plans/{plan.plan.id}")
    client.post(
        f"/console/plans/{plan.plan.id}/draft", data=_edit_form(page, base_price__USD="29.99")
    )
    published = client.post(
        f"/console/plans/{plan.plan.id}/publish",
        data={"csrf_token": _csrf(page), "apply_to_existing": apply_to_existing},
        follow_redirects=False,
    )
    return published, client.get(published.headers["location"])


def test_the_catalog_counts_trialing_active_and_paused_subscribers_not_ended_ones(
    operator_client: TestClient, container: Plansmith, tenant: Tenant, bronze: PlanView
) -> None:
    org = tenant.organization_id
    silver = _plan(container, org, code="silver")
    _subscriber(container, org, "Trialing")  # Bronze has a 14-day trial
    _subscriber(container, org, "Active", trial=False)
    paused = _subscriber(container, org, "Paused", trial=False)
    pause_subscription(container.uow(), container.clock, org, paused)
    leaving = _subscriber(container, org, "Leaving", trial=False)
    cancel_subscription(container.uow(), container.clock, org, leaving, "term_end")
    canceled = _subscriber(container, org, "Canceled", trial=False)
    cancel_subscription(container.uow(), container.clock, org, canceled, "now")
    expired = _subscriber(container, org, "Expired")
    cancel_subscription(container.uow(), container.clock, org, expired, "now")  # trial ends
    _subscriber(container, org, "Silvery", "silver")

    text = operator_client.get("/console/catalog").text

    # trialing + active + paused + canceling at term end (still active) = 4; the canceled
    # and the expired subscription hold no place any more.
    assert _version_subscribers(text, "bronze", 1) == "4"
    assert _plan_subscribers(text, "bronze") == "4 subscribers"
    assert _version_subscribers(text, "silver", 1) == "1"
    assert _plan_subscribers(text, "silver") == "1 subscriber"
    assert subscriber_counts(container.uow(), org) == {
        bronze.versions[0].id: 4,
        silver.versions[0].id: 1,
    }


def test_publishing_with_no_leaves_the_subscribers_on_the_legacy_version(
    operator_client: TestClient, container: Plansmith, tenant: Tenant, bronze: PlanView
) -> None:
    org = tenant.organization_id
    for name in ("Ada", "Grace"):
        _subscriber(container, org, name)

    published, editor = _publish_new_price(operator_client, bronze, "never")
    _subscriber(container, org, "Linus", channel="signup")  # gets the new version
    catalog = operator_client.get("/console/catalog").text

    assert published.headers["location"].endswith("?done=published_never")
    assert "Existing customers keep their version" in editor.text
    assert "notice was recorded" not in editor.text
    assert _version_subscribers(catalog, "bronze", 1) == "2"  # Bronze Legacy keeps both
    assert _version_subscribers(catalog, "bronze", 2) == "1"
    assert _plan_subscribers(catalog, "bronze") == "3 subscribers"  # 2 + 1


@pytest.mark.parametrize(
    ("apply_to_existing", "on_old", "on_new"),
    [("at_renewal", "2", "0"), ("now", "0", "2")],
)
def test_publishing_with_yes_says_how_many_subscribers_got_the_notice(
    operator_client: TestClient,
    container: Plansmith,
    tenant: Tenant,
    bronze: PlanView,
    apply_to_existing: str,
    on_old: str,
    on_new: str,
) -> None:
    org = tenant.organization_id
    for name in ("Ada", "Grace"):
        _subscriber(container, org, name)
    canceled = _subscriber(container, org, "Gone", trial=False)
    cancel_subscription(container.uow(), container.clock, org, canceled, "now")

    published, editor = _publish_new_price(operator_client, bronze, apply_to_existing)

    assert published.status_code == 303
    assert published.headers["location"].endswith(f"?done=published_{apply_to_existing}&notified=2")
    assert "The notice was recorded for 2 subscribers." in editor.text  # not the canceled one
    catalog = operator_client.get("/console/catalog").text
    assert _version_subscribers(catalog, "bronze", 1) == on_old
    assert _version_subscribers(catalog, "bronze", 2) == on_new
    assert _plan_subscribers(catalog, "bronze") == "2 subscribers"


def test_publishing_with_yes_and_no_subscribers_says_so(
    operator_client: TestClient, bronze: PlanView
) -> None:
    _, editor = _publish_new_price(operator_client, bronze, "now")

    assert "No customer had the previous version, so no notice was recorded." in editor.text


def test_the_editor_shows_the_subscribers_of_each_version_and_of_the_plan(
    operator_client: TestClient, container: Plansmith, tenant: Tenant, bronze: PlanView
) -> None:
    org = tenant.organization_id
    _subscriber(container, org, "Ada")
    _publish_new_price(operator_client, bronze, "never")
    for name in ("Grace", "Linus"):
        _subscriber(container, org, name)
    page = operator_client.get(f"/console/plans/{bronze.plan.id}")
    operator_client.post(f"/console/plans/{bronze.plan.id}/draft", data=_edit_form(page))

    editor = operator_client.get(f"/console/plans/{bronze.plan.id}").text

    rows = dict(
        re.findall(r'id="version-(\d)">.*?<td class="num subscribers">([^<]*)</td>', editor, re.S)
    )
    assert rows == {"1": "1", "2": "2", "3": "0"}  # legacy, current, the new draft
    assert 'id="plan-subscribers">3 subscribers<' in editor  # 1 + 2 + 0
    assert 'id="existing-customers">Version 2 has 2 subscribers now.' in editor


def test_another_organizations_subscribers_are_not_counted(
    operator_client: TestClient,
    container: Plansmith,
    tenant: Tenant,
    other_tenant: Tenant,
    bronze: PlanView,
) -> None:
    other = other_tenant.organization_id
    _family(container, other)
    _plan(container, other)  # the same code, "bronze", in the other organization
    _subscriber(container, other, "Stranger")

    text = operator_client.get("/console/catalog").text

    assert _version_subscribers(text, "bronze", 1) == "0"
    assert _plan_subscribers(text, "bronze") == "0 subscribers"
