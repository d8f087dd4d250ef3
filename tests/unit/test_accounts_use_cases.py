"""Account and invoice-address use cases on an in-memory unit of work and a settable clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from plansmith.adapters.clock import TestClock
from plansmith.application.accounts import accounts as uc
from plansmith.application.kernel.errors import Conflict, NotFound
from plansmith.application.kernel.pagination import decode_cursor
from plansmith.application.organizations.organizations import (
    create_organization,
    create_portal_link,
)
from plansmith.application.organizations.tokens import Signer
from plansmith.domain.accounts.account import Account
from plansmith.domain.kernel.errors import DomainError, InvalidInput, InvalidValue
from tests.fakes import FakeStore, FakeUnitOfWork, InjectedFailure

T0 = datetime(2026, 2, 28, 23, 30, tzinfo=UTC)
ORG = "org_a"
OTHER_ORG = "org_b"
ADDRESS = uc.AddressInput(name="Acme KK", line1="1-2-3 Shibuya", city="Tokyo", country="jp")


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def clock() -> TestClock:
    return TestClock(T0)


def _uow(store: FakeStore) -> FakeUnitOfWork:
    return FakeUnitOfWork(store)


def _open(store: FakeStore, clock: TestClock, org: str = ORG, **fields: str) -> Account:
    data = {"name": "Acme", "email": "billing@acme.example", "currency": "JPY", **fields}
    return uc.open_account(_uow(store), clock, org, uc.AccountInput(**data))


def test_fake_unit_of_work_drops_writes_that_were_not_committed(
    store: FakeStore, clock: TestClock
) -> None:
    account = _open(store, clock)
    before = store.snapshot()

    with _uow(store) as uow:
        uow.accounts.update(replace(account, name="Changed"))

    assert store.snapshot() == before
    assert store.commits == 1


def test_open_account_stores_normalised_values_at_the_clock_instant(
    store: FakeStore, clock: TestClock
) -> None:
    account = uc.open_account(
        _uow(store),
        clock,
        ORG,
        uc.AccountInput(
            name="  Acme Chat  ",
            email="Billing@ACME.example",
            currency="KWD",
            time_zone="Asia/Tokyo",
            locale="ja-jp",
            tax_id=" ",
            external_id="crm-42",
        ),
    )

    assert store.rows.accounts == {account.id: account}
    assert account.id.startswith("acct_")
    assert (account.organization_id, account.name, account.email) == (
        ORG,
        "Acme Chat",
        "Billing@acme.example",
    )
    assert (account.currency, account.time_zone, account.locale) == ("KWD", "Asia/Tokyo", "ja_JP")
    assert (account.tax_id, account.external_id) == (None, "crm-42")
    assert account.created_at == account.updated_at == T0
    assert account.default_invoice_address_id is None


def test_open_account_reports_every_bad_field_at_once_and_writes_nothing(
    store: FakeStore, clock: TestClock
) -> None:
    data = uc.AccountInput(
        name=" ", email="not-an-email", currency="usd", time_zone="Mars/Olympus", locale="xx_YY"
    )

    with pytest.raises(InvalidInput) as raised:
        uc.open_account(_uow(store), clock, ORG, data)

    assert [(e.field, e.code) for e in raised.value.errors] == [
        ("name", "required"),
        ("email", "invalid_value"),
        ("currency", "unknown_currency"),
        ("time_zone", "invalid_time_zone"),
        ("locale", "invalid_locale"),
    ]
    assert raised.value.field == "name"
    assert store.rows.accounts == {}
    assert store.commits == 0


def test_open_account_with_one_bad_field_raises_that_error_alone(
    store: FakeStore, clock: TestClock
) -> None:
    with pytest.raises(DomainError) as raised:
        _open(store, clock, currency="XYZ")

    assert not isinstance(raised.value, InvalidInput)
    assert (raised.value.field, raised.value.code) == ("currency", "unknown_currency")
    assert store.rows.accounts == {}


def test_external_id_is_unique_per_organization(store: FakeStore, clock: TestClock) -> None:
    first = _open(store, clock, external_id="crm-1")
    elsewhere = _open(store, clock, org=OTHER_ORG, external_id="crm-1")
    before = store.snapshot()

    with pytest.raises(Conflict) as raised:
        _open(store, clock, external_id="crm-1")

    assert (raised.value.field, raised.value.code, raised.value.status) == (
        "external_id",
        "external_id_taken",
        409,
    )
    assert first.id in raised.value.message
    assert elsewhere.external_id == "crm-1"
    assert store.snapshot() == before


def test_update_account_changes_given_fields_only_and_stamps_updated_at(
    store: FakeStore, clock: TestClock
) -> None:
    account = _open(store, clock, tax_id="DE123")
    clock.advance(timedelta(hours=2))

    updated = uc.update_account(
        _uow(store), clock, ORG, account.id, uc.AccountChanges(name="Acme GmbH", locale="de_DE")
    )

    assert updated == replace(
        account, name="Acme GmbH", locale="de_DE", updated_at=T0 + timedelta(hours=2)
    )
    assert store.rows.accounts[account.id] == updated


def test_update_account_with_empty_tax_id_clears_it(store: FakeStore, clock: TestClock) -> None:
    account = _open(store, clock, tax_id="DE123", external_id="crm-1")

    updated = uc.update_account(
        _uow(store), clock, ORG, account.id, uc.AccountChanges(tax_id="", external_id="")
    )

    assert (updated.tax_id, updated.external_id) == (None, None)
    assert store.rows.accounts[account.id].tax_id is None


def test_update_account_reports_every_bad_field_and_changes_nothing(
    store: FakeStore, clock: TestClock
) -> None:
    account = _open(store, clock)
    before = store.snapshot()

    with pytest.raises(InvalidInput) as raised:
        uc.update_account(
            _uow(store),
            clock,
            ORG,
            account.id,
            uc.AccountChanges(name="", email="@", time_zone="Europe/Atlantis"),
        )

    assert [e.field for e in raised.value.errors] == ["name", "email", "time_zone"]
    assert store.snapshot() == before


def test_update_account_of_another_organization_is_not_found(
    store: FakeStore, clock: TestClock
) -> None:
    account = _open(store, clock, org=OTHER_ORG)
    before = store.snapshot()

    with pytest.raises(NotFound) as raised:
        uc.update_account(_uow(store), clock, ORG, account.id, uc.AccountChanges(name="Mine"))

    assert (raised.value.status, raised.value.field) == (404, "account_id")
    assert store.snapshot() == before


def test_first_address_becomes_default_and_later_ones_only_when_asked(
    store: FakeStore, clock: TestClock
) -> None:
    account = _open(store, clock)

    first = uc.add_invoice_address(_uow(store), clock, ORG, account.id, ADDRESS)
    second = uc.add_invoice_address(_uow(store), clock, ORG, account.id, ADDRESS)
    after_second = store.rows.accounts[account.id].default_invoice_address_id
    third = uc.add_invoice_address(_uow(store), clock, ORG, account.id, ADDRESS, make_default=True)

    assert first.country == "JP"
    assert after_second == first.id
    assert store.rows.accounts[account.id].default_invoice_address_id == third.id
    assert set(store.rows.invoice_addresses) == {first.id, second.id, third.id}


def test_adding_an_address_whose_account_update_fails_leaves_nothing_behind(
    store: FakeStore, clock: TestClock
) -> None:
    account = _open(store, clock)
    before = store.snapshot()
    store.fail_on.add("accounts.update")

    with pytest.raises(InjectedFailure):
        uc.add_invoice_address(_uow(store), clock, ORG, account.id, ADDRESS)

    assert store.snapshot() == before
    assert store.rows.invoice_addresses == {}


def test_address_checks_report_every_bad_field(store: FakeStore, clock: TestClock) -> None:
    account = _open(store, clock)
    bad = uc.AddressInput(name="Acme", line1="", city="  ", country="Japan", postal_code="1" * 21)

    with pytest.raises(InvalidInput) as raised:
        uc.add_invoice_address(_uow(store), clock, ORG, account.id, bad)

    assert [(e.field, e.code) for e in raised.value.errors] == [
        ("line1", "required"),
        ("city", "required"),
        ("postal_code", "too_long"),
        ("country", "invalid_country"),
    ]
    assert store.rows.invoice_addresses == {}


def test_update_invoice_address_merges_changes_and_validates_the_result(
    store: FakeStore, clock: TestClock
) -> None:
    account = _open(store, clock)
    address = uc.add_invoice_address(_uow(store), clock, ORG, account.id, ADDRESS)
    clock.advance(timedelta(minutes=5))

    updated = uc.update_invoice_address(
        _uow(store), clock, ORG, account.id, address.id, uc.AddressChanges(city="Osaka")
    )
    with pytest.raises(InvalidValue) as raised:
        uc.update_invoice_address(
            _uow(store), clock, ORG, account.id, address.id, uc.AddressChanges(country="XX")
        )

    assert updated == replace(address, city="Osaka", updated_at=T0 + timedelta(minutes=5))
    assert raised.value.field == "country"
    assert store.rows.invoice_addresses[address.id] == updated


def test_address_is_not_found_through_another_account(store: FakeStore, clock: TestClock) -> None:
    owner = _open(store, clock)
    stranger = _open(store, clock, name="Stranger")
    address = uc.add_invoice_address(_uow(store), clock, ORG, owner.id, ADDRESS)

    with pytest.raises(NotFound) as raised:
        uc.get_invoice_address(_uow(store), ORG, stranger.id, address.id)

    assert raised.value.field == "address_id"


def test_default_address_of_another_account_is_refused_and_nothing_changes(
    store: FakeStore, clock: TestClock
) -> None:
    mine = _open(store, clock)
    theirs = _open(store, clock, name="Other")
    their_address = uc.add_invoice_address(_uow(store), clock, ORG, theirs.id, ADDRESS)
    before = store.snapshot()

    with pytest.raises(NotFound) as raised:
        uc.set_default_invoice_address(_uow(store), clock, ORG, mine.id, their_address.id)

    assert (raised.value.field, raised.value.code) == ("address_id", "not_found")
    assert store.snapshot() == before


def test_default_address_of_another_organization_is_not_found(
    store: FakeStore, clock: TestClock
) -> None:
    mine = _open(store, clock)
    theirs = _open(store, clock, org=OTHER_ORG)
    their_address = uc.add_invoice_address(_uow(store), clock, OTHER_ORG, theirs.id, ADDRESS)
    before = store.snapshot()

    with pytest.raises(NotFound):
        uc.set_default_invoice_address(_uow(store), clock, ORG, mine.id, their_address.id)

    assert store.snapshot() == before


def test_list_accounts_pages_in_creation_order_within_the_organization(
    store: FakeStore, clock: TestClock
) -> None:
    opened = []
    for n in range(5):
        opened.append(_open(store, clock, name=f"Customer {n}"))
        _open(store, clock, org=OTHER_ORG, name=f"Foreign {n}")
        clock.advance(timedelta(seconds=1))

    first = uc.list_accounts(_uow(store), ORG, limit=2)
    second = uc.list_accounts(_uow(store), ORG, limit=2, cursor=first.next_cursor)
    third = uc.list_accounts(_uow(store), ORG, limit=2, cursor=second.next_cursor)

    assert [a.id for a in [*first.items, *second.items, *third.items]] == [a.id for a in opened]
    assert third.next_cursor is None
    assert decode_cursor(first.next_cursor) == (opened[1].created_at, opened[1].id)


def test_list_accounts_searches_name_email_and_external_id(
    store: FakeStore, clock: TestClock
) -> None:
    by_name = _open(store, clock, name="Zebra Telecom")
    by_email = _open(store, clock, name="Other", email="ops@zebra-mail.example")
    by_external = _open(store, clock, name="Third", external_id="ZEBRA-7")
    _open(store, clock, name="Unrelated", email="x@y.example")

    page = uc.list_accounts(_uow(store), ORG, search="  zebra ")

    assert {a.id for a in page.items} == {by_name.id, by_email.id, by_external.id}


def test_list_accounts_refuses_a_bad_cursor_and_limit(store: FakeStore) -> None:
    with pytest.raises(InvalidValue) as bad_cursor:
        uc.list_accounts(_uow(store), ORG, cursor="not-a-cursor")
    with pytest.raises(InvalidValue) as bad_limit:
        uc.list_accounts(_uow(store), ORG, limit=101)

    assert (bad_cursor.value.field, bad_cursor.value.code) == ("cursor", "invalid_cursor")
    assert bad_limit.value.field == "limit"


def test_portal_link_expiry_is_bounded_and_uses_the_clock(
    store: FakeStore, clock: TestClock
) -> None:
    org = create_organization(_uow(store), clock, "Operator")
    account = _open(store, clock, org=org.id)
    signer = Signer(b"secret")

    link = create_portal_link(_uow(store), clock, signer, org.id, account.id, ttl_seconds=60)
    with pytest.raises(InvalidValue) as too_short:
        create_portal_link(_uow(store), clock, signer, org.id, account.id, ttl_seconds=59)
    with pytest.raises(InvalidValue) as too_long:
        create_portal_link(_uow(store), clock, signer, org.id, account.id, ttl_seconds=604801)

    assert link.expires_at == T0 + timedelta(seconds=60)
    assert signer.verify("portal-link", link.token, T0)["acct"] == account.id
    assert too_short.value.field == too_long.value.field == "expires_in"
