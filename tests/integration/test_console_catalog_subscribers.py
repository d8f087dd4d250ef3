"""The console's catalog screens over HTTP: seed 002's number of registered accounts
(subscribers) for each plan and version."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.catalog.plans import (
    PlanView,
)
from plansmith.application.subscriptions.actions import cancel_subscription, pause_subscription
from plansmith.application.subscriptions.queries import subscriber_counts
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.console_catalog_support import (
    _confirmed,
    _csrf,
    _edit_form,
    _family,
    _plan,
    _plan_subscribers,
    _version_subscribers,
    bronze,
    operator_client,
)

__all__ = ["bronze", "operator_client"]  # the shared fixtures


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


def _publish_new_price(
    client: TestClient, plan: PlanView, apply_to_existing: str
) -> tuple[Response, Response]:
    """Bronze at $29.99 instead of $24.99, published with the given answer to seed 003's
    question; returns the publish answer (a redirect) and the page it leads to."""
    page = client.get(f"/console/plans/{plan.plan.id}")
    client.post(
        f"/console/plans/{plan.plan.id}/draft", data=_edit_form(page, base_price__USD="29.99")
    )
    published = _confirmed(  # through the confirmation step
        client,
        f"/console/plans/{plan.plan.id}/publish",
        {"csrf_token": _csrf(page), "apply_to_existing": apply_to_existing},
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

    cell = r'id="version-(\d)">.*?<td class="num subscribers"[^>]*><bdi>([^<]*)</bdi></td>'
    rows = dict(re.findall(cell, editor, re.S))
    assert rows == {"1": "1", "2": "2", "3": "0"}  # legacy, current, the new draft
    assert 'id="plan-subscribers">3 subscribers<' in editor  # 1 + 2 + 0
    assert 'id="existing-customers">Version <bdi>2</bdi> has 2 subscribers now.' in editor


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
