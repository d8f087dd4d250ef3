"""The console's sandbox form is exactly-once, and Delete asks first, on SQLite and PostgreSQL
(review item 15): the same form sent again (a reload, a double click) shows "Already created"
and neither a second sandbox nor the key; a new page's form makes another; a refused form keeps
its token; each refusal is worded by its own code (the limit, an out-of-date form, anything
else), never as "this organization is a sandbox"; Delete is a confirmation page whose button
archives the sandbox, its key then refused."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from plansmith.application.organizations.organizations import create_organization
from plansmith.application.organizations.sandboxes import MAX_SANDBOXES, create_sandbox
from plansmith.bootstrap import Plansmith
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError, InvalidValue
from plansmith.entrypoints.console.sandbox_routes import (
    BY_CODE,
    NOT_CREATED,
    OUT_OF_DATE,
    SANDBOX_ORGANIZATION,
    _errors,
)
from plansmith.entrypoints.webui.i18n import COOKIE, translate
from tests.conftest import Tenant
from tests.integration.invoice_pages import csrf, sign_in_console
from tests.integration.route_calls import _dump

PAGE = "/console/sandboxes"
SECRET = re.compile(r'id="sandbox-secret" class="code" dir="ltr" value="(sk_[^"]+)"')


@pytest.fixture
def console(client: TestClient, container: Plansmith, tenant: Tenant) -> TestClient:
    sign_in_console(client, container, tenant)
    return client


def _form(page: Response) -> dict[str, str]:
    token = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert token is not None, "the form has no one-time token"
    return {"csrf_token": csrf(page), "form_token": token[1]}


def _rows(page: Response) -> list[str]:
    return re.findall(r'<tr id="(org_[^"]+)">', page.text)


def _alert(page: Response) -> str:
    shown = re.search(
        r'<div class="alert" role="alert" id="sandbox-error"><p>([^<]+)</p>', page.text
    )
    assert shown is not None, page.text
    return html.unescape(shown[1])


def test_the_same_form_sent_twice_makes_one_sandbox_and_shows_the_key_once(
    console: TestClient, container: Plansmith
) -> None:
    form = {**_form(console.get(PAGE)), "name": "Nightly"}
    first = console.post(PAGE, data=form)
    secret = SECRET.search(first.text)
    assert first.status_code == 200 and secret is not None
    before = _dump(container)

    again = console.post(PAGE, data=form)  # a reload of the answer, or a second click

    assert again.status_code == 200
    assert again.headers["cache-control"] == "no-store"
    assert 'id="already-created"' in again.text and "Already created" in again.text
    assert "Nightly (org_" in again.text
    assert SECRET.search(again.text) is None and secret[1] not in again.text
    assert _dump(container) == before
    assert len(_rows(again)) == 1
    # The answer's own form is a new one: sent, it makes a second sandbox.
    second = console.post(PAGE, data={**_form(first), "name": "Nightly"})
    assert SECRET.search(second.text) is not None and len(_rows(second)) == 2


def test_a_refused_form_keeps_its_token_and_once_fixed_makes_one(
    console: TestClient, container: Plansmith
) -> None:
    form = _form(console.get(PAGE))
    refused = console.post(PAGE, data={**form, "start": "1999-12-31T23:00"})
    assert refused.status_code == 422
    assert _form(refused)["form_token"] == form["form_token"]  # nothing was made with it

    made = console.post(PAGE, data={**_form(refused), "start": "2025-12-31T23:00"})
    again = console.post(PAGE, data={**_form(refused), "start": "2025-12-31T23:00"})

    assert SECRET.search(made.text) is not None
    assert 'id="already-created"' in again.text and len(_rows(again)) == 1


@pytest.mark.parametrize("token", ["", "short", "x" * 65, "not a token at all, with spaces!"])
def test_a_form_without_a_valid_token_makes_nothing_and_gets_a_fresh_one(
    console: TestClient, container: Plansmith, token: str
) -> None:
    form = {**_form(console.get(PAGE)), "form_token": token, "name": "Tokenless"}
    before = _dump(container)

    refused = console.post(PAGE, data=form)

    assert refused.status_code == 422
    assert _alert(refused) == OUT_OF_DATE
    assert "made by the live organization" not in refused.text
    assert _form(refused)["form_token"] not in ("", token)
    assert 'value="Tokenless"' in refused.text  # what was typed is kept
    assert _dump(container) == before


def test_the_limit_is_said_as_the_limit_in_the_pages_language(
    console: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    for n in range(MAX_SANDBOXES):
        create_sandbox(container.uow(), container.clock, tenant.organization_id, label=f"R{n}")
    console.cookies.set(COOKIE, "ja")
    form = _form(console.get(PAGE))
    before = _dump(container)

    refused = console.post(PAGE, data=form)

    assert refused.status_code == 409
    expected = translate("ja", BY_CODE[ec.SANDBOX_LIMIT_REACHED]) % {"num": MAX_SANDBOXES}
    assert _alert(refused) == expected and "50" in expected
    assert '<html lang="ja"' in refused.text
    assert _dump(container) == before


def test_refusals_are_worded_by_their_code_not_guessed_from_their_field(
    container: Plansmith,
) -> None:
    live = create_organization(container.uow(), container.clock, "Live one")
    sandbox = create_organization(container.uow(), container.clock, "Play one", sandbox=True)
    unknown = InvalidValue("no such field", field="colour")
    clash = DomainError("raced", code=ec.CONCURRENT_CHANGE)
    conflict = DomainError("a sandbox cannot make sandboxes", code=ec.CONFLICT)

    assert _errors("en", unknown, live) == {"": NOT_CREATED}
    assert _errors("en", unknown, sandbox) == {"": NOT_CREATED}
    assert _errors("en", clash, live) == {"": BY_CODE[ec.CONCURRENT_CHANGE]}
    assert _errors("en", conflict, live) == {"": NOT_CREATED}
    assert _errors("en", conflict, sandbox) == {"": SANDBOX_ORGANIZATION}


def test_delete_asks_first_then_archives_and_the_sandboxs_key_stops_working(
    console: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    made = create_sandbox(container.uow(), container.clock, tenant.organization_id, label="Old")
    kept = create_sandbox(container.uow(), container.clock, tenant.organization_id, label="Kept")
    sandbox_id = made.organization.id
    listing = console.get(PAGE)
    assert f'href="/console/sandboxes/{sandbox_id}/delete"' in listing.text
    before = _dump(container)

    confirm = console.get(f"{PAGE}/{sandbox_id}/delete")  # the first click

    assert confirm.status_code == 200 and confirm.headers["cache-control"] == "no-store"
    assert "Delete this sandbox?" in confirm.text and made.organization.name in confirm.text
    assert "stops working at once" in confirm.text and "cannot be undone" in confirm.text
    assert f'action="/console/sandboxes/{sandbox_id}/delete"' in confirm.text
    assert 'href="/console/sandboxes">Cancel</a>' in confirm.text
    assert _dump(container) == before  # asking changed nothing

    done = console.post(
        f"{PAGE}/{sandbox_id}/delete", data={"csrf_token": csrf(confirm)}, follow_redirects=False
    )

    assert done.status_code == 303 and done.headers["location"] == f"{PAGE}?done=deleted"
    page = console.get(done.headers["location"])
    assert "Sandbox deleted: its API keys no longer work." in page.text
    assert _rows(page) == [kept.organization.id]
    key = {"Authorization": f"Bearer {made.key.secret}"}
    assert console.get("/v1/test_clock", headers=key).status_code == 401
    after = _dump(container)
    # Sent again (a reload): the same answer, nothing changes; the page says it is gone.
    assert console.post(
        f"{PAGE}/{sandbox_id}/delete", data={"csrf_token": csrf(confirm)}, follow_redirects=False
    ).status_code == 303  # fmt: skip
    assert _dump(container) == after
    assert "This sandbox was deleted on" in console.get(f"{PAGE}/{sandbox_id}/delete").text


def test_delete_needs_the_sessions_csrf_token_and_an_own_sandbox(
    console: TestClient, container: Plansmith, tenant: Tenant, other_tenant: Tenant
) -> None:
    mine = create_sandbox(container.uow(), container.clock, tenant.organization_id)
    theirs = create_sandbox(container.uow(), container.clock, other_tenant.organization_id)
    token = csrf(console.get(PAGE))
    before = _dump(container)

    forged = console.post(f"{PAGE}/{mine.organization.id}/delete", data={"csrf_token": "x"})
    other_page = console.get(f"{PAGE}/{theirs.organization.id}/delete")
    other_post = console.post(f"{PAGE}/{theirs.organization.id}/delete", data={"csrf_token": token})

    assert forged.status_code == 403
    assert other_page.status_code == 404 and other_post.status_code == 404
    assert _dump(container) == before
