"""A live organization's sandboxes are bounded and can be deleted, on SQLite and PostgreSQL
(review item 15): at most MAX_SANDBOXES (50) live ones, refused with 409
`sandbox_limit_reached` and nothing written; the count holds when two creations race for the
last place; DELETE /v1/sandboxes/{id} archives one (its keys stop working, it leaves the list,
it no longer counts), answering the same thing however often it is sent."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db.organizations.repositories import SqlOrganizations
from plansmith.application.organizations.sandboxes import (
    MAX_SANDBOXES,
    MadeBefore,
    NewSandbox,
    SandboxLimitReached,
    create_sandbox,
    create_sandbox_from_form,
)
from plansmith.application.organizations.tokens import TokenRejected
from plansmith.application.organizations.web_sessions import new_session, read_session
from plansmith.bootstrap import Plansmith
from plansmith.domain.organizations.sessions import SessionKind
from tests.conftest import Tenant
from tests.integration.route_calls import _dump

PROBLEM = "application/problem+json"
FORM = "f" * 32  # a one-time form token


def _fill(container: Plansmith, owner_id: str, count: int) -> list[NewSandbox]:
    return [
        create_sandbox(container.uow(), container.clock, owner_id, label=f"Run {n}")
        for n in range(count)
    ]


def _live(client: TestClient, tenant: Tenant) -> list[str]:
    listed = client.get("/v1/sandboxes", params={"limit": 100}, headers=tenant.headers)
    assert listed.status_code == 200, listed.text
    return [s["id"] for s in listed.json()["data"]]


def test_the_51st_live_sandbox_is_refused_and_nothing_is_written(
    client: TestClient, container: Plansmith, tenant: Tenant, other_tenant: Tenant
) -> None:
    assert MAX_SANDBOXES == 50  # the documented number
    _fill(container, tenant.organization_id, MAX_SANDBOXES)
    before = _dump(container)

    refused = client.post("/v1/sandboxes", json={"name": "One more"}, headers=tenant.headers)

    assert refused.status_code == 409
    assert refused.headers["content-type"] == PROBLEM
    assert refused.json()["code"] == "sandbox_limit_reached"
    assert "50 live sandboxes" in refused.json()["detail"]
    assert _dump(container) == before
    # The limit is per organization: another one still makes its own.
    theirs = client.post("/v1/sandboxes", json={}, headers=other_tenant.headers)
    assert theirs.status_code == 201, theirs.text


def test_deleting_a_sandbox_frees_its_place_revokes_its_keys_and_answers_the_same_again(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    made = _fill(container, tenant.organization_id, MAX_SANDBOXES)
    gone = made[7].organization
    sandbox_key = {"Authorization": f"Bearer {made[7].key.secret}"}
    assert client.get("/v1/test_clock", headers=sandbox_key).status_code == 200

    deleted = client.delete(f"/v1/sandboxes/{gone.id}", headers=tenant.headers)
    clock.advance(timedelta(minutes=5))
    again = client.delete(f"/v1/sandboxes/{gone.id}", headers=tenant.headers)

    assert deleted.status_code == 200, deleted.text
    body = deleted.json()
    assert body["id"] == gone.id and body["object"] == "sandbox"
    assert body["archived_at"] == body["created_at"]  # the clock had not moved since
    assert again.status_code == 200 and again.json() == body  # idempotent
    assert client.get("/v1/test_clock", headers=sandbox_key).status_code == 401
    live = _live(client, tenant)
    assert gone.id not in live and len(live) == MAX_SANDBOXES - 1
    assert all(s["archived_at"] is None for s in client.get(
        "/v1/sandboxes", headers=tenant.headers
    ).json()["data"])  # fmt: skip
    one_more = client.post("/v1/sandboxes", json={"name": "One more"}, headers=tenant.headers)
    assert one_more.status_code == 201, one_more.text
    full = client.post("/v1/sandboxes", json={"name": "Too many"}, headers=tenant.headers)
    assert full.status_code == 409 and full.json()["code"] == "sandbox_limit_reached"


@pytest.mark.parametrize("whose", ["another organization's", "its own id", "the sandbox's key"])
def test_deleting_anything_but_an_own_sandbox_is_404_and_writes_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant, other_tenant: Tenant, whose: str
) -> None:
    [mine] = _fill(container, tenant.organization_id, 1)
    [theirs] = _fill(container, other_tenant.organization_id, 1)
    own_key = {"Authorization": f"Bearer {mine.key.secret}"}
    target, headers = {
        "another organization's": (theirs.organization.id, tenant.headers),
        "its own id": (tenant.organization_id, tenant.headers),
        "the sandbox's key": (mine.organization.id, own_key),
    }[whose]
    before = _dump(container)

    answer = client.delete(f"/v1/sandboxes/{target}", headers=headers)

    assert answer.status_code == 404, answer.text
    assert answer.json()["code"] == "not_found"
    assert _dump(container) == before


def _racing(
    monkeypatch: pytest.MonkeyPatch, racers: int
) -> Callable[[Callable[[], Any]], list[Any]]:
    """Run ``act`` in ``racers`` threads at once, each waiting after it counted the owner's
    sandboxes until all the others counted too (or a second passed): without the owner's row
    held, every racer counts before any inserts and all pass the limit."""
    barrier = threading.Barrier(racers, timeout=1)
    counted = SqlOrganizations.count_sandboxes

    def count_then_wait(self: SqlOrganizations, owner_id: str) -> int:
        found = counted(self, owner_id)
        # Broken: the others wait for our row, and count after we commit.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return found

    monkeypatch.setattr(SqlOrganizations, "count_sandboxes", count_then_wait)

    def run(act: Callable[[], Any]) -> list[Any]:
        def one() -> Any:
            try:
                return act()
            except SandboxLimitReached as refused:
                return refused

        with ThreadPoolExecutor(racers) as pool:
            return [f.result() for f in [pool.submit(one) for _ in range(racers)]]

    return run


def test_two_creations_racing_for_the_last_place_make_one(
    client: TestClient, container: Plansmith, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(container, tenant.organization_id, MAX_SANDBOXES - 1)
    race = _racing(monkeypatch, 2)

    results = race(lambda: create_sandbox(container.uow(), container.clock, tenant.organization_id))

    assert sorted(type(r).__name__ for r in results) == ["NewSandbox", "SandboxLimitReached"]
    assert len(_live(client, tenant)) == MAX_SANDBOXES


def test_one_form_sent_twice_at_once_makes_one_sandbox(
    client: TestClient, container: Plansmith, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    race = _racing(monkeypatch, 2)

    results = race(
        lambda: create_sandbox_from_form(
            container.uow(), container.clock, tenant.organization_id, FORM, label="Once"
        )
    )

    made = [r for r in results if isinstance(r, NewSandbox)]
    again = [r for r in results if isinstance(r, MadeBefore)]
    assert len(made) == 1 and len(again) == 1
    assert again[0].organization.id == made[0].organization.id
    assert _live(client, tenant) == [made[0].organization.id]


def test_deleting_a_sandbox_ends_its_browser_sessions_but_no_one_elses(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    [made] = _fill(container, tenant.organization_id, 1)
    sandbox_id = made.organization.id
    theirs = new_session(container.clock, SessionKind.PORTAL, sandbox_id, 3600)
    mine = new_session(container.clock, SessionKind.PORTAL, tenant.organization_id, 3600)
    with container.uow() as uow:
        uow.web_sessions.add(theirs.session)
        uow.web_sessions.add(mine.session)
        uow.commit()

    deleted = client.delete(f"/v1/sandboxes/{sandbox_id}", headers=tenant.headers)

    assert deleted.status_code == 200, deleted.text
    with pytest.raises(TokenRejected) as ended:
        read_session(container.uow(), container.clock, SessionKind.PORTAL, theirs.secret)
    assert ended.value.code == "session_ended"
    kept = read_session(container.uow(), container.clock, SessionKind.PORTAL, mine.secret)
    assert kept.id == mine.session.id
