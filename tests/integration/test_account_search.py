"""The customer search on SQLite and PostgreSQL: part of a name, e-mail or external id, or the
exact id, in any case, taken literally, within one organization, paged in creation order.

Each test runs with SQLite building the page from the trigram table's candidates (FEW large)
and walking the accounts in page order (FEW 0): both ways find exactly the same accounts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db.accounts import search
from plansmith.application.accounts import accounts as uc
from plansmith.bootstrap import Plansmith
from plansmith.domain.accounts.account import Account
from tests.conftest import Tenant


@pytest.fixture(params=["candidates", "walk"], autouse=True)
def sqlite_way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite's two ways to build a page (from the index's candidates, or walking the
    accounts in order). PostgreSQL's planner makes that choice itself and ignores FEW: there
    both variants run the same query, and must give the same answers all the same."""
    monkeypatch.setattr(search, "FEW", 500 if request.param == "candidates" else 0)


def _open(
    container: Plansmith,
    clock: TestClock,
    tenant: Tenant,
    name: str,
    email: str = "billing@example.com",
    external_id: str | None = None,
) -> Account:
    clock.advance(timedelta(seconds=1))
    data = uc.AccountInput(name, email, "EUR", external_id=external_id)
    return uc.open_account(container.uow(), clock, tenant.organization_id, data)


def _found(container: Plansmith, tenant: Tenant, text: str) -> list[str]:
    page = uc.list_accounts(container.uow(), tenant.organization_id, search=text, limit=100)
    assert page.next_cursor is None
    return [a.id for a in page.items]


def test_part_of_a_name_email_or_external_id_in_any_case(
    container: Plansmith, clock: TestClock, tenant: Tenant
) -> None:
    by_name = _open(container, clock, tenant, "Northwind Traders")
    by_email = _open(container, clock, tenant, "Contoso", email="ap@northwind-mail.example")
    by_external = _open(container, clock, tenant, "Fabrikam", external_id="CRM-NorthWind-7")
    other = _open(container, clock, tenant, "Tailspin Toys", email="ap@tailspin.example")

    assert _found(container, tenant, "NORTHWIND") == [by_name.id, by_email.id, by_external.id]
    assert _found(container, tenant, "trad") == [by_name.id]
    assert _found(container, tenant, "D-MAIL.EX") == [by_email.id]
    assert _found(container, tenant, "crm-north") == [by_external.id]
    assert _found(container, tenant, "@") == [by_name.id, by_email.id, by_external.id, other.id]
    assert _found(container, tenant, other.id) == [other.id]
    assert _found(container, tenant, "wind traders!") == []


def test_short_text_finds_every_account_holding_it(
    container: Plansmith, clock: TestClock, tenant: Tenant
) -> None:
    ab = _open(container, clock, tenant, "Abc")
    xab = _open(container, clock, tenant, "Other", email="q@qab.example")
    _open(container, clock, tenant, "Other", email="y@example.com")

    assert _found(container, tenant, "AB") == [ab.id, xab.id]
    assert _found(container, tenant, "q") == [xab.id]


def test_a_customer_of_another_organization_is_never_found(
    container: Plansmith, clock: TestClock, tenant: Tenant, other_tenant: Tenant
) -> None:
    ours = _open(container, clock, tenant, "Globex Corporation", external_id="G-1")
    theirs = _open(container, clock, other_tenant, "Globex Corporation", external_id="G-1")
    their_other = _open(container, clock, other_tenant, "Initech", email="it@globex.example")

    assert _found(container, tenant, "globex") == [ours.id]
    assert _found(container, tenant, "G-1") == [ours.id]
    assert _found(container, tenant, "initech") == []
    assert _found(container, tenant, theirs.id) == []
    assert _found(container, other_tenant, "globex") == [theirs.id, their_other.id]
    assert _found(container, other_tenant, ours.id) == []


@pytest.mark.parametrize(
    ("text", "finds"),
    [
        ("0% u", ["100% Uptime"]),
        ("%", ["100% Uptime"]),
        ("a_b", ["A_B Corp"]),
        ("_", ["A_B Corp"]),
        ("k\\sl", ["Back\\slash Ltd"]),
        ('"best"', ['The "Best" Co']),
        ('e "be', ['The "Best" Co']),
        ("{name}: x", ["{name}: x OR y*"]),
        ("x or y*", ["{name}: x OR y*"]),
    ],
)
def test_wildcards_quotes_and_query_syntax_are_taken_literally(
    container: Plansmith, clock: TestClock, tenant: Tenant, text: str, finds: list[str]
) -> None:
    names = ["100% Uptime", "A_B Corp", "AxB Corp", "Back\\slash Ltd", 'The "Best" Co']
    opened = {n: _open(container, clock, tenant, n) for n in [*names, "{name}: x OR y*"]}

    assert _found(container, tenant, text) == [opened[n].id for n in finds]


def test_a_changed_account_is_found_by_what_it_holds_now(
    container: Plansmith, clock: TestClock, tenant: Tenant
) -> None:
    account = _open(container, clock, tenant, "Old Name", "old@mail.example", "OLD-EXT-1")
    kept = _open(container, clock, tenant, "Kept", "kept@mail.example")
    changes = uc.AccountChanges(name="Fresh Name", email="new@post.example", external_id="")

    uc.update_account(container.uow(), clock, tenant.organization_id, account.id, changes)

    assert _found(container, tenant, "old") == []
    assert _found(container, tenant, "ext-1") == []
    assert _found(container, tenant, "fresh") == [account.id]
    assert _found(container, tenant, "post.ex") == [account.id]
    assert _found(container, tenant, "mail.ex") == [kept.id]


def test_pages_of_a_search_give_every_match_once_in_creation_order(
    container: Plansmith, clock: TestClock, tenant: Tenant
) -> None:
    matching = []
    for n in range(23):
        matching.append(_open(container, clock, tenant, f"Acme Branch {n:02d}").id)
        _open(container, clock, tenant, f"Unrelated {n:02d}")
    same_instant = [
        uc.open_account(
            container.uow(),
            clock,
            tenant.organization_id,
            uc.AccountInput(name, "a@b.example", "EUR"),
        ).id
        for name in ("Acme Twin", "Acme Twin", "Acme Twin")
    ]

    seen: list[str] = []
    cursor = None
    for _ in range(5):
        page = uc.list_accounts(
            container.uow(), tenant.organization_id, search="ACME", cursor=cursor, limit=10
        )
        seen += [a.id for a in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break

    everyone = uc.list_accounts(container.uow(), tenant.organization_id, limit=100).items
    assert seen == [a.id for a in everyone if a.id in {*matching, *same_instant}]
    assert seen[:23] == matching
